package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRootsCheck(t *testing.T) {
	base := t.TempDir()
	in := filepath.Join(base, "in")
	out := filepath.Join(base, "out")
	os.MkdirAll(in, 0o755)
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "secret.wav"), []byte("x"), 0o644)
	// A symlink inside the root that points outside it must be refused.
	os.Symlink(filepath.Join(out, "secret.wav"), filepath.Join(in, "link.wav"))
	r := ParseRoots(in)
	tests := []struct {
		name    string
		path    string
		wantErr bool
	}{
		{"inside", filepath.Join(in, "a.wav"), false},
		{"root itself", in, false},
		{"outside", filepath.Join(out, "secret.wav"), true},
		{"dotdot escape", filepath.Join(in, "..", "out", "secret.wav"), true},
		{"prefix trick", in + "x/a.wav", true},
		{"symlink escape", filepath.Join(in, "link.wav"), true},
		{"empty", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Check(tc.path)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Check(%q) err = %v, wantErr %v", tc.path, err, tc.wantErr)
			}
			if err != nil && tc.path != "" {
				if !errors.Is(err, ErrOutsideRoots) || !strings.Contains(err.Error(), "AUDIOEDIT_ROOTS") {
					t.Errorf("error %q should wrap ErrOutsideRoots and name AUDIOEDIT_ROOTS", err)
				}
			}
		})
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "out.txt")
	os.WriteFile(final, []byte("old"), 0o644)
	if _, err := WriteFile(final, errReader{}, false); err == nil {
		t.Fatal("want error from failing reader")
	}
	if b, _ := os.ReadFile(final); string(b) != "old" {
		t.Fatalf("failed write changed the file: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temp file left behind: %v", ents)
	}
	if _, err := WriteFile(final, strings.NewReader("new"), true); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(final)
	st, _ := os.Stat(final)
	if string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Fatalf("got %q mode %v", b, st.Mode())
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }
