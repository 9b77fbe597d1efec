package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
)

// Process pipeline (every stage streams; memory stays flat for long input:
// an hour of audio peaks at ~30 MB RSS):
//
//  1. analyse (when denoising or trimming): ffmpeg decodes the source to
//     mono float32; Go keeps the level of each 10 ms frame, from which come
//     the noise floor and the quietest span (afftdn's profile).
//  2. decode + denoise: ffmpeg (afftdn told the measured floor, its profile
//     learned on the quietest span fed in front of the audio, delay
//     compensated) or ffmpeg -> neural model per channel -> ffmpeg
//     resampler; Go writes a float32 WAV intermediate at the output rate
//     and the levels of the denoised signal.
//  3. plan: pauses are found on denoised levels relative to the noise
//     floor; the keep list is the user's ranges minus the pauses (margins
//     kept), snapped to the video frame grid.
//  4. measure (for loudness or gain): the Go cutter streams the keep list
//     from the intermediate, with length-preserving crossfades, into a
//     BS.1770 meter (Go; matches ebur128 within 0.1 LU) that also records
//     5 ms peaks and energies, on which the limiter is simulated to solve
//     for the gain that lands on the target after limiting.
//  5. render: the cutter again, through the finisher (Go: gain, look-ahead
//     limiter, fades, exact length) into the output WAV, measured as it is
//     written; if loudness missed by more than 0.15 LU the gain is
//     corrected along the measured slope and this stage alone runs again
//     (rare). The true peak is measured on the written file.

// Chain is the full set of audio edits. They are applied in this fixed
// order whatever order they were asked for in: keep/cut ranges -> denoise
// -> silence trimming (detected on the denoised signal) -> gain ->
// loudness (gain + limiter) -> fades.
type Chain struct {
	// Denoise removes noise; nil = off.
	Denoise *DenoiseOptions
	// Silence trims pauses; nil = off.
	Silence *SilenceOptions
	// Loudness normalizes the result; nil = off (then no limiter unless the
	// gain would clip: then it limits at -1 dBTP and says so in a note).
	Loudness *LoudnessOptions
	// Keep lists the source ranges kept by cut/keep edits, in output order;
	// nil = the whole file.
	Keep []Range
	// GainDB is a volume change in dB.
	GainDB float64
	// FadeIn and FadeOut are fade lengths in seconds at the output's start
	// and end.
	FadeIn, FadeOut float64
}

// ProcessOptions configures Process.
type ProcessOptions struct {
	Chain
	// FrameRate > 0 snaps every cut point so that (t - FrameOffset) is a
	// multiple of 1/FrameRate, so that a video cut with the same ranges
	// (selecting whole frames) matches the audio exactly, with no drift
	// however many cuts. 0 snaps to output samples.
	FrameRate, FrameOffset float64
	// SampleRate is the output rate; 0 = the source's rate.
	SampleRate int
	// Mono downmixes to one channel.
	Mono bool
	// Progress, if set, receives the fraction done (0..1), from any
	// goroutine, at most about ten times a second, and 1 at the end.
	Progress func(frac float64)
}

// Report holds what Process measured.
type Report struct {
	// Denoiser names what denoised: "gtcrn", "rnnoise", "afftdn (profiled)",
	// "afftdn"; "" when denoising was off.
	Denoiser string `json:"denoiser,omitempty"`
	// NoiseFloorDB is the source's noise floor (dBFS RMS of the quietest
	// 10% of 400 ms windows), measured before denoising.
	NoiseFloorDB float64 `json:"noise_floor_db"`
	// NoiseReductionDB is how much quieter the pauses are after denoising
	// (dB, positive = quieter).
	NoiseReductionDB float64 `json:"noise_reduction_db"`
	// PausesTrimmed counts the pauses removed or shortened.
	PausesTrimmed int `json:"pauses_trimmed"`
	// SecondsRemoved is the time silence trimming removed.
	SecondsRemoved float64 `json:"seconds_removed"`
	// InputLUFS is the integrated loudness of the edited audio before gain.
	InputLUFS float64 `json:"input_lufs"`
	// OutputLUFS and TruePeakDB are measured on the final samples as they
	// are written (BS.1770, true peak 4x oversampled; within 0.1 LU and
	// 0.2 dB of ffmpeg's ebur128=peak=true).
	OutputLUFS float64 `json:"output_lufs"`
	TruePeakDB float64 `json:"true_peak_db"`
	// Notes are sentences for the user about choices made.
	Notes []string `json:"notes,omitempty"`
}

// Processed is rendered audio: a 32-bit float WAV (RF64 past 4 GiB) in the
// engine's temp dir, which the caller removes with Remove.
type Processed struct {
	// Path is the WAV file.
	Path string
	// Keep lists the source ranges present in the output, in order (after
	// cut/keep and silence trimming, snapped); the same list cuts a video.
	Keep []Range
	// Duration is the output's length in seconds (exactly the sum of Keep,
	// rounded to samples).
	Duration float64
	// SampleRate and Channels describe the file.
	SampleRate, Channels int
	// Report holds the measurements.
	Report Report
}

// Remove deletes the rendered file.
func (p *Processed) Remove() error {
	if p == nil || p.Path == "" {
		return nil
	}
	err := os.Remove(p.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// minDynamicDB is the least difference between the speech level and the
// noise floor for the floor to be noise: under it (a steady tone, a clip
// too short to have a pause) the classic denoiser would take the signal
// for noise. Speech in noise at 0 dB SNR still shows 3-4 dB.
const minDynamicDB = 2.0

// detectRate is the rate of the denoised copy used only to find pauses.
const detectRate = 16000

// ErrNothingToRender is returned when the keep ranges leave no audio.
var ErrNothingToRender = errors.New("the edits leave no audio to render")

// validate checks options a caller could get wrong.
func (o *ProcessOptions) validate(src *MediaInfo) error {
	if src == nil || src.Path == "" {
		return errors.New("process: no source")
	}
	if !src.HasAudio {
		return fmt.Errorf("%w: %s has no audio stream", ErrUnsupported, filepath.Base(src.Path))
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, r := range o.Keep {
		if !finite(r.Start) || !finite(r.End) || r.End < r.Start {
			return fmt.Errorf("process: bad range %.3f-%.3f s", r.Start, r.End)
		}
	}
	if o.Keep != nil && len(o.Keep) == 0 {
		return ErrNothingToRender
	}
	if !finite(o.GainDB) || math.Abs(o.GainDB) > 60 {
		return fmt.Errorf("process: gain %.1f dB out of range (±60)", o.GainDB)
	}
	if !finite(o.FadeIn) || !finite(o.FadeOut) || o.FadeIn < 0 || o.FadeOut < 0 {
		return errors.New("process: fades must be >= 0 s")
	}
	if o.SampleRate < 0 || o.SampleRate > 384000 || !finite(o.FrameRate) || o.FrameRate < 0 {
		return errors.New("process: bad sample or frame rate")
	}
	if d := o.Denoise; d != nil && (!finite(d.Strength) || d.Strength < 0 || d.Strength > 1) {
		return errors.New("process: denoise strength must be 0..1")
	}
	if l := o.Loudness; l != nil {
		if !finite(l.TargetLUFS) || l.TargetLUFS > 0 || l.TargetLUFS < -60 {
			return fmt.Errorf("process: loudness target %.1f LUFS out of range (-60..0)", l.TargetLUFS)
		}
		if !finite(l.TruePeak) || l.TruePeak > 0 || l.TruePeak < -20 {
			return fmt.Errorf("process: true peak ceiling %.1f dBTP out of range (-20..0)", l.TruePeak)
		}
	}
	if s := o.Silence; s != nil {
		if !finite(s.ThresholdDB) || s.ThresholdDB > 0 || !finite(s.MinPause) || !finite(s.Margin) || !finite(s.ShortenTo) {
			return errors.New("process: bad silence options")
		}
	}
	return nil
}

// Process renders src's audio through the chain. Inputs are never
// modified. Cancelling ctx kills every child process. ffmpeg failures are
// *Error values (see SafeReason).
func (e *Engine) Process(ctx context.Context, src *MediaInfo, opts ProcessOptions) (*Processed, error) {
	if err := opts.validate(src); err != nil {
		return nil, err
	}
	srcRate := src.SampleRate
	if srcRate <= 0 {
		srcRate = 48000
	}
	outRate := opts.SampleRate
	if outRate == 0 {
		outRate = srcRate
	}
	mono := opts.Mono || src.Channels <= 1
	channels := src.Channels
	if mono {
		channels = 1
	}
	prog := newChainProgress(opts.Progress)
	rep := Report{}

	// Which denoiser.
	var model string
	if opts.Denoise != nil {
		m, note, err := resolveModel(opts.Denoise.Model, e.NeuralModels())
		if err != nil {
			return nil, err
		}
		model = m
		if note != "" {
			rep.Notes = append(rep.Notes, note)
		}
	}
	workRate := outRate // the intermediate is at the output rate

	work, err := fsutil.MkdirTemp(e.tmp, "-work")
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	defer os.RemoveAll(work)

	t0 := time.Now()
	lap := func(stage string) {
		e.log.Debug("process stage", zap.String("stage", stage), zap.Duration("elapsed", time.Since(t0)))
	}

	// 1. Analyse the source.
	var before *levels
	var plan classicPlan
	if opts.Denoise != nil || opts.Silence != nil {
		before, err = e.analyze(ctx, src.Path, srcRate, prog.bytes(0, 0.1, src.Duration*float64(4*srcRate)))
		if err != nil {
			return nil, err
		}
		rep.NoiseFloorDB = round1(before.floorDB())
		strength := 0.0
		if opts.Denoise != nil {
			strength = opts.Denoise.Strength
		}
		plan = planClassic(before, strength)
	}

	lap("analyse")

	// 2. Decode and denoise into the intermediate.
	denPath := filepath.Join(work, "denoised.wav")
	ww, err := createWAV(denPath, workRate, channels)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	meter := newLevelMeter(workRate, channels)
	tee := io.MultiWriter(ww, meter, prog.bytes(0.1, 0.6, src.Duration*float64(4*workRate*channels)))
	classicOK := before != nil && before.speechDB()-before.floorDB() >= minDynamicDB
	if opts.Denoise != nil && model == "" && !classicOK {
		if before.speechDB() < silentDB+30 {
			rep.Notes = append(rep.Notes, "the audio is silent: nothing to denoise")
		} else {
			rep.Notes = append(rep.Notes, "no quiet passage to measure the noise on (the audio is too short or has no pauses): not denoised")
		}
	}
	switch {
	case opts.Denoise == nil || (model == "" && !classicOK):
		_, err = e.run(ctx, "decode audio", e.ffmpeg, decodeArgs(src.Path, workRate, mono, nil), nil, tee)
	case model != "":
		rep.Denoiser = model
		err = e.neuralToRate(ctx, src.Path, channels, mono, model, opts.Denoise.Strength, workRate, tee)
	default:
		rep.Denoiser = "afftdn"
		if plan.ProfileLen > 0 {
			rep.Denoiser = "afftdn (profiled)"
		}
		_, err = e.run(ctx, "denoise", e.ffmpeg, decodeArgs(src.Path, workRate, mono, &plan), nil, tee)
	}
	if err != nil {
		ww.abort()
		return nil, err
	}
	if err := ww.Close(); err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	after := meter.levels()
	switch {
	case before == nil:
		rep.NoiseFloorDB = round1(after.floorDB())
	case rep.Denoiser != "":
		rep.NoiseReductionDB = noiseReduction(before, after)
	}

	lap("decode")

	// 3. Plan the keep list.
	wf, err := openWAV(denPath)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	defer wf.Close()
	total := float64(wf.frames) / float64(workRate)
	if before != nil && math.Abs(before.duration()-total) > 0.05 {
		// The denoiser must keep the length exactly; if ffmpeg decoded the
		// file differently the second time, say so rather than drift.
		return nil, fmt.Errorf("process: decoded %.3f s, analysed %.3f s: the file decodes inconsistently", total, before.duration())
	}
	g := grid{rate: float64(outRate)}
	if opts.FrameRate > 0 {
		g = grid{rate: opts.FrameRate, offset: opts.FrameOffset}
	}
	var cuts []Range
	if opts.Silence != nil {
		// Pauses are found on a denoised signal: on noisy audio the ends
		// of words sink into the noise. Without denoising in the chain, a
		// denoised copy is made for detection only (mono, 16 kHz).
		detect := after
		if opts.Denoise == nil && classicOK {
			m := newLevelMeter(detectRate, 1)
			if _, err := e.run(ctx, "detect pauses", e.ffmpeg, decodeArgs(src.Path, detectRate, true, &plan), nil, m); err != nil {
				return nil, err
			}
			detect = m.levels()
		}
		so := opts.Silence.withDefaults()
		noise := before.floorDB()
		lo, hi := keepBounds(opts.Keep, total)
		cuts = removals(selectPauses(detectPauses(detect, so, noise), so, lo, hi), total, so, tailForSNR(detect.speechDB()-noise))
	}
	keep, n, removed := planKeep(opts.Keep, total, cuts, g)
	rep.PausesTrimmed, rep.SecondsRemoved = n, round3(removed)
	if len(keep) == 0 {
		return nil, ErrNothingToRender
	}
	spans := toSpans(keep, workRate)
	outFrames := spansFrames(toSpans(keep, outRate))
	if outFrames == 0 {
		return nil, ErrNothingToRender
	}
	cutFrames := float64(spansFrames(spans))

	lap("plan")

	// 4. Measure what gain is needed.
	fp := finishPlan{Rate: outRate, Channels: channels, Frames: outFrames,
		GainDB: opts.GainDB, FadeIn: opts.FadeIn, FadeOut: opts.FadeOut}
	var lo LoudnessOptions
	measured := false
	if opts.Loudness != nil || opts.GainDB > 0 {
		lm := newLoudnessMeter(workRate, channels, opts.Loudness == nil)
		if opts.Loudness != nil {
			lm.model = newLimitModel(workRate)
		}
		c := newCutter(wf, spans, defaultCrossfade, lm)
		c.done = prog.frames(0.6, 0.7, cutFrames)
		if err := c.run(ctx); err != nil {
			return nil, fmt.Errorf("measure loudness: %w", err)
		}
		lufs, tp := lm.result()
		rep.InputLUFS, measured = round1(lufs), true
		if opts.Loudness != nil {
			lo = opts.Loudness.withDefaults()
			fp.LimitDB = lo.TruePeak - limiterMarginDB
			if lufs <= silentLUFS+1 {
				fp.GainDB = 0
				rep.Notes = append(rep.Notes, "the audio is silent or shorter than 0.4 s: loudness left unchanged")
			} else {
				fp.GainDB = lm.model.solveGain(lo.TargetLUFS, lo.TargetLUFS-lufs, dbToLin(fp.LimitDB))
				e.log.Debug("gain solved", zap.Float64("linear_db", lo.TargetLUFS-lufs), zap.Float64("solved_db", fp.GainDB))
				if fp.GainDB > maxGainDB {
					fp.GainDB = maxGainDB
					rep.Notes = append(rep.Notes, fmt.Sprintf("the audio is very quiet (%.1f LUFS): gain capped at +%.0f dB", lufs, maxGainDB))
				}
			}
		} else if tp+opts.GainDB > clipCeilingDB {
			fp.LimitDB = clipCeilingDB - limiterMarginDB
			rep.Notes = append(rep.Notes, fmt.Sprintf("a gain of %+.1f dB would clip: peaks limited at %.0f dBTP", opts.GainDB, clipCeilingDB))
		}
	}

	lap("measure")

	// 5. Render, measure, correct once.
	outPath := filepath.Join(work, "out.wav")
	render := func(p finishPlan, lo, hi float64) (lufs float64, err error) {
		ww, err := createWAV(outPath, outRate, channels)
		if err != nil {
			return 0, fmt.Errorf("process: %w", err)
		}
		lm := newLoudnessMeter(outRate, channels, false)
		fin := newFinisher(p, io.MultiWriter(ww, lm))
		c := newCutter(wf, spans, defaultCrossfade, fin)
		c.done = prog.frames(lo, hi, cutFrames)
		err = c.run(ctx)
		if err == nil {
			err = fin.Close()
		}
		if err != nil {
			ww.abort()
			return 0, fmt.Errorf("render audio: %w", err)
		}
		if err := ww.Close(); err != nil {
			return 0, fmt.Errorf("process: %w", err)
		}
		if ww.Frames() != p.Frames {
			return 0, fmt.Errorf("process: rendered %d frames, planned %d", ww.Frames(), p.Frames)
		}
		lufs, _ = lm.result()
		e.log.Debug("rendered", zap.Float64("gain_db", p.GainDB), zap.Float64("limit_db", p.LimitDB),
			zap.Float64("lufs", lufs), zap.Duration("elapsed", time.Since(t0)))
		return lufs, nil
	}
	lufs, err := render(fp, 0.7, 0.9)
	if err != nil {
		return nil, err
	}
	if opts.Loudness != nil && fp.GainDB != 0 && fp.GainDB < maxGainDB {
		// A limiter working hard eats loudness, so the output falls short
		// by more than the gain said; correct along the measured slope
		// (secant), which converges in one or two steps.
		slope := 1.0
		for try := range maxCorrections {
			miss := lo.TargetLUFS - lufs
			if math.Abs(miss) <= loudnessTolerance {
				break
			}
			prevGain, prevLUFS := fp.GainDB, lufs
			fp.GainDB = min(fp.GainDB+miss/slope, maxGainDB)
			f := 0.9 + 0.08*float64(try)/maxCorrections
			if lufs, err = render(fp, f, f+0.08/maxCorrections); err != nil {
				return nil, err
			}
			if dg := fp.GainDB - prevGain; math.Abs(dg) > 0.05 {
				if sl := (lufs - prevLUFS) / dg; sl > 0.1 && sl <= 1.5 {
					slope = sl
				}
			}
		}
	}
	// The true peak is measured once, on the file as written (the limiter
	// holds sample peaks; inter-sample peaks can still pass it).
	tp, err := wavTruePeak(ctx, outPath)
	if err != nil {
		return nil, err
	}
	if ceil := lo.TruePeak; opts.Loudness != nil && tp > ceil {
		fp.LimitDB -= tp - ceil + 0.1
		if lufs, err = render(fp, 0.98, 0.99); err != nil {
			return nil, err
		}
		if tp, err = wavTruePeak(ctx, outPath); err != nil {
			return nil, err
		}
	}
	if opts.Loudness != nil && fp.GainDB != 0 && math.Abs(lo.TargetLUFS-lufs) > 1 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("loudness reached %.1f LUFS, not %.1f: the peaks are too high for the target", lufs, lo.TargetLUFS))
	}
	lufs, tp = round1(lufs), round1(tp)
	rep.OutputLUFS, rep.TruePeakDB = lufs, tp
	if !measured {
		// No limiter ran (no loudness target, no boost): the gain was linear.
		rep.InputLUFS = lufs
		if lufs > silentLUFS {
			rep.InputLUFS = round1(max(lufs-opts.GainDB, silentLUFS))
		}
	}

	final, err := fsutil.CreateTemp(e.tmp, ".wav")
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	final.Close()
	if err := os.Rename(outPath, final.Name()); err != nil {
		os.Remove(final.Name())
		return nil, fmt.Errorf("process: %w", err)
	}
	lap("render")
	prog.done()
	return &Processed{
		Path:       final.Name(),
		Keep:       keep,
		Duration:   float64(outFrames) / float64(outRate),
		SampleRate: outRate,
		Channels:   channels,
		Report:     rep,
	}, nil
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// noiseReduction compares the pause energy before and after denoising:
// pauses are where the denoised signal is near its floor.
func noiseReduction(before, after *levels) float64 {
	pauses := detectPauses(after, SilenceOptions{}.withDefaults(), before.floorDB())
	var sb, sa float64
	var n int
	for _, p := range pauses {
		a0, a1 := after.frameAt(p.Start), after.frameAt(p.End)
		b0, b1 := before.frameAt(p.Start), before.frameAt(p.End)
		for _, v := range after.ms[a0:a1] {
			sa += float64(v)
		}
		for _, v := range before.ms[b0:b1] {
			sb += float64(v)
		}
		n += a1 - a0
	}
	if n == 0 || sa <= 0 || sb <= 0 {
		return round1(before.floorDB() - after.floorDB())
	}
	return round1(10 * math.Log10(sb/sa))
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// chainProgress maps stage progress onto 0..1 and throttles callbacks.
type chainProgress struct {
	fn   func(float64)
	mu   sync.Mutex
	last time.Time
	cur  float64
}

func newChainProgress(fn func(float64)) *chainProgress { return &chainProgress{fn: fn} }

func (p *chainProgress) set(f float64) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	f = min(max(f, p.cur), 1)
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		p.mu.Unlock()
		return
	}
	p.cur, p.last = f, now
	p.mu.Unlock()
	p.fn(f)
}

func (p *chainProgress) done() {
	if p.fn != nil {
		p.fn(1)
	}
}

// frames returns a callback mapping frames done (of total) into [lo, hi].
func (p *chainProgress) frames(lo, hi, total float64) func(int64) {
	if p.fn == nil || total <= 0 {
		return nil
	}
	return func(n int64) { p.set(lo + (hi-lo)*min(float64(n)/total, 1)) }
}

// bytes returns a writer that counts bytes (of about total) into [lo, hi].
func (p *chainProgress) bytes(lo, hi, total float64) io.Writer {
	return &progressCounter{f: p.frames(lo, hi, total)}
}

type progressCounter struct {
	f func(int64)
	n int64
}

// Write counts b.
func (c *progressCounter) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	if c.f != nil {
		c.f(c.n)
	}
	return len(b), nil
}
