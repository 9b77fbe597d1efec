package fsutil

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames old to new inside the folder held open as dir,
// failing with EEXIST when new exists (renameat2 RENAME_NOREPLACE; on a
// file system without it, link(2) then unlink, which fails the same way).
func renameNoReplace(dir *os.File, _ string, old, new string) error {
	fd := int(dir.Fd())
	err := unix.Renameat2(fd, old, fd, new, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENOTSUP) {
		if err = unix.Linkat(fd, old, fd, new, 0); err == nil {
			err = unix.Unlinkat(fd, old, 0)
		}
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: old, New: new, Err: err}
	}
	return nil
}

// renameAt renames old to new inside the folder held open as dir,
// replacing new.
func renameAt(dir *os.File, _ string, old, new string) error {
	fd := int(dir.Fd())
	if err := unix.Renameat(fd, old, fd, new); err != nil {
		return &os.LinkError{Op: "rename", Old: old, New: new, Err: err}
	}
	return nil
}

// removeAt removes name from the folder held open as dir.
func removeAt(dir *os.File, _ string, name string) error {
	return unix.Unlinkat(int(dir.Fd()), name, 0)
}

// freeBytes is the space left for an unprivileged user in the file
// system holding path.
func freeBytes(path string) (uint64, bool) {
	var st unix.Statfs_t
	if unix.Statfs(path, &st) != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
