package fsutil

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFileNameFitsAndIsClean(t *testing.T) {
	long := strings.Repeat("a", 300)
	cjk := strings.Repeat("中", 120) // 3 bytes each
	tests := []struct {
		name, stem, tail string
	}{
		{"ascii 300", long, "-edited.mp4"},
		{"cjk 120", cjk, "-edited-12.wav"},
		{"invalid utf8", "\xff\xfe", "-edited.mp3"},
		{"newline", "a\nb\rc\x00d", "-edited.mp4"},
		{"bidi", "evil\u202Ewav.exe", "-edited.mp4"},
		{"dots", "../..", "-edited.mp4"},
		{"slash", "a/b\\c", ".wav"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := FileName(tc.stem, tc.tail)
			if len(n) > MaxNameBytes {
				t.Fatalf("len %d > %d", len(n), MaxNameBytes)
			}
			if !strings.HasSuffix(n, tc.tail) {
				t.Fatalf("%q lost its tail %q", n, tc.tail)
			}
			if !utf8.ValidString(n) {
				t.Fatalf("%q is not valid UTF-8", n)
			}
			if strings.ContainsAny(n, "/\\\n\r\x00\u202E") || strings.HasPrefix(n, ".") {
				t.Fatalf("unsafe name %q", n)
			}
			// The name must be creatable.
			if err := os.WriteFile(filepath.Join(t.TempDir(), n), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
	if got := FileName("\xff\xfe", ".mp3"); got != "_.mp3" {
		t.Fatalf("FileName(%%FF%%FE) = %q", got)
	}
}

func TestOpenRefusesALinkSwappedIn(t *testing.T) {
	base := t.TempDir()
	in := filepath.Join(base, "in")
	os.MkdirAll(in, 0o755)
	secret := filepath.Join(base, "secret.wav")
	os.WriteFile(secret, []byte("secret"), 0o644)
	p := filepath.Join(in, "swap.wav")
	os.WriteFile(p, []byte("mine"), 0o644)
	r := ParseRoots(in)
	checked, err := r.Check(p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Open(checked)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	// Swapped after the check: the open, at use, must refuse it.
	os.Remove(p)
	if err := os.Symlink(secret, p); err != nil {
		t.Fatal(err)
	}
	if f, err := r.Open(checked); err == nil {
		f.Close()
		t.Fatal("Open followed a link out of the root")
	} else if !errors.Is(err, ErrOutsideRoots) {
		t.Fatalf("err = %v, want ErrOutsideRoots", err)
	}
	// A link inside the root stays fine.
	os.Remove(p)
	os.WriteFile(filepath.Join(in, "real.wav"), []byte("x"), 0o644)
	os.Symlink("real.wav", p)
	if f, err := r.Open(p); err != nil {
		t.Fatalf("inside link refused: %v", err)
	} else {
		f.Close()
	}
	if _, err := r.Open(secret); !errors.Is(err, ErrOutsideRoots) {
		t.Fatalf("outside path: err = %v", err)
	}
}

func TestOutputNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	r := ParseRoots(dir)
	os.WriteFile(filepath.Join(dir, "taken.wav"), []byte("keep me"), 0o644)
	o, err := r.CreateOutput(dir, ".wav")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if !strings.HasPrefix(filepath.Base(o.File().Name()), TempPrefix) {
		t.Fatalf("temp name %q lacks our prefix", o.File().Name())
	}
	o.File().WriteString("new")
	if err := o.Commit("taken.wav", false); !errors.Is(err, ErrExist) {
		t.Fatalf("commit over an existing file: err = %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "taken.wav")); string(b) != "keep me" {
		t.Fatalf("existing file changed: %q", b)
	}
	if err := o.Commit("free.wav", false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "free.wav")); string(b) != "new" {
		t.Fatalf("committed file = %q", b)
	}
	o.Close()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Fatalf("folder holds %d entries, want 2 (no temp left)", len(ents))
	}
	// overwrite replaces.
	o2, err := r.CreateOutput(dir, ".wav")
	if err != nil {
		t.Fatal(err)
	}
	o2.File().WriteString("over")
	if err := o2.Commit("taken.wav", true); err != nil {
		t.Fatal(err)
	}
	o2.Close()
	if b, _ := os.ReadFile(filepath.Join(dir, "taken.wav")); string(b) != "over" {
		t.Fatalf("overwrite: %q", b)
	}
}

func TestOutputFolderSwappedForALink(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	out := filepath.Join(root, "out")
	outside := filepath.Join(base, "outside")
	os.MkdirAll(out, 0o755)
	os.MkdirAll(outside, 0o755)
	r := ParseRoots(root)
	// A link planted before the export starts is refused at once.
	os.Symlink(outside, filepath.Join(root, "link"))
	if _, err := r.CreateOutput(filepath.Join(root, "link"), ".wav"); !errors.Is(err, ErrOutsideRoots) {
		t.Fatalf("output into a link out of the root: err = %v", err)
	}
	o, err := r.CreateOutput(out, ".wav")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	o.File().WriteString("data")
	// Swapped while the file is written.
	if err := os.Rename(out, filepath.Join(root, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, out); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit("x.wav", false); !errors.Is(err, ErrOutsideRoots) {
		t.Fatalf("commit after the swap: err = %v", err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("a file landed outside the roots: %v", ents)
	}
}

func TestRemoveLeftovers(t *testing.T) {
	dir := t.TempDir()
	// A process that is gone: a child we started and waited for.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	dead := cmd.Process.Pid
	deadFile := TempPrefix + strconv.Itoa(dead) + "-abc.mp4"
	deadDir := TempPrefix + strconv.Itoa(dead) + "-work"
	mine := TempName(".wav")
	keep := []string{"song.mp4", ".song.mp4.tmp-123", "mcp-audioedit-tmp-1-x", mine}
	os.WriteFile(filepath.Join(dir, deadFile), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(dir, deadDir, "sub"), 0o755)
	for _, k := range keep {
		os.WriteFile(filepath.Join(dir, k), []byte("x"), 0o644)
	}
	n, err := RemoveLeftovers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("removed %d, want 2", n)
	}
	for _, k := range keep {
		if _, err := os.Stat(filepath.Join(dir, k)); err != nil {
			t.Fatalf("%s was removed: %v", k, err)
		}
	}
	for _, g := range []string{deadFile, deadDir} {
		if _, err := os.Stat(filepath.Join(dir, g)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s is still there", g)
		}
	}
}
