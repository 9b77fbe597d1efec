package engine

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

var (
	breathSpeechOnce sync.Once
	breathSpeechX    []float32
	breathSpeechSegs []testmedia.Segment
	breathSpeechErr  error
)

// breathSpeech is espeak speech with fricatives ("she sells sea shells")
// and pauses long enough to breathe in, over a noise floor 60 dB under the
// speech.
func breathSpeech(t *testing.T) ([]float32, []testmedia.Segment) {
	t.Helper()
	testmedia.RequireEspeak(t)
	breathSpeechOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		phrases := append([]string{"She sells sea shells by the sea shore.", "Shush, she said, this is his fish shop."}, testmedia.DefaultPhrases()[:6]...)
		breathSpeechX, breathSpeechSegs, breathSpeechErr = testmedia.Speech(ctx, testmedia.SpeechOptions{
			Phrases: phrases, Pauses: []float64{1.0, 0.25, 1.4, 0.9}, LeadIn: 0.5})
		if breathSpeechErr != nil {
			return
		}
		floor := float32(math.Pow(10, (speechRMS(breathSpeechX, breathSpeechSegs)-60)/20) * math.Sqrt(3))
		rng := rand.New(rand.NewSource(3))
		for i := range breathSpeechX {
			breathSpeechX[i] += floor * (2*rng.Float32() - 1)
		}
	})
	if breathSpeechErr != nil {
		t.Fatal(breathSpeechErr)
	}
	return append([]float32(nil), breathSpeechX...), breathSpeechSegs
}

func speechRMS(x []float32, segs []testmedia.Segment) float64 {
	return testmedia.EnergyDB(x, testmedia.Rate, segs)
}

// TestBreaths: breaths between phrases drop by 12 dB or more, speech
// (fricatives included) changes by under 0.5 dB, the length is kept.
func TestBreaths(t *testing.T) {
	e := chainEngine(t)
	x, segs := breathSpeech(t)
	breaths := testmedia.AddBreaths(x, segs, 25, 7)
	if len(breaths) < 3 {
		t.Fatalf("only %d breaths inserted", len(breaths))
	}
	y, _, notes := effects(t, e, x, 1, Effects{Breaths: true})
	t.Log(notes)
	if !strings.Contains(strings.Join(notes, " "), fmt.Sprintf("%d breath(s)", len(breaths))) {
		t.Errorf("notes %q: want %d breaths", notes, len(breaths))
	}
	for _, b := range breaths {
		g := []testmedia.Segment{b}
		drop := testmedia.EnergyDB(x, testmedia.Rate, g) - testmedia.EnergyDB(y, testmedia.Rate, g)
		t.Logf("breath %.2f-%.2f s: %.1f dB lower", b.Start, b.End, drop)
		if drop < 12 {
			t.Errorf("breath %.2f-%.2f s lowered %.1f dB, want >= 12", b.Start, b.End, drop)
		}
	}
	worst := 0.0
	for _, s := range segs {
		g := []testmedia.Segment{s}
		d := testmedia.EnergyDB(y, testmedia.Rate, g) - testmedia.EnergyDB(x, testmedia.Rate, g)
		worst = math.Max(worst, math.Abs(d))
		if math.Abs(d) >= 0.5 {
			t.Errorf("speech %.2f-%.2f s changed %.2f dB", s.Start, s.End, d)
		}
	}
	t.Logf("largest change over a speech segment: %.3f dB", worst)
}

// TestBreathsNoFalsePositive: speech without breaths, fricatives and all,
// is left as it was everywhere.
func TestBreathsNoFalsePositive(t *testing.T) {
	e := chainEngine(t)
	x, segs := breathSpeech(t)
	y, _, notes := effects(t, e, x, 1, Effects{Breaths: true})
	if !strings.Contains(strings.Join(notes, " "), "no breaths found") {
		t.Errorf("notes %q: want no breaths", notes)
	}
	for _, s := range segs {
		g := []testmedia.Segment{s}
		if d := testmedia.EnergyDB(y, testmedia.Rate, g) - testmedia.EnergyDB(x, testmedia.Rate, g); math.Abs(d) >= 0.5 {
			t.Errorf("speech %.2f-%.2f s changed %.2f dB", s.Start, s.End, d)
		}
	}
	worst := 0.0
	for s := 0.0; s+0.1 <= float64(len(x))/testmedia.Rate; s += 0.1 {
		g := []testmedia.Segment{{Start: s, End: s + 0.1}}
		d := math.Abs(testmedia.EnergyDB(y, testmedia.Rate, g) - testmedia.EnergyDB(x, testmedia.Rate, g))
		worst = math.Max(worst, d)
		if d >= 0.5 {
			t.Errorf("%.1f-%.1f s changed %.2f dB", s, s+0.1, d)
		}
	}
	t.Logf("largest change over any 100 ms: %.3f dB", worst)
}

func TestBreathVolumeGraph(t *testing.T) {
	got := breathVolume([]Range{{1, 1.5}, {3, 3.2}})
	want := "asetnsamples=n=64:p=0,volume='(1-0.900000*clip(min((t-1.000000)/0.010000,(1.500000-t)/0.010000),0,1))*" +
		"(1-0.900000*clip(min((t-3.000000)/0.010000,(3.200000-t)/0.010000),0,1))':eval=frame"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
