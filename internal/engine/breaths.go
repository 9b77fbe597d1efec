package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Breath detection: conservative on purpose. A breath is a run of 10 ms
// frames whose level sits 18-45 dB under the speech level (the 95th
// percentile frame level) and over the noise floor, with most of its
// energy above 1 kHz; frames within 30 ms of speech are never touched,
// and what is left must last 150-700 ms. Fricatives ("s", "sh") are as
// bright as breaths but sit next to vowels and are louder, so they fail.
const (
	breathRate     = 16000
	breathFrame    = 0.010 // s
	breathGuard    = 3     // frames (30 ms) kept clear of speech
	breathMinDur   = 0.150
	breathMaxDur   = 0.700
	breathUnderMin = 18.0 // dB under the speech level, at least
	breathUnderMax = 45.0 // and at most
	breathOverNF   = 6.0  // dB over the noise floor, at least
	breathHFShare  = 0.6  // share of a frame's energy above 1 kHz
	breathSpeechDB = 20.0 // a frame within this of the speech level is speech
	breathAttenDB  = -20.0
	breathRamp     = 0.010 // s
)

// DetectBreaths finds breaths in x (mono, rate) and returns their ranges
// in seconds. Pure.
func DetectBreaths(x []float32, rate int) []Range {
	n := int(breathFrame * float64(rate))
	if n <= 0 || len(x) < n {
		return nil
	}
	hp := butterworth(float64(rate), 1000, true)
	nf := len(x) / n
	level := make([]float64, nf)
	hf := make([]float64, nf)
	for f := 0; f < nf; f++ {
		var e, eh float64
		for _, v := range x[f*n : (f+1)*n] {
			s := float64(v)
			y := hp.step(s)
			e += s * s
			eh += y * y
		}
		level[f] = 10 * math.Log10(e/float64(n)+1e-20)
		hf[f] = eh / (e + 1e-20)
	}
	sorted := append([]float64(nil), level...)
	sort.Float64s(sorted)
	speechLvl := sorted[nf*95/100]
	floor := sorted[nf*10/100]
	if speechLvl-floor < breathUnderMin+breathOverNF {
		return nil // no speech standing over the floor
	}
	breathy := make([]bool, nf)
	speech := make([]bool, nf)
	for f := range level {
		under := speechLvl - level[f]
		breathy[f] = under >= breathUnderMin && under <= breathUnderMax && level[f] >= floor+breathOverNF && hf[f] >= breathHFShare
		speech[f] = under < breathSpeechDB && !breathy[f] || under < breathUnderMin
	}
	// Never within the guard of speech.
	near := make([]bool, nf)
	for f := range speech {
		if speech[f] {
			for g := max(0, f-breathGuard); g <= min(nf-1, f+breathGuard); g++ {
				near[g] = true
			}
		}
	}
	var out []Range
	for f := 0; f < nf; {
		if !breathy[f] || near[f] {
			f++
			continue
		}
		s := f
		for f < nf && breathy[f] && !near[f] {
			f++
		}
		d := float64(f-s) * breathFrame
		if d >= breathMinDur && d <= breathMaxDur {
			out = append(out, Range{Start: float64(s*n) / float64(rate), End: float64(f*n) / float64(rate)})
		}
	}
	return out
}

// butterworth is a 2nd-order Butterworth high- or low-pass at hz
// (bilinear transform).
func butterworth(rate, hz float64, high bool) biquad {
	w := math.Tan(math.Pi * hz / rate)
	k := 1 / (1 + math.Sqrt2*w + w*w)
	f := biquad{b0: w * w * k, b1: 2 * w * w * k, b2: w * w * k, a1: 2 * (w*w - 1) * k, a2: (1 - math.Sqrt2*w + w*w) * k}
	if high {
		f.b0, f.b1, f.b2 = k, -2*k, k
	}
	return f
}

// breathVolume is a volume filter lowering rs by breathAttenDB with
// breathRamp ramps inside each range; it needs short frames before it.
func breathVolume(rs []Range) string {
	a := 1 - math.Pow(10, breathAttenDB/20)
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("(1-%s*clip(min((t-%s)/%s,(%s-t)/%s),0,1))",
			fnum(a), fnum(r.Start), fnum(breathRamp), fnum(r.End), fnum(breathRamp)))
	}
	return "asetnsamples=n=64:p=0,volume='" + strings.Join(parts, "*") + "':eval=frame"
}

// detectBreaths decodes src's audio to mono and finds its breaths.
func (e *Engine) detectBreaths(ctx context.Context, src string) ([]Range, error) {
	var buf bytes.Buffer
	if err := e.decodeF32(ctx, src, breathRate, 1, &buf); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return DetectBreaths(x, breathRate), nil
}

// breathNote says what the breath pass did.
func breathNote(rs []Range) string {
	if len(rs) == 0 {
		return "no breaths found between phrases: nothing lowered"
	}
	total := 0.0
	for _, r := range rs {
		total += r.End - r.Start
	}
	return fmt.Sprintf("%d breath(s) between phrases lowered by %g dB (%.1f s in all)", len(rs), -breathAttenDB, total)
}
