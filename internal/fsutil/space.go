package fsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// NoSpaceError is a write that failed because a folder's disk is full.
type NoSpaceError struct {
	// Folder is where the write failed.
	Folder string
	// Err is the underlying error.
	Err error
}

// Error says which folder is full and what to do.
func (e *NoSpaceError) Error() string {
	if e.Folder == "" {
		return "no space left on the disk: free space, then try again"
	}
	return fmt.Sprintf("no space left on the disk of %s: free space there, then try again", e.Folder)
}

// Unwrap returns the underlying error.
func (e *NoSpaceError) Unwrap() error { return e.Err }

// IsNoSpace reports whether err says a disk is full: ENOSPC or EDQUOT,
// or the same in the text of a child process or SQLite error.
func IsNoSpace(err error) bool {
	if err == nil {
		return false
	}
	var ne *NoSpaceError
	if errors.As(err, &ne) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "No space left on device") || strings.Contains(s, "database or disk is full") ||
		strings.Contains(s, "Disk quota exceeded")
}

// NoSpace returns err as a *NoSpaceError naming folder when err says the
// disk is full, else err unchanged.
func NoSpace(err error, folder string) error {
	var ne *NoSpaceError
	if err == nil || errors.As(err, &ne) || !IsNoSpace(err) {
		return err
	}
	return &NoSpaceError{Folder: folder, Err: err}
}

// FullFolder picks, among folders, the one whose disk has the least
// space left (the one a "disk full" error most likely came from); the
// first one when that cannot be measured.
func FullFolder(folders ...string) string {
	best, bestFree := "", ^uint64(0)
	for _, f := range folders {
		if f == "" {
			continue
		}
		if best == "" {
			best = f
		}
		if free, ok := freeBytes(f); ok && free < bestFree {
			best, bestFree = f, free
		}
	}
	return best
}

// RemoveLeftovers removes from dir the temporary files and folders (named
// TempPrefix<pid>-...) whose process is gone: what a crash left. Nothing
// else is touched. It returns how many it removed.
func RemoveLeftovers(dir string) (int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	for _, e := range ents {
		pid, ok := tempOwner(e.Name())
		if !ok || pid == os.Getpid() || alive(pid) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err == nil {
			n++
		}
	}
	return n, nil
}

// tempOwner parses the pid out of a TempName.
func tempOwner(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, TempPrefix)
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(num)
	return pid, err == nil && pid > 0
}
