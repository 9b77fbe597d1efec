package local

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// TestProcessEachFileSeparately: "process each file separately" renders one
// output per file, as file= does, never the mix of the two voices; each
// output is measured: its length is its input's and it holds its own tone
// only.
func TestProcessEachFileSeparately(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	type src struct {
		name      string
		seconds   float64
		freq, not float64
	}
	srcs := []src{{"alpha.wav", 2, 440, 1000}, {"beta.wav", 3, 1000, 440}}
	for _, s := range srcs {
		p := filepath.Join(dir, s.name)
		if err := testmedia.WriteWAV(p, toneWave(s.seconds, s.freq, 0.3), testmedia.Rate, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{p}}); err != nil {
			t.Fatal(err)
		}
	}
	done := map[string]bool{}
	for i, in := range []string{"process each file separately as wav", "分别处理每个文件"} {
		res, err := b.Edit(ctx, backend.EditRequest{Instruction: in})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		t.Logf("%s: %s", in, res.Message)
		st, err := b.State(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := len(st.Jobs); got != 2*(i+1) {
			t.Fatalf("%s: %d jobs in the session, want %d (one per file)", in, got, 2*(i+1))
		}
		seen := map[string]bool{}
		for _, j := range st.Jobs {
			if done[j.ID] {
				continue
			}
			done[j.ID] = true
			job, err := b.ExportStatus(ctx, j.ID, 2*time.Minute)
			if err != nil || job.Status != backend.JobCompleted {
				t.Fatalf("job %+v %v", job, err)
			}
			y, err := testmedia.ReadPCM(ctx, testmedia.FFmpeg(), job.Path, testmedia.Rate, 1)
			if err != nil {
				t.Fatal(err)
			}
			got := float64(len(y)) / testmedia.Rate
			var s *src
			for k := range srcs {
				if d := got - srcs[k].seconds; d > -0.1 && d < 0.1 {
					s = &srcs[k]
				}
			}
			if s == nil {
				t.Fatalf("%s: output %s is %.2f s, the length of neither input", in, job.Path, got)
			}
			seen[s.name] = true
			own, other := toneLevel(y, s.freq, 0.2, got-0.2), toneLevel(y, s.not, 0.2, got-0.2)
			t.Logf("%s: %.2f s, %.0f Hz at %.1f dB, %.0f Hz at %.1f dB", job.Path, got, s.freq, own, s.not, other)
			if own < -20 || other > own-40 {
				t.Errorf("%s (from %s): own tone %.1f dB, the other file's %.1f dB: want it alone", job.Path, s.name, own, other)
			}
		}
		if len(seen) != 2 {
			t.Errorf("%s: outputs came from %v, want both files", in, seen)
		}
	}
}
