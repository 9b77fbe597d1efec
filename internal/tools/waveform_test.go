package tools

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// waveformImage calls state with a waveform and decodes the PNG, checking
// its size.
func waveformImage(t *testing.T, e *testEnv) image.Image {
	t.Helper()
	res := e.call("state", map[string]any{"waveform": true})
	var pic *mcp.ImageContent
	for _, c := range res.Content {
		if ic, ok := c.(mcp.ImageContent); ok {
			pic = &ic
		}
	}
	if pic == nil || pic.MIMEType != "image/png" {
		t.Fatalf("state with waveform has no PNG: %s", text(res))
	}
	raw, err := base64.StdEncoding.DecodeString(pic.Data)
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("AUDIOEDIT_WAVEFORM_OUT"); p != "" {
		os.WriteFile(p, raw, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w < 600 || len(raw) >= 300_000 {
		t.Errorf("waveform %d px wide, %d bytes; want >= 600 px and < 300 KB", w, len(raw))
	}
	return img
}

// span is the leftmost and rightmost x in rows [y0, y1) where match holds
// (-1, -1 when nowhere).
func span(img image.Image, y0, y1 int, match func(r, g, b uint8) bool) (lo, hi int) {
	lo, hi = -1, -1
	for y := max(y0, img.Bounds().Min.Y); y < min(y1, img.Bounds().Max.Y); y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if match(uint8(r>>8), uint8(g>>8), uint8(b>>8)) {
				if lo < 0 || x < lo {
					lo = x
				}
				hi = max(hi, x)
			}
		}
	}
	return lo, hi
}

func is(c color.RGBA) func(r, g, b uint8) bool {
	return func(r, g, b uint8) bool { return r == c.R && g == c.G && b == c.B }
}

// The picture spans the programme: a title placed in programme time after
// a cut is marked over the material it will show on, the music bed's band
// runs from the start to the programme's end (not to the end of a longer
// music file), and the cut is shaded where it is.
func TestWaveformMarks(t *testing.T) {
	e := newTestEnv(t)
	decode(t, e.call("upload", map[string]any{"paths": []string{toneWAV(t, e.dir, "talk.wav", 20), toneWAV(t, e.dir, "bed.wav", 30)}}), &UploadOutput{})
	for _, in := range []string{
		"cut 0:02 to 0:06",
		"add bed.wav as background music at 20%",
		"add a title 'Hello' from 0:08 to 0:12",
	} {
		if res := e.call("edit", map[string]any{"instruction": in}); res.IsError {
			t.Fatalf("%s: %s", in, text(res))
		}
	}
	img := waveformImage(t, e)
	plotW := waveWidth - 2*waveMargin
	// The programme is talk.wav's 20 s of source; the cut removes 2-6 s,
	// so the title's 8-12 s of programme time lie over 12-16 s of source.
	x := func(s float64) int { return waveMargin + int(math.Round(s/20*float64(plotW))) }
	near := func(what string, got, want int) {
		t.Helper()
		if got < want-2 || got > want+2 {
			t.Errorf("%s at x=%d, want %d (within 2 px)", what, got, want)
		}
	}

	lo, hi := span(img, waveLegendH+3, waveLegendH+waveTitleH-3, is(colTitle))
	near("title mark start", lo, x(12))
	near("title mark end", hi+1, x(16))

	tracksTop := waveLegendH + waveTitleH
	// The envelope off its centre line (a silent stretch is a 1 px line).
	mid := tracksTop + waveTrackH/2
	lo, hi = span(img, mid-8, mid-2, is(colVoice))
	near("voice envelope start", lo, x(0))
	near("voice envelope end", hi+1, x(20))

	// The band is the top 3 rows of the music track's lane (the second).
	bandLo, bandHi := span(img, tracksTop+waveTrackH+4, tracksTop+waveTrackH+7, is(colMusic))
	near("music band start", bandLo, x(0))
	near("music band end", bandHi+1, x(20))

	// The cut is shaded red on the voice lane from 2 s to 6 s; the bed
	// plays on under it, so its lane is not shaded.
	reddish := func(r, g, b uint8) bool { return int(r) > int(g)+40 && int(r) > int(b)+40 }
	voiceTop, musicTop := tracksTop, tracksTop+waveTrackH+4
	lo, hi = span(img, voiceTop, voiceTop+waveTrackH, reddish)
	near("cut shading start", lo, x(2))
	near("cut shading end", hi+1, x(6))
	if lo, hi := span(img, musicTop, musicTop+waveTrackH, reddish); lo >= 0 {
		t.Errorf("music bed lane shaded as cut from x=%d to %d; the bed is not cut", lo, hi)
	}
}
