package testmedia

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// dBFloor is the lowest value the dB metrics return (for digital silence or
// degenerate input), and dBCeil the highest SISDR returns (for identical
// signals), so that results stay finite and JSON-encodable.
const (
	dBFloor = -200.0
	dBCeil  = 200.0
)

// SISDRMaxLag is the lag search of the measurement set for SISDR: ±50 ms at
// Rate.
const SISDRMaxLag = Rate / 20

// Segment is a time range in seconds, Start inclusive, End exclusive.
type Segment struct{ Start, End float64 }

// SISDR returns the scale-invariant signal-to-distortion ratio (dB) of est
// against ref, searching the best lag within ±maxLagSamples. lag is how many
// samples est is delayed relative to ref (est[n+lag] matches ref[n]). The
// lag search uses FFT cross-correlation normalized by the overlap energies
// (the lag that maximizes SI-SDR), then SI-SDR is computed exactly in
// float64 over the overlapping part at that lag. Signals are not
// mean-removed. The result is clamped to [-200, 200] dB; degenerate input
// (empty, or all zero) gives -200.
func SISDR(ref, est []float32, maxLagSamples int) (db float64, lag int) {
	if len(ref) == 0 || len(est) == 0 {
		return dBFloor, 0
	}
	maxLag := maxLagSamples
	if maxLag < 0 {
		maxLag = 0
	}
	if m := max(len(ref), len(est)) - 1; maxLag > m {
		maxLag = m
	}
	lag = 0
	if maxLag > 0 {
		c := xcorr(ref, est, maxLag)
		pr := prefixEnergy(ref)
		pe := prefixEnergy(est)
		best := -1.0
		// Visit lags by increasing |l| so that ties go to the smaller lag.
		for d := 0; d <= maxLag; d++ {
			for _, l := range [2]int{d, -d} {
				if d == 0 && l < 0 {
					continue
				}
				lo, hi := overlap(len(ref), len(est), l)
				if hi <= lo {
					continue
				}
				er := pr[hi] - pr[lo]
				ee := pe[hi+l] - pe[lo+l]
				if er <= 0 || ee <= 0 {
					continue
				}
				v := c[l+maxLag]
				if r := v * v / (er * ee); r > best {
					best, lag = r, l
				}
			}
		}
	}
	return sisdrAt(ref, est, lag), lag
}

func sisdrAt(ref, est []float32, l int) float64 {
	lo, hi := overlap(len(ref), len(est), l)
	var rr, re float64
	for n := lo; n < hi; n++ {
		r := float64(ref[n])
		rr += r * r
		re += r * float64(est[n+l])
	}
	if rr == 0 {
		return dBFloor
	}
	alpha := re / rr
	var noise float64
	for n := lo; n < hi; n++ {
		d := float64(est[n+l]) - alpha*float64(ref[n])
		noise += d * d
	}
	target := alpha * alpha * rr
	if target == 0 {
		return dBFloor
	}
	if noise == 0 {
		return dBCeil
	}
	return clampDB(10 * math.Log10(target/noise))
}

func prefixEnergy(x []float32) []float64 {
	p := make([]float64, len(x)+1)
	var s float64
	for i, v := range x {
		s += float64(v) * float64(v)
		p[i+1] = s
	}
	return p
}

func clampDB(v float64) float64 {
	if math.IsNaN(v) || v < dBFloor {
		return dBFloor
	}
	if v > dBCeil {
		return dBCeil
	}
	return v
}

// RMSdB returns the RMS level of x in dBFS (a full-scale square wave is 0,
// a full-scale sine -3.01). Empty or all-zero input gives -200.
func RMSdB(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return powerDB(s, len(x))
}

func powerDB(sum float64, n int) float64 {
	if n == 0 || sum <= 0 {
		return dBFloor
	}
	return clampDB(10 * math.Log10(sum/float64(n)))
}

// EnergyDB returns the RMS level (dBFS) of x over the union of segs (seconds,
// converted to samples at rate by rounding, clipped to x). It returns -200
// when the union is empty or silent.
func EnergyDB(x []float32, rate int, segs []Segment) float64 {
	var s float64
	n := 0
	for _, g := range Merge(segs) {
		lo, hi := sampleRange(g, rate, len(x))
		for _, v := range x[lo:hi] {
			s += float64(v) * float64(v)
		}
		n += hi - lo
	}
	return powerDB(s, n)
}

func sampleRange(g Segment, rate, n int) (lo, hi int) {
	lo = int(math.Round(g.Start * float64(rate)))
	hi = int(math.Round(g.End * float64(rate)))
	lo = min(max(lo, 0), n)
	hi = min(max(hi, lo), n)
	return lo, hi
}

// Merge returns segs sorted by start with overlapping or touching segments
// joined and empty or inverted ones dropped. The input is not modified.
func Merge(segs []Segment) []Segment {
	out := make([]Segment, 0, len(segs))
	for _, g := range segs {
		if g.End > g.Start {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	m := out[:0]
	for _, g := range out {
		if k := len(m) - 1; k >= 0 && g.Start <= m[k].End {
			m[k].End = max(m[k].End, g.End)
			continue
		}
		m = append(m, g)
	}
	return m
}

// Complement returns the parts of [0, total] not covered by segs (the pauses
// when segs is the speech), sorted, without empty ranges.
func Complement(segs []Segment, total float64) []Segment {
	var out []Segment
	t := 0.0
	for _, g := range Merge(segs) {
		if g.Start > t {
			out = append(out, Segment{t, min(g.Start, total)})
		}
		t = max(t, g.End)
		if t >= total {
			break
		}
	}
	if t < total {
		out = append(out, Segment{t, total})
	}
	m := out[:0]
	for _, g := range out {
		if g.End > g.Start {
			m = append(m, g)
		}
	}
	return m
}

// SpeechKept returns the fraction (0..1) of ground-truth speech time that
// the keep ranges (source-time ranges reported by the engine) still cover:
// overlap(speech, keep) / total speech. Both lists may overlap themselves
// and be unsorted. With no speech at all it returns 1 (nothing was lost).
func SpeechKept(speech, keep []Segment) float64 {
	s := Merge(speech)
	k := Merge(keep)
	var total, kept float64
	j := 0
	for _, g := range s {
		total += g.End - g.Start
		for j < len(k) && k[j].End <= g.Start {
			j++
		}
		for i := j; i < len(k) && k[i].Start < g.End; i++ {
			kept += max(0, min(g.End, k[i].End)-max(g.Start, k[i].Start))
		}
	}
	if total == 0 {
		return 1
	}
	return min(kept/total, 1)
}

// alignExclusion is the half-width around the main correlation peak that is
// ignored when looking for the next-best peak (pitch-period side peaks of
// speech sit closer than this).
const alignExclusion = 0.025

// maxConfidence caps Align's confidence when there is no competing peak.
const maxConfidence = 1000.0

// Align estimates the offset (seconds) of b relative to a, positive when b
// lags a (b[n+offset*rate] matches a[n]), within ±maxLag seconds. It uses
// FFT cross-correlation and parabolic interpolation of the peak. confidence
// is the peak over the next-best local peak more than 25 ms away (capped at
// 1000); around 2 or more is a trustworthy answer, reject below ~1.5.
func Align(a, b []float32, rate int, maxLag float64) (offset, confidence float64) {
	if len(a) == 0 || len(b) == 0 || rate <= 0 {
		return 0, 0
	}
	L := int(math.Round(maxLag * float64(rate)))
	L = min(max(L, 0), max(len(a), len(b))-1)
	c := xcorr(a, b, L)
	best := 0
	for k := range c {
		if c[k] > c[best] {
			best = k
		}
	}
	frac := 0.0
	if best > 0 && best < len(c)-1 {
		y0, y1, y2 := c[best-1], c[best], c[best+1]
		if den := y0 - 2*y1 + y2; den < 0 {
			frac = 0.5 * (y0 - y2) / den
		}
	}
	offset = (float64(best-L) + frac) / float64(rate)
	if c[best] <= 0 {
		return offset, 0
	}
	excl := int(math.Round(alignExclusion * float64(rate)))
	next := 0.0
	for k := range c {
		if k >= best-excl && k <= best+excl {
			continue
		}
		left := k == 0 || c[k] >= c[k-1]
		right := k == len(c)-1 || c[k] >= c[k+1]
		if left && right && c[k] > next {
			next = c[k]
		}
	}
	if next <= 0 {
		return offset, maxConfidence
	}
	return offset, min(c[best]/next, maxConfidence)
}

// Loudness measures the integrated loudness (LUFS) and true peak (dBTP) of
// the first audio stream of a media file with ffmpeg's ebur128=peak=true
// filter, parsing the summary ffmpeg prints. ffmpeg "" means FFmpeg().
// Silence gives -Inf values as ffmpeg reports them (ParseFloat of "-inf").
func Loudness(ctx context.Context, ffmpeg, path string) (lufs, truePeak float64, err error) {
	if ffmpeg == "" {
		ffmpeg = FFmpeg()
	}
	if ffmpeg == "" {
		return 0, 0, errors.New("loudness: ffmpeg not found")
	}
	argv := []string{ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-i", path,
		"-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"}
	stderr, err := runTool(ctx, argv, nil, nil, 64<<10)
	if err != nil {
		return 0, 0, fmt.Errorf("loudness: %w", err)
	}
	lufs, truePeak, err = parseEBUR128(stderr)
	if err != nil {
		return 0, 0, fmt.Errorf("loudness: %w", err)
	}
	return lufs, truePeak, nil
}

// parseEBUR128 reads "I: x LUFS" and the true-peak "Peak: x dBFS" from the
// last ebur128 summary in stderr.
func parseEBUR128(stderr string) (lufs, truePeak float64, err error) {
	i := strings.LastIndex(stderr, "Summary:")
	if i < 0 {
		return 0, 0, errors.New("no ebur128 summary in ffmpeg output")
	}
	sum := stderr[i:]
	var haveI, haveTP bool
	inTP := false
	for _, line := range strings.Split(sum, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "True" && len(f) > 1 && f[1] == "peak:":
			inTP = true
		case f[0] == "I:" && len(f) >= 2 && !haveI:
			v, perr := strconv.ParseFloat(f[1], 64)
			if perr != nil {
				return 0, 0, fmt.Errorf("parse integrated loudness %q: %w", f[1], perr)
			}
			lufs, haveI = v, true
		case f[0] == "Peak:" && len(f) >= 2 && inTP && !haveTP:
			v, perr := strconv.ParseFloat(f[1], 64)
			if perr != nil {
				return 0, 0, fmt.Errorf("parse true peak %q: %w", f[1], perr)
			}
			truePeak, haveTP = v, true
		}
	}
	if !haveI || !haveTP {
		return 0, 0, errors.New("incomplete ebur128 summary in ffmpeg output")
	}
	return lufs, truePeak, nil
}
