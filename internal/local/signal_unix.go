//go:build unix

package local

import (
	"os"
	"syscall"
)

// pidAlive probes a pid with signal 0 (no signal is sent).
func pidAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}
