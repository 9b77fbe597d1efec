package local

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// grayFrame decodes the frame at sec of a video as 8-bit luma.
func grayFrame(t *testing.T, b *Backend, path string, sec float64) (pix []byte, w, h int) {
	t.Helper()
	info, err := b.eng.Probe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	w, h = info.Width, info.Height
	pix, err = exec.Command(testmedia.FFmpeg(), "-v", "error", "-ss", strconv.FormatFloat(sec, 'f', 3, 64), "-i", path, "-frames:v", "1",
		"-f", "rawvideo", "-pix_fmt", "gray", "pipe:1").Output()
	if err != nil || len(pix) != w*h {
		t.Fatalf("frame of %s: %d bytes for %dx%d, %v", path, len(pix), w, h, err)
	}
	return pix, w, h
}

// edgeLuma is the mean luma of the outer 6 pixels on the left/right
// (vertical) or top/bottom (horizontal) edges.
func edgeLuma(pix []byte, w, h int, vertical bool) float64 {
	var sum, n float64
	for y := range h {
		for x := range w {
			edge := (vertical && (x < 6 || x >= w-6)) || (!vertical && (y < 6 || y >= h-6))
			if edge {
				sum += float64(pix[y*w+x])
				n++
			}
		}
	}
	return sum / n
}

func reframeSession(t *testing.T, w, h int) (*Backend, string) {
	t.Helper()
	b, dir := newBackend(t)
	ctx := context.Background()
	video := filepath.Join(dir, "clip.mp4")
	if err := testmedia.Video(ctx, testmedia.FFmpeg(), video, toneWave(2, 440, 0.2), w, h, 25); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{video}}); err != nil {
		t.Fatal(err)
	}
	return b, dir
}

func exportTo(t *testing.T, b *Backend, req backend.ExportRequest) *backend.Job {
	t.Helper()
	req.Wait = 3 * time.Minute
	job, err := b.Export(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != backend.JobCompleted {
		t.Fatalf("job %+v", job)
	}
	return job
}

// TestVerticalSourceExportsVertical: a phone video (1080x1920) exported
// with no resolution stays 1080x1920, not pillarboxed into 1920x1080.
func TestVerticalSourceExportsVertical(t *testing.T) {
	b, dir := reframeSession(t, 1080, 1920)
	out := filepath.Join(dir, "phone.mp4")
	exportTo(t, b, backend.ExportRequest{OutputPath: out})
	pix, w, h := grayFrame(t, b, out, 1)
	if w != 1080 || h != 1920 {
		t.Fatalf("a vertical video exported at %dx%d, want 1080x1920", w, h)
	}
	if l := edgeLuma(pix, w, h, true); l < 20 {
		t.Errorf("left/right edges at luma %.1f: black bars", l)
	}
}

// TestReframe: "make it vertical" crops a landscape video to 1080x1920
// with picture to the edges; black bars and the blurred background when
// asked; 1:1 and 4:5 through the export's resolution.
func TestReframe(t *testing.T) {
	b, dir := reframeSession(t, 640, 360)
	ctx := context.Background()
	res, err := b.Edit(ctx, backend.EditRequest{Instruction: "make it vertical"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v", res.Applied)
	out := filepath.Join(dir, "crop.mp4")
	exportTo(t, b, backend.ExportRequest{OutputPath: out})
	pix, w, h := grayFrame(t, b, out, 1)
	if w != 1080 || h != 1920 {
		t.Fatalf("reframed to %dx%d, want 1080x1920", w, h)
	}
	if l := edgeLuma(pix, w, h, false); l < 20 {
		t.Errorf("top/bottom edges at luma %.1f after a crop: black bars", l)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "9:16 with black bars"}); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(dir, "pad.mp4")
	exportTo(t, b, backend.ExportRequest{OutputPath: out})
	pix, w, h = grayFrame(t, b, out, 1)
	if l := edgeLuma(pix, w, h, false); w != 1080 || h != 1920 || l > 18 {
		t.Errorf("black bars: %dx%d, top/bottom luma %.1f", w, h, l)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "9:16 with a blurred background"}); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(dir, "blur.mp4")
	exportTo(t, b, backend.ExportRequest{OutputPath: out})
	pix, w, h = grayFrame(t, b, out, 1)
	if l := edgeLuma(pix, w, h, false); w != 1080 || h != 1920 || l < 20 {
		t.Errorf("blurred background: %dx%d, top/bottom luma %.1f", w, h, l)
	}
	for _, c := range []struct {
		res  string
		w, h int
	}{{"1:1", 1080, 1080}, {"4:5", 1080, 1350}} {
		out = filepath.Join(dir, "r"+strings.ReplaceAll(c.res, ":", "x")+".mp4")
		exportTo(t, b, backend.ExportRequest{OutputPath: out, Resolution: c.res, File: "clip.mp4"})
		pix, w, h = grayFrame(t, b, out, 1)
		if w != c.w || h != c.h || edgeLuma(pix, w, h, true) < 20 || edgeLuma(pix, w, h, false) < 20 {
			t.Errorf("resolution %s: %dx%d, edges %.1f/%.1f", c.res, w, h, edgeLuma(pix, w, h, true), edgeLuma(pix, w, h, false))
		}
	}
	_, err = b.Edit(ctx, backend.EditRequest{Instruction: "reframe to 3:2"})
	if msg := userMsg(t, err); !strings.Contains(msg, "9:16") {
		t.Errorf("unknown aspect refusal = %q", msg)
	}
}
