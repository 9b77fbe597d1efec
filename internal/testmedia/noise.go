package testmedia

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// NoiseKind names a synthetic noise.
type NoiseKind string

// The noise kinds of the measurement set.
const (
	White  NoiseKind = "white"  // Gaussian white noise
	Pink   NoiseKind = "pink"   // 1/f noise (Paul Kellet's refined filter on white)
	Hum    NoiseKind = "hum"    // 60 Hz mains hum with harmonics at 120, 180, 240 Hz
	Fan    NoiseKind = "fan"    // brown + pink + 93 Hz amplitude-modulated tone
	Babble NoiseKind = "babble" // 6 espeak-ng voices talking over each other
)

// AllNoise returns every noise kind, in the order white, pink, hum, fan,
// babble.
func AllNoise() []NoiseKind { return []NoiseKind{White, Pink, Hum, Fan, Babble} }

// Noise returns n samples (mono, Rate) of the given kind, normalized to unit
// RMS, deterministic for a given seed. Babble needs espeak-ng and ffmpeg: the
// six voices are synthesized once per process (and cached on disk); call
// WarmBabble first to get an error instead of a panic when they are missing.
// Noise panics on an unknown kind or when babble cannot be generated. It
// allocates only the result (an hour is 660 MiB).
func Noise(kind NoiseKind, n int, seed int64) []float32 {
	if n <= 0 {
		return []float32{}
	}
	// Each kind gets its own stream so that kinds are independent for the
	// same seed.
	rng := func(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), stream)) }
	out := make([]float32, n)
	switch kind {
	case White:
		fill(out, whiteGen{rng(1)})
	case Pink:
		fill(out, newPink(rng(2)))
	case Hum:
		hum(rng(3), out)
	case Fan:
		fill(out, newFan(rng(4)))
	case Babble:
		if err := babble(rng(5), out); err != nil {
			panic(fmt.Sprintf("testmedia: babble noise: %v (call WarmBabble to get this as an error)", err))
		}
	default:
		panic(fmt.Sprintf("testmedia: unknown noise kind %q", kind))
	}
	normalize(out)
	return out
}

// generator produces one sample at a time.
type generator interface{ next() float64 }

func fill(out []float32, g generator) {
	for i := range out {
		out[i] = float32(g.next())
	}
}

// normalize scales x in place to unit RMS.
func normalize(x []float32) {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	if s == 0 {
		return
	}
	g := 1 / math.Sqrt(s/float64(len(x)))
	for i, v := range x {
		x[i] = float32(float64(v) * g)
	}
}

type whiteGen struct{ r *rand.Rand }

func (w whiteGen) next() float64 { return w.r.NormFloat64() }

// Paul Kellet's refined pink filter: six one-pole sections plus direct terms
// on unit white noise (±0.05 dB of 1/f above ~9 Hz).
var (
	pinkPoles = [6]float64{0.99886, 0.99332, 0.96900, 0.86650, 0.55000, -0.7616}
	pinkGains = [6]float64{0.0555179, 0.0750759, 0.1538520, 0.3104856, 0.5329522, -0.0168980}
)

const (
	pinkDirect = 0.5362   // times w[n]
	pinkDelay  = 0.115926 // times w[n-1]
	noiseWarm  = 1 << 14  // samples run before output, so there is no start transient
)

// pinkRMS is the exact steady-state RMS of the pink filter on unit white
// noise, so that components can be weighted without a measuring pass.
var pinkRMS = func() float64 {
	v := pinkDirect*pinkDirect + pinkDelay*pinkDelay
	for i := range pinkPoles {
		for j := range pinkPoles {
			v += pinkGains[i] * pinkGains[j] / (1 - pinkPoles[i]*pinkPoles[j])
		}
		// cov(y_i[n], w[n]) = g_i, cov(y_i[n], w[n-1]) = a_i g_i
		v += 2 * pinkGains[i] * (pinkDirect + pinkDelay*pinkPoles[i])
	}
	return math.Sqrt(v)
}()

type pinkGen struct {
	r    *rand.Rand
	b    [6]float64
	prev float64
}

func newPink(r *rand.Rand) *pinkGen {
	p := &pinkGen{r: r}
	for range noiseWarm {
		p.next()
	}
	return p
}

func (p *pinkGen) next() float64 {
	w := p.r.NormFloat64()
	y := pinkDirect*w + pinkDelay*p.prev
	for i := range p.b {
		p.b[i] = pinkPoles[i]*p.b[i] + pinkGains[i]*w
		y += p.b[i]
	}
	p.prev = w
	return y
}

// brownGen integrates white noise with a leak so it stays bounded and has no
// DC drift: 1/f^2 above a 150 Hz corner, flat below (as ffmpeg's anoisesrc
// color=brown at 48 kHz), so its power is audible rather than sub-sonic.
type brownGen struct {
	r       *rand.Rand
	leak, y float64
}

func newBrown(r *rand.Rand) *brownGen {
	b := &brownGen{r: r, leak: math.Exp(-2 * math.Pi * 150 / Rate)}
	for range noiseWarm {
		b.next()
	}
	return b
}

func (b *brownGen) next() float64 {
	b.y = b.leak*b.y + b.r.NormFloat64()
	return b.y
}

// rms is the steady-state RMS of the leaky integrator on unit white noise.
func (b *brownGen) rms() float64 { return 1 / math.Sqrt(1-b.leak*b.leak) }

// hum writes 60 Hz mains hum with decreasing harmonics and random phases.
// All components repeat every 800 samples at 48 kHz, so one period is
// computed and tiled.
func hum(r *rand.Rand, out []float32) {
	amps := [...]float64{1, 0.5, 0.3, 0.2}
	var ph [len(amps)]float64
	for k := range ph {
		ph[k] = 2 * math.Pi * r.Float64()
	}
	period := make([]float32, Rate/60)
	for i := range period {
		t := float64(i) / Rate
		var s float64
		for k, a := range amps {
			s += a * math.Sin(2*math.Pi*60*float64(k+1)*t+ph[k])
		}
		period[i] = float32(s)
	}
	for i := 0; i < len(out); i += len(period) {
		copy(out[i:], period)
	}
}

// oscillator generates sin(phase0 + i*step) by rotating a phasor, exact to
// ~1e-12 thanks to renormalization every 1024 samples.
type oscillator struct {
	re, im, cr, ci float64
	n              int
}

func newOscillator(freq, phase float64) *oscillator {
	s, c := math.Sincos(phase)
	ds, dc := math.Sincos(2 * math.Pi * freq / Rate)
	return &oscillator{re: c, im: s, cr: dc, ci: ds}
}

func (o *oscillator) next() float64 {
	v := o.im
	o.re, o.im = o.re*o.cr-o.im*o.ci, o.re*o.ci+o.im*o.cr
	if o.n++; o.n&1023 == 0 {
		m := math.Hypot(o.re, o.im)
		o.re, o.im = o.re/m, o.im/m
	}
	return v
}

// fanGen is a fan/air-handling noise: brown (weight 1) + pink (0.5) + a
// 93 Hz blade tone (0.4) amplitude-modulated at 1.7 Hz, each unit RMS
// before weighting (by their steady-state RMS).
type fanGen struct {
	brown         *brownGen
	pink          *pinkGen
	am, carrier   *oscillator
	gb, gp, gTone float64
}

func newFan(r *rand.Rand) *fanGen {
	f := &fanGen{
		brown:   newBrown(r),
		pink:    newPink(r),
		am:      newOscillator(1.7, 2*math.Pi*r.Float64()),
		carrier: newOscillator(93, 2*math.Pi*r.Float64()),
	}
	f.gb = 1 / f.brown.rms()
	f.gp = 0.5 / pinkRMS
	// E[(1 + 0.5 sin a)^2 sin^2 c] = (1 + 0.125) / 2
	f.gTone = 0.4 / math.Sqrt(1.125/2)
	return f
}

func (f *fanGen) next() float64 {
	tone := (1 + 0.5*f.am.next()) * f.carrier.next()
	return f.gb*f.brown.next() + f.gp*f.pink.next() + f.gTone*tone
}

// babblePhrases are spoken by the babble voices; none of them is in the
// default Speech phrases, so babble does not correlate with the target.
var babblePhrases = []string{
	"The train was late again so I walked the last two miles.",
	"Did you see the match last night? It went to penalties.",
	"I think the budget meeting moved to Thursday afternoon.",
	"My sister adopted a cat that only eats fish.",
	"We should book the tickets before the prices go up.",
	"The new cafe on the corner makes excellent pastries.",
	"He forgot his keys and had to climb through the window.",
	"Can you send me the slides after the call?",
	"The weather forecast says rain for the whole weekend.",
	"They painted the kitchen a very bright shade of green.",
	"I have been reading a long novel about sailors.",
	"Let's meet at the station at half past seven.",
}

// babbleVoices are the six talkers.
var babbleVoices = []synthReq{
	{voice: "en-us+m1", speed: 165},
	{voice: "en-us+f2", speed: 175},
	{voice: "en-gb+m3", speed: 160},
	{voice: "en-us+f4", speed: 170},
	{voice: "en-gb-x-rp+m7", speed: 155},
	{voice: "en-029+f1", speed: 168},
}

var babbleCache struct {
	sync.Mutex
	streams [][]float32
}

// WarmBabble synthesizes the babble voices now (once per process: a success
// is kept, a failure is retried by the next call). Call it in tests before
// Noise(Babble, ...) to get a missing espeak-ng or ffmpeg as an error rather
// than a panic.
func WarmBabble(ctx context.Context) error {
	_, err := babbleStreams(ctx)
	return err
}

func babbleStreams(ctx context.Context) ([][]float32, error) {
	babbleCache.Lock()
	defer babbleCache.Unlock()
	if babbleCache.streams != nil {
		return babbleCache.streams, nil
	}
	s, err := makeBabble(ctx)
	if err != nil {
		return nil, err
	}
	babbleCache.streams = s
	return s, nil
}

// makeBabble renders each voice as a continuous stream: six different
// sentences with 150 ms gaps.
func makeBabble(ctx context.Context) ([][]float32, error) {
	const perVoice = 6
	var reqs []synthReq
	for v, bv := range babbleVoices {
		for k := 0; k < perVoice; k++ {
			r := bv
			r.text = babblePhrases[(2*v+k)%len(babblePhrases)]
			reqs = append(reqs, r)
		}
	}
	phrases, err := synthAll(ctx, reqs)
	if err != nil {
		return nil, err
	}
	gap := int(0.15 * Rate)
	streams := make([][]float32, len(babbleVoices))
	for v := range babbleVoices {
		var s []float32
		for k := 0; k < perVoice; k++ {
			s = append(s, phrases[v*perVoice+k].samples...)
			s = append(s, make([]float32, gap)...)
		}
		streams[v] = s
	}
	return streams, nil
}

// babble writes the sum of the six voice streams, each looped from a random
// offset with a random gain of ±3 dB.
func babble(r *rand.Rand, out []float32) error {
	streams, err := babbleStreams(context.Background())
	if err != nil {
		return err
	}
	offs := make([]int, len(streams))
	gains := make([]float64, len(streams))
	for v, s := range streams {
		offs[v] = r.IntN(len(s))
		gains[v] = math.Pow(10, (r.Float64()*6-3)/20)
	}
	for i := range out {
		var sum float64
		for v, s := range streams {
			sum += gains[v] * float64(s[offs[v]])
			if offs[v]++; offs[v] == len(s) {
				offs[v] = 0
			}
		}
		out[i] = float32(sum)
	}
	return nil
}

// Mix returns clean + noise, with the noise scaled so that the SNR (RMS of
// clean over its active speech, as found by DetectSpeech, over the RMS of
// the noise samples used) is snrDB. The result has len(clean); noise is
// looped if it is shorter. If clean has no active speech, the result is a
// copy of clean. On the default Speech material (60% speech) the SI-SDR of
// the unprocessed mix is snrDB - 2.2 dB, and the noise floor in the pauses
// sits at -20.2 - snrDB dBFS.
func Mix(clean, noise []float32, snrDB float64) []float32 {
	out := append([]float32(nil), clean...)
	if len(clean) == 0 || len(noise) == 0 {
		return out
	}
	var ss float64
	var sn int
	for _, r := range detectRuns(clean, int(math.Round(splitGap*Rate))) {
		for _, v := range clean[r[0]:r[1]] {
			ss += float64(v) * float64(v)
		}
		sn += r[1] - r[0]
	}
	var ns float64
	for i := range clean {
		v := float64(noise[i%len(noise)])
		ns += v * v
	}
	if sn == 0 || ss == 0 || ns == 0 {
		return out
	}
	speechRMS := math.Sqrt(ss / float64(sn))
	noiseRMS := math.Sqrt(ns / float64(len(clean)))
	g := speechRMS / noiseRMS * math.Pow(10, -snrDB/20)
	for i := range out {
		out[i] = float32(float64(out[i]) + g*float64(noise[i%len(noise)]))
	}
	return out
}
