package testmedia

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FFmpegChildren lists the ffmpeg processes this test process started that
// still run (zombies excluded). It skips the test where there is no /proc
// to read.
func FFmpegChildren(t testing.TB) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc to list child processes")
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		j := bytes.IndexByte(b, '(')
		if i < 0 || j < 0 || j > i {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		comm := string(b[j+1 : i])
		if len(f) < 2 || f[1] != strconv.Itoa(os.Getpid()) || comm != "ffmpeg" || f[0] == "Z" {
			continue
		}
		out = append(out, pid)
	}
	return out
}
