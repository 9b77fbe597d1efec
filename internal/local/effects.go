package local

import (
	"context"
	"fmt"
	"math"
	"os"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
)

// speedOp is a speed change in source time; nil src = the whole file.
type speedOp struct {
	src    []engine.Range
	factor float64
}

// sourceRanges maps an op's timeline range (as cut so far) onto the
// source ranges it covers: "mute 1:00-1:05" after a cut of the first
// 10 s mutes 1:10-1:15 of the source.
func sourceRanges(keep []engine.Range, op intent.Op) ([]engine.Range, error) {
	in := op
	in.Kind = intent.KindKeep
	return applyRange(keep, in)
}

// applyEffect folds an op rendered by the effects pass (or speed) onto
// the track; ok is false for other kinds.
func (tr *track) applyEffect(op intent.Op) (ok bool, err error) {
	ranges := func() ([]engine.Range, error) {
		rs, err := sourceRanges(tr.keep, op)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tr.item.Name, err)
		}
		return rs, nil
	}
	switch op.Kind {
	case intent.KindDenoise:
		if !op.Ranged() {
			return false, nil
		}
		rs, err := ranges()
		if err != nil {
			return true, err
		}
		tr.denoiseIn = append(tr.denoiseIn, rs...)
		tr.denoiseInOpts = engine.DenoiseOptions{Strength: op.Strength, Model: op.Model}
	case intent.KindChannels:
		tr.effects.Channels = op.Channels
	case intent.KindBalance:
		tr.effects.Equalize, tr.effects.Pan = op.Equalize, op.Pan
	case intent.KindHum:
		tr.effects.Hum, tr.effects.MainsHz = true, op.MainsHz
	case intent.KindEQ:
		tr.effects.EQ = append(tr.effects.EQ, engine.EQ{Preset: op.Preset, GainDB: op.GainDB, FreqHz: op.FreqHz})
	case intent.KindLevel:
		tr.effects.Level = true
	case intent.KindBreaths:
		tr.effects.Breaths = true
	case intent.KindMute, intent.KindBleep:
		rs, err := ranges()
		if err != nil {
			return true, err
		}
		if op.Kind == intent.KindMute {
			tr.effects.Mute = append(tr.effects.Mute, rs...)
		} else {
			tr.effects.Bleep = append(tr.effects.Bleep, rs...)
		}
	case intent.KindVolume:
		if !op.Ranged() {
			return false, nil
		}
		rs, err := ranges()
		if err != nil {
			return true, err
		}
		for _, r := range rs {
			tr.effects.Gains = append(tr.effects.Gains, engine.RangeGain{Range: r, GainDB: op.GainDB})
		}
	case intent.KindSpeed:
		if tr.item.Info.Kind == "video" {
			return true, backend.Userf("changing the speed of a video is not available (the picture would not follow): nothing was changed")
		}
		s := speedOp{factor: op.Factor}
		if op.Ranged() {
			rs, err := ranges()
			if err != nil {
				return true, err
			}
			s.src = rs
		}
		if len(tr.speed) > 0 && (s.src == nil || tr.speed[0].src == nil) {
			return true, backend.Userf("%s already has a speed change: say \"undo\" first, then give one speed for the whole file or separate ranges", tr.item.Name)
		}
		tr.speed = append(tr.speed, s)
	default:
		return false, nil
	}
	return true, nil
}

// effectsIn returns the track's effects with source ranges moved by
// offset (video time -> audio time for synced audio).
func (tr *track) effectsIn(offset float64) engine.Effects {
	f := tr.effects
	shift := func(rs []engine.Range) []engine.Range {
		var out []engine.Range
		for _, r := range rs {
			out = append(out, engine.Range{Start: r.Start + offset, End: r.End + offset})
		}
		return out
	}
	f.Mute, f.Bleep = shift(f.Mute), shift(f.Bleep)
	f.Gains = nil
	for _, g := range tr.effects.Gains {
		f.Gains = append(f.Gains, engine.RangeGain{Range: engine.Range{Start: g.Start + offset, End: g.End + offset}, GainDB: g.GainDB})
	}
	return f
}

// tempos maps the track's speed changes from source time onto the
// rendered output, whose source ranges are keep (in output order).
func (tr *track) tempos(keep []engine.Range, offset float64) []engine.Tempo {
	var out []engine.Tempo
	for _, s := range tr.speed {
		if s.src == nil {
			return []engine.Tempo{{Factor: s.factor}}
		}
		for _, r := range s.src {
			pos := 0.0
			for _, k := range keep {
				lo, hi := math.Max(k.Start, r.Start+offset), math.Min(k.End, r.End+offset)
				if hi > lo {
					out = append(out, engine.Tempo{Range: engine.Range{Start: pos + lo - k.Start, End: pos + hi - k.Start}, Factor: s.factor})
				}
				pos += k.End - k.Start
			}
		}
	}
	// Sorted, not overlapping, merged where they touch.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Start < out[j-1].Start; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	var merged []engine.Tempo
	for _, t := range out {
		if n := len(merged); n > 0 && t.Start < merged[n-1].End {
			t.Start = merged[n-1].End
			if t.End <= t.Start {
				continue
			}
		}
		merged = append(merged, t)
	}
	return merged
}

// effectsFx lists the effects for the timeline summary.
func (tr *track) effectsFx() []string {
	var fx []string
	if n := len(tr.denoiseIn); n > 0 {
		fx = append(fx, fmt.Sprintf("denoised in %d range(s)", n))
	}
	f := tr.effects
	switch f.Channels {
	case 1:
		fx = append(fx, "mono")
	case 2:
		fx = append(fx, "stereo")
	}
	if f.Equalize {
		fx = append(fx, "left/right balanced")
	} else if f.Pan != 0 {
		fx = append(fx, fmt.Sprintf("pan %+.0f%%", f.Pan*100))
	}
	if f.Hum {
		fx = append(fx, "hum notched")
	}
	for _, q := range f.EQ {
		fx = append(fx, "EQ "+q.Preset)
	}
	if f.Level {
		fx = append(fx, "speakers levelled")
	}
	if f.Breaths {
		fx = append(fx, "breaths lowered")
	}
	if n := len(f.Mute); n > 0 {
		fx = append(fx, fmt.Sprintf("%d range(s) muted", n))
	}
	if n := len(f.Bleep); n > 0 {
		fx = append(fx, fmt.Sprintf("%d range(s) bleeped", n))
	}
	if n := len(f.Gains); n > 0 {
		fx = append(fx, fmt.Sprintf("gain on %d range(s)", n))
	}
	for _, s := range tr.speed {
		fx = append(fx, fmt.Sprintf("speed %gx", s.factor))
	}
	return fx
}

// withEffects runs the effects pass when the track has effects and
// returns the source Process should read, a cleanup and notes.
func (b *Backend) withEffects(ctx context.Context, tr *track, src *engine.MediaInfo, offset float64) (*engine.MediaInfo, func(), []string, error) {
	var notes []string
	cleanup := func() {}
	if len(tr.denoiseIn) > 0 {
		var rs []engine.Range
		for _, r := range tr.denoiseIn {
			rs = append(rs, engine.Range{Start: r.Start + offset, End: r.End + offset})
		}
		out, remove, n, err := b.eng.DenoiseRanges(ctx, src, tr.denoiseInOpts, rs)
		if err != nil {
			return nil, nil, nil, err
		}
		src, cleanup, notes = out, remove, n
	}
	if !tr.effects.Active() {
		return src, cleanup, notes, nil
	}
	out, remove, n, err := b.eng.ApplyEffects(ctx, src, tr.effectsIn(offset))
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	return out, func() { remove(); cleanup() }, append(notes, n...), nil
}

// withSpeed changes the speed of the rendered audio at path when the
// track asks for it; it returns the new path and length (or the same).
func (b *Backend) withSpeed(ctx context.Context, tr *track, keep []engine.Range, path string, dur float64, offset float64) (string, float64, func(), error) {
	ts := tr.tempos(keep, offset)
	if len(ts) == 0 {
		return path, dur, func() {}, nil
	}
	info, err := b.eng.Probe(ctx, path)
	if err != nil {
		return "", 0, nil, err
	}
	np, nd, err := b.eng.ApplyTempo(ctx, path, info.SampleRate, max(info.Channels, 1), dur, ts)
	if err != nil {
		return "", 0, nil, err
	}
	return np, nd, func() { os.Remove(np) }, nil
}
