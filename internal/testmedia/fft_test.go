package testmedia

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

func naiveDFT(x []complex128, inverse bool) []complex128 {
	n := len(x)
	out := make([]complex128, n)
	sign := -1.0
	if inverse {
		sign = 1
	}
	for k := range out {
		var s complex128
		for j, v := range x {
			s += v * cmplx.Exp(complex(0, sign*2*math.Pi*float64(j*k%n)/float64(n)))
		}
		if inverse {
			s /= complex(float64(n), 0)
		}
		out[k] = s
	}
	return out
}

func TestFFTMatchesDFT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 4, 8, 16, 64, 256, 1024} {
		for _, inverse := range []bool{false, true} {
			x := make([]complex128, n)
			for i := range x {
				x[i] = complex(r.NormFloat64(), r.NormFloat64())
			}
			want := naiveDFT(x, inverse)
			got := append([]complex128(nil), x...)
			fft(got, inverse)
			var maxErr float64
			for i := range got {
				maxErr = max(maxErr, cmplx.Abs(got[i]-want[i]))
			}
			if tol := 1e-9 * float64(n); maxErr > tol {
				t.Errorf("n=%d inverse=%v: max error %g > %g", n, inverse, maxErr, tol)
			}
		}
	}
}

func TestFFTRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]complex128, 1<<16)
	for i := range x {
		x[i] = complex(r.NormFloat64(), 0)
	}
	y := append([]complex128(nil), x...)
	fft(y, false)
	fft(y, true)
	for i := range x {
		if d := cmplx.Abs(x[i] - y[i]); d > 1e-9 {
			t.Fatalf("sample %d: round trip error %g", i, d)
		}
	}
}

func TestFFTPanicsOnBadLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("fft of length 12 did not panic")
		}
	}()
	fft(make([]complex128, 12), false)
}

func directXcorr(a, b []float32, maxLag int) []float64 {
	c := make([]float64, 2*maxLag+1)
	for k := range c {
		l := k - maxLag
		for n := range a {
			if m := n + l; m >= 0 && m < len(b) {
				c[k] += float64(a[n]) * float64(b[m])
			}
		}
	}
	return c
}

func TestXcorrMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	randSig := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	cases := []struct{ na, nb, lag int }{
		{1, 1, 0}, {10, 7, 3}, {100, 100, 16}, {100, 130, 17},
		{5000, 4000, 40},    // FFT path, single block
		{40000, 39000, 100}, // several blocks
		{3000, 5000, 2500},
		{3000, 3000, 5000}, // lag range beyond both signals
		{30000, 500, 300},  // b much shorter
	}
	for _, c := range cases {
		a, b := randSig(c.na), randSig(c.nb)
		got := xcorr(a, b, c.lag)
		want := directXcorr(a, b, c.lag)
		if len(got) != len(want) {
			t.Fatalf("%+v: len %d, want %d", c, len(got), len(want))
		}
		var maxErr float64
		for i := range got {
			maxErr = max(maxErr, math.Abs(got[i]-want[i]))
		}
		if tol := 1e-8 * float64(c.na); maxErr > tol {
			t.Errorf("%+v: max error %g > %g", c, maxErr, tol)
		}
	}
}
