//go:build unix

package main

import "syscall"

// childrenMaxRSS is the peak resident set of the largest of this
// process's waited-for children, in KiB.
func childrenMaxRSS() (int64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0, err
	}
	return int64(ru.Maxrss), nil
}
