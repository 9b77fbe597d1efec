package engine

import (
	"context"
	"math"
	"math/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// powerAt is the mean power of x (mono, rate) at freq (Goertzel over the
// whole signal, normalized by length), in dB.
func powerAt(x []float32, rate int, freq float64) float64 {
	c := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, v := range x {
		s := float64(v) + c*s1 - s2
		s2, s1 = s1, s
	}
	p := (s1*s1 + s2*s2 - c*s1*s2) / float64(len(x)*len(x))
	return 10 * math.Log10(p+1e-30)
}

// bandDB is the mean power of x over freqs spaced across [lo, hi], in dB.
func bandDB(x []float32, rate int, lo, hi float64) float64 {
	var sum float64
	const n = 24
	for i := 0; i < n; i++ {
		f := lo + (hi-lo)*(float64(i)+0.5)/n
		sum += math.Pow(10, powerAt(x, rate, f)/10)
	}
	return 10 * math.Log10(sum/n)
}

// peakHz is the frequency of the strongest component of x in [lo, hi].
func peakHz(x []float32, rate int, lo, hi float64) float64 {
	best, at := -1e9, 0.0
	for f := lo; f <= hi; f += 1 {
		if p := powerAt(x, rate, f); p > best {
			best, at = p, f
		}
	}
	return at
}

func sine(n int, freq, amp float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*freq*float64(i)/testmedia.Rate))
	}
	return x
}

func opsCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// effects applies f to x (channels interleaved) and reads the result back.
func effects(t *testing.T, e *Engine, x []float32, channels int, f Effects) ([]float32, *MediaInfo, []string) {
	t.Helper()
	mi := chainWrite(t, e, "in.wav", x, channels)
	out, remove, notes, err := e.ApplyEffects(opsCtx(t), mi, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	y, err := testmedia.ReadPCM(opsCtx(t), e.FFmpeg(), out.Path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(out.Duration-mi.Duration) > 0.01 {
		t.Errorf("effects changed the length: %.3f -> %.3f s", mi.Duration, out.Duration)
	}
	return y, out, notes
}

func deinterleave(x []float32) (l, r []float32) {
	for i := 0; i+1 < len(x); i += 2 {
		l, r = append(l, x[i]), append(r, x[i+1])
	}
	return l, r
}

// TestSpeedKeepsPitch: 1.5x on a 440 Hz tone gives 2/3 of the length and
// the same pitch; 0.5x doubles it; a range speeds up only that range.
func TestSpeedKeepsPitch(t *testing.T) {
	e := chainEngine(t)
	x := sine(4*testmedia.Rate, 440, 0.3)
	mi := chainWrite(t, e, "tone.wav", x, 1)
	for _, tc := range []struct {
		ts   []Tempo
		want float64
	}{
		{[]Tempo{{Factor: 1.5}}, 4 / 1.5},
		{[]Tempo{{Factor: 0.5}}, 8},
		{[]Tempo{{Range: Range{Start: 1, End: 3}, Factor: 2}}, 3},
	} {
		p, d, err := e.ApplyTempo(opsCtx(t), mi.Path, testmedia.Rate, 1, 4, tc.ts)
		if err != nil {
			t.Fatal(err)
		}
		y, err := testmedia.ReadPCM(opsCtx(t), e.FFmpeg(), p, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := float64(len(y)) / testmedia.Rate
		mid := y[len(y)/2-testmedia.Rate/4 : len(y)/2+testmedia.Rate/4]
		pk := peakHz(mid, testmedia.Rate, 300, 700)
		t.Logf("%+v: %.3f s (want %.3f), peak %.0f Hz", tc.ts, got, tc.want, pk)
		if math.Abs(got-tc.want) > 0.03 || math.Abs(d-got) > 0.001 {
			t.Errorf("%+v: length %.3f s (reported %.3f), want %.3f", tc.ts, got, d, tc.want)
		}
		if math.Abs(pk-440) > 3 {
			t.Errorf("%+v: pitch moved to %.0f Hz", tc.ts, pk)
		}
	}
}

// TestChannelsAndBalance: mono<->stereo by channel count; a pan lowers
// the other side by its amount; balancing levels two unequal channels.
func TestChannelsAndBalance(t *testing.T) {
	e := chainEngine(t)
	mono := sine(testmedia.Rate, 440, 0.3)
	_, out, _ := effects(t, e, mono, 1, Effects{Channels: 2})
	if out.Channels != 2 {
		t.Errorf("stereo: %d channels", out.Channels)
	}
	st := make([]float32, 2*testmedia.Rate)
	for i := 0; i < testmedia.Rate; i++ {
		st[2*i], st[2*i+1] = mono[i], 0.25*mono[i]
	}
	_, out, _ = effects(t, e, st, 2, Effects{Channels: 1})
	if out.Channels != 1 {
		t.Errorf("mono: %d channels", out.Channels)
	}
	y, _, _ := effects(t, e, st, 2, Effects{Equalize: true})
	l, r := deinterleave(y)
	before := testmedia.RMSdB(mono) - testmedia.RMSdB(sine(testmedia.Rate, 440, 0.075))
	after := testmedia.RMSdB(l) - testmedia.RMSdB(r)
	t.Logf("L-R %.1f dB -> %.2f dB", before, after)
	if math.Abs(after) > 0.5 {
		t.Errorf("balanced channels differ by %.2f dB", after)
	}
	y, _, _ = effects(t, e, mono, 1, Effects{Pan: -0.5})
	l, r = deinterleave(y)
	if d := testmedia.RMSdB(l) - testmedia.RMSdB(r); math.Abs(d-6.02) > 0.3 {
		t.Errorf("pan 50%% left: L-R %.2f dB, want 6.02", d)
	}
}

// humSpeech is speech with 60 Hz mains hum and harmonics.
func humSpeech(t *testing.T, mains float64) (clean, hummed []float32) {
	clean, _ = chainSpeech(t)
	clean = clean[:12*testmedia.Rate]
	hummed = make([]float32, len(clean))
	for i := range clean {
		tt := float64(i) / testmedia.Rate
		h := 0.02*math.Sin(2*math.Pi*mains*tt) + 0.01*math.Sin(2*math.Pi*2*mains*tt+1) + 0.008*math.Sin(2*math.Pi*3*mains*tt+2)
		hummed[i] = clean[i] + float32(h)
	}
	return clean, hummed
}

// TestHumNotch: the detected mains frequency and its harmonics drop by
// 25 dB or more while the speech band changes by under 1 dB.
func TestHumNotch(t *testing.T) {
	e := chainEngine(t)
	for _, mains := range []float64{60, 50} {
		_, x := humSpeech(t, mains)
		mi := chainWrite(t, e, "hum.wav", x, 1)
		got, err := e.DetectMains(opsCtx(t), mi.Path)
		if err != nil || got != mains {
			t.Fatalf("DetectMains = %v, %v; want %v", got, err, mains)
		}
		y, _, notes := effects(t, e, x, 1, Effects{Hum: true})
		t.Logf("notes %v", notes)
		for k := 1.0; k <= 3; k++ {
			depth := powerAt(x, testmedia.Rate, k*mains) - powerAt(y, testmedia.Rate, k*mains)
			t.Logf("%g Hz: %.1f dB deeper", k*mains, depth)
			if depth < 25 {
				t.Errorf("%g Hz notched by %.1f dB, want >= 25", k*mains, depth)
			}
		}
		speech := bandDB(y, testmedia.Rate, 300, 3400) - bandDB(x, testmedia.Rate, 300, 3400)
		t.Logf("speech band 300-3400 Hz changed %.2f dB", speech)
		if math.Abs(speech) > 1 {
			t.Errorf("speech band changed %.2f dB", speech)
		}
	}
	clean, _ := humSpeech(t, 60)
	mi := chainWrite(t, e, "clean.wav", clean, 1)
	if _, err := e.DetectMains(opsCtx(t), mi.Path); err != ErrNoHum {
		t.Errorf("clean speech: DetectMains err = %v, want ErrNoHum", err)
	}
}

// TestEQPresets measures each preset on white noise by band.
func TestEQPresets(t *testing.T) {
	e := chainEngine(t)
	rng := rand.New(rand.NewSource(1))
	x := make([]float32, 3*testmedia.Rate)
	for i := range x {
		x[i] = float32(0.1 * rng.NormFloat64())
	}
	band := func(y []float32, lo, hi float64) float64 {
		return bandDB(y, testmedia.Rate, lo, hi) - bandDB(x, testmedia.Rate, lo, hi)
	}
	for _, tc := range []struct {
		q      EQ
		lo, hi float64
		min    float64
		max    float64
	}{
		{EQ{Preset: "highpass"}, 20, 45, -60, -12},     // well under 80 Hz: 24 dB/octave
		{EQ{Preset: "highpass"}, 800, 2000, -0.5, 0.5}, // voice untouched
		{EQ{Preset: "bass"}, 30, 60, 4.5, 6.5},
		{EQ{Preset: "bass"}, 1500, 3000, -0.5, 0.5},
		{EQ{Preset: "bass", GainDB: -6}, 30, 60, -6.5, -4.5},
		{EQ{Preset: "brighter"}, 9000, 14000, 2.3, 3.3},
		{EQ{Preset: "brighter"}, 200, 800, -0.5, 0.5},
		{EQ{Preset: "warmer"}, 60, 120, 2, 3.3},
		{EQ{Preset: "warmer"}, 14000, 18000, -2.5, -1.2},
		{EQ{Preset: "deess"}, 6000, 10000, -30, -1},
	} {
		y, _, _ := effects(t, e, x, 1, Effects{EQ: []EQ{tc.q}})
		got := band(y, tc.lo, tc.hi)
		t.Logf("%+v %g-%g Hz: %+.2f dB", tc.q, tc.lo, tc.hi, got)
		if got < tc.min || got > tc.max {
			t.Errorf("%+v %g-%g Hz changed %+.2f dB, want %g..%g", tc.q, tc.lo, tc.hi, got, tc.min, tc.max)
		}
	}
}

// TestMuteBleep: a muted range is silent, a bleeped one holds the 1 kHz
// tone and not the voice; the rest is untouched.
func TestMuteBleep(t *testing.T) {
	e := chainEngine(t)
	x := sine(3*testmedia.Rate, 440, 0.3)
	seg := func(y []float32, a, b float64) []float32 { return y[int(a*testmedia.Rate):int(b*testmedia.Rate)] }
	y, _, _ := effects(t, e, x, 1, Effects{Mute: []Range{{1, 1.5}}})
	if l := testmedia.RMSdB(seg(y, 1.01, 1.49)); l > -90 {
		t.Errorf("muted range at %.1f dB", l)
	}
	if d := testmedia.RMSdB(seg(y, 2, 3)) - testmedia.RMSdB(seg(x, 2, 3)); math.Abs(d) > 0.01 {
		t.Errorf("outside the mute changed %.2f dB", d)
	}
	y, _, _ = effects(t, e, x, 1, Effects{Bleep: []Range{{1, 1.5}}})
	in := seg(y, 1.02, 1.48)
	if v, b := powerAt(in, testmedia.Rate, 440), powerAt(in, testmedia.Rate, bleepHz); b-v < 40 {
		t.Errorf("bleeped range: voice %.1f dB, tone %.1f dB", v, b)
	}
	if d := testmedia.RMSdB(seg(y, 2, 3)) - testmedia.RMSdB(seg(x, 2, 3)); math.Abs(d) > 0.01 {
		t.Errorf("outside the bleep changed %.2f dB", d)
	}
	y, _, _ = effects(t, e, x, 1, Effects{Gains: []RangeGain{{Range{0.5, 1}, -6}}})
	if d := testmedia.RMSdB(seg(y, 0.55, 0.95)) - testmedia.RMSdB(seg(x, 0.55, 0.95)); math.Abs(d+6) > 0.1 {
		t.Errorf("ranged gain %.2f dB, want -6", d)
	}
}

// TestLeveler: two speakers 14 dB apart end within 3 LU of each other.
func TestLeveler(t *testing.T) {
	e := chainEngine(t)
	clean, _ := chainSpeech(t)
	n := 30 * testmedia.Rate
	x := make([]float32, n)
	for i := range x {
		g := 0.1 // quiet speaker
		if i >= n/2 {
			g = 0.5 // loud speaker
		}
		x[i] = float32(g) * clean[i%len(clean)]
	}
	lufs := func(y []float32, half int) float64 {
		h := y[half*n/2 : (half+1)*n/2]
		p := filepath.Join(t.TempDir(), "half.wav")
		if err := testmedia.WriteWAV(p, h, testmedia.Rate, 1); err != nil {
			t.Fatal(err)
		}
		l, _, err := testmedia.Loudness(opsCtx(t), e.FFmpeg(), p)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	y, _, _ := effects(t, e, x, 1, Effects{Level: true})
	before := lufs(x, 1) - lufs(x, 0)
	after := math.Abs(lufs(y, 1) - lufs(y, 0))
	t.Logf("loudness spread between the speakers: %.1f LU -> %.1f LU", before, after)
	if after > 3 {
		t.Errorf("spread after levelling %.1f LU, want <= 3", after)
	}
}

func TestTempoGraph(t *testing.T) {
	if got, want := tempoGraph([]Tempo{{Factor: 1.5}}, 10), "[0:a:0]atempo=1.500000[out]"; got != want {
		t.Errorf("whole: %s", got)
	}
	got := tempoGraph([]Tempo{{Range: Range{2, 4}, Factor: 2}}, 10)
	want := "[0:a:0]asplit=3[s0][s1][s2];[s0]atrim=start=0.000000:end=2.000000,asetpts=PTS-STARTPTS[t0];" +
		"[s1]atrim=start=2.000000:end=4.000000,asetpts=PTS-STARTPTS,atempo=2.000000[t1];" +
		"[s2]atrim=start=4.000000:end=10.000000,asetpts=PTS-STARTPTS[t2];[t0][t1][t2]concat=n=3:v=0:a=1[out]"
	if got != want {
		t.Errorf("range:\n got %s\nwant %s", got, want)
	}
}

// TestDenoiseRanges: "denoise 0:01-0:02" lowers noise there only.
func TestDenoiseRanges(t *testing.T) {
	e := chainEngine(t)
	clean, _ := chainSpeech(t)
	x := testmedia.Mix(clean[:6*testmedia.Rate], testmedia.Noise(testmedia.Pink, 6*testmedia.Rate, 2), 5)
	// a noise-only stretch to measure: the first 2 s of chainSpeech are a lead-in
	mi := chainWrite(t, e, "noisy.wav", x, 1)
	out, remove, notes, err := e.DenoiseRanges(opsCtx(t), mi, DenoiseOptions{Model: "classic"}, []Range{{0.5, 1.5}})
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	y, err := testmedia.ReadPCM(opsCtx(t), e.FFmpeg(), out.Path, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	seg := func(v []float32, a, b float64) []float32 { return v[int(a*testmedia.Rate):int(b*testmedia.Rate)] }
	in := testmedia.RMSdB(seg(x, 0.6, 1.4)) - testmedia.RMSdB(seg(y, 0.6, 1.4))
	outside := testmedia.RMSdB(seg(x, 3, 5.5)) - testmedia.RMSdB(seg(y, 3, 5.5))
	t.Logf("notes %v: noise in range down %.1f dB, outside %.2f dB", notes, in, outside)
	if in < 6 {
		t.Errorf("noise in the range down only %.1f dB", in)
	}
	if math.Abs(outside) > 0.05 {
		t.Errorf("outside the range changed %.2f dB", outside)
	}
	if math.Abs(out.Duration-mi.Duration) > 0.01 {
		t.Errorf("length %.3f -> %.3f", mi.Duration, out.Duration)
	}
}
