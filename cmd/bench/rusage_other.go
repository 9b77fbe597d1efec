//go:build !unix

package main

import "errors"

func childrenMaxRSS() (int64, error) {
	return 0, errors.New("peak memory of child processes is measured on unix only")
}
