package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/cmplx"
	"slices"
	"strconv"
)

// ErrNoMatch is returned by Align when the two recordings do not share
// enough sound to be aligned with confidence.
var ErrNoMatch = errors.New("no confident alignment: the recordings do not seem to share the same sound")

// Alignment parameters.
const (
	// alignRate is the rate both signals are decoded at: 16 or 48 kHz gave
	// no better accuracy and cost 2-10x the time.
	alignRate = 8000
	// alignMaxSamples bounds each signal (2^21 samples, 4.4 minutes at
	// 8 kHz) so that the FFT (2^22 points, 64 MiB) stays affordable; the
	// start of each recording is used.
	alignMaxSamples = 1 << 21
	// alignExclude is the half-width around the best peak that the
	// next-best peak must lie outside.
	alignExclude = 0.005
	// alignMinConfidence is the lowest best/next-best peak ratio accepted:
	// correct answers measured 2.1-6.6.
	alignMinConfidence = 1.5
	// alignMaxConfidence caps the ratio (the next peak can be ~0).
	alignMaxConfidence = 1000
)

// Align estimates the offset of other relative to ref: offset > 0 means an
// event appears offset seconds later in other than in ref (other's time =
// ref's time + offset). Both are decoded to 8 kHz mono by ffmpeg and
// cross-correlated with one FFT, both plainly and with the PHAT weighting
// (GCC-PHAT); the one with the clearer peak wins, refined by parabolic
// interpolation. confidence is the best peak over the next-best peak more
// than 5 ms away. maxLag bounds the search in seconds (0 means half the
// shorter recording). Below a confidence of 1.5 the error wraps ErrNoMatch
// (offset and confidence are still returned). At most the first 4.4
// minutes of each recording are used.
func (e *Engine) Align(ctx context.Context, ref, other string, maxLag float64) (offset, confidence float64, err error) {
	a, err := e.decodeMono(ctx, ref, alignRate, alignMaxSamples)
	if err != nil {
		return 0, 0, err
	}
	b, err := e.decodeMono(ctx, other, alignRate, alignMaxSamples)
	if err != nil {
		return 0, 0, err
	}
	if len(a) < alignRate/10 || len(b) < alignRate/10 {
		return 0, 0, fmt.Errorf("%w: a recording is shorter than 0.1 s", ErrNoMatch)
	}
	lag := int(math.Round(maxLag * alignRate))
	if maxLag <= 0 {
		lag = min(len(a), len(b)) / 2
	}
	lagSamples, conf := alignSamples(a, b, lag)
	offset = lagSamples / alignRate
	if conf < alignMinConfidence {
		return offset, conf, fmt.Errorf("%w (peak ratio %.2f, need %.1f)", ErrNoMatch, conf, alignMinConfidence)
	}
	return offset, conf, nil
}

// decodeMono decodes the first audio stream of path to mono float32 at
// rate, keeping at most maxSamples.
func (e *Engine) decodeMono(ctx context.Context, path string, rate, maxSamples int) ([]float32, error) {
	limit := strconv.FormatFloat(float64(maxSamples)/float64(rate)+1, 'f', 3, 64)
	args := ffmpegArgs(slices.Concat([]string{"-v", "error"}, input(path), []string{"-map", "0:a:0", "-vn", "-ac", "1", "-ar", strconv.Itoa(rate),
		"-t", limit, "-f", "f32le", "pipe:1"})...)
	d := &f32Collector{max: maxSamples}
	if _, err := e.run(ctx, "decode for alignment", e.ffmpeg, args, nil, d); err != nil {
		return nil, err
	}
	return d.out, nil
}

// f32Collector is an io.Writer collecting little-endian float32 samples,
// at most max of them.
type f32Collector struct {
	out  []float32
	max  int
	part [4]byte
	np   int
}

func (d *f32Collector) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && len(d.out) < d.max {
		if d.np > 0 || len(p) < 4 {
			c := copy(d.part[d.np:], p)
			d.np += c
			p = p[c:]
			if d.np == 4 {
				d.out = append(d.out, math.Float32frombits(binary.LittleEndian.Uint32(d.part[:])))
				d.np = 0
			}
			continue
		}
		d.out = append(d.out, math.Float32frombits(binary.LittleEndian.Uint32(p)))
		p = p[4:]
	}
	return n, nil
}

// alignSamples returns the lag (in samples, fractional) of b relative to a
// within ±maxLag and its confidence: both the plain cross-correlation and
// GCC-PHAT are computed from one forward and one inverse FFT, and the one
// with the larger peak ratio is used.
func alignSamples(a, b []float32, maxLag int) (lag, confidence float64) {
	n := alignNextPow2(len(a) + len(b))
	maxLag = max(min(maxLag, len(a)+len(b)-2, n/2-1), 0)
	// Pack a (real part) and b (imaginary part), mean removed, into one
	// complex FFT.
	z := make([]complex128, n)
	ma, mb := alignMean(a), alignMean(b)
	for i, v := range a {
		z[i] = complex(float64(v)-ma, 0)
	}
	for i, v := range b {
		z[i] = complex(real(z[i]), float64(v)-mb)
	}
	alignFFT(z, false)
	// Per pair (k, n-k): A = (Z[k] + conj(Z[n-k]))/2, B = (Z[k] -
	// conj(Z[n-k]))/2i; cross spectrum X = conj(A)*B, whose inverse is
	// c[k] = sum a[i] b[i+k]. Both X and X/|X| have real inverses, so
	// W = X + i*X/|X| inverts to plain + i*PHAT correlations.
	var peak float64
	cross := func(zk, znk complex128) complex128 {
		ak := (zk + cmplx.Conj(znk)) / 2
		bk := (zk - cmplx.Conj(znk)) / complex(0, 2)
		return cmplx.Conj(ak) * bk
	}
	for k := 0; k <= n/2; k++ {
		nk := (n - k) % n
		xk := cross(z[k], z[nk])
		xnk := cross(z[nk], z[k])
		peak = max(peak, cmplx.Abs(xk))
		z[k] = xk
		z[nk] = xnk
	}
	// PHAT weighting, with a floor so that empty bins do not blow up. The
	// plain spectrum is scaled to a peak of 1 like the PHAT one, so that
	// neither drowns the other's rounding.
	if peak == 0 {
		return 0, 0
	}
	eps := peak * 1e-9
	for k := range z {
		x := z[k]
		m := cmplx.Abs(x)
		z[k] = x/complex(peak, 0) + complex(0, 1)*x/complex(m+eps, 0)
	}
	alignFFT(z, true)
	plain := make([]float64, 2*maxLag+1)
	phat := make([]float64, 2*maxLag+1)
	for l := -maxLag; l <= maxLag; l++ {
		v := z[(l+n)%n]
		plain[l+maxLag] = real(v)
		phat[l+maxLag] = imag(v)
	}
	excl := int(math.Ceil(alignExclude * alignRate))
	lp, cp := peakLag(plain, excl)
	lg, cg := peakLag(phat, excl)
	if cg > cp {
		return lg - float64(maxLag), cg
	}
	return lp - float64(maxLag), cp
}

// peakLag finds the largest |c|, refines its index by parabolic
// interpolation, and returns it with the ratio of its height to the
// largest |c| more than excl samples away.
func peakLag(c []float64, excl int) (idx, ratio float64) {
	best := 0
	for i, v := range c {
		if math.Abs(v) > math.Abs(c[best]) {
			best = i
		}
	}
	top := math.Abs(c[best])
	next := 0.0
	for i, v := range c {
		if i < best-excl || i > best+excl {
			next = max(next, math.Abs(v))
		}
	}
	idx = float64(best)
	if best > 0 && best < len(c)-1 {
		s := 1.0
		if c[best] < 0 {
			s = -1
		}
		y0, y1, y2 := s*c[best-1], s*c[best], s*c[best+1]
		if d := y0 - 2*y1 + y2; d < 0 {
			idx += 0.5 * (y0 - y2) / d
		}
	}
	switch {
	case top == 0:
		ratio = 0
	case next == 0 || top/next > alignMaxConfidence:
		ratio = alignMaxConfidence
	default:
		ratio = top / next
	}
	return idx, ratio
}

func alignMean(x []float32) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(len(x))
}

func alignNextPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// alignFFT computes an in-place radix-2 complex FFT of x, whose length must be
// a power of two; inverse selects the inverse transform, scaled by 1/n.
func alignFFT(x []complex128, inverse bool) {
	n := len(x)
	if n <= 1 {
		return
	}
	shift := 64 - uint(bits.TrailingZeros(uint(n)))
	for i := 0; i < n; i++ {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if j > i {
			x[i], x[j] = x[j], x[i]
		}
	}
	// Twiddles for the largest stage; smaller stages stride through them.
	tw := make([]complex128, n/2)
	for k := range tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		if inverse {
			s = -s
		}
		tw[k] = complex(c, s)
	}
	for size := 2; size <= n; size <<= 1 {
		half := size >> 1
		step := n / size
		for start := 0; start < n; start += size {
			blk := x[start : start+size]
			for k := 0; k < half; k++ {
				t := blk[k+half] * tw[k*step]
				u := blk[k]
				blk[k] = u + t
				blk[k+half] = u - t
			}
		}
	}
	if inverse {
		s := 1 / float64(n)
		for i := range x {
			x[i] = complex(real(x[i])*s, imag(x[i])*s)
		}
	}
}
