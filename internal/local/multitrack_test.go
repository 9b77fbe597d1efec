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

// toneHz is the music's tone, above anything the synthesized speech holds.
const toneHz = 15000

func toneWave(seconds, freq, a float64) []float32 {
	x := make([]float32, int(seconds*testmedia.Rate))
	for i := range x {
		x[i] = float32(a * math.Sin(2*math.Pi*freq*float64(i)/testmedia.Rate))
	}
	return x
}

// toneLevel is the level (dB) of the freq component of x over [from, to) s.
func toneLevel(x []float32, freq, from, to float64) float64 {
	lo, hi := int(from*testmedia.Rate), min(int(to*testmedia.Rate), len(x))
	var s, c float64
	for i := lo; i < hi; i++ {
		ph := 2 * math.Pi * freq * float64(i) / testmedia.Rate
		s += float64(x[i]) * math.Sin(ph)
		c += float64(x[i]) * math.Cos(ph)
	}
	return 20 * math.Log10(2*math.Hypot(s, c)/float64(hi-lo)+1e-12)
}

func avg(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// TestMusicBedExport: "add bed.wav as background music at 20%" renders
// one file as long as the voice, with the music ducked under speech,
// measured on the output in a band only the music occupies.
func TestMusicBedExport(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	fx := speechFixture(t)
	voice := filepath.Join(dir, "voice.wav")
	if err := testmedia.WriteWAV(voice, fx.clean, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	music := filepath.Join(dir, "bed.wav") // 4 s: looped to the voice's length
	if err := testmedia.WriteWAV(music, toneWave(4, toneHz, 0.3), testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{voice}}); err != nil {
		t.Fatal(err)
	}
	// With no music in the session, the request is refused and nothing recorded.
	_, err := b.Edit(ctx, backend.EditRequest{Instruction: "add background music"})
	if msg := userMsg(t, err); !strings.Contains(msg, "music file") {
		t.Errorf("refusal = %q", msg)
	}
	if st, _ := b.State(ctx, ""); len(st.History) != 0 {
		t.Errorf("a refused edit was recorded: %+v", st.History)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{music}}); err != nil {
		t.Fatal(err)
	}
	res, err := b.Edit(ctx, backend.EditRequest{Instruction: "add bed.wav as background music at 20%"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Summary, "BGM: bed.wav (0-") || !strings.Contains(res.Summary, "20%, ducked)") {
		t.Errorf("summary = %s", res.Summary)
	}
	out := filepath.Join(dir, "mixed.wav")
	job, err := b.Export(ctx, backend.ExportRequest{Format: "wav", OutputPath: out, Wait: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != backend.JobCompleted {
		t.Fatalf("job %+v", job)
	}
	y, err := testmedia.ReadPCM(ctx, testmedia.FFmpeg(), out, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d := len(y) - len(fx.clean); d < -48 || d > 48 {
		t.Errorf("output %d samples, voice %d: the voice sets the length", len(y), len(fx.clean))
	}
	var under, clear []float64
	for _, s := range fx.speech {
		if s.End-s.Start > 0.6 {
			under = append(under, toneLevel(y, toneHz, s.Start+0.2, s.End-0.2))
		}
	}
	total := float64(len(fx.clean)) / testmedia.Rate
	for _, p := range testmedia.Complement(fx.speech, total) {
		if p.End-p.Start >= 1.5 && p.Start > 2.5 && p.End < total-2.5 {
			clear = append(clear, toneLevel(y, toneHz, p.Start+0.7, p.End-0.7))
		}
	}
	if len(under) == 0 || len(clear) == 0 {
		t.Fatalf("material: %d speech spans, %d pauses", len(under), len(clear))
	}
	depth := avg(clear) - avg(under)
	t.Logf("music %.1f dB in pauses, %.1f dB under speech: ducked %.1f dB; notes %v; report %v", avg(clear), avg(under), depth, job.Notes, job.Report)
	if depth < 7 || depth > 13 {
		t.Errorf("ducking depth %.1f dB, want about 10", depth)
	}
	// "no ducking" turns it off.
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "no ducking"}); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(dir, "flat.wav")
	job, err = b.Export(ctx, backend.ExportRequest{Format: "wav", OutputPath: out2, Wait: 2 * time.Minute})
	if err != nil || job.Status != backend.JobCompleted {
		t.Fatalf("job %+v %v", job, err)
	}
	y, _ = testmedia.ReadPCM(ctx, testmedia.FFmpeg(), out2, testmedia.Rate, 1)
	under, clear = under[:0], clear[:0]
	for _, s := range fx.speech {
		if s.End-s.Start > 0.6 {
			under = append(under, toneLevel(y, toneHz, s.Start+0.2, s.End-0.2))
		}
	}
	for _, p := range testmedia.Complement(fx.speech, total) {
		if p.End-p.Start >= 1.5 && p.Start > 2.5 && p.End < total-2.5 {
			clear = append(clear, toneLevel(y, toneHz, p.Start+0.7, p.End-0.7))
		}
	}
	if d := avg(clear) - avg(under); math.Abs(d) > 2.5 {
		t.Errorf("no ducking, yet the music is %.1f dB lower under speech", d)
	}
}

// TestTouchingChineseName: "添加背景音乐bed.wav，音量20%" (no space between the
// Chinese words and the file name) adds the session's bed.wav as the music
// bed; it used to read "添加背景音乐bed.wav" as the file's name and refuse.
func TestTouchingChineseName(t *testing.T) {
	b, dir := newBackend(t)
	writeUpload(t, b, dir, "voice.wav", toneWave(3, 440, 0.3))
	writeUpload(t, b, dir, "bed.wav", toneWave(3, toneHz, 0.3))
	res := edits(t, b, "添加背景音乐bed.wav，音量20%")
	y := placedExport(t, b, dir, res.Summary, "BGM: bed.wav (0-3s, 20%", "mixed", 3)
	voiceDB, musicDB := toneLevel(y, 440, 1, 2), toneLevel(y, toneHz, 1, 2)
	// 20% is -14 dB in loudness; the K-weighting favours the 15 kHz tone
	// by a few dB, and the bed is ducked under the (always-on) voice.
	if d := voiceDB - musicDB; d < 10 || d > 30 {
		t.Errorf("music %.1f dB under the voice (%.1f dB), want a bed at 20%%", d, voiceDB)
	}
}
