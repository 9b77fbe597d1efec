package engine

import (
	"context"
	"math"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

var silenceDurRe = regexp.MustCompile(`silence_start: ([0-9.]+)[\s\S]*?silence_end: ([0-9.]+)`)

// silences runs ffmpeg's silencedetect on path and returns the silences
// (start, end) longer than minDur, interior ones only (not touching 0 or
// the end).
func silences(t *testing.T, ff, path string, minDur, total float64) [][2]float64 {
	t.Helper()
	out, err := exec.Command(ff, "-hide_banner", "-nostats", "-i", path, "-af",
		"silencedetect=n=-50dB:d="+strconv.FormatFloat(minDur, 'f', 3, 64), "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("silencedetect: %v\n%s", err, out)
	}
	var res [][2]float64
	for _, m := range silenceDurRe.FindAllStringSubmatch(string(out), -1) {
		a, _ := strconv.ParseFloat(m[1], 64)
		b, _ := strconv.ParseFloat(m[2], 64)
		if a > 0.01 && b < total-0.01 {
			res = append(res, [2]float64{a, b})
		}
	}
	return res
}

// TestShortenPausesExact: "shorten pauses to 0.3 s" leaves 0.3 s (±0.05)
// pauses, measured with silencedetect on noise-free input; so does 0.15 s
// (margins below the default when asked).
func TestShortenPausesExact(t *testing.T) {
	e := chainEngine(t)
	clean, _, err := testmedia.Speech(context.Background(), testmedia.SpeechOptions{
		Phrases: testmedia.DefaultPhrases()[:6], Pauses: []float64{1.2, 1.5, 0.9, 2.0, 1.0, 1.4}, LeadIn: 1.0, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	mi := chainWrite(t, e, "clean.wav", clean, 1)
	in := silences(t, e.FFmpeg(), mi.Path, 0.25, mi.Duration)
	if len(in) < 5 {
		t.Fatalf("input has %d pauses over 0.25 s, want >= 5", len(in))
	}
	for _, want := range []float64{0.3, 0.15} {
		p, _ := chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Silence: &SilenceOptions{ShortenTo: want}}})
		got := silences(t, e.FFmpeg(), p.Path, want/2, p.Duration)
		var long []float64
		for _, s := range got {
			if d := s[1] - s[0]; d > want*0.75 {
				long = append(long, d)
			}
		}
		t.Logf("shorten to %.2f s: pauses %v (all %v, in %v)", want, long, got, in)
		if len(long) < len(in) {
			t.Errorf("shorten to %.2f: %d pauses measured, want >= %d", want, len(long), len(in))
		}
		for _, d := range long {
			// A gap shorter than the target and than MinPause (0.4 s)
			// is a natural one between words, left as it was.
			if d < want && d < defaultMinPause {
				continue
			}
			if math.Abs(d-want) > 0.05 {
				t.Errorf("shorten to %.2f: a pause of %.3f s", want, d)
			}
		}
	}
}

// TestTrimEdgesAndOnePause: "trim the silence at the start and the end
// only" leaves every inner pause as it was; "the pause after 0:05"
// shortens that one alone.
func TestTrimEdgesAndOnePause(t *testing.T) {
	e := chainEngine(t)
	clean, _, err := testmedia.Speech(context.Background(), testmedia.SpeechOptions{
		Phrases: testmedia.DefaultPhrases()[:4], Pauses: []float64{1.2, 1.5, 1.0, 2.0}, LeadIn: 2.0, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	mi := chainWrite(t, e, "clean.wav", clean, 1)
	in := silences(t, e.FFmpeg(), mi.Path, 0.5, mi.Duration)
	p, _ := chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Silence: &SilenceOptions{Edges: "both"}}})
	out := silences(t, e.FFmpeg(), p.Path, 0.5, p.Duration)
	t.Logf("edges: %.2f s -> %.2f s, inner pauses %d -> %d", mi.Duration, p.Duration, len(in), len(out))
	if len(out) != len(in) {
		t.Errorf("inner pauses %d -> %d: edges only must keep them", len(in), len(out))
	}
	if removed := mi.Duration - p.Duration; removed < 1.5 || removed > 3.5 {
		t.Errorf("removed %.2f s at the edges, want the 2 s lead-in and the tail less margins", removed)
	}
	if len(in) < 2 {
		t.Fatalf("input has %d inner pauses", len(in))
	}
	after := in[0][0] - 0.1
	p, _ = chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Silence: &SilenceOptions{Within: []Range{{after, mi.Duration}}, FirstOnly: true, ShortenTo: 0.3}}})
	out = silences(t, e.FFmpeg(), p.Path, 0.5, p.Duration)
	t.Logf("first pause after %.2f: pauses over 0.5 s %d -> %d", after, len(in), len(out))
	if len(out) != len(in)-1 {
		t.Errorf("one pause shortened: %d -> %d pauses over 0.5 s", len(in), len(out))
	}
}
