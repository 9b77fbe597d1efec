package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Effects are edits rendered on the source, in source time, before the
// chain of Process (cuts, denoise, silence, loudness and fades come after,
// so loudness is measured on the equalized sound). They keep the length.
type Effects struct {
	// Channels: 1 downmixes to mono, 2 makes stereo (mono copied to both
	// sides); 0 keeps the source's.
	Channels int
	// Pan -1 (left) .. 1 (right) lowers the other side by |Pan|; Equalize
	// instead levels the two channels to the same RMS (measured).
	Pan      float64
	Equalize bool
	// Hum notches the mains frequency and its harmonics; MainsHz 50 or 60,
	// or 0 to detect it.
	Hum     bool
	MainsHz float64
	// EQ presets, applied in order.
	EQ []EQ
	// Level evens out the loudness of passages (speakers) over time.
	Level bool
	// Mute and Bleep silence source ranges; Bleep puts a 1 kHz tone there.
	Mute, Bleep []Range
	// Gains change the level of source ranges.
	Gains []RangeGain
	// Breaths lowers breaths between phrases (detected, see DetectBreaths).
	Breaths bool
	// breaths are the detected ranges, set by ApplyEffects.
	breaths []Range
}

// EQ is an equalizer preset.
type EQ struct {
	Preset string  // highpass, warmer, brighter, deess, bass
	GainDB float64 // bass: dB (0 = +6)
	FreqHz float64 // highpass: corner (0 = 80)
}

// RangeGain is a gain on a source range.
type RangeGain struct {
	Range
	GainDB float64
}

// Active reports whether any effect is set.
func (f Effects) Active() bool {
	return f.Channels != 0 || f.Pan != 0 || f.Equalize || f.Hum || len(f.EQ) > 0 || f.Level ||
		len(f.Mute) > 0 || len(f.Bleep) > 0 || len(f.Gains) > 0 || f.Breaths
}

// hum notch: harmonics notched and the notch width (Hz).
const (
	humHarmonics = 8
	humWidthHz   = 3.0
	// humMinDB: the mains peak must stand this far over its
	// neighbourhood to count as hum.
	humMinDB = 10.0
	// bleepHz and bleepDB: the tone put over a bleeped range.
	bleepHz = 1000.0
	bleepDB = -14.0
)

// eqFilter is the ffmpeg filter of a preset.
func eqFilter(q EQ) (string, error) {
	switch q.Preset {
	case "highpass":
		f := q.FreqHz
		if f == 0 {
			f = 80
		}
		// Two 2-pole Butterworth sections: 24 dB/octave under f.
		return fmt.Sprintf("highpass=f=%s:p=2,highpass=f=%s:p=2", fnum(f), fnum(f)), nil
	case "warmer":
		return "lowshelf=f=200:g=3,highshelf=f=8000:g=-2", nil
	case "brighter":
		return "highshelf=f=5000:g=3", nil
	case "deess":
		return "deesser=i=0.6:m=0.5:f=0.5", nil
	case "bass":
		g := q.GainDB
		if g == 0 {
			g = 6
		}
		return "lowshelf=f=100:g=" + fnum(g), nil
	}
	return "", fmt.Errorf("unknown EQ preset %q", q.Preset)
}

// enableExpr is an ffmpeg timeline expression true inside any of rs.
func enableExpr(rs []Range) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, "between(t,"+fnum(r.Start)+","+fnum(r.End)+")")
	}
	return strings.Join(parts, "+")
}

// effectsGraph builds the filter graph of f for a source with inCh
// channels at rate: mainsHz is the hum to notch (0 none), gains the
// left/right gains of a balance (nil none). It reads [0:a:0] and writes
// [out] with outCh channels. Pure: tested by equality.
func effectsGraph(f Effects, inCh, rate int, mainsHz float64, gains []float64) (graph string, outCh int, err error) {
	var chain []string
	outCh = inCh
	switch {
	case f.Channels == 1 && inCh > 1:
		chain = append(chain, "pan=mono|c0=0.5*c0+0.5*c1")
		outCh = 1
	case (f.Channels == 2 || gains != nil) && inCh == 1:
		chain = append(chain, "pan=stereo|c0=c0|c1=c0")
		outCh = 2
	}
	if gains != nil {
		chain = append(chain, "pan=stereo|c0="+fnum(gains[0])+"*c0|c1="+fnum(gains[1])+"*c1")
		outCh = 2
	}
	if mainsHz > 0 {
		for k := 1; k <= humHarmonics && float64(k)*mainsHz < float64(rate)/2; k++ {
			chain = append(chain, "bandreject=f="+fnum(float64(k)*mainsHz)+":t=h:w="+fnum(humWidthHz))
		}
	}
	if len(f.breaths) > 0 {
		chain = append(chain, breathVolume(f.breaths))
	}
	for _, q := range f.EQ {
		s, err := eqFilter(q)
		if err != nil {
			return "", 0, err
		}
		chain = append(chain, s)
	}
	if f.Level {
		// Frame-wise normalizer toward one RMS (-22 dBFS): 1 s frames, a
		// 5-frame Gaussian window, peaks under -0.4 dBFS, at most +20 dB.
		chain = append(chain, "dynaudnorm=f=1000:g=5:p=0.95:m=10:r=0.08")
	}
	for _, g := range f.Gains {
		chain = append(chain, "volume="+fnum(g.GainDB)+"dB:enable='"+enableExpr([]Range{g.Range})+"'")
	}
	if silent := append(append([]Range(nil), f.Mute...), f.Bleep...); len(silent) > 0 {
		chain = append(chain, "volume=0:enable='"+enableExpr(silent)+"'")
	}
	if len(chain) == 0 {
		chain = append(chain, "anull")
	}
	layout := "mono"
	if outCh == 2 {
		layout = "stereo"
	}
	if outCh > 2 {
		layout = strconv.Itoa(outCh) + "c"
	}
	main := "[0:a:0]" + strings.Join(chain, ",") + ",aformat=sample_fmts=flt:channel_layouts=" + layout
	if len(f.Bleep) == 0 {
		return main + "[out]", outCh, nil
	}
	tone := "sine=f=" + fnum(bleepHz) + ":r=" + strconv.Itoa(rate) + ",volume=" + fnum(bleepDB) + "dB,volume=0:enable='not(" +
		enableExpr(f.Bleep) + ")',aformat=sample_fmts=flt:channel_layouts=" + layout
	return main + "[v];" + tone + "[b];[v][b]amix=inputs=2:duration=first:normalize=0[out]", outCh, nil
}

// ErrNoHum is returned by DetectMains when no mains hum stands out.
var ErrNoHum = errors.New("no mains hum found")

// ApplyEffects renders f onto src's audio into a float WAV of the same
// length in the engine's temp dir and returns it probed; remove deletes it.
// Notes say what was measured or skipped.
func (e *Engine) ApplyEffects(ctx context.Context, src *MediaInfo, f Effects) (out *MediaInfo, remove func(), notes []string, err error) {
	if src == nil || !src.HasAudio {
		return nil, nil, nil, fmt.Errorf("%w: no audio stream", ErrUnsupported)
	}
	rate := src.SampleRate
	if rate <= 0 {
		rate = 48000
	}
	inCh := max(src.Channels, 1)
	mains := f.MainsHz
	if f.Hum && mains == 0 {
		mains, err = e.DetectMains(ctx, src.Path)
		if errors.Is(err, ErrNoHum) {
			notes = append(notes, "no 50 or 60 Hz mains hum found: hum removal skipped")
		} else if err != nil {
			return nil, nil, nil, err
		} else {
			notes = append(notes, fmt.Sprintf("mains hum at %g Hz notched with %d harmonics", mains, humHarmonics))
		}
	}
	if !f.Hum {
		mains = 0
	}
	var gains []float64
	switch {
	case f.Equalize && inCh < 2:
		notes = append(notes, "the audio is mono: left/right balance left as it is")
	case f.Equalize:
		l, r, err := e.channelRMS(ctx, src.Path)
		if err != nil {
			return nil, nil, nil, err
		}
		if l > 0 && r > 0 {
			gains = []float64{math.Min(1, r/l), math.Min(1, l/r)}
			notes = append(notes, fmt.Sprintf("left/right levels were %.1f dB apart: balanced", 20*math.Log10(l/r)))
		}
	case f.Pan != 0:
		p := math.Max(-1, math.Min(1, f.Pan))
		gains = []float64{math.Min(1, 1-p), math.Min(1, 1+p)}
	}
	if f.Breaths {
		f.breaths, err = e.detectBreaths(ctx, src.Path)
		if err != nil {
			return nil, nil, nil, err
		}
		notes = append(notes, breathNote(f.breaths))
	}
	graph, outCh, err := effectsGraph(f, inCh, rate, mains, gains)
	if err != nil {
		return nil, nil, nil, err
	}
	out, remove, err = e.graphToWAV(ctx, "apply effects", "effects.wav", []string{src.Path}, graph, rate, outCh)
	if err != nil {
		return nil, nil, nil, err
	}
	return out, remove, notes, nil
}

// graphToWAV runs the filter graph (output label [out]) over inputs into a
// float WAV of rate and ch in a new temp folder, and probes it; remove
// deletes the folder.
func (e *Engine) graphToWAV(ctx context.Context, op, name string, inputs []string, graph string, rate, ch int) (out *MediaInfo, remove func(), err error) {
	tmp, err := os.MkdirTemp(e.tmp, "audioedit-fx-*")
	if err != nil {
		return nil, nil, err
	}
	remove = func() { os.RemoveAll(tmp) }
	path := filepath.Join(tmp, name)
	ww, err := createWAV(path, rate, ch)
	if err != nil {
		remove()
		return nil, nil, err
	}
	args := []string{"-v", "error"}
	for _, in := range inputs {
		args = append(args, input(in)...)
	}
	args = append(args, "-filter_complex", graph, "-map", "[out]", "-ar", strconv.Itoa(rate),
		"-f", "f32le", "-c:a", "pcm_f32le", "pipe:1")
	if _, err := e.run(ctx, op, e.ffmpeg, ffmpegArgs(args...), nil, ww); err != nil {
		ww.abort()
		remove()
		return nil, nil, err
	}
	if err := ww.Close(); err != nil {
		remove()
		return nil, nil, err
	}
	if out, err = e.Probe(ctx, path); err != nil {
		remove()
		return nil, nil, err
	}
	return out, remove, nil
}

// decodeF32 streams src as mono float32 at rate into w.
func (e *Engine) decodeF32(ctx context.Context, src string, rate, channels int, w io.Writer) error {
	layout := "mono"
	if channels == 2 {
		layout = "stereo"
	}
	args := append([]string{"-v", "error"}, input(src)...)
	args = append(args, "-map", "0:a:0", "-af", "aformat=sample_fmts=flt:channel_layouts="+layout, "-ar", strconv.Itoa(rate),
		"-f", "f32le", "-c:a", "pcm_f32le", "pipe:1")
	_, err := e.run(ctx, "measure", e.ffmpeg, ffmpegArgs(args...), nil, w)
	return err
}

// goertzel accumulates the power of a few frequencies over a stream.
type goertzel struct {
	rate  float64
	freqs []float64
	power []float64
	s1    []float64
	s2    []float64
	n     int
	block int
	buf   []byte
}

func newGoertzel(rate float64, freqs []float64) *goertzel {
	k := len(freqs)
	return &goertzel{rate: rate, freqs: freqs, power: make([]float64, k), s1: make([]float64, k), s2: make([]float64, k), block: int(rate)}
}

// Write consumes mono float32 samples; each 1 s block adds its power.
func (g *goertzel) Write(p []byte) (int, error) {
	n := len(p)
	g.buf = append(g.buf, p...)
	i := 0
	for ; i+4 <= len(g.buf); i += 4 {
		x := float64(f32(g.buf[i:]))
		for k, f := range g.freqs {
			c := 2 * math.Cos(2*math.Pi*f/g.rate)
			s := x + c*g.s1[k] - g.s2[k]
			g.s2[k], g.s1[k] = g.s1[k], s
		}
		g.n++
		if g.n == g.block {
			g.flush()
		}
	}
	g.buf = g.buf[i:]
	return n, nil
}

func (g *goertzel) flush() {
	for k, f := range g.freqs {
		c := 2 * math.Cos(2*math.Pi*f/g.rate)
		g.power[k] += g.s1[k]*g.s1[k] + g.s2[k]*g.s2[k] - c*g.s1[k]*g.s2[k]
		g.s1[k], g.s2[k] = 0, 0
	}
	g.n = 0
}

func f32(b []byte) float32 {
	return math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
}

// DetectMains finds the mains hum of src: 50 or 60 Hz, by the power of
// the first three harmonics of each against the frequencies between them
// (the first 60 s, 1 s blocks). ErrNoHum when neither stands out by
// humMinDB.
func (e *Engine) DetectMains(ctx context.Context, src string) (float64, error) {
	const rate = 4000
	var freqs []float64
	for _, f0 := range []float64{50, 60} {
		for k := 1.0; k <= 3; k++ {
			freqs = append(freqs, k*f0, k*f0+f0/2) // the peak and a neighbour between harmonics
		}
	}
	g := newGoertzel(rate, freqs)
	lw := &limitWriter{w: g, n: 60 * rate * 4}
	if err := e.decodeF32(ctx, src, rate, 1, lw); err != nil && !errors.Is(err, errLimit) {
		var fe *Error
		if !(errors.As(err, &fe) && lw.n <= 0) {
			return 0, err
		}
	}
	g.flush()
	score := func(i int) float64 { // dB of the three peaks over their neighbours
		var peak, side float64
		for k := 0; k < 3; k++ {
			peak += g.power[i+2*k]
			side += g.power[i+2*k+1]
		}
		if side <= 0 {
			side = 1e-30
		}
		return 10 * math.Log10(peak/side)
	}
	s50, s60 := score(0), score(6)
	switch {
	case s60 >= humMinDB && s60 >= s50:
		return 60, nil
	case s50 >= humMinDB:
		return 50, nil
	}
	return 0, ErrNoHum
}

var errLimit = errors.New("enough read")

// limitWriter passes n bytes on, then fails (ending the decoder early).
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errLimit
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	l.n -= len(p)
	if _, err := l.w.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// rmsPair accumulates the RMS of the two channels of interleaved stereo.
type rmsPair struct {
	sum [2]float64
	n   int
	buf []byte
}

func (r *rmsPair) Write(p []byte) (int, error) {
	n := len(p)
	r.buf = append(r.buf, p...)
	i := 0
	for ; i+8 <= len(r.buf); i += 8 {
		l, rt := float64(f32(r.buf[i:])), float64(f32(r.buf[i+4:]))
		r.sum[0] += l * l
		r.sum[1] += rt * rt
		r.n++
	}
	r.buf = r.buf[i:]
	return n, nil
}

// channelRMS measures the RMS of the left and right channels.
func (e *Engine) channelRMS(ctx context.Context, src string) (l, r float64, err error) {
	m := &rmsPair{}
	if err := e.decodeF32(ctx, src, 16000, 2, m); err != nil {
		return 0, 0, err
	}
	if m.n == 0 {
		return 0, 0, nil
	}
	return math.Sqrt(m.sum[0] / float64(m.n)), math.Sqrt(m.sum[1] / float64(m.n)), nil
}

// Tempo is a speed change of an output range (seconds of the rendered
// audio); End 0 = to the end; a zero range is the whole file.
type Tempo struct {
	Range
	Factor float64
}

// tempoGraph builds the graph that changes the speed of the given output
// ranges (sorted, not overlapping) of a file total seconds long, pitch
// kept (atempo, 0.5..2). Pure: tested by equality.
func tempoGraph(ts []Tempo, total float64) string {
	type seg struct {
		a, b, f float64
	}
	var segs []seg
	pos := 0.0
	for _, t := range ts {
		a, b := t.Start, t.End
		if a == 0 && b == 0 || b <= 0 || b > total {
			b = total
		}
		if a > pos {
			segs = append(segs, seg{pos, a, 1})
		}
		segs = append(segs, seg{a, b, t.Factor})
		pos = b
	}
	if pos < total {
		segs = append(segs, seg{pos, total, 1})
	}
	if len(segs) == 1 {
		return "[0:a:0]atempo=" + fnum(segs[0].f) + "[out]"
	}
	var b strings.Builder
	b.WriteString("[0:a:0]asplit=" + strconv.Itoa(len(segs)))
	for i := range segs {
		b.WriteString("[s" + strconv.Itoa(i) + "]")
	}
	for i, s := range segs {
		fmt.Fprintf(&b, ";[s%d]atrim=start=%s:end=%s,asetpts=PTS-STARTPTS", i, fnum(s.a), fnum(s.b))
		if s.f != 1 {
			b.WriteString(",atempo=" + fnum(s.f))
		}
		b.WriteString("[t" + strconv.Itoa(i) + "]")
	}
	b.WriteString(";")
	for i := range segs {
		b.WriteString("[t" + strconv.Itoa(i) + "]")
	}
	b.WriteString("concat=n=" + strconv.Itoa(len(segs)) + ":v=0:a=1[out]")
	return b.String()
}

// ApplyTempo changes the speed of ranges of a rendered float WAV (rate,
// channels), pitch kept, into a new WAV beside it; it returns the new
// path and its length.
func (e *Engine) ApplyTempo(ctx context.Context, path string, rate, channels int, total float64, ts []Tempo) (string, float64, error) {
	for _, t := range ts {
		if t.Factor < 0.5 || t.Factor > 2 || math.IsNaN(t.Factor) {
			return "", 0, fmt.Errorf("speed %.2fx outside 0.5-2x", t.Factor)
		}
	}
	out := strings.TrimSuffix(path, ".wav") + "-tempo.wav"
	ww, err := createWAV(out, rate, channels)
	if err != nil {
		return "", 0, err
	}
	args := append([]string{"-v", "error"}, input(path)...)
	args = append(args, "-filter_complex", tempoGraph(ts, total), "-map", "[out]", "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1")
	if _, err := e.run(ctx, "change speed", e.ffmpeg, ffmpegArgs(args...), nil, ww); err != nil {
		ww.abort()
		return "", 0, err
	}
	if err := ww.Close(); err != nil {
		return "", 0, err
	}
	return out, float64(ww.Frames()) / float64(rate), nil
}

// spliceGraph takes input 1 inside rs and input 0 elsewhere. Pure.
func spliceGraph(rs []Range, layout string) string {
	fm := "aformat=sample_fmts=flt:channel_layouts=" + layout
	return "[0:a:0]" + fm + ",volume=0:enable='" + enableExpr(rs) + "'[a];[1:a:0]" + fm + ",volume=0:enable='not(" + enableExpr(rs) +
		")'[b];[a][b]amix=inputs=2:duration=first:normalize=0[out]"
}

// DenoiseRanges denoises src (the whole file, with the chain's denoiser)
// and keeps the denoised sound only inside rs (source seconds): "denoise
// 0:10-0:20". The result has src's length, rate and channels.
func (e *Engine) DenoiseRanges(ctx context.Context, src *MediaInfo, d DenoiseOptions, rs []Range) (out *MediaInfo, remove func(), notes []string, err error) {
	den, err := e.Process(ctx, src, ProcessOptions{Chain: Chain{Denoise: &d}})
	if err != nil {
		return nil, nil, nil, err
	}
	defer den.Remove()
	notes = den.Report.Notes
	if den.Report.Denoiser != "" {
		notes = append(notes, "denoiser: "+den.Report.Denoiser)
	}
	layout := "mono"
	if den.Channels == 2 {
		layout = "stereo"
	}
	out, remove, err = e.graphToWAV(ctx, "denoise ranges", "denoised-ranges.wav", []string{src.Path, den.Path}, spliceGraph(rs, layout), den.SampleRate, den.Channels)
	if err != nil {
		return nil, nil, nil, err
	}
	return out, remove, notes, nil
}
