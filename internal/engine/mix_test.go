package engine

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// mixMusicHz is the music's tone: above anything espeak's speech (22 kHz
// synthesis) holds, so its level in the mix is the music's alone.
const mixMusicHz = 15000

// TestMixDucksMusicUnderSpeech mixes a 7 s music loop under ~38 s of
// speech and measures, on the output, the music's level under speech
// against in the pauses, the length, the loudness and the true peak.
func TestMixDucksMusicUnderSpeech(t *testing.T) {
	t.Parallel()
	e := chainEngine(t)
	x, segs := chainSpeech(t)
	voice := chainWrite(t, e, "voice.wav", x, 1)
	music := chainWrite(t, e, "music.wav", chainTone(7*testmedia.Rate, mixMusicHz, 0.5), 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, duck := range []bool{true, false} {
		pr, rep, err := e.Mix(ctx, MixOptions{Voices: []MixVoice{{Path: voice.Path}},
			Bed:      &MixBed{Source: music, LevelDB: -14, Duck: duck},
			Loudness: &LoudnessOptions{TargetLUFS: -16, TruePeak: -1.5}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pr.Remove() })
		y, err := testmedia.ReadPCM(ctx, e.FFmpeg(), pr.Path, testmedia.Rate, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(y), len(x); got != want {
			t.Errorf("duck=%v: output has %d samples, the voice %d", duck, got, want)
		}
		// Music level inside speech (0.2 s in from each edge) and in long
		// pauses (1 s away from speech).
		var under, clear []float64
		for _, s := range segs {
			if s.End-s.Start > 0.6 {
				under = append(under, chainToneLevel(y, testmedia.Rate, mixMusicHz, s.Start+0.2, s.End-0.2))
			}
		}
		total := float64(len(x)) / testmedia.Rate
		for _, p := range testmedia.Complement(segs, total) {
			if p.End-p.Start > 2.2 && p.Start > 3 && p.End < total-3 {
				clear = append(clear, chainToneLevel(y, testmedia.Rate, mixMusicHz, p.Start+1, p.End-1))
			}
		}
		if len(under) < 3 || len(clear) < 1 {
			t.Fatalf("material: %d speech spans, %d pauses to measure", len(under), len(clear))
		}
		depth := mean(clear) - mean(under)
		t.Logf("duck=%v: music %.1f dB in pauses, %.1f dB under speech: depth %.1f dB; report %+v", duck, mean(clear), mean(under), depth, *rep)
		if duck && (depth < 8 || depth > 12) {
			t.Errorf("ducking depth %.1f dB, want 10 +- 2", depth)
		}
		// Without ducking only the limiter, holding the speech's peaks at
		// the ceiling, lowers the music under speech, by a dB or two.
		if !duck && math.Abs(depth) > 2.5 {
			t.Errorf("no ducking, yet the music is %.1f dB lower under speech", depth)
		}
		lufs, tp, err := testmedia.Loudness(ctx, e.FFmpeg(), pr.Path)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(lufs+16) > 0.5 || tp > -1.4 {
			t.Errorf("mix at %.2f LUFS, %.2f dBTP; want -16 and <= -1.5", lufs, tp)
		}
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
