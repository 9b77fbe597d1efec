package testmedia

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSpeechDefault(t *testing.T) {
	RequireEspeak(t)
	ctx := context.Background()
	start := time.Now()
	x, segs, err := Speech(ctx, SpeechOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Speech: %.1f s of audio, %d segments, in %v", float64(len(x))/Rate, len(segs), time.Since(start))
	total := float64(len(x)) / Rate
	if total < 30 || total > 50 {
		t.Errorf("length %.1f s, want ~40", total)
	}
	// One segment per phrase with this espeak-ng; another version might
	// leave a long inner silence, which would only add segments.
	if len(segs) < len(defaultPhrases) {
		t.Errorf("%d segments, want at least one per phrase (%d)", len(segs), len(defaultPhrases))
	}
	// Lead-in: exactly 2 s of digital silence.
	if segs[0].Start != 2 {
		t.Errorf("first segment starts at %v, want 2", segs[0].Start)
	}
	for i, v := range x[:2*Rate] {
		if v != 0 {
			t.Fatalf("lead-in sample %d is %v, want 0", i, v)
		}
	}
	// Peak about -3 dBFS, nothing clips.
	var peak float64
	for _, v := range x {
		peak = max(peak, math.Abs(float64(v)))
	}
	if p := 20 * math.Log10(peak); math.Abs(p-(-3)) > 0.01 {
		t.Errorf("peak %.3f dBFS, want -3", p)
	}
	// Segments sorted, disjoint, within the signal, tight.
	for i, s := range segs {
		if s.End <= s.Start || s.Start < 0 || s.End > total || (i > 0 && s.Start < segs[i-1].End) {
			t.Fatalf("bad segment %d: %+v", i, s)
		}
		if e := EnergyDB(x, Rate, []Segment{s}); e < -35 {
			t.Errorf("segment %d %+v: energy %.1f dBFS, too quiet for speech", i, s, e)
		}
		a, b := int(math.Round(s.Start*Rate)), int(math.Round(s.End*Rate))
		if x[a] == 0 || x[b-1] == 0 {
			t.Errorf("segment %d %+v does not start and end on sound", i, s)
		}
	}
	// The pause after each phrase is the requested one.
	gaps := pausesOver(segs, total)
	if len(gaps) != len(defaultPhrases)+1 {
		t.Fatalf("%d pauses (lead-in included), want %d", len(gaps), len(defaultPhrases)+1)
	}
	for i, got := range gaps[1:] {
		if want := defaultPauses[i%len(defaultPauses)]; math.Abs(got-want) > 1.0/Rate {
			t.Errorf("pause %d: %.4f s, want %.4f", i, got, want)
		}
	}
	speechDB := EnergyDB(x, Rate, segs)
	pauseDB := EnergyDB(x, Rate, Complement(segs, total))
	t.Logf("speech %.1f dBFS, pauses %.1f dBFS", speechDB, pauseDB)
	if speechDB-pauseDB < 60 {
		t.Errorf("speech %.1f dBFS is not far above pauses %.1f dBFS", speechDB, pauseDB)
	}
	// DetectSpeech reproduces the ground truth, so Mix's notion of active
	// speech is the same as the segments'.
	if diff := cmp.Diff(segs, DetectSpeech(x, Rate)); diff != "" {
		t.Errorf("DetectSpeech differs from ground truth (-want +got):\n%s", diff)
	}
	// Deterministic and warm.
	start = time.Now()
	x2, segs2, err := Speech(ctx, SpeechOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warm Speech: %v", time.Since(start))
	if !slices.Equal(x, x2) || !cmp.Equal(segs, segs2) {
		t.Error("Speech is not deterministic")
	}
	// Mixing at a known SNR against the ground truth.
	for _, kind := range []NoiseKind{White, Hum} {
		n := Noise(kind, len(x), 1)
		for _, snr := range []float64{0, 10} {
			m := Mix(x, n, snr)
			d := make([]float32, len(m))
			for i := range m {
				d[i] = m[i] - x[i]
			}
			if got := speechDB - RMSdB(d); math.Abs(got-snr) > 0.1 {
				t.Errorf("Mix(%s, %v dB): SNR against ground truth %.3f", kind, snr, got)
			}
		}
	}
}

func TestSpeechOptions(t *testing.T) {
	RequireEspeak(t)
	ctx := context.Background()
	phrases := []string{"Hello there, friends.", "Is this thing on? Yes it is."}
	x, segs, err := Speech(ctx, SpeechOptions{Phrases: phrases, Pauses: []float64{1}, LeadIn: -1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if segs[0].Start != 0 || x[0] == 0 {
		t.Errorf("no lead-in: first segment %+v, x[0] = %v", segs[0], x[0])
	}
	// Inner silences (the '?' break, maybe the comma) split phrases too;
	// the 1 s pause between the phrases is one of the gaps.
	if len(segs) < 3 {
		t.Errorf("segments %v, want >= 3 (the '?' break splits phrase 2)", segs)
	}
	found := false
	for i := 1; i < len(segs); i++ {
		found = found || math.Abs(segs[i].Start-segs[i-1].End-1) <= 1.0/Rate
	}
	if !found {
		t.Errorf("no 1 s pause between phrases in %v", segs)
	}
	if diff := cmp.Diff(segs, DetectSpeech(x, Rate)); diff != "" {
		t.Errorf("DetectSpeech differs from ground truth (-want +got):\n%s", diff)
	}
	if got, want := float64(len(x))/Rate-segs[len(segs)-1].End, 1.0; math.Abs(got-want) > 1.0/Rate {
		t.Errorf("trailing pause %.4f s, want %v", got, want)
	}
	if _, _, err := Speech(ctx, SpeechOptions{Pauses: []float64{-1}}); err == nil {
		t.Error("negative pause: no error")
	}
	if _, _, err := Speech(ctx, SpeechOptions{TargetSeconds: math.Inf(1)}); err == nil {
		t.Error("infinite target: no error")
	}
	if _, _, err := Speech(ctx, SpeechOptions{Phrases: []string{"   "}}); err == nil {
		t.Error("silent phrase: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := Speech(cctx, SpeechOptions{Phrases: []string{"A phrase that is surely not cached yet 7391."}}); err == nil {
		t.Error("canceled context: no error")
	}
}

func TestSpeechTarget(t *testing.T) {
	RequireEspeak(t)
	ctx := context.Background()
	start := time.Now()
	x, segs, err := Speech(ctx, SpeechOptions{TargetSeconds: 180})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("3 min Speech in %v", time.Since(start))
	total := float64(len(x)) / Rate
	if total < 180 || total > 185 {
		t.Errorf("length %.1f s, want >= 180 and at most one phrase more", total)
	}
	for i := 1; i < len(segs); i++ {
		if segs[i].Start < segs[i-1].End {
			t.Fatalf("segments %d and %d overlap", i-1, i)
		}
	}
	if e := segs[len(segs)-1].End; e > total || total-e > 3 {
		t.Errorf("last segment ends at %.2f of %.2f s", e, total)
	}
	// Not periodic: the second round's pauses differ from the first's.
	n := len(defaultPhrases)
	gaps := pausesOver(segs, total)[1:]
	same := 0
	for i := range n {
		if math.Abs(gaps[i]-gaps[n+i]) < 1e-3 {
			same++
		}
	}
	if same > 2 {
		t.Errorf("%d of %d pauses repeat exactly in round 2", same, n)
	}
	// The first 40 s match the default material.
	x0, segs0, err := Speech(ctx, SpeechOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x0[:len(x0)-Rate], x[:len(x0)-Rate]) || !cmp.Equal(segs0, segs[:len(segs0)]) {
		t.Error("round 1 of the 3-minute material differs from the default material")
	}
}

// pausesOver returns the lengths of the silences between segs (and before
// the first) longer than 0.2 s: the pauses Speech put in (0.3 s or more,
// 0.24 s jittered), not the inner silences of phrases (under 0.15 s).
func pausesOver(segs []Segment, total float64) []float64 {
	var gaps []float64
	for _, g := range Complement(segs, total) {
		if d := g.End - g.Start; d > 0.2 {
			gaps = append(gaps, d)
		}
	}
	return gaps
}
