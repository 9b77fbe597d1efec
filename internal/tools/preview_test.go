package tools

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// TestWaveformAndPreview: state draws the timeline as a PNG; preview
// returns after and before excerpts whose decoded lengths match.
func TestWaveformAndPreview(t *testing.T) {
	e := newTestEnv(t)
	var up UploadOutput
	decode(t, e.call("upload", map[string]any{"paths": []string{noisyWAV(t)}}), &up)
	e.call("edit", map[string]any{"instruction": "remove background noise and trim silence"})
	e.call("edit", map[string]any{"instruction": "cut 0:01 to 0:02"})

	img := waveformImage(t, e)
	// Cut (red) and pause (amber) shading are both drawn.
	var red, amber int
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			switch {
			case r>>8 > 0xe0 && g>>8 < 0xc0 && b>>8 < 0xc0:
				red++
			case r>>8 > 0xe0 && g>>8 > 0xc0 && b>>8 < 0xa0:
				amber++
			}
		}
	}
	if red < 500 || amber < 500 {
		t.Errorf("shading: %d red and %d amber pixels; want the cut and the removed pauses shaded", red, amber)
	}

	res := e.call("preview", map[string]any{"at_s": 4, "duration_s": 6})
	var out PreviewOutput
	decode(t, res, &out)
	var audio []mcp.AudioContent
	for _, c := range res.Content {
		if ac, ok := c.(mcp.AudioContent); ok {
			audio = append(audio, ac)
		}
	}
	if len(audio) != 2 || out.StartS != 1 || out.EndS != 7 || !out.Edited {
		t.Fatalf("preview = %+v with %d audio contents; want after and before of 1-7 s", out, len(audio))
	}
	want := []float64{out.AfterS, 6}
	for i, a := range audio {
		b, _ := base64.StdEncoding.DecodeString(a.Data)
		if a.MIMEType != "audio/mpeg" || len(b) == 0 || len(b) >= 1<<20 {
			t.Fatalf("audio %d: %s, %d bytes", i, a.MIMEType, len(b))
		}
		if got := probeDuration(t, b); got < want[i]-0.1 || got > want[i]+0.1 {
			t.Errorf("%s excerpt lasts %.2f s, want %.2f", out.Contents[i], got, want[i])
		}
	}
	if out.AfterS >= 5.5 {
		t.Errorf("after %.1f s: the 1 s cut inside the stretch did not shorten it", out.AfterS)
	}
	wantError(t, e.call("preview", map[string]any{"duration_s": 90}), "1 to 30")
}

// probeDuration writes b to a file and returns ffprobe's duration.
func probeDuration(t *testing.T, b []byte) float64 {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.mp3")
	os.WriteFile(p, b, 0o644)
	ffprobe := strings.TrimSuffix(testmedia.FFmpeg(), "ffmpeg") + "ffprobe"
	o, err := exec.CommandContext(context.Background(), ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", p).Output()
	if err != nil {
		t.Fatal(err)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(o)), 64)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
