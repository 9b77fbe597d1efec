package testmedia

import (
	"context"
	"os"
	"testing"
	"time"
)

func BenchmarkSISDR40s(b *testing.B) {
	ref := Noise(Pink, 40*Rate, 1)
	est := add(delay(ref, 1200), Noise(White, 40*Rate, 2), 0.3)
	b.ResetTimer()
	for b.Loop() {
		if _, lag := SISDR(ref, est, Rate/20); lag != 1200 {
			b.Fatalf("lag %d", lag)
		}
	}
}

func BenchmarkAlign3min8k(b *testing.B) {
	const rate = 8000
	a := Noise(Pink, 180*rate, 1)
	x := add(delay(a, 9872), Noise(White, 180*rate, 2), 0.3)
	b.ResetTimer()
	for b.Loop() {
		Align(a, x, rate, 5)
	}
}

func BenchmarkNoise40s(b *testing.B) {
	for _, k := range []NoiseKind{White, Pink, Hum, Fan} {
		b.Run(string(k), func(b *testing.B) {
			for b.Loop() {
				Noise(k, 40*Rate, 1)
			}
		})
	}
}

// TestLongMaterial checks that an hour of material is quick to make and
// logs the timings. It needs ~2 GB of memory, so it only runs with
// TESTMEDIA_LONG=1.
func TestLongMaterial(t *testing.T) {
	if os.Getenv("TESTMEDIA_LONG") == "" {
		t.Skip("set TESTMEDIA_LONG=1 to run")
	}
	RequireEspeak(t)
	ctx := context.Background()
	for _, target := range []float64{0, 180, 3600} {
		start := time.Now()
		x, segs, err := Speech(ctx, SpeechOptions{TargetSeconds: target})
		if err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		t.Logf("Speech(TargetSeconds: %v): %.0f s, %d segments, in %v", target, float64(len(x))/Rate, len(segs), d)
		if d > 20*time.Second {
			t.Errorf("took %v", d)
		}
	}
	if err := WarmBabble(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range AllNoise() {
		start := time.Now()
		Noise(k, 3600*Rate, 1)
		t.Logf("Noise(%s, 1 h): %v", k, time.Since(start))
	}
}
