package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// TestDiskFullNamesTheFolder: a full output folder or TMPDIR gave
// "internal error" or "Broken pipe... check that the file plays". Real
// 64 KiB tmpfs mounts; the error names the full folder and says to free
// space, and nothing is left behind.
func TestDiskFullNamesTheFolder(t *testing.T) {
	t.Run("output folder", func(t *testing.T) {
		full := testmedia.TinyTmpfs(t, "16k") // the 1 s tone renders to 47 KB
		b, dir := newBackend(t, func(o *Options) { o.OutputDir = full })
		j := exportTone(t, b, dir, "")
		if !strings.Contains(j.Error, full) || !strings.Contains(j.Error, "free space") {
			t.Fatalf("error %q does not name %s and say to free space", j.Error, full)
		}
		assertNoTemp(t, full)
	})
	t.Run("temp folder", func(t *testing.T) {
		full := testmedia.TinyTmpfs(t, "64k")
		b, dir := newBackend(t, func(o *Options) {
			eng, err := engine.New(engine.Options{TempDir: full, Logger: zaptest.NewLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			o.Engine = eng
		})
		j := exportTone(t, b, dir, "cut 0.2-0.4") // the cut is rendered through a WAV in the temp folder
		if !strings.Contains(j.Error, full) || !strings.Contains(j.Error, "free space") || strings.Contains(j.Error, "Broken pipe") {
			t.Fatalf("error %q does not name %s and say to free space", j.Error, full)
		}
		if ents, _ := os.ReadDir(full); len(ents) != 0 {
			t.Fatalf("left in the temp folder: %v", ents)
		}
	})
}

// exportTone uploads a 1 s tone, applies instruction (if any) and
// exports it as WAV, expecting the job to fail.
func exportTone(t *testing.T, b *Backend, dir, instruction string) *backend.Job {
	t.Helper()
	ctx := context.Background()
	src := filepath.Join(dir, "tone.wav")
	tone(t, src)
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{src}}); err != nil {
		t.Fatal(err)
	}
	if instruction != "" {
		if _, err := b.Edit(ctx, backend.EditRequest{Instruction: instruction}); err != nil {
			t.Fatal(err)
		}
	}
	j, err := exportWait(t, b, backend.ExportRequest{Format: "wav"})
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != backend.JobFailed {
		t.Fatalf("export on a full disk: %s %s %d", j.Status, j.Path, j.SizeBytes)
	}
	return j
}
