package testmedia

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWAVRoundTrip(t *testing.T) {
	ff := RequireFFmpeg(t)
	ctx := context.Background()
	dir := t.TempDir()
	mono := Noise(Pink, Rate/2, 1)
	for i := range mono {
		mono[i] *= 0.2
	}
	p := filepath.Join(dir, "mono.wav")
	if err := WriteWAV(p, mono, Rate, 1); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPCM(ctx, ff, p, Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, mono) {
		t.Errorf("mono round trip differs (len %d vs %d)", len(got), len(mono))
	}
	// Stereo, interleaved, at another rate.
	st := make([]float32, 2*1000)
	for i := range 1000 {
		st[2*i] = float32(i) / 1000
		st[2*i+1] = -float32(i) / 1000
	}
	p2 := filepath.Join(dir, "stereo.wav")
	if err := WriteWAV(p2, st, 44100, 2); err != nil {
		t.Fatal(err)
	}
	got, err = ReadPCM(ctx, "", p2, 0, 0) // the file's own rate and layout
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, st) {
		t.Errorf("stereo round trip differs (len %d vs %d)", len(got), len(st))
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("dir holds %v, want just the two WAVs", names)
	}
	if err := WriteWAV(filepath.Join(dir, "bad.wav"), st[:3], Rate, 2); err == nil {
		t.Error("odd sample count for stereo: no error")
	}
	if _, err := ReadPCM(ctx, ff, filepath.Join(dir, "missing.wav"), Rate, 1); err == nil {
		t.Error("missing file: no error")
	} else if len(err.Error()) > maxStderr+200 {
		t.Errorf("error too long: %d bytes", len(err.Error()))
	}
}

func TestLoudnessSine(t *testing.T) {
	ff := RequireFFmpeg(t)
	// A 1 kHz sine with a -20 dBFS peak: full scale is -3.01 LUFS mono, so
	// this is -23.01 LUFS, and its true peak is -20 dBTP.
	x := make([]float32, 10*Rate)
	a := math.Pow(10, -20.0/20)
	for i := range x {
		x[i] = float32(a * math.Sin(2*math.Pi*1000*float64(i)/Rate))
	}
	p := filepath.Join(t.TempDir(), "sine.wav")
	if err := WriteWAV(p, x, Rate, 1); err != nil {
		t.Fatal(err)
	}
	lufs, tp, err := Loudness(context.Background(), ff, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("-20 dBFS 1 kHz sine: %.2f LUFS, %.2f dBTP", lufs, tp)
	if math.Abs(lufs-(-23.01)) > 0.15 {
		t.Errorf("integrated loudness %.2f LUFS, want -23.01", lufs)
	}
	if math.Abs(tp-(-20)) > 0.2 {
		t.Errorf("true peak %.2f dBTP, want -20", tp)
	}
	if _, _, err := Loudness(context.Background(), ff, p+".missing"); err == nil {
		t.Error("missing file: no error")
	}
}

func TestVideo(t *testing.T) {
	ff := RequireFFmpeg(t)
	RequireEspeak(t)
	ctx := context.Background()
	x, _, err := Speech(ctx, SpeechOptions{Phrases: defaultPhrases[:3], LeadIn: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "test.mp4")
	if err := Video(ctx, ff, p, x, 160, 120, 10); err != nil {
		t.Fatal(err)
	}
	stderr, _ := runTool(ctx, []string{ff, "-hide_banner", "-i", p}, nil, nil, 0)
	for _, want := range []string{"Video: h264", "yuv420p", "160x120", "Audio: aac", "48000 Hz", "mono"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("ffmpeg -i does not show %q:\n%s", want, stderr)
		}
	}
	got, err := ReadPCM(ctx, ff, p, Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(float64(len(got)-len(x))) / Rate; d > 0.05 {
		t.Errorf("decoded %.3f s, want %.3f s", float64(len(got))/Rate, float64(len(x))/Rate)
	}
	db, lag := SISDR(x, got, 2400)
	t.Logf("AAC round trip: SI-SDR %.1f dB at lag %d", db, lag)
	if db < 20 {
		t.Errorf("AAC round trip SI-SDR %.1f dB, want > 20", db)
	}
	if err := Video(ctx, ff, p, nil, 0, 0, 0); err == nil {
		t.Error("no audio: no error")
	}
	if err := Video(ctx, ff, p, x, 161, 120, 10); err == nil {
		t.Error("odd width: no error")
	}
}

// fakeTB records Skip and Fatal instead of stopping the test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Skipf(string, ...any)  { f.skipped = true }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true }

func TestRequirePolicy(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("AUDIOEDIT_FFMPEG", "")
	t.Setenv("AUDIOEDIT_ESPEAK", "")
	if FFmpeg() != "" || Espeak() != "" {
		t.Fatal("tools still found with an empty PATH")
	}
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		for name, req := range map[string]func(testing.TB){
			"ffmpeg": func(tb testing.TB) { RequireFFmpeg(tb) },
			"espeak": RequireEspeak,
		} {
			f := &fakeTB{}
			req(f)
			if ci == "" && (!f.skipped || f.failed) {
				t.Errorf("%s without CI: skipped=%v failed=%v, want a skip", name, f.skipped, f.failed)
			}
			if ci != "" && (!f.failed || f.skipped) {
				t.Errorf("%s with CI set: skipped=%v failed=%v, want a failure", name, f.skipped, f.failed)
			}
		}
	}
	t.Setenv("AUDIOEDIT_FFMPEG", "/opt/custom/ffmpeg")
	if got := FFmpeg(); got != "/opt/custom/ffmpeg" {
		t.Errorf("FFmpeg() = %q, want the AUDIOEDIT_FFMPEG value", got)
	}
}
