package fsutil

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// TestDiskFullNamesTheFolder fills a real 64 KiB tmpfs (needs root to
// mount it; skipped otherwise).
func TestDiskFullNamesTheFolder(t *testing.T) {
	dir := testmedia.TinyTmpfs(t, "64k")
	r := ParseRoots(dir)
	o, err := r.CreateOutput(dir, ".wav")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	_, werr := o.File().Write(make([]byte, 1<<20))
	err = NoSpace(werr, dir)
	var ne *NoSpaceError
	if !errors.As(err, &ne) || ne.Folder != dir {
		t.Fatalf("err = %v, want a NoSpaceError for %s", err, dir)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "free space") {
		t.Fatalf("message %q must name the folder and say to free space", err)
	}
	if got := FullFolder(t.TempDir(), dir); got != dir {
		t.Fatalf("FullFolder = %s, want %s", got, dir)
	}
	if _, err := WriteFile(filepath.Join(dir, "x.bin"), strings.NewReader(strings.Repeat("x", 1<<20)), false); !errors.As(err, &ne) {
		t.Fatalf("WriteFile on a full disk: err = %v", err)
	}
}
