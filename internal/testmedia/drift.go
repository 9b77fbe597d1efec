package testmedia

import "math"

// Drift is x as a recorder whose clock runs ppm fast would hold it,
// started offset seconds earlier: the result's time = x's time *
// (1+ppm/1e6) + offset (cubic interpolation, mono at Rate).
func Drift(x []float32, ppm, offset float64) []float32 {
	f := 1 + ppm/1e6
	n := int(float64(len(x))*f + offset*Rate)
	y := make([]float32, max(n, 0))
	for i := range y {
		t := (float64(i)/Rate - offset) / f * Rate
		k := int(math.Floor(t))
		if k < 1 || k+2 >= len(x) {
			continue
		}
		u := t - float64(k)
		p0, p1, p2, p3 := float64(x[k-1]), float64(x[k]), float64(x[k+1]), float64(x[k+2])
		y[i] = float32(p1 + 0.5*u*(p2-p0+u*(2*p0-5*p1+4*p2-p3+u*(3*(p1-p2)+p3-p0))))
	}
	return y
}
