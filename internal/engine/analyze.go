package engine

import (
	"context"
	"encoding/binary"
	"io"
	"math"
	"slices"
	"strconv"
)

// Level analysis works on 10 ms frames of the mono mix: one float32 mean
// square per frame, so an hour of audio costs 1.4 MB whatever its rate.

const (
	frameSec     = 0.010 // analysis frame
	floorWindow  = 40    // frames per noise-floor window (400 ms)
	floorHop     = 10    // frames between noise-floor windows (100 ms)
	floorQuantil = 0.10  // the floor is the quietest 10% of windows
	silentDB     = -120.0
)

// levels is the per-10 ms energy of a signal.
type levels struct {
	rate int       // sample rate it was measured at
	hop  int       // samples per frame
	ms   []float32 // mean square of the mono mix per frame
}

// frameTime is the start time of frame i in seconds.
func (l *levels) frameTime(i int) float64 { return float64(i*l.hop) / float64(l.rate) }

// frameAt is the frame holding time t (clamped to [0, len]).
func (l *levels) frameAt(t float64) int {
	i := int(math.Floor(t * float64(l.rate) / float64(l.hop)))
	return min(max(i, 0), len(l.ms))
}

// duration is the analysed length in seconds (whole frames).
func (l *levels) duration() float64 { return l.frameTime(len(l.ms)) }

func powDB(ms float64) float64 {
	if ms <= 0 {
		return silentDB
	}
	return max(10*math.Log10(ms), silentDB)
}

// dbs returns the frame levels in dBFS (RMS; a full-scale sine is -3).
func (l *levels) dbs() []float64 {
	out := make([]float64, len(l.ms))
	for i, v := range l.ms {
		out[i] = powDB(float64(v))
	}
	return out
}

// windowPowers returns the mean square of each floorWindow-frame window,
// every floorHop frames (one window for shorter signals).
func (l *levels) windowPowers(win int) []float64 {
	n := len(l.ms)
	if n == 0 {
		return nil
	}
	if n <= win {
		var s float64
		for _, v := range l.ms {
			s += float64(v)
		}
		return []float64{s / float64(n)}
	}
	var out []float64
	for i := 0; i+win <= n; i += floorHop {
		var s float64
		for _, v := range l.ms[i : i+win] {
			s += float64(v)
		}
		out = append(out, s/float64(win))
	}
	return out
}

// floorDB is the noise floor: the level (dBFS RMS) under which the quietest
// 10% of 400 ms windows lie.
func (l *levels) floorDB() float64 {
	w := l.windowPowers(floorWindow)
	if len(w) == 0 {
		return silentDB
	}
	slices.Sort(w)
	return powDB(w[int(floorQuantil*float64(len(w)-1))])
}

// speechDB is a robust loud level: the 90th percentile of frame levels.
func (l *levels) speechDB() float64 {
	d := l.dbs()
	if len(d) == 0 {
		return silentDB
	}
	slices.Sort(d)
	return d[int(0.9*float64(len(d)-1))]
}

// quietestSpan finds the quietest stretch of n frames (lowest mean square),
// returning its first frame and level in dB. ok is false when the signal is
// shorter than n frames.
func (l *levels) quietestSpan(n int) (start int, db float64, ok bool) {
	if n <= 0 || len(l.ms) < n {
		return 0, 0, false
	}
	var s float64
	for _, v := range l.ms[:n] {
		s += float64(v)
	}
	best, bi := s, 0
	for i := n; i < len(l.ms); i++ {
		s += float64(l.ms[i]) - float64(l.ms[i-n])
		if s < best {
			best, bi = s, i-n+1
		}
	}
	return bi, powDB(max(best, 0) / float64(n)), true
}

// meanDB is the power mean level of the frames in [a, b).
func (l *levels) meanDB(a, b int) float64 {
	a, b = max(a, 0), min(b, len(l.ms))
	if b <= a {
		return silentDB
	}
	var s float64
	for _, v := range l.ms[a:b] {
		s += float64(v)
	}
	return powDB(s / float64(b-a))
}

// levelMeter is an io.Writer that takes interleaved float32 little-endian
// samples and accumulates per-frame mean squares of their mono mix.
type levelMeter struct {
	lv       levels
	channels int
	split    frameSplitter
	acc      float64 // sum of squares in the current frame
	n        int     // samples in the current frame
}

func newLevelMeter(rate, channels int) *levelMeter {
	hop := max(int(math.Round(frameSec*float64(rate))), 1)
	return &levelMeter{lv: levels{rate: rate, hop: hop}, channels: channels}
}

// Write implements io.Writer.
func (m *levelMeter) Write(p []byte) (int, error) {
	m.split.split(p, 4*m.channels, func(b []byte) error { m.frames(b); return nil })
	return len(p), nil
}

func (m *levelMeter) frames(p []byte) {
	c := m.channels
	inv := 1 / float64(c)
	for i := 0; i+4*c <= len(p); i += 4 * c {
		var v float64
		for k := range c {
			v += float64(math.Float32frombits(binary.LittleEndian.Uint32(p[i+4*k:])))
		}
		v *= inv
		m.acc += v * v
		m.n++
		if m.n == m.lv.hop {
			m.lv.ms = append(m.lv.ms, float32(m.acc/float64(m.n)))
			m.acc, m.n = 0, 0
		}
	}
}

// levels returns the result; a final partial frame counts.
func (m *levelMeter) levels() *levels {
	if m.n > 0 {
		m.lv.ms = append(m.lv.ms, float32(m.acc/float64(m.n)))
		m.acc, m.n = 0, 0
	}
	return &m.lv
}

// analyzeArgs decodes the first audio stream to mono float32 at its own
// rate on stdout.
func analyzeArgs(src string, rate int) []string {
	return ffmpegArgs(slices.Concat([]string{"-v", "error"}, input(src), []string{"-map", "0:a:0", "-vn", "-sn", "-dn",
		"-ac", "1", "-ar", strconv.Itoa(rate), "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"})...)
}

// analyze measures the per-frame levels of src's first audio stream.
// progress (may be nil) also receives the decoded bytes.
func (e *Engine) analyze(ctx context.Context, src string, rate int, progress io.Writer) (*levels, error) {
	m := newLevelMeter(rate, 1)
	var w io.Writer = m
	if progress != nil {
		w = io.MultiWriter(m, progress)
	}
	if _, err := e.run(ctx, "analyze audio", e.ffmpeg, analyzeArgs(src, rate), nil, w); err != nil {
		return nil, err
	}
	return m.levels(), nil
}
