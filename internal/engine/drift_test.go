package engine

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// driftCopy is testmedia.Drift with pink noise at 25 dB SNR.
func driftCopy(x []float32, ppm, offset float64) []float32 {
	y := testmedia.Drift(x, ppm, offset)
	return testmedia.Mix(y, testmedia.Noise(testmedia.Pink, len(y), 5), 25)
}

// TestAlignDriftCorrects measures offset and drift of a 3-minute pair
// drifting 100 and 300 ppm, corrects the recording, and checks on the
// corrected file that it lines up with the reference within 5 ms at both
// ends.
func TestAlignDriftCorrects(t *testing.T) {
	t.Parallel()
	e := chainEngine(t)
	x := syncSpeech(t, 180, 11)
	ref := chainWrite(t, e, "camera.wav", x, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, ppm := range []float64{100, 300} {
		const offset = 0.35
		other := chainWrite(t, e, "recorder.wav", driftCopy(x, ppm, offset), 1)
		start := time.Now()
		al, err := e.AlignDrift(ctx, ref, other)
		if err != nil {
			t.Fatalf("%g ppm: %v", ppm, err)
		}
		t.Logf("%g ppm: measured %+v in %v", ppm, *al, time.Since(start))
		if math.Abs(al.Offset-offset) > 0.001 {
			t.Errorf("%g ppm: offset %.4f s, want %.4f within 1 ms", ppm, al.Offset, offset)
		}
		if math.Abs(al.DriftPPM-ppm) > 5 {
			t.Errorf("drift %.1f ppm, want %g", al.DriftPPM, ppm)
		}
		fixed, err := e.CorrectDrift(ctx, other, al.DriftPPM)
		if err != nil {
			t.Fatal(err)
		}
		y, err := testmedia.ReadPCM(ctx, e.FFmpeg(), fixed.Path, testmedia.Rate, 1)
		removeQuiet(fixed.Path)
		if err != nil {
			t.Fatal(err)
		}
		// After correction, y's time = x's time + offset/(1+d) everywhere.
		want := al.Offset / (1 + al.DriftPPM/1e6)
		for _, at := range []float64{5, 170} {
			a := x[int(at*testmedia.Rate):int((at+8)*testmedia.Rate)]
			s := int((at + want) * testmedia.Rate)
			b := y[s : s+8*testmedia.Rate]
			lag, conf := testmedia.Align(a, b, testmedia.Rate, 0.05)
			t.Logf("%g ppm: residual at %.0f s: %.2f ms (confidence %.1f)", ppm, at, lag*1000, conf)
			if math.Abs(lag) > 0.005 {
				t.Errorf("%g ppm: %.2f ms off at %.0f s after correction, want within 5 ms", ppm, lag*1000, at)
			}
		}
	}
}
