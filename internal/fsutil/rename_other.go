//go:build !linux

package fsutil

import (
	"os"
	"path/filepath"
)

// renameNoReplace renames old to new in folder path, failing when new
// exists: link(2) then unlink.
func renameNoReplace(_ *os.File, path, old, new string) error {
	if err := os.Link(filepath.Join(path, old), filepath.Join(path, new)); err != nil {
		return err
	}
	return os.Remove(filepath.Join(path, old))
}

// renameAt renames old to new in folder path, replacing new.
func renameAt(_ *os.File, path, old, new string) error {
	return os.Rename(filepath.Join(path, old), filepath.Join(path, new))
}

// removeAt removes name from folder path.
func removeAt(_ *os.File, path, name string) error {
	return os.Remove(filepath.Join(path, name))
}

// freeBytes is unknown here.
func freeBytes(string) (uint64, bool) { return 0, false }

// alive reports whether process pid exists; where that cannot be told
// cheaply, it is assumed alive, so nothing of it is removed.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
