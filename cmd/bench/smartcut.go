package main

import (
	"math"
	"path/filepath"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// smartHourAV cuts a 1-hour video in about 120 places off its keyframes
// (smart render) and measures, on the output, the frames kept and the
// offset between the last flash and its beep.
func (b *bench) smartHourAV() error {
	const dur, fps, period = 3600, 25, 100
	b.log("  1-hour flash/beep video, cut 120 times (smart render)")
	src := filepath.Join(b.dir, "flashbeep1h.mov")
	if err := testmedia.FlashBeepVideo(b.ctx, b.ff, src, dur, 64, 36, fps, fps, period); err != nil {
		return err
	}
	info, err := b.eng.Probe(b.ctx, src)
	if err != nil {
		return err
	}
	var keep []engine.Range
	for s := 0.13; s < dur; s += 29.98 {
		keep = append(keep, engine.Range{Start: s, End: math.Min(s+21.37, dur)})
	}
	t0 := time.Now()
	pr, err := b.eng.Process(b.ctx, info, engine.ProcessOptions{Chain: engine.Chain{Keep: keep}, FrameRate: info.FPS})
	if err != nil {
		return err
	}
	defer pr.Remove()
	out := filepath.Join(b.dir, "flashbeep1h-cut.mp4")
	o, err := b.eng.Encode(b.ctx, engine.EncodeOptions{Source: info, AudioPath: pr.Path, VideoKeep: pr.Keep, Width: info.Width, Height: info.Height,
		OutputPath: out, Duration: pr.Duration})
	if err != nil {
		return err
	}
	wall := time.Since(t0)
	lum, err := testmedia.FrameLuma(b.ctx, b.ff, out)
	if err != nil {
		return err
	}
	// The frames the cut keeps: those starting in [Start-half, End-half).
	var want []int
	for i := 0; i < dur*fps; i++ {
		t := float64(i) / fps
		for _, r := range pr.Keep {
			if t >= r.Start-0.5/fps && t < r.End-0.5/fps {
				want = append(want, i)
				break
			}
		}
	}
	wrong := 0
	lastFlash := -1.0
	for i := range lum {
		flash := lum[i] > 0xc0
		if i >= len(want) || flash != (want[i]%period == period/2) {
			wrong++
		}
		if flash {
			lastFlash = float64(i) / fps
		}
	}
	vd := float64(len(lum)) / fps
	onsets, ad, err := testmedia.BeepOnsets(b.ctx, b.ff, out, vd-60)
	if err != nil {
		return err
	}
	offset := math.NaN()
	if len(onsets) > 0 && lastFlash >= 0 {
		offset = 1000 * (onsets[len(onsets)-1] - lastFlash)
	}
	b.p("## Smart render over 1 hour\n\n")
	b.p("A 1-hour 64x36 25 fps H.264 video (a keyframe every second, B-frames) that flashes every 4 s with a beep on the same frame, cut into %d kept ranges off the keyframes (silence-trim-like: keep 21.37 s, drop 8.61 s) and exported to MP4 through the audio chain and the smart render, measured on the output.\n\n", len(pr.Keep))
	b.p("| frames out / expected | frames with a wrong flash state | frames copied | last flash vs its beep | video s | audio s | wall s | x realtime (of the input) |\n|---|---|---|---|---|---|---|---|\n")
	b.p("| %d / %d | %d | %d | %.1f ms | %.3f | %.3f | %.1f | %.0fx |\n\n", len(lum), len(want), wrong, o.SmartFrames, offset, vd, ad, wall.Seconds(), dur/wall.Seconds())
	return nil
}
