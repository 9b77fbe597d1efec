package testmedia

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bandDB returns the power (dB) of x in [lo, hi) Hz from one 2^16 FFT of its
// start (Hann-windowed).
func bandDB(x []float32, lo, hi float64) float64 {
	const n = 1 << 16
	buf := make([]complex128, n)
	for i := range buf {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/n)
		buf[i] = complex(w*float64(x[i]), 0)
	}
	fft(buf, false)
	var s float64
	for k := int(lo * n / Rate); k < int(hi*n/Rate); k++ {
		s += real(buf[k])*real(buf[k]) + imag(buf[k])*imag(buf[k])
	}
	return 10 * math.Log10(s)
}

func TestNoiseBasics(t *testing.T) {
	const n = 3 * Rate
	for _, kind := range []NoiseKind{White, Pink, Hum, Fan} {
		x := Noise(kind, n, 42)
		if len(x) != n {
			t.Fatalf("%s: len %d, want %d", kind, len(x), n)
		}
		if got := RMSdB(x); math.Abs(got) > 0.001 {
			t.Errorf("%s: RMS %.4f dB, want 0 (unit RMS)", kind, got)
		}
		if !slices.Equal(x, Noise(kind, n, 42)) {
			t.Errorf("%s: not deterministic for the same seed", kind)
		}
		if kind != Hum && slices.Equal(x, Noise(kind, n, 43)) {
			t.Errorf("%s: same output for different seeds", kind)
		}
		var mean float64
		for _, v := range x {
			mean += float64(v)
		}
		if mean /= n; math.Abs(mean) > 0.1 {
			t.Errorf("%s: DC %.3f", kind, mean)
		}
	}
	if got := Noise(White, 0, 1); len(got) != 0 {
		t.Errorf("n=0: len %d", len(got))
	}
	if slices.Equal(Noise(White, 1000, 1), Noise(Pink, 1000, 1)[:1000]) {
		t.Error("white and pink share a stream")
	}
}

func TestNoiseSpectra(t *testing.T) {
	const n = 1 << 16
	// Octave 200-400 Hz vs 3.2-6.4 kHz: white rises 12 dB over 4 octaves,
	// pink is flat per octave, brown-dominated fan falls steeply.
	octaves := func(x []float32) float64 { return bandDB(x, 3200, 6400) - bandDB(x, 200, 400) }
	if d := octaves(Noise(White, n, 1)); math.Abs(d-12.04) > 1 {
		t.Errorf("white: high-low octave %.2f dB, want ~12", d)
	}
	if d := octaves(Noise(Pink, n, 1)); math.Abs(d) > 1 {
		t.Errorf("pink: high-low octave %.2f dB, want ~0", d)
	}
	if d := octaves(Noise(Fan, n, 1)); d > -6 {
		t.Errorf("fan: high-low octave %.2f dB, want well below 0", d)
	}
	// Hum: nearly all power in 50-250 Hz.
	h := Noise(Hum, n, 1)
	if d := bandDB(h, 50, 250) - bandDB(h, 300, 20000); d < 30 {
		t.Errorf("hum: in-band minus out-of-band %.1f dB, want > 30", d)
	}
	// Fan: the 93 Hz tone stands out of its neighbourhood.
	f := Noise(Fan, n, 1)
	if d := bandDB(f, 90, 96) - bandDB(f, 100, 106); d < 6 {
		t.Errorf("fan: 93 Hz tone only %.1f dB above its neighbourhood", d)
	}
}

func TestNoisePanicsOnUnknownKind(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Noise("purple", 10, 1)
}

// tones returns a clean test signal with digital-silence pauses: 1 s of
// silence, then alternating 0.5-1.5 s tone bursts and pauses.
func tones(seconds float64) []float32 {
	x := make([]float32, int(seconds*Rate))
	on := false
	f := 220.0
	for i := Rate; i < len(x); {
		l := Rate/2 + (i/7)%Rate
		if on {
			for j := i; j < min(i+l, len(x)); j++ {
				x[j] = float32(0.5 * math.Sin(2*math.Pi*f*float64(j)/Rate))
			}
			f *= 1.3
		}
		on = !on
		i += l
	}
	return x
}

func checkMix(t *testing.T, name string, clean, noise []float32) {
	t.Helper()
	segs := DetectSpeech(clean, Rate)
	if len(segs) == 0 {
		t.Fatalf("%s: no speech detected in clean", name)
	}
	for _, snr := range []float64{0, 5, 10} {
		mixed := Mix(clean, noise, snr)
		if len(mixed) != len(clean) {
			t.Fatalf("%s: len %d, want %d", name, len(mixed), len(clean))
		}
		added := make([]float32, len(mixed))
		for i := range mixed {
			added[i] = mixed[i] - clean[i]
		}
		got := EnergyDB(clean, Rate, segs) - RMSdB(added)
		if math.Abs(got-snr) > 0.1 {
			t.Errorf("%s at %v dB: measured SNR %.3f dB", name, snr, got)
		}
	}
}

func TestMixSNR(t *testing.T) {
	clean := tones(12)
	for _, kind := range []NoiseKind{White, Pink, Hum, Fan} {
		checkMix(t, string(kind), clean, Noise(kind, len(clean), 7))
	}
	// Shorter noise is looped.
	checkMix(t, "looped", clean, Noise(White, Rate, 7))
	// No speech: clean is returned unchanged.
	silent := make([]float32, 100)
	if got := Mix(silent, Noise(White, 100, 1), 0); !slices.Equal(got, silent) {
		t.Error("silent clean: noise was added")
	}
}

func TestBabble(t *testing.T) {
	RequireEspeak(t)
	if err := WarmBabble(context.Background()); err != nil {
		t.Fatal(err)
	}
	const n = 10 * Rate
	x := Noise(Babble, n, 3)
	if got := RMSdB(x); math.Abs(got) > 0.001 {
		t.Errorf("babble RMS %.4f dB, want 0", got)
	}
	if !slices.Equal(x, Noise(Babble, n, 3)) {
		t.Error("babble not deterministic")
	}
	if slices.Equal(x, Noise(Babble, n, 4)) {
		t.Error("babble: same for different seeds")
	}
	// Six overlapping talkers: hardly any 100 ms window is quiet.
	quiet := 0
	win := Rate / 10
	for i := 0; i+win <= n; i += win {
		if RMSdB(x[i:i+win]) < -20 {
			quiet++
		}
	}
	if quiet > 2 {
		t.Errorf("babble has %d quiet 100 ms windows out of %d", quiet, n/win)
	}
	checkMix(t, "babble", tones(12), Noise(Babble, 12*Rate, 5))
}

func TestOscillator(t *testing.T) {
	o := newOscillator(93, 0.7)
	var maxErr float64
	for i := range 40 * Rate {
		want := math.Sin(2*math.Pi*93*float64(i)/Rate + 0.7)
		maxErr = max(maxErr, math.Abs(o.next()-want))
	}
	if maxErr > 1e-9 {
		t.Errorf("oscillator drifts from math.Sin by %g over 40 s", maxErr)
	}
}

func TestComponentRMS(t *testing.T) {
	// The analytic steady-state RMS used to weight fan components matches
	// measurement.
	const n = 20 * Rate
	r := rand.New(rand.NewPCG(1, 1))
	for name, g := range map[string]struct {
		gen  generator
		want float64
	}{
		"pink":  {newPink(r), pinkRMS},
		"brown": {newBrown(r), newBrown(r).rms()},
	} {
		var s float64
		for range n {
			v := g.gen.next()
			s += v * v
		}
		if got := math.Sqrt(s / n); math.Abs(20*math.Log10(got/g.want)) > 0.2 {
			t.Errorf("%s: measured RMS %.4f, analytic %.4f", name, got, g.want)
		}
	}
}
