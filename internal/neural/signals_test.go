package neural

import (
	"context"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// Test material comes from internal/testmedia: espeak-ng speech at 48 kHz
// and the noise kinds of docs/audio-notes.md.

const sr = SampleRate

// speech returns clean speech of about secs seconds (at least one phrase)
// after a silent lead-in of lead seconds.
func speech(t testing.TB, secs, lead float64) []float32 {
	t.Helper()
	testmedia.RequireFFmpeg(t)
	testmedia.RequireEspeak(t)
	x, _, err := testmedia.Speech(context.Background(), testmedia.SpeechOptions{LeadIn: lead, TargetSeconds: secs + lead})
	if err != nil {
		t.Fatalf("test speech: %v", err)
	}
	return x
}

// noiseTypes are the noise kinds of the measurement set.
var noiseTypes = testmedia.AllNoise()

// noise returns n samples of the given kind at unit RMS.
func noise(t testing.TB, kind testmedia.NoiseKind, n int, seed int64) []float32 {
	t.Helper()
	if kind == testmedia.Babble {
		if err := testmedia.WarmBabble(context.Background()); err != nil {
			t.Fatalf("babble noise: %v", err)
		}
	}
	return testmedia.Noise(kind, n, seed)
}

// sisdr is the SI-SDR of est against ref in dB at lag 0: the output must
// be aligned, so no lag search.
func sisdr(ref, est []float32) float64 {
	db, _ := testmedia.SISDR(ref, est, 0)
	return db
}

// bestLag returns how many samples est lags ref (within +-maxLag).
func bestLag(ref, est []float32, maxLag int) int {
	_, lag := testmedia.SISDR(ref, est, maxLag)
	return lag
}
