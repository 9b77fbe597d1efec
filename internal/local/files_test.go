package local

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// tone writes a 1 s 440 Hz WAV at path.
func tone(t *testing.T, path string) {
	t.Helper()
	x := make([]float32, testmedia.Rate)
	for i := range x {
		x[i] = float32(0.3 * math.Sin(2*math.Pi*440*float64(i)/testmedia.Rate))
	}
	short := filepath.Join(t.TempDir(), "t.wav") // testmedia's temp name could not take a long name
	if err := testmedia.WriteWAV(short, x, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(short, path); err != nil {
		t.Fatal(err)
	}
}

// exportWait exports and waits for the job to end.
func exportWait(t *testing.T, b *Backend, req backend.ExportRequest) (*backend.Job, error) {
	t.Helper()
	req.Wait = 1 << 40
	return b.Export(context.Background(), req)
}

// TestExportLongNames: a name of 245+ bytes (or 82 CJK characters) made
// the numbered-name loop spin forever on ENAMETOOLONG.
func TestExportLongNames(t *testing.T) {
	for _, name := range []string{strings.Repeat("a", 246) + ".wav", strings.Repeat("中", 82) + ".wav"} {
		t.Run(name[:3], func(t *testing.T) {
			b, dir := newBackend(t)
			src := filepath.Join(dir, name)
			tone(t, src)
			if _, err := b.Upload(context.Background(), backend.UploadRequest{Paths: []string{src}}); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for range 2 {
				j, err := exportWait(t, b, backend.ExportRequest{Format: "wav"})
				if err != nil {
					t.Fatal(err)
				}
				if j.Status != backend.JobCompleted {
					t.Fatalf("job %s: %s", j.Status, j.Error)
				}
				base := filepath.Base(j.Path)
				if len(base) > 255 || !utf8.ValidString(base) || filepath.Ext(base) != ".wav" {
					t.Fatalf("output name %q (%d bytes)", base, len(base))
				}
				info, err := b.eng.Probe(context.Background(), j.Path)
				if err != nil || info.Duration < 0.99 {
					t.Fatalf("output does not probe as 1 s: %v %+v", err, info)
				}
				seen[j.Path] = true
			}
			if len(seen) != 2 {
				t.Fatalf("two exports wrote %d distinct files", len(seen))
			}
		})
	}
}
