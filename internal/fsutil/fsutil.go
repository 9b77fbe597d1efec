// Package fsutil holds the file-system rules the server keeps: which
// folders it may touch (roots), and atomic writes (temp file + rename in
// the same folder, so a reader never sees a half-written file).
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Roots is the list of folders the server may read and write.
type Roots []string

// ParseRoots splits an OS path list (":" on Unix) into cleaned absolute
// folders, resolving symlinks where the folder exists. Empty entries are
// dropped.
func ParseRoots(list string) Roots {
	var r Roots
	for _, p := range filepath.SplitList(list) {
		if strings.TrimSpace(p) == "" {
			continue
		}
		r = append(r, canonical(p))
	}
	return r
}

// DefaultRoots is the user's home folder and the temp folder.
func DefaultRoots() Roots {
	var r Roots
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		r = append(r, canonical(h))
	}
	return append(r, canonical(os.TempDir()))
}

func canonical(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = filepath.Clean(p)
	}
	if ev, err := filepath.EvalSymlinks(abs); err == nil {
		return ev
	}
	// For a path that does not exist yet, resolve its nearest existing parent.
	dir, base := filepath.Split(abs)
	if dir != "" && dir != abs {
		if ev, err := filepath.EvalSymlinks(filepath.Clean(dir)); err == nil {
			return filepath.Join(ev, base)
		}
	}
	return abs
}

// ErrOutsideRoots marks a path outside every root.
var ErrOutsideRoots = errors.New("path is outside the folders this server may use")

// Check resolves path (symlinks included) to an absolute path and checks
// it lies inside one of the roots. The error names the roots and the
// setting that changes them.
func (r Roots) Check(path string) (string, error) {
	if strings.TrimSpace(path) == "" {
		return "", errors.New("empty path: give an absolute file path")
	}
	if strings.HasPrefix(path, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(h, path[2:])
		}
	}
	p := canonical(path)
	if r.Holds(p) {
		return p, nil
	}
	return "", &OutsideError{Path: path, Roots: r}
}

// TempFile creates a temp file beside final (same folder, so the rename
// is atomic), named with TempPrefix so a crash's leftover is recognised.
func TempFile(final string) (*os.File, error) {
	dir := filepath.Dir(final)
	f, err := os.OpenFile(filepath.Join(dir, TempName("")), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, NoSpace(fmt.Errorf("create temp file for %s: %w", final, err), dir)
	}
	return f, nil
}

// Commit syncs and closes f, then renames it to final. On any error the
// temp file is removed and final is untouched.
func Commit(f *os.File, final string) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), final)
	}
	if err != nil {
		os.Remove(f.Name())
		return NoSpace(fmt.Errorf("write %s: %w", final, err), filepath.Dir(final))
	}
	return nil
}

// WriteFile writes r to final atomically with mode 0644 (0600 when private).
func WriteFile(final string, r io.Reader, private bool) (int64, error) {
	f, err := TempFile(final)
	if err != nil {
		return 0, err
	}
	mode := os.FileMode(0o644)
	if private {
		mode = 0o600
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return 0, fmt.Errorf("write %s: %w", final, err)
	}
	n, err := io.Copy(f, r)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return n, NoSpace(fmt.Errorf("write %s: %w", final, err), filepath.Dir(final))
	}
	return n, Commit(f, final)
}

// SameFile reports whether a and b name the same existing file.
func SameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
