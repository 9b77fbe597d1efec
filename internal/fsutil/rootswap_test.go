package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A folder that is itself a root (the output folder is one) swapped for a
// link after start must not take writes or reads outside: os.OpenRoot
// follows a link in the root's own path, so the root is checked too.
func TestRootItselfSwappedForLink(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{out, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.wav"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ParseRoots(out)
	o, err := r.CreateOutput(out, ".wav")
	if err != nil {
		t.Fatal(err)
	}
	o.Close()

	if err := os.Rename(out, out+".real"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, out); err != nil {
		t.Fatal(err)
	}
	if o, err := r.CreateOutput(out, ".wav"); err == nil {
		o.Close()
		t.Errorf("CreateOutput in a root swapped for a link succeeded")
	} else if !errors.Is(err, ErrOutsideRoots) {
		t.Errorf("CreateOutput: %v, want ErrOutsideRoots", err)
	}
	if f, err := r.Open(filepath.Join(out, "secret.wav")); err == nil {
		f.Close()
		t.Errorf("Open through a root swapped for a link succeeded")
	}
	ents, _ := os.ReadDir(outside)
	if len(ents) != 1 {
		t.Errorf("outside folder now holds %d entries, want only secret.wav", len(ents))
	}
}
