//go:build !unix

package local

import "os"

// pidAlive: on Windows, finding a process opens it, which fails once it
// has exited.
func pidAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
