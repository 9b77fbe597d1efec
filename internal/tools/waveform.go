package tools

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"

	"github.com/mark3labs/mcp-go/mcp"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// Waveform picture layout, in pixels.
const (
	waveWidth   = 1200
	waveMargin  = 8
	waveLegendH = 22
	waveTitleH  = 16 // the titles lane
	waveTrackH  = 110
	waveAxisH   = 26
)

var (
	colBG      = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colTrackBG = color.RGBA{0xf3, 0xf5, 0xf8, 0xff}
	colVoice   = color.RGBA{0x1f, 0x4e, 0x9c, 0xff}
	colMusic   = color.RGBA{0x2e, 0x8b, 0x57, 0xff}
	colCut     = color.RGBA{0xd6, 0x28, 0x28, 0x60}
	colPause   = color.RGBA{0xf0, 0xa0, 0x00, 0x60}
	colTitle   = color.RGBA{0x7b, 0x3f, 0xb0, 0xff}
	colAxis    = color.RGBA{0x44, 0x44, 0x44, 0xff}
	colGrid    = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	colText    = color.RGBA{0x22, 0x22, 0x22, 0xff}
)

// waveformPNG draws w: every track's envelope, cuts shaded red, removed
// pauses shaded amber, the music bed marked green, titles as purple bars
// on their lane, and a labelled time axis.
func waveformPNG(w *backend.Waveform) ([]byte, error) {
	plotW := waveWidth - 2*waveMargin
	height := waveLegendH + waveTitleH + len(w.Tracks)*(waveTrackH+4) + waveAxisH + waveMargin
	img := image.NewRGBA(image.Rect(0, 0, waveWidth, height))
	fill(img, img.Bounds(), colBG)
	x := func(t float64) int { return waveMargin + int(math.Round(t/w.DurationS*float64(plotW))) }

	// Legend.
	lx := waveMargin
	legend := func(c color.RGBA, label string) {
		blend(img, image.Rect(lx, 6, lx+12, 18), c)
		lx = label7x13(img, lx+16, 16, label, colText) + 14
	}
	legend(colVoice, "voice")
	legend(colMusic, "music bed")
	legend(colCut, "cut")
	legend(colPause, "pause removed")
	legend(colTitle, "title")
	label7x13(img, lx+10, 16, fmt.Sprintf("session %s, %.1f s", w.SessionID, w.DurationS), colAxis)

	// Titles lane.
	top := waveLegendH
	for _, r := range w.Regions {
		if r.Kind == backend.RegionTitle {
			fill(img, image.Rect(x(r.StartS), top+2, max(x(r.EndS), x(r.StartS)+2), top+waveTitleH-2), colTitle)
			label7x13(img, x(r.StartS)+3, top+waveTitleH-3, r.Label, colBG)
		}
	}
	top += waveTitleH

	// Tracks.
	for i, tr := range w.Tracks {
		y0 := top + i*(waveTrackH+4)
		area := image.Rect(waveMargin, y0, waveMargin+plotW, y0+waveTrackH)
		fill(img, area, colTrackBG)
		c := colVoice
		if tr.Role == "music" {
			c = colMusic
		}
		mid := float64(y0) + waveTrackH/2
		half := float64(waveTrackH/2 - 3)
		cols := len(tr.Lo)
		for px := 0; px < plotW; px++ {
			j := px * cols / plotW
			if j >= cols {
				break
			}
			lo := clamp1(tr.Lo[j])
			hi := clamp1(tr.Hi[j])
			ya := int(math.Round(mid - float64(hi)*half))
			yb := int(math.Round(mid - float64(lo)*half))
			if yb <= ya {
				yb = ya + 1
			}
			fill(img, image.Rect(waveMargin+px, ya, waveMargin+px+1, yb), c)
		}
		for _, r := range w.Regions {
			if r.TrackIndex != i {
				continue
			}
			rect := image.Rect(x(r.StartS), y0, max(x(r.EndS), x(r.StartS)+1), y0+waveTrackH)
			switch r.Kind {
			case backend.RegionCut:
				blend(img, rect, colCut)
			case backend.RegionPause:
				blend(img, rect, colPause)
			case backend.RegionMusic:
				fill(img, image.Rect(rect.Min.X, y0, rect.Max.X, y0+3), colMusic)
			}
		}
		name := tr.Name
		if tr.Role == "music" {
			name = "music bed: " + name
		}
		label7x13(img, waveMargin+4, y0+14, name, colText)
	}

	// Time axis: a tick and a label every step seconds.
	ay := top + len(w.Tracks)*(waveTrackH+4)
	fill(img, image.Rect(waveMargin, ay, waveMargin+plotW, ay+1), colAxis)
	step := axisStep(w.DurationS, plotW)
	for t := 0.0; t <= w.DurationS+1e-9; t += step {
		px := x(t)
		fill(img, image.Rect(px, ay, px+1, ay+5), colAxis)
		fill(img, image.Rect(px, top, px+1, ay), colGrid)
		label := clockLabel(t)
		lw := len(label) * 7
		lxp := min(max(px-lw/2, 0), waveWidth-lw)
		label7x13(img, lxp, ay+18, label, colAxis)
	}

	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// axisStep is a round tick interval giving labels at least 80 px apart.
func axisStep(dur float64, width int) float64 {
	for _, s := range []float64{0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600} {
		if dur/s*80 <= float64(width) {
			return s
		}
	}
	return 7200
}

// clockLabel formats seconds as m:ss (h:mm:ss past an hour; tenths under 10 s steps).
func clockLabel(t float64) string {
	s := int(math.Round(t))
	if t != math.Trunc(t) && t < 60 {
		return fmt.Sprintf("%.1fs", t)
	}
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func clamp1(v float32) float32 { return min(max(v, -1), 1) }

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
}

func blend(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	// color.RGBA is alpha-premultiplied for draw.Over.
	a := uint32(c.A)
	pc := color.RGBA{uint8(uint32(c.R) * a / 255), uint8(uint32(c.G) * a / 255), uint8(uint32(c.B) * a / 255), c.A}
	draw.Draw(img, r, &image.Uniform{pc}, image.Point{}, draw.Over)
}

// label7x13 draws s with its baseline at y and returns the x after it.
func label7x13(img *image.RGBA, x, y int, s string, c color.Color) int {
	d := &font.Drawer{Dst: img, Src: &image.Uniform{c}, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
	return d.Dot.X.Round()
}

// waveformContent is the state tool's picture of the session's timeline,
// or a sentence saying why there is none.
func (d *deps) waveformContent(ctx context.Context, sessionID string) (mcp.Content, string) {
	p, ok := d.b.(backend.Previewer)
	if !ok {
		return nil, "No waveform: the " + d.b.Name() + " backend has no access to the audio."
	}
	w, err := p.Waveform(ctx, sessionID, waveWidth-2*waveMargin)
	if err != nil {
		if msg, ok := backend.UserMessage(err); ok {
			return nil, "No waveform: " + msg
		}
		d.log.Sugar().Errorw("waveform failed", "error", err)
		return nil, "No waveform: drawing it failed; see the server log."
	}
	b, err := waveformPNG(w)
	if err != nil {
		return nil, "No waveform: " + err.Error()
	}
	return mcp.NewImageContent(base64.StdEncoding.EncodeToString(b), "image/png"),
		fmt.Sprintf("Waveform attached (PNG %d px wide, %s), in source time: cuts red, removed pauses amber, music bed green, titles purple over the material they show on.", waveWidth, humanBytes(int64(len(b))))
}
