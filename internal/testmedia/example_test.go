package testmedia_test

import (
	"context"
	"fmt"
	"log"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// The measurement set: speech with known pauses, each noise at 0, 5 and
// 10 dB SNR, scored with SI-SDR (±50 ms lag search). Here the "processing"
// is the identity, so the score is the input SNR.
func Example() {
	ctx := context.Background()
	clean, speech, err := testmedia.Speech(ctx, testmedia.SpeechOptions{})
	if err != nil {
		log.Fatal(err)
	}
	pauses := testmedia.Complement(speech, float64(len(clean))/testmedia.Rate)
	for _, kind := range testmedia.AllNoise() {
		for _, snr := range []float64{0, 5, 10} {
			noisy := testmedia.Mix(clean, testmedia.Noise(kind, len(clean), 1), snr)
			out := noisy // process noisy here
			db, lag := testmedia.SISDR(clean, out, testmedia.SISDRMaxLag)
			fmt.Printf("%s %v dB: SI-SDR %.1f dB (lag %d), pauses at %.1f dBFS\n",
				kind, snr, db, lag, testmedia.EnergyDB(out, testmedia.Rate, pauses))
		}
	}
}
