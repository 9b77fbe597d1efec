package local

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// TestEffectsThroughEdit: the new operations said in plain language are
// rendered by export as parsed: a mute given in timeline time after a cut
// silences the right place, mono gives one channel, speed changes the
// length.
func TestEffectsThroughEdit(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	a := filepath.Join(dir, "tone.wav")
	x := make([]float32, 2*4*testmedia.Rate) // 4 s stereo 440 Hz
	for i := 0; i < 4*testmedia.Rate; i++ {
		v := float32(0.2 * math.Sin(2*math.Pi*440*float64(i)/testmedia.Rate))
		x[2*i], x[2*i+1] = v, v
	}
	if err := testmedia.WriteWAV(a, x, testmedia.Rate, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{a}}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"cut the first second", "mute 0:01-0:01.5", "convert to mono"} {
		res, err := b.Edit(ctx, backend.EditRequest{Instruction: in})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if strings.HasPrefix(res.Message, "I did not apply") {
			t.Fatalf("%q: %s", in, res.Message)
		}
	}
	export := func() []float32 {
		job, err := b.Export(ctx, backend.ExportRequest{Format: "wav", Wait: time.Minute})
		if err != nil || job.Status != backend.JobCompleted {
			t.Fatalf("export %+v %v", job, err)
		}
		info, err := b.eng.Probe(ctx, job.Path)
		if err != nil || info.Channels != 1 {
			t.Fatalf("output %+v %v: want 1 channel", info, err)
		}
		y, err := testmedia.ReadPCM(ctx, b.eng.FFmpeg(), job.Path, testmedia.Rate, 1)
		if err != nil {
			t.Fatal(err)
		}
		return y
	}
	y := export()
	if d := float64(len(y)) / testmedia.Rate; math.Abs(d-3) > 0.02 {
		t.Fatalf("length %.3f s, want 3", d)
	}
	at := func(y []float32, s, e float64) float64 {
		return testmedia.RMSdB(y[int(s*testmedia.Rate):int(e*testmedia.Rate)])
	}
	if l := at(y, 1.02, 1.48); l > -80 {
		t.Errorf("muted 0:01-0:01.5 (timeline) at %.1f dB", l)
	}
	if l := at(y, 0.1, 0.9); l < -20 {
		t.Errorf("before the mute at %.1f dB", l)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "speed up 1.5x"}); err != nil {
		t.Fatal(err)
	}
	y = export()
	if d := float64(len(y)) / testmedia.Rate; math.Abs(d-2) > 0.03 {
		t.Errorf("1.5x: length %.3f s, want 2", d)
	}
	st, _ := b.State(ctx, "")
	if !strings.Contains(st.Summary, "mono") || !strings.Contains(st.Summary, "speed 1.5x") {
		t.Errorf("summary %q", st.Summary)
	}
}

// TestTrimEdgesThroughEdit: "trim the silence at the start and the end
// only" (and 去掉开头和结尾的静音) is recorded as an edges-only trim, and
// "remove the pause after 0:03" as one pause from that time on.
func TestTrimEdgesThroughEdit(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	a := filepath.Join(dir, "tone.wav")
	if err := testmedia.WriteWAV(a, make([]float32, 6*testmedia.Rate), testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{a}}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"trim the silence at the start and the end only", "去掉开头和结尾的静音", "remove the pause after 0:03"} {
		res, err := b.Edit(ctx, backend.EditRequest{Instruction: in})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		tl, _, err := b.build(ctx, res.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		so := tl.tracks[0].silence
		switch {
		case strings.Contains(in, "after"):
			if so == nil || !so.FirstOnly || len(so.Within) != 1 || so.Within[0].Start != 3 || so.Edges != "" {
				t.Errorf("%q: %+v", in, so)
			}
		default:
			if so == nil || so.Edges != "both" || so.Within != nil {
				t.Errorf("%q: %+v", in, so)
			}
		}
	}
}

// TestDenoiseRangeThroughEdit: "denoise 0:00.5-0:01.5" after a cut of the
// first second denoises source 1.5-2.5 s only.
func TestDenoiseRangeThroughEdit(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	a := filepath.Join(dir, "noise.wav")
	n := testmedia.Noise(testmedia.Pink, 5*testmedia.Rate, 4)
	for i := range n {
		n[i] *= 0.1
	}
	if err := testmedia.WriteWAV(a, n, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{a}}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"cut the first second", "denoise 0:00.5-0:01.5"} {
		if _, err := b.Edit(ctx, backend.EditRequest{Instruction: in}); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
	}
	job, err := b.Export(ctx, backend.ExportRequest{Format: "wav", Wait: time.Minute})
	if err != nil || job.Status != backend.JobCompleted {
		t.Fatalf("export %+v %v", job, err)
	}
	y, err := testmedia.ReadPCM(ctx, b.eng.FFmpeg(), job.Path, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	at := func(v []float32, s, e float64) float64 {
		return testmedia.RMSdB(v[int(s*testmedia.Rate):int(e*testmedia.Rate)])
	}
	in := at(n, 1.6, 2.4) - at(y, 0.6, 1.4)
	out := at(n, 3, 4.5) - at(y, 2, 3.5)
	t.Logf("in range %.1f dB quieter, outside %.2f dB", in, out)
	if in < 3 || math.Abs(out) > 0.1 {
		t.Errorf("range denoise: in %.1f dB, outside %.2f dB", in, out)
	}
}

// TestBreathsThroughEdit: "remove breaths" is rendered by export: the
// breaths drop by 12 dB or more, the speech stays within 0.5 dB, the
// length is kept and the job notes say how many breaths were lowered.
func TestBreathsThroughEdit(t *testing.T) {
	testmedia.RequireEspeak(t)
	b, dir := newBackend(t)
	ctx := context.Background()
	x, segs, err := testmedia.Speech(ctx, testmedia.SpeechOptions{
		Phrases: []string{"She sells sea shells by the sea shore.", "Welcome back to the podcast.", "Listeners hear every click and hiss."},
		Pauses:  []float64{1.2}, LeadIn: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	breaths := testmedia.AddBreaths(x, segs, 25, 11)
	if len(breaths) != 2 {
		t.Fatalf("%d breaths inserted, want 2", len(breaths))
	}
	a := filepath.Join(dir, "voice.wav")
	if err := testmedia.WriteWAV(a, x, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{a}}); err != nil {
		t.Fatal(err)
	}
	res, err := b.Edit(ctx, backend.EditRequest{Instruction: "remove breaths"})
	if err != nil || strings.HasPrefix(res.Message, "I did not apply") {
		t.Fatalf("edit: %+v %v", res, err)
	}
	job, err := b.Export(ctx, backend.ExportRequest{Format: "wav", Wait: time.Minute})
	if err != nil || job.Status != backend.JobCompleted {
		t.Fatalf("export %+v %v", job, err)
	}
	if !strings.Contains(strings.Join(job.Notes, " "), "2 breath(s)") {
		t.Errorf("job notes %q: want 2 breaths", job.Notes)
	}
	y, err := testmedia.ReadPCM(ctx, b.eng.FFmpeg(), job.Path, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d := len(y) - len(x); d < -testmedia.Rate/100 || d > testmedia.Rate/100 {
		t.Fatalf("length %d samples, want %d", len(y), len(x))
	}
	for _, g := range breaths {
		s := []testmedia.Segment{g}
		if drop := testmedia.EnergyDB(x, testmedia.Rate, s) - testmedia.EnergyDB(y, testmedia.Rate, s); drop < 12 {
			t.Errorf("breath %.2f-%.2f s lowered %.1f dB, want >= 12", g.Start, g.End, drop)
		}
	}
	for _, g := range segs {
		s := []testmedia.Segment{g}
		if d := testmedia.EnergyDB(y, testmedia.Rate, s) - testmedia.EnergyDB(x, testmedia.Rate, s); math.Abs(d) >= 0.5 {
			t.Errorf("speech %.2f-%.2f s changed %.2f dB", g.Start, g.End, d)
		}
	}
	if st, _ := b.State(ctx, ""); !strings.Contains(st.Summary, "breaths lowered") {
		t.Errorf("summary %q", st.Summary)
	}
}
