package local

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// regionDiff is the mean absolute luma difference of two frames over rows
// [y0, y1) of the height.
func regionDiff(a, b []byte, w, h int, y0, y1 float64) float64 {
	var sum, n float64
	for y := int(y0 * float64(h)); y < int(y1*float64(h)); y++ {
		for x := range w {
			sum += math.Abs(float64(a[y*w+x]) - float64(b[y*w+x]))
			n++
		}
	}
	return sum / n
}

// TestTitlesOnVideo: a title shows over the picture while it lasts and the
// picture is the source's after; a caption full of filtergraph specials
// renders as well, at its own time and place.
func TestTitlesOnVideo(t *testing.T) {
	b, dir := reframeSession(t, 640, 360)
	ctx := context.Background()
	src := filepath.Join(dir, "clip.mp4")
	for _, in := range []string{
		"add a title 'Urban Dreams' for the first 1 second",
		`add a caption "50% off: [a,b]; c\d, it's 'x'" from 1 to 1.6 seconds`,
	} {
		if _, err := b.Edit(ctx, backend.EditRequest{Instruction: in}); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
	}
	st, _ := b.State(ctx, "")
	if !strings.Contains(st.Summary, `Title: "Urban Dreams" (0-1s)`) {
		t.Errorf("summary = %s", st.Summary)
	}
	out := filepath.Join(dir, "titled.mp4")
	exportTo(t, b, backend.ExportRequest{OutputPath: out, Resolution: "640x360"})
	check := func(sec float64, wantTitle, wantCaption bool) {
		o, w, h := grayFrame(t, b, out, sec)
		s, _, _ := grayFrame(t, b, src, sec)
		title, caption := regionDiff(o, s, w, h, 0.4, 0.6), regionDiff(o, s, w, h, 0.72, 0.86)
		t.Logf("at %.1f s: title band differs by %.1f, caption band by %.1f", sec, title, caption)
		if (title > 2.5) != wantTitle {
			t.Errorf("at %.1f s the title band differs by %.1f; title shown should be %v", sec, title, wantTitle)
		}
		if (caption > 2.5) != wantCaption {
			t.Errorf("at %.1f s the caption band differs by %.1f; caption shown should be %v", sec, caption, wantCaption)
		}
	}
	check(0.5, true, false)
	check(1.3, false, true)
	check(1.9, false, false)
}

// TestTitleOnStillFrame: on audio-only material the title goes on the
// still frame, for its time only; Chinese text renders too.
func TestTitleOnStillFrame(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	voice := filepath.Join(dir, "talk.wav")
	if err := testmedia.WriteWAV(voice, toneWave(4, 300, 0.2), testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{voice}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "添加标题「城市之梦」持续2秒"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "talk.mp4")
	exportTo(t, b, backend.ExportRequest{OutputPath: out, Resolution: "640x360"})
	a, w, h := grayFrame(t, b, out, 0.6)
	c, _, _ := grayFrame(t, b, out, 3.1)
	if d := regionDiff(a, c, w, h, 0.4, 0.6); d < 3 {
		t.Errorf("the still frame's title band differs by only %.1f between 0.6 s (title) and 3.1 s (none)", d)
	}
}
