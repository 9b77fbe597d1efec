package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// TestDataFolderFull: with the data folder's disk full, upload said
// "internal error". It names the folder and says to free space.
func TestDataFolderFull(t *testing.T) {
	data := testmedia.TinyTmpfs(t, "256k")
	e := newTestEnvData(t, data)
	// Fill what the database left free.
	f, err := os.Create(filepath.Join(data, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 1<<20))
	f.Close()
	res := e.call("upload", map[string]any{"paths": []string{noisyWAV(t)}})
	text := text(res)
	if !res.IsError {
		t.Fatalf("upload with a full data folder succeeded: %s", text)
	}
	if !strings.Contains(text, data) || !strings.Contains(text, "free space") || strings.Contains(text, "internal error") {
		t.Fatalf("result %q does not name %s and say to free space", text, data)
	}
}
