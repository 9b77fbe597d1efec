package engine

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// syncSpeech returns about seconds of espeak speech (mono, testmedia.Rate).
func syncSpeech(t *testing.T, seconds float64, seed int64) []float32 {
	t.Helper()
	testmedia.RequireEspeak(t)
	x, _, err := testmedia.Speech(context.Background(), testmedia.SpeechOptions{TargetSeconds: seconds, Seed: seed, LeadIn: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	return x[:min(len(x), int(seconds*testmedia.Rate))]
}

// syncDegrade returns x delayed by delay seconds, band-limited (one-pole
// high-pass at ~150 Hz and low-pass at ~3.4 kHz, like a camera or phone
// mic) and mixed with pink noise at snr dB.
func syncDegrade(x []float32, delay, snr float64, seed int64) []float32 {
	d := int(math.Round(delay * testmedia.Rate))
	y := make([]float32, d+len(x))
	copy(y[d:], x)
	hp := math.Exp(-2 * math.Pi * 150 / testmedia.Rate)
	lp := math.Exp(-2 * math.Pi * 3400 / testmedia.Rate)
	var prevIn, hpOut, lpOut float64
	for i, v := range y {
		in := float64(v)
		hpOut = hp * (hpOut + in - prevIn)
		prevIn = in
		lpOut = (1-lp)*hpOut + lp*lpOut
		y[i] = float32(lpOut)
	}
	return testmedia.Mix(y, testmedia.Noise(testmedia.Pink, len(y), seed), snr)
}

func syncWrite(t *testing.T, dir, name string, x []float32) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := testmedia.WriteWAV(p, x, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAlign(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	x := syncSpeech(t, 20, 1)
	const delay = 1.234
	ref := syncWrite(t, dir, "ref.wav", x)
	other := syncWrite(t, dir, "other.wav", syncDegrade(x, delay, 10, 7))
	// The same degraded copy as a camera file: H.264 + AAC in MP4.
	cam := filepath.Join(dir, "cam.mp4")
	if err := testmedia.Video(context.Background(), "", cam, syncDegrade(x, delay, 10, 8), 160, 120, 25); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		ref, other string
		maxLag     float64
		want       float64
	}{
		{"other later", ref, other, 0, delay},
		{"other earlier", other, ref, 0, -delay},
		{"camera mp4", ref, cam, 0, delay},
		{"bounded search", ref, other, 2, delay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off, conf, err := e.Align(context.Background(), tt.ref, tt.other, tt.maxLag)
			if err != nil {
				t.Fatalf("Align: %v (offset %.4f, confidence %.2f)", err, off, conf)
			}
			t.Logf("offset %.5f s (error %+.3f ms), confidence %.2f", off, (off-tt.want)*1000, conf)
			if math.Abs(off-tt.want) > 0.001 {
				t.Errorf("offset %.5f, want %.5f within 1 ms", off, tt.want)
			}
			if conf < alignMinConfidence {
				t.Errorf("confidence %.2f", conf)
			}
		})
	}
}

func TestAlignNoMatch(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(3))
	noise := make([]float32, 10*testmedia.Rate)
	for i := range noise {
		noise[i] = float32(rng.NormFloat64() * 0.1)
	}
	speech := syncSpeech(t, 10, 1)
	music := make([]float32, 10*testmedia.Rate)
	for i := range music {
		ts := float64(i) / testmedia.Rate
		music[i] = float32(0.2*math.Sin(2*math.Pi*220*ts) + 0.1*math.Sin(2*math.Pi*330*ts))
	}
	tests := []struct{ name, a, b string }{
		{"speech vs noise", syncWrite(t, dir, "s.wav", speech), syncWrite(t, dir, "n.wav", noise)},
		{"noise vs other noise", syncWrite(t, dir, "n1.wav", noise), syncWrite(t, dir, "n2.wav", testmedia.Noise(testmedia.White, 10*testmedia.Rate, 9))},
		{"speech vs tones", syncWrite(t, dir, "s2.wav", speech), syncWrite(t, dir, "m.wav", music)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off, conf, err := e.Align(context.Background(), tt.a, tt.b, 0)
			t.Logf("offset %.4f confidence %.2f err %v", off, conf, err)
			if !errors.Is(err, ErrNoMatch) {
				t.Errorf("err = %v, want ErrNoMatch", err)
			}
		})
	}
}

func TestAlignSamplesSynthetic(t *testing.T) {
	t.Parallel()
	// White noise and a copy 123.25 samples later (linear interpolation):
	// the fractional peak is found to within a quarter of a sample (the
	// parabola is biased toward whole samples on such a sharp peak; at
	// 8 kHz a quarter sample is 0.03 ms).
	rng := rand.New(rand.NewSource(1))
	a := make([]float32, 8000)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	b := make([]float32, 9000)
	for i := range b {
		s := float64(i) - 123.25
		j := int(math.Floor(s))
		if j >= 0 && j+1 < len(a) {
			f := s - float64(j)
			b[i] = float32((1-f)*float64(a[j]) + f*float64(a[j+1]))
		}
	}
	lag, conf := alignSamples(a, b, 500)
	if math.Abs(lag-123.25) > 0.25 || conf < 2 {
		t.Errorf("lag %.3f confidence %.2f, want 123.25", lag, conf)
	}
	lag, _ = alignSamples(b, a, 500)
	if math.Abs(lag+123.25) > 0.25 {
		t.Errorf("reverse lag %.3f, want -123.25", lag)
	}
}

func TestAlignFFT(t *testing.T) {
	t.Parallel()
	// Against a direct DFT.
	x := make([]complex128, 16)
	for i := range x {
		x[i] = complex(math.Sin(float64(i)*0.7), math.Cos(float64(i*i)*0.3))
	}
	want := make([]complex128, len(x))
	for k := range want {
		for n, v := range x {
			s, c := math.Sincos(-2 * math.Pi * float64(k*n) / float64(len(x)))
			want[k] += v * complex(c, s)
		}
	}
	got := append([]complex128(nil), x...)
	alignFFT(got, false)
	for k := range got {
		if d := got[k] - want[k]; math.Hypot(real(d), imag(d)) > 1e-9 {
			t.Fatalf("bin %d: %v, want %v", k, got[k], want[k])
		}
	}
	alignFFT(got, true)
	for k := range got {
		if d := got[k] - x[k]; math.Hypot(real(d), imag(d)) > 1e-12 {
			t.Fatalf("inverse %d: %v, want %v", k, got[k], x[k])
		}
	}
}
