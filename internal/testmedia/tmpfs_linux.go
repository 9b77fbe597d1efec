package testmedia

import (
	"os"
	"syscall"
	"testing"
)

// TinyTmpfs mounts a tmpfs of size bytes (e.g. "64k") on a fresh temp
// folder for the test, so a write there really fails with ENOSPC. It
// needs root; without it (or where mount is refused) the test is skipped.
func TinyTmpfs(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skip("cannot mount a tmpfs:", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}
