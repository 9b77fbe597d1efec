package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Loudness is set with a measured linear gain and a look-ahead limiter, not
// with loudnorm: two-pass loudnorm silently falls back to dynamic mode when
// the linear gain would break the true-peak ceiling, and lands off target.
// The edited audio is measured (BS.1770 in Go, as the cutter streams it),
// the gain is applied with a look-ahead limiter (Go), the result is
// measured again as it is written, and the gain is corrected when it
// missed. All of it streams in Go, so a correction costs a read of the
// intermediate, not another ffmpeg run.

const (
	defaultTargetLUFS = -16.0
	defaultTruePeak   = -1.5
	// limiterMarginDB is how far under the true-peak ceiling the limiter (a
	// sample-peak limiter) is set, for the inter-sample overs it misses.
	limiterMarginDB = 0.5
	// clipCeilingDB is the limiter used when there is no loudness target
	// but the gain would clip.
	clipCeilingDB = -1.0
	// loudnessTolerance is the error (LU) that triggers a correction.
	loudnessTolerance = 0.15
	// maxCorrections bounds the re-renders spent reaching the target.
	maxCorrections = 3
	// maxGainDB bounds the make-up gain for very quiet input.
	maxGainDB = 40.0
	// silentLUFS is what ebur128 reports for silence (and the value used in
	// reports for "no level", as JSON has no -Inf).
	silentLUFS = -70.0
	silentPeak = -144.0
)

// LoudnessOptions sets the output loudness.
type LoudnessOptions struct {
	// TargetLUFS is the integrated loudness to reach; 0 means -16.
	TargetLUFS float64
	// TruePeak is the true-peak ceiling in dBTP; 0 means -1.5.
	TruePeak float64
}

func (o LoudnessOptions) withDefaults() LoudnessOptions {
	if o.TargetLUFS == 0 {
		o.TargetLUFS = defaultTargetLUFS
	}
	if o.TruePeak == 0 {
		o.TruePeak = defaultTruePeak
	}
	return o
}

// MeasureLoudness returns the integrated loudness (LUFS) and true peak
// (dBTP) of the first audio stream of any media file, with ffmpeg's
// ebur128=peak=true. Silence reads as -70 LUFS and -144 dBTP.
func (e *Engine) MeasureLoudness(ctx context.Context, path string) (lufs, truePeak float64, err error) {
	stderr, err := e.run(ctx, "measure loudness", e.ffmpeg, measureArgs(path), nil, nil)
	if err != nil {
		return 0, 0, err
	}
	return parseEBUR128(stderr)
}

// measureArgs measures a file's first audio stream with ebur128.
func measureArgs(path string) []string {
	return ffmpegArgs(slices.Concat([]string{"-nostats", "-v", "info"}, input(path), []string{"-map", "0:a:0",
		"-af", "ebur128=peak=true", "-f", "null", "-"})...)
}

// parseEBUR128 reads the integrated loudness and true peak from the last
// ebur128 summary in ffmpeg's stderr. -inf values become -70 LUFS and
// -144 dBTP so that reports stay encodable as JSON.
func parseEBUR128(stderr string) (lufs, truePeak float64, err error) {
	i := strings.LastIndex(stderr, "Summary:")
	if i < 0 {
		return 0, 0, errors.New("no ebur128 summary in ffmpeg output")
	}
	var haveI, haveTP, inTP bool
	for _, line := range strings.Split(stderr[i:], "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch {
		case f[0] == "True" && f[1] == "peak:":
			inTP = true
		case f[0] == "I:" && !haveI:
			v, perr := strconv.ParseFloat(f[1], 64)
			if perr != nil {
				return 0, 0, fmt.Errorf("parse integrated loudness %q: %w", f[1], perr)
			}
			lufs, haveI = max(v, silentLUFS), true
		case f[0] == "Peak:" && inTP && !haveTP:
			v, perr := strconv.ParseFloat(f[1], 64)
			if perr != nil {
				return 0, 0, fmt.Errorf("parse true peak %q: %w", f[1], perr)
			}
			truePeak, haveTP = max(v, silentPeak), true
		}
	}
	if !haveI || !haveTP {
		return 0, 0, errors.New("incomplete ebur128 summary in ffmpeg output")
	}
	return lufs, truePeak, nil
}

// finishPlan is the last stage: gain, limiter, fades, exact length.
type finishPlan struct {
	Rate, Channels int
	Frames         int64   // exact output length
	GainDB         float64 // total gain
	LimitDB        float64 // limiter ceiling (dBFS sample peak); 0 = no limiter
	FadeIn         float64 // seconds
	FadeOut        float64 // seconds
}

func dbToLin(db float64) float64 { return math.Pow(10, db/20) }

// Limiter timing: the look-ahead (and attack) and the release time
// constant, as alimiter's defaults.
const (
	limiterLookahead = 0.005
	limiterRelease   = 0.050
)

// finisher applies the last stage to interleaved float32 frames written to
// it and writes the result to out: gain, a look-ahead peak limiter, fades.
// The limiter guarantees no sample over the ceiling: the gain needed at
// each sample is the minimum over the next look-ahead window, recovers
// with the release time constant, and is smoothed by a moving average as
// long as the look-ahead, so it is down in time for every peak. The output
// is delayed by the look-ahead internally and realigned, so frame n out is
// frame n in; Close flushes the tail. Frames past Frames are dropped and
// missing ones padded, so the length is exact.
type finisher struct {
	p     finishPlan
	out   io.Writer
	gain  float64
	limit float64 // linear; 0 = off
	la    int     // look-ahead frames
	rel   float64 // release coefficient per frame

	in    int64     // frames received
	outN  int64     // frames emitted
	delay []float32 // ring of la+1 frames (interleaved)
	req   []float64 // ring of la+1 required gains
	slot  int       // ring position of the newest frame
	dq    []int     // ring of la+1 deque entries (positions in req), sliding min
	dqH   int       // deque head position in dq
	dqN   int       // deque length
	box   []float64 // ring of la smoothed-gain terms
	boxI  int
	boxS  float64
	r     float64 // released gain
	split frameSplitter
	obuf  []byte
	frame []float32
}

func newFinisher(p finishPlan, out io.Writer) *finisher {
	f := &finisher{p: p, out: out, gain: dbToLin(p.GainDB), r: 1}
	if p.LimitDB < 0 {
		f.limit = dbToLin(p.LimitDB)
		f.la = max(int(math.Round(limiterLookahead*float64(p.Rate))), 1)
		f.rel = math.Exp(-1 / (limiterRelease * float64(p.Rate)))
		f.delay = make([]float32, (f.la+1)*p.Channels)
		f.req = make([]float64, f.la+1)
		f.dq = make([]int, f.la+1)
		f.slot = -1
		f.box = make([]float64, f.la)
		for i := range f.box {
			f.box[i] = 1
		}
		f.boxS = float64(f.la)
	}
	f.frame = make([]float32, p.Channels)
	return f
}

// Write implements io.Writer for interleaved float32 little-endian frames.
func (f *finisher) Write(p []byte) (int, error) {
	if err := f.split.split(p, 4*f.p.Channels, f.frames); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (f *finisher) frames(p []byte) error {
	c := f.p.Channels
	for i := 0; i+4*c <= len(p); i += 4 * c {
		for ch := range c {
			f.frame[ch] = math.Float32frombits(binary.LittleEndian.Uint32(p[i+4*ch:]))
		}
		if err := f.push(f.frame); err != nil {
			return err
		}
	}
	return f.flushBuf()
}

// push takes one input frame (after gain) and emits at most one frame.
func (f *finisher) push(x []float32) error {
	g := float32(f.gain)
	if f.limit == 0 {
		for ch := range x {
			x[ch] *= g
		}
		f.in++
		return f.emit(x)
	}
	n := f.in
	f.in++
	size := f.la + 1
	f.slot++
	if f.slot == size {
		f.slot = 0
	}
	slot := f.slot
	c := len(x)
	var pk float32
	d := f.delay[slot*c : slot*c+c]
	for ch, v := range x {
		v *= g
		d[ch] = v
		if v < 0 {
			v = -v
		}
		pk = max(pk, v)
	}
	need := 1.0
	if float64(pk) > f.limit {
		need = f.limit / float64(pk)
	}
	f.req[slot] = need
	// Sliding minimum over the last la+1 frames: a monotonic deque of
	// ring positions (the window is exactly the ring, so the entry that
	// falls out is the one whose slot is being reused).
	if f.dqN > 0 && f.dq[f.dqH] == slot && n >= int64(size) {
		f.dqH++
		if f.dqH == size {
			f.dqH = 0
		}
		f.dqN--
	}
	for f.dqN > 0 {
		t := f.dqH + f.dqN - 1
		if t >= size {
			t -= size
		}
		if f.req[f.dq[t]] < need {
			break
		}
		f.dqN--
	}
	t := f.dqH + f.dqN
	if t >= size {
		t -= size
	}
	f.dq[t] = slot
	f.dqN++
	if n < int64(f.la) {
		return nil // filling the look-ahead
	}
	m := f.req[f.dq[f.dqH]] // min over the window
	f.r = min(m, 1-(1-f.r)*f.rel)
	f.boxS += f.r - f.box[f.boxI]
	f.box[f.boxI] = f.r
	if f.boxI++; f.boxI == f.la {
		f.boxI = 0
	}
	gj := float32(f.boxS / float64(f.la))
	js := slot + 1 // the oldest frame in the ring leaves now
	if js == size {
		js = 0
	}
	od := f.delay[js*c : js*c+c]
	for ch := range c {
		f.frame[ch] = od[ch] * gj
	}
	return f.emit(f.frame)
}

// emit applies the fades and queues a frame.
func (f *finisher) emit(y []float32) error {
	if f.outN >= f.p.Frames {
		return nil
	}
	rate := float64(f.p.Rate)
	t := float64(f.outN)
	fi := f.p.FadeIn * rate
	fo := f.p.FadeOut * rate
	w := 1.0
	if fi > 0 && t < fi {
		w = t / fi
	}
	if rem := float64(f.p.Frames-1) - t; fo > 0 && rem < fo {
		w = min(w, rem/fo)
	}
	for _, v := range y {
		f.obuf = binary.LittleEndian.AppendUint32(f.obuf, math.Float32bits(v*float32(w)))
	}
	f.outN++
	if len(f.obuf) >= 256<<10 {
		return f.flushBuf()
	}
	return nil
}

func (f *finisher) flushBuf() error {
	if len(f.obuf) == 0 {
		return nil
	}
	_, err := f.out.Write(f.obuf)
	f.obuf = f.obuf[:0]
	return err
}

// Close flushes the limiter and pads to the exact length.
func (f *finisher) Close() error {
	zero := make([]float32, f.p.Channels)
	for f.outN < f.p.Frames {
		clear(zero)
		if err := f.push(zero); err != nil {
			return err
		}
	}
	return f.flushBuf()
}

// loudnessMeter measures integrated loudness (ITU-R BS.1770-4: K-weighting,
// 400 ms blocks every 100 ms, -70 LUFS absolute and -10 LU relative gates)
// and true peak (4x oversampled) of interleaved float32 little-endian
// samples written to it. It keeps one energy value per 100 ms, so an hour
// costs 36k values. Go's own meter lets the chain measure a stream as it is
// written instead of running ffmpeg's ebur128 as another pass; tests check
// it against ebur128.
type loudnessMeter struct {
	channels int
	weights  []float64
	k        []kFilter // per channel
	tp       []truePeak
	sub      int       // samples per 100 ms
	n        int       // samples in the current 100 ms
	acc      float64   // weighted energy sum of the current 100 ms
	subs     []float64 // mean weighted energy of each complete 100 ms
	split    frameSplitter
	peaks    bool        // track the true peak
	buf      [][]float64 // per-channel samples of the current write
	es       []float64   // weighted K energy per frame of the current write
	model    *limitModel // if set, collects what predicting the limiter needs
}

// biquad is a direct form I second-order section.
type biquad struct {
	b0, b1, b2, a1, a2 float64
	x1, x2, y1, y2     float64
}

func (f *biquad) step(x float64) float64 {
	y := f.b0*x + f.b1*f.x1 + f.b2*f.x2 - f.a1*f.y1 - f.a2*f.y2
	f.x2, f.x1 = f.x1, x
	f.y2, f.y1 = f.y1, y
	return y
}

// kFilter is BS.1770's K-weighting: a high shelf then a high pass, with
// coefficients derived for any rate (as libebur128 does).
type kFilter struct{ shelf, hp biquad }

func newKFilter(rate int) kFilter {
	fs := float64(rate)
	f0, g, q := 1681.974450955533, 3.999843853973347, 0.7071752369554196
	k := math.Tan(math.Pi * f0 / fs)
	vh := math.Pow(10, g/20)
	vb := math.Pow(vh, 0.4996667741545416)
	a0 := 1 + k/q + k*k
	shelf := biquad{
		b0: (vh + vb*k/q + k*k) / a0, b1: 2 * (k*k - vh) / a0, b2: (vh - vb*k/q + k*k) / a0,
		a1: 2 * (k*k - 1) / a0, a2: (1 - k/q + k*k) / a0,
	}
	f0, q = 38.13547087602444, 0.5003270373238773
	k = math.Tan(math.Pi * f0 / fs)
	d := 1 + k/q + k*k
	hp := biquad{b0: 1, b1: -2, b2: 1, a1: 2 * (k*k - 1) / d, a2: (1 - k/q + k*k) / d}
	return kFilter{shelf: shelf, hp: hp}
}

// truePeak tracks the peak of a 4x (2x at 96 kHz, none from 192 kHz)
// oversampled signal, interpolated with a windowed-sinc polyphase FIR.
type truePeak struct {
	factor int
	phases [][]float64 // phases[p][j], j = 0 is the newest sample's tap
	ring   []float64   // last tpTaps samples, stored twice so a window is contiguous
	pos    int
	peak   float64
	l1     float64 // largest sum of |taps| of a phase: |y| <= l1 * max|window|
	quiet  int     // samples since the last one that could make a new peak
}

// tpTaps is the interpolator length per phase (128 taps at 4x, Kaiser
// window, beta 9, as ffmpeg's resampler), so that near-Nyquist content
// reads as ebur128 reads it.
const (
	tpTaps  = 32
	tpKaise = 9.0
)

// besselI0 is the modified Bessel function of the first kind, order 0.
func besselI0(x float64) float64 {
	s, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / 2) / float64(k)
		s += term * term
		if term*term < 1e-12*s {
			break
		}
	}
	return s
}

func newTruePeak(rate int) truePeak {
	factor := 4
	switch {
	case rate >= 192000:
		factor = 1
	case rate >= 96000:
		factor = 2
	}
	t := truePeak{factor: factor, ring: make([]float64, 2*tpTaps)}
	n := tpTaps * factor
	c := float64(n-1) / 2
	t.phases = make([][]float64, factor)
	for p := range factor {
		t.phases[p] = make([]float64, tpTaps)
	}
	for i := range n {
		x := (float64(i) - c) / float64(factor)
		h := 1.0
		if x != 0 {
			h = math.Sin(math.Pi*x) / (math.Pi * x)
		}
		r := (float64(i) - c) / (c + 1)
		w := besselI0(tpKaise*math.Sqrt(max(1-r*r, 0))) / besselI0(tpKaise)
		t.phases[i%factor][i/factor] = h * w
	}
	for _, ph := range t.phases { // unit DC gain per phase
		var s, l1 float64
		for _, v := range ph {
			s += v
		}
		for j := range ph {
			ph[j] /= s
			l1 += math.Abs(ph[j])
		}
		t.l1 = max(t.l1, l1)
	}
	return t
}

// block feeds samples to the peak tracker. Interpolation runs only over
// stretches where a sample could make a new peak (|y| <= l1 * max|x| over
// the filter's window): most of a signal sits far under its peak.
func (t *truePeak) block(x []float64) {
	for _, v := range x {
		if a := math.Abs(v); a > t.peak {
			t.peak = a
		}
	}
	if t.factor == 1 {
		return
	}
	for _, v := range x {
		t.pos--
		if t.pos < 0 {
			t.pos = tpTaps - 1
		}
		t.ring[t.pos], t.ring[t.pos+tpTaps] = v, v
		if math.Abs(v)*t.l1 > t.peak {
			t.quiet = 0
		} else if t.quiet++; t.quiet >= tpTaps {
			continue
		}
		win := t.ring[t.pos : t.pos+tpTaps]
		for _, ph := range t.phases {
			var y float64
			for j, h := range ph {
				y += h * win[j]
			}
			if y < 0 {
				y = -y
			}
			if y > t.peak {
				t.peak = y
			}
		}
	}
}

// wavTruePeak measures the true peak (dBTP) of a float WAV file.
func wavTruePeak(ctx context.Context, path string) (float64, error) {
	w, err := openWAV(path)
	if err != nil {
		return 0, fmt.Errorf("true peak: %w", err)
	}
	defer w.Close()
	tps := make([]truePeak, w.channels)
	for i := range tps {
		tps[i] = newTruePeak(w.rate)
	}
	buf := make([]float32, cutBlock*w.channels)
	ch := make([]float64, cutBlock)
	for pos := int64(0); pos < w.frames; pos += cutBlock {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n := int(min(cutBlock, w.frames-pos))
		if err := w.ReadFrames(buf[:n*w.channels], pos); err != nil {
			return 0, fmt.Errorf("true peak: %w", err)
		}
		for c := range tps {
			for i := range n {
				ch[i] = float64(buf[i*w.channels+c])
			}
			tps[c].block(ch[:n])
		}
	}
	var peak float64
	for i := range tps {
		tps[i].flush()
		peak = max(peak, tps[i].peak)
	}
	if peak <= 0 {
		return silentPeak, nil
	}
	return max(20*math.Log10(peak), silentPeak), nil
}

// flush interpolates past the last sample (as if silence followed).
func (t *truePeak) flush() {
	if t.factor > 1 {
		t.quiet = 0
		t.block(make([]float64, tpTaps))
	}
}

// channelWeights are BS.1770's weights for the usual layouts (the
// surrounds of 5.x count 1.41, LFE not at all).
func channelWeights(channels int) []float64 {
	w := make([]float64, channels)
	for i := range w {
		w[i] = 1
	}
	if channels == 6 { // FL FR FC LFE BL BR
		w[3], w[4], w[5] = 0, 1.41, 1.41
	}
	return w
}

// newLoudnessMeter measures loudness, and true peak when peaks is set (it
// costs more than the rest).
func newLoudnessMeter(rate, channels int, peaks bool) *loudnessMeter {
	m := &loudnessMeter{channels: channels, weights: channelWeights(channels),
		sub: max(rate/10, 1), peaks: peaks}
	for range channels {
		m.k = append(m.k, newKFilter(rate))
		m.tp = append(m.tp, newTruePeak(rate))
	}
	return m
}

// Write implements io.Writer.
func (m *loudnessMeter) Write(p []byte) (int, error) {
	m.split.split(p, 4*m.channels, func(b []byte) error { m.frames(b); return nil })
	return len(p), nil
}

func (m *loudnessMeter) frames(p []byte) {
	c := m.channels
	n := len(p) / (4 * c)
	for len(m.buf) < c {
		m.buf = append(m.buf, nil)
	}
	for ch := range c {
		b := m.buf[ch][:0]
		for i := range n {
			b = append(b, float64(math.Float32frombits(binary.LittleEndian.Uint32(p[4*(i*c+ch):]))))
		}
		m.buf[ch] = b
		if m.peaks {
			m.tp[ch].block(b)
		}
	}
	// K-weighted energy per frame, channels summed with their weights.
	if cap(m.es) < n {
		m.es = make([]float64, n)
	}
	es := m.es[:n]
	clear(es)
	for ch := range c {
		w := m.weights[ch]
		if w == 0 {
			continue
		}
		f := &m.k[ch]
		for i, x := range m.buf[ch][:n] {
			y := f.hp.step(f.shelf.step(x))
			es[i] += w * y * y
		}
	}
	for i, e := range es {
		m.acc += e
		m.n++
		if m.n == m.sub {
			m.subs = append(m.subs, m.acc/float64(m.n))
			m.acc, m.n = 0, 0
		}
		if lm := m.model; lm != nil {
			var pk float64
			for ch := range c {
				pk = max(pk, math.Abs(m.buf[ch][i]))
			}
			lm.add(e, pk)
		}
	}
}

// limitModel predicts the loudness the finisher's limiter will leave, from
// per-5 ms blocks of the unprocessed audio (K-weighted energy, sample
// peak): the limiter is simulated block by block, which is accurate to a
// few tenths of a LU and costs microseconds per evaluation, so the gain can
// be solved for before rendering instead of by rendering again.
type limitModel struct {
	rate, blk, sub int
	e, pk          []float32 // per block: energy sum, peak
	curE, curP     float64
	curN           int
}

func newLimitModel(rate int) *limitModel {
	return &limitModel{rate: rate, sub: max(rate/10, 1),
		blk: max(int(math.Round(limiterLookahead*float64(rate))), 1)}
}

func (lm *limitModel) add(e, pk float64) {
	lm.curE += e
	lm.curP = max(lm.curP, pk)
	if lm.curN++; lm.curN == lm.blk {
		lm.e = append(lm.e, float32(lm.curE))
		lm.pk = append(lm.pk, float32(lm.curP))
		lm.curE, lm.curP, lm.curN = 0, 0, 0
	}
}

// lufs predicts the integrated loudness after gainDB and a limiter at
// limit (linear; 0 = none).
func (lm *limitModel) lufs(gainDB, limit float64) float64 {
	g := dbToLin(gainDB)
	g2 := g * g
	rel := math.Exp(-float64(lm.blk) / (limiterRelease * float64(lm.rate)))
	need := func(b int) float64 {
		if limit <= 0 || b >= len(lm.pk) {
			return 1
		}
		if p := g * float64(lm.pk[b]); p > limit {
			return limit / p
		}
		return 1
	}
	var subs []float64
	var acc float64
	var accN int
	r, prev := 1.0, 1.0
	for b, e := range lm.e {
		// The look-ahead reaches into the next block; the attack smooths
		// over the previous one.
		r = min(need(b), need(b+1), 1-(1-r)*rel)
		gb := (r + prev) / 2
		prev = r
		acc += g2 * gb * gb * float64(e)
		accN += lm.blk
		if accN >= lm.sub {
			subs = append(subs, acc/float64(accN))
			acc, accN = 0, 0
		}
	}
	return gatedLoudness(subs)
}

// solveGain finds the gain (dB) at which the limited output reaches
// target, by bisection between the linear gain and 20 dB over it.
func (lm *limitModel) solveGain(target, linearGain, limit float64) float64 {
	lo, hi := linearGain, linearGain+20
	if lm.lufs(lo, limit) >= target-0.01 {
		return lo
	}
	for range 40 {
		mid := (lo + hi) / 2
		if lm.lufs(mid, limit) < target {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 0.005 {
			break
		}
	}
	return (lo + hi) / 2
}

// gatedLoudness is BS.1770's integrated loudness of 100 ms mean energies:
// 400 ms blocks every 100 ms, gated at -70 LUFS and 10 LU under the mean.
func gatedLoudness(subs []float64) float64 {
	var blocks []float64
	for i := 0; i+4 <= len(subs); i++ {
		blocks = append(blocks, (subs[i]+subs[i+1]+subs[i+2]+subs[i+3])/4)
	}
	gate := func(thr float64) float64 {
		var s float64
		var n int
		for _, z := range blocks {
			if z > 0 && -0.691+10*math.Log10(z) > thr {
				s += z
				n++
			}
		}
		if n == 0 {
			return math.Inf(-1)
		}
		return -0.691 + 10*math.Log10(s/float64(n))
	}
	abs := gate(-70)
	if math.IsInf(abs, -1) {
		return silentLUFS
	}
	return max(gate(abs-10), silentLUFS)
}

// result returns integrated loudness (LUFS, -70 for silence or audio
// shorter than one block) and true peak (dBTP, -144 for silence or when
// peaks are not tracked).
func (m *loudnessMeter) result() (lufs, truePeak float64) {
	var peak float64
	for i := range m.tp {
		if m.peaks {
			m.tp[i].flush()
		}
		peak = max(peak, m.tp[i].peak)
	}
	truePeak = silentPeak
	if peak > 0 {
		truePeak = max(20*math.Log10(peak), silentPeak)
	}
	return gatedLoudness(m.subs), truePeak
}
