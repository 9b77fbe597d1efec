package testmedia

import (
	"math"
	"math/bits"
	"sync"
)

// fft computes an in-place radix-2 complex FFT of x (len must be a power of
// two). inverse selects the inverse transform, which is scaled by 1/n.
func fft(x []complex128, inverse bool) {
	n := len(x)
	if n <= 1 {
		return
	}
	if n&(n-1) != 0 {
		panic("testmedia: fft length is not a power of two")
	}
	shift := 64 - uint(bits.TrailingZeros(uint(n)))
	for i := 0; i < n; i++ {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if j > i {
			x[i], x[j] = x[j], x[i]
		}
	}
	tw := twiddles(n)
	for size := 2; size <= n; size <<= 1 {
		half := size >> 1
		step := n / size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				w := tw[k*step]
				if inverse {
					w = complex(real(w), -imag(w))
				}
				a := x[start+k]
				b := x[start+k+half] * w
				x[start+k] = a + b
				x[start+k+half] = a - b
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

var twCache sync.Map // int -> []complex128

// twiddles returns exp(-2*pi*i*k/n) for k < n/2, cached per n (read-only).
func twiddles(n int) []complex128 {
	if v, ok := twCache.Load(n); ok {
		return v.([]complex128)
	}
	tw := make([]complex128, n/2)
	for k := range tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		tw[k] = complex(c, s)
	}
	v, _ := twCache.LoadOrStore(n, tw)
	return v.([]complex128)
}

func nextPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// xcorr returns c[k] = sum_n a[n]*b[n+k-maxLag] for k in [0, 2*maxLag], that
// is the cross-correlation at lags -maxLag..maxLag, where a positive lag means
// b is delayed relative to a. It works block-wise (overlap-save style) with
// FFTs sized to the lag range, so memory stays small for long signals, and
// computes directly when the lag range is tiny.
func xcorr(a, b []float32, maxLag int) []float64 {
	if maxLag < 0 {
		maxLag = 0
	}
	c := make([]float64, 2*maxLag+1)
	if len(a) == 0 || len(b) == 0 {
		return c
	}
	if maxLag <= 16 {
		for k := range c {
			l := k - maxLag
			lo, hi := overlap(len(a), len(b), l)
			var s float64
			for n := lo; n < hi; n++ {
				s += float64(a[n]) * float64(b[n+l])
			}
			c[k] = s
		}
		return c
	}
	span := 2 * maxLag
	size := nextPow2(4 * span)
	if size < 1<<14 {
		size = 1 << 14
	}
	// Do not use a block bigger than needed for short signals.
	if need := nextPow2(len(a) + span); need < size {
		size = need
	}
	block := size - span
	buf := make([]complex128, size)
	spec := make([]complex128, size)
	for s := 0; s < len(a); s += block {
		// Pack a block of a in the real part and the matching window of
		// b (shifted by -maxLag) in the imaginary part: one FFT for both.
		nonzero := false
		for m := 0; m < size; m++ {
			var re, im float64
			if m < block && s+m < len(a) {
				re = float64(a[s+m])
			}
			if j := s - maxLag + m; j >= 0 && j < len(b) {
				im = float64(b[j])
			}
			if re != 0 {
				nonzero = true
			}
			buf[m] = complex(re, im)
		}
		if !nonzero {
			continue
		}
		fft(buf, false)
		// A = (Z[k] + conj Z[n-k])/2, B = (Z[k] - conj Z[n-k])/(2i);
		// cross spectrum conj(A)*B.
		for k := 0; k < size; k++ {
			z := buf[k]
			zc := buf[(size-k)&(size-1)]
			zc = complex(real(zc), -imag(zc))
			A := (z + zc) * 0.5
			B := (z - zc) * complex(0, -0.5)
			spec[k] = complex(real(A), -imag(A)) * B
		}
		fft(spec, true)
		for k := range c {
			c[k] += real(spec[k])
		}
	}
	return c
}

// overlap returns the range of n for which both a[n] and b[n+l] exist.
func overlap(na, nb, l int) (lo, hi int) {
	lo = 0
	if -l > lo {
		lo = -l
	}
	hi = na
	if nb-l < hi {
		hi = nb - l
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}
