package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
)

// Drift-aware alignment: two recorders' clocks differ by tens to hundreds
// of ppm, so one offset cannot line up a whole take (100 ppm is 6 ms a
// minute). AlignDrift measures the lag in windows spread over the whole
// overlap and fits a line: lag(t) = Offset + Drift*t.

// Drift alignment parameters.
const (
	// driftWindow is the length of each measuring window (seconds).
	driftWindow = 6.0
	// driftSpacing is the target distance between windows; their count
	// is clamped to driftMinWindows..driftMaxWindows.
	driftSpacing    = 12.0
	driftMinWindows = 4
	driftMaxWindows = 24
	// driftSearch is the lag searched around the prediction (seconds),
	// plus driftMaxPPM of the distance from the last measured window.
	driftSearch = 0.05
	driftMaxPPM = 1000e-6
	// driftInMemory is the longest recording decoded whole (seconds);
	// longer ones are read window by window (memory stays bounded).
	driftInMemory = 20 * 60
	// DriftCorrectPPM is the drift above which the recording is resampled.
	DriftCorrectPPM = 20.0
)

// Alignment is what AlignDrift measured: other's time = ref's time *
// (1 + DriftPPM/1e6) + Offset.
type Alignment struct {
	Offset   float64 `json:"offset_s"`
	DriftPPM float64 `json:"drift_ppm"`
	// Confidence is the median peak ratio of the windows used.
	Confidence float64 `json:"confidence"`
	// ResidualMS is the RMS distance of the windows' lags from the line.
	ResidualMS float64 `json:"residual_ms"`
	// Windows is how many windows agreed with the line.
	Windows int `json:"windows"`
}

// windowSource reads mono 8 kHz windows of a recording.
type windowSource interface {
	window(ctx context.Context, start, length float64) ([]float32, error)
}

type memSource []float32

func (m memSource) window(_ context.Context, start, length float64) ([]float32, error) {
	a := max(int(math.Round(start*alignRate)), 0)
	b := min(int(math.Round((start+length)*alignRate)), len(m))
	if b <= a {
		return nil, nil
	}
	return m[a:b], nil
}

// fileSource decodes each window with a seeking ffmpeg run.
type fileSource struct {
	e    *Engine
	path string
}

func (f fileSource) window(ctx context.Context, start, length float64) ([]float32, error) {
	if start < 0 {
		length += start
		start = 0
	}
	if length <= 0 {
		return nil, nil
	}
	args := ffmpegArgs(slices.Concat([]string{"-v", "error", "-ss", strconv.FormatFloat(start, 'f', 6, 64)}, input(f.path),
		[]string{"-map", "0:a:0", "-vn", "-ac", "1", "-ar", strconv.Itoa(alignRate), "-t", strconv.FormatFloat(length, 'f', 6, 64), "-f", "f32le", "pipe:1"})...)
	d := &f32Collector{max: int(length*alignRate) + 16}
	if _, err := f.e.run(ctx, "decode for alignment", f.e.ffmpeg, args, nil, d); err != nil {
		return nil, err
	}
	return d.out, nil
}

// AlignDrift measures the offset and clock drift of other against ref
// (durations in seconds, from their probes) over the whole overlap.
// Memory is bounded: recordings longer than 20 minutes are read window by
// window. It wraps ErrNoMatch when fewer than three windows agree.
func (e *Engine) AlignDrift(ctx context.Context, ref, other *MediaInfo) (*Alignment, error) {
	var rs, ob windowSource
	if ref.Duration <= driftInMemory && other.Duration <= driftInMemory {
		a, err := e.decodeMono(ctx, ref.Path, alignRate, int(ref.Duration*alignRate)+alignRate)
		if err != nil {
			return nil, err
		}
		b, err := e.decodeMono(ctx, other.Path, alignRate, int(other.Duration*alignRate)+alignRate)
		if err != nil {
			return nil, err
		}
		rs, ob = memSource(a), memSource(b)
	} else {
		rs, ob = fileSource{e, ref.Path}, fileSource{e, other.Path}
	}
	// Coarse offset on the start (any offset up to half of it): short
	// spans first, where drift smears the peak least, longer ones for
	// recordings started far apart.
	var last error = fmt.Errorf("%w: no span of the start matched", ErrNoMatch)
	for _, span := range driftCoarseSpans {
		ca, err := rs.window(ctx, 0, span)
		if err != nil {
			return nil, err
		}
		cb, err := ob.window(ctx, 0, span)
		if err != nil {
			return nil, err
		}
		if len(ca) < alignRate || len(cb) < alignRate {
			return nil, fmt.Errorf("%w: a recording is shorter than 1 s", ErrNoMatch)
		}
		lag, conf := alignSamples(ca, cb, min(len(ca), len(cb))/2)
		if conf < alignMinConfidence {
			last = fmt.Errorf("%w (peak ratio %.2f at the start)", ErrNoMatch, conf)
			continue
		}
		al, err := e.alignWindows(ctx, rs, ob, ref, other, lag/alignRate)
		if err == nil {
			return al, nil
		}
		if !errors.Is(err, ErrNoMatch) {
			return nil, err
		}
		last = err
		if len(ca) < int(span*alignRate)-alignRate || len(cb) < int(span*alignRate)-alignRate {
			break // the whole recording was used
		}
	}
	return nil, last
}

// driftCoarseSpans are the lengths of the start tried for the coarse offset.
var driftCoarseSpans = []float64{20, 60, 240}

// alignWindows measures the lag in windows over the overlap, starting from
// the coarse offset, and fits the line.
func (e *Engine) alignWindows(ctx context.Context, rs, ob windowSource, ref, other *MediaInfo, coarse float64) (*Alignment, error) {
	// The overlap in ref's time.
	lo, hi := math.Max(0, -coarse), math.Min(ref.Duration, other.Duration-coarse)
	if hi-lo < 2 {
		return nil, fmt.Errorf("%w: the recordings overlap by less than 2 s", ErrNoMatch)
	}
	win := math.Min(driftWindow, (hi-lo)/2)
	n := int(math.Round((hi - lo) / driftSpacing))
	n = max(driftMinWindows, min(driftMaxWindows, n))
	type point struct{ t, lag, conf float64 }
	var pts []point
	fit := func() (a, b float64) { return lineFit(pts, func(p point) (float64, float64) { return p.t, p.lag }) }
	lastT := lo
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := lo + win/2 + (hi-lo-win)*float64(i)/float64(max(n-1, 1))
		pred := coarse
		if len(pts) >= 2 {
			a, b := fit()
			pred = a + b*c
		} else if len(pts) == 1 {
			pred = pts[0].lag
		}
		search := driftSearch + driftMaxPPM*math.Abs(c-lastT)
		wa, err := rs.window(ctx, c-win/2, win)
		if err != nil {
			return nil, err
		}
		wb, err := ob.window(ctx, c-win/2+pred-search, win+2*search)
		if err != nil {
			return nil, err
		}
		if len(wa) < alignRate/2 || len(wb) < len(wa) {
			continue
		}
		// wb starts at other's time c-win/2+pred-search, so the lag l
		// measured between the windows is the true lag less pred-search.
		l, cf := alignSamples(wa, wb, int(2*search*alignRate)+1)
		if cf < 2 {
			continue // a pause or music: no clear peak here
		}
		pts = append(pts, point{t: c, lag: pred - search + l/alignRate, conf: cf})
		lastT = c
	}
	// Robust fit: drop windows more than 3 ms (or 3x the median residual)
	// off the line, refit.
	for range 3 {
		if len(pts) < 3 {
			break
		}
		a, b := fit()
		var res []float64
		for _, p := range pts {
			res = append(res, math.Abs(p.lag-(a+b*p.t)))
		}
		med := median(res)
		lim := math.Max(0.003, 3*med)
		var keep []point
		for i, p := range pts {
			if res[i] <= lim {
				keep = append(keep, p)
			}
		}
		if len(keep) == len(pts) {
			break
		}
		pts = keep
	}
	if len(pts) < 3 {
		return nil, fmt.Errorf("%w: only %d windows matched", ErrNoMatch, len(pts))
	}
	a, b := fit()
	var ss float64
	var confs []float64
	for _, p := range pts {
		d := p.lag - (a + b*p.t)
		ss += d * d
		confs = append(confs, p.conf)
	}
	return &Alignment{Offset: a, DriftPPM: b * 1e6, Confidence: round1(median(confs)),
		ResidualMS: round3(1000 * math.Sqrt(ss/float64(len(pts)))), Windows: len(pts)}, nil
}

// lineFit is the least-squares line y = a + b*x through the points.
func lineFit[T any](pts []T, xy func(T) (float64, float64)) (a, b float64) {
	var sx, sy, sxx, sxy float64
	n := float64(len(pts))
	for _, p := range pts {
		x, y := xy(p)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	d := n*sxx - sx*sx
	if n == 0 {
		return 0, 0
	}
	if d == 0 {
		return sy / n, 0
	}
	b = (n*sxy - sx*sy) / d
	a = (sy - b*sx) / n
	return a, b
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// ErrDriftRange is returned by CorrectDrift for a drift it will not apply.
var ErrDriftRange = errors.New("drift out of range")

// CorrectDrift resamples src's audio (soxr) so that its clock runs at
// ref's: a recording running DriftPPM fast (other's time = ref's time *
// (1+d)) is shortened by the factor 1/(1+d). It writes a float WAV in the
// engine's temp dir and returns its probe; the caller removes the file.
func (e *Engine) CorrectDrift(ctx context.Context, src *MediaInfo, driftPPM float64) (*MediaInfo, error) {
	if math.IsNaN(driftPPM) || math.Abs(driftPPM) > 2000 {
		return nil, fmt.Errorf("%w: %.1f ppm", ErrDriftRange, driftPPM)
	}
	rate := src.SampleRate
	if rate <= 0 {
		rate = 48000
	}
	out, err := tempWAVPath(e.tmp)
	if err != nil {
		return nil, err
	}
	args := ffmpegArgs(slices.Concat([]string{"-v", "error"}, input(src.Path),
		[]string{"-map", "0:a:0", "-vn", "-af", driftFilter(rate, driftPPM), "-c:a", "pcm_f32le", "-f", "wav", fileArg(out)})...)
	if _, err := e.run(ctx, "correct clock drift", e.ffmpeg, args, nil, nil); err != nil {
		removeQuiet(out)
		return nil, err
	}
	info, err := e.Probe(ctx, out)
	if err != nil {
		removeQuiet(out)
		return nil, err
	}
	return info, nil
}

// driftFilter time-scales audio at rate by 1/(1+ppm/1e6) without changing
// its rate: upsample by k (soxr), relabel the rate as k*rate*(1+d)
// rounded (asetrate takes whole numbers), resample back to rate (soxr).
// k (1..16) is picked so that the rounding error of the relabelled rate is
// smallest: under 0.05 ppm in practice.
func driftFilter(rate int, ppm float64) string {
	f := 1 + ppm/1e6
	bestK, bestErr := 1, math.Inf(1)
	for k := 1; k <= 16; k++ {
		x := float64(k*rate) * f
		if e := math.Abs(math.Round(x)-x) / x; e < bestErr-1e-12 {
			bestK, bestErr = k, e
		}
	}
	up := bestK * rate
	return fmt.Sprintf("aresample=%d:resampler=soxr:precision=28,asetrate=%d,aresample=%d:resampler=soxr:precision=28",
		up, int64(math.Round(float64(up)*f)), rate)
}

// tempWAVPath reserves a new .wav path in dir.
func tempWAVPath(dir string) (string, error) {
	f, err := os.CreateTemp(dir, "audioedit-*.wav")
	if err != nil {
		return "", err
	}
	f.Close()
	return f.Name(), nil
}

func removeQuiet(path string) { _ = os.Remove(path) }
