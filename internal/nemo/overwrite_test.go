package nemo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// TestExportNeverReplacesUnlessAsked: the cloud backend's download
// replaced an existing output_path.
func TestExportNeverReplacesUnlessAsked(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.mp4")
	if err := os.WriteFile(p, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &Backend{}
	_, err := b.exportFormat(backend.ExportRequest{OutputPath: p})
	if msg, ok := backend.UserMessage(err); !ok || !strings.Contains(msg, "overwrite: true") {
		t.Fatalf("err = %v", err)
	}
	if f, err := b.exportFormat(backend.ExportRequest{OutputPath: p, Overwrite: true}); err != nil || f != "mp4" {
		t.Fatalf("with overwrite: %q %v", f, err)
	}
}
