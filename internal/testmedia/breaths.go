package testmedia

import (
	"math"
	"math/rand"
)

// AddBreaths puts a synthetic breath in the middle of every pause of 0.7 s
// or more between the speech segments of x (mono, Rate): Gaussian noise
// band-passed to 1-5 kHz (two 2-pole Butterworth high-passes at 1 kHz and
// two low-passes at 5 kHz), 300, 400 or 500 ms long in turn, shaped with a
// sin² window (fade in and out), underDB under the speech's RMS. It
// changes x in place and returns where the breaths are. Deterministic for
// a given seed.
func AddBreaths(x []float32, speech []Segment, underDB float64, seed int64) []Segment {
	lvl := math.Pow(10, (EnergyDB(x, Rate, speech)-underDB)/20)
	rng := rand.New(rand.NewSource(seed))
	var at []Segment
	for i := 1; i < len(speech); i++ {
		gap := speech[i].Start - speech[i-1].End
		if gap < 0.7 {
			continue
		}
		d := 0.3 + 0.1*float64(len(at)%3)
		s := speech[i-1].End + (gap-d)/2
		n := int(d * Rate)
		b := make([]float64, n)
		for j := range b {
			b[j] = rng.NormFloat64()
		}
		for range 2 {
			butter2(b, 1000, true)
			butter2(b, 5000, false)
		}
		var e float64
		for j := range b {
			w := math.Sin(math.Pi * float64(j) / float64(n))
			b[j] *= w * w
			e += b[j] * b[j]
		}
		g := lvl / math.Sqrt(e/float64(n))
		o := int(s * Rate)
		for j := range b {
			x[o+j] += float32(g * b[j])
		}
		at = append(at, Segment{Start: s, End: s + d})
	}
	return at
}

// butter2 filters x in place with a 2-pole Butterworth high- or low-pass
// at hz (RBJ cookbook, Q = 1/√2).
func butter2(x []float64, hz float64, high bool) {
	w0 := 2 * math.Pi * hz / Rate
	alpha := math.Sin(w0) / math.Sqrt2
	c := math.Cos(w0)
	a0 := 1 + alpha
	b0, b1 := (1-c)/2, 1-c
	if high {
		b0, b1 = (1+c)/2, -(1 + c)
	}
	b0, b1, b2 := b0/a0, b1/a0, b0/a0
	a1, a2 := -2*c/a0, (1-alpha)/a0
	var x1, x2, y1, y2 float64
	for i, v := range x {
		y := b0*v + b1*x1 + b2*x2 - a1*y1 - a2*y2
		x2, x1, y2, y1 = x1, v, y1, y
		x[i] = y
	}
}
