package local

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// TestFourTrackSession: video + separately recorded sound + music bed +
// title render together into one file: the picture carries the title
// while it lasts, the sound is the recorder's (the camera's marker tone is
// gone) lined up with the camera, and the music plays under it.
func TestFourTrackSession(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	fx := speechFixture(t)
	ff := testmedia.FFmpeg()
	const markerHz, musicHz = 3000.0, 7000.0
	marker := toneWave(float64(len(fx.clean))/testmedia.Rate, markerHz, 0.05)
	camera := make([]float32, len(fx.clean))
	for i := range camera {
		camera[i] = fx.clean[i] + marker[i]
	}
	video := filepath.Join(dir, "camera.mp4")
	if err := testmedia.Video(ctx, ff, video, camera, 320, 240, 25); err != nil {
		t.Fatal(err)
	}
	mic := append(make([]float32, testmedia.Rate/3), fx.clean...)
	micPath := filepath.Join(dir, "mic.wav")
	if err := testmedia.WriteWAV(micPath, mic, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	bed := filepath.Join(dir, "bed.wav")
	if err := testmedia.WriteWAV(bed, toneWave(5, musicHz, 0.3), testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{video, micPath, bed}}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"sync audio to video", "add bed.wav as background music at 20%", "add a title 'Urban Dreams' for the first 1 second"} {
		if _, err := b.Edit(ctx, backend.EditRequest{Instruction: in}); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
	}
	st, _ := b.State(ctx, "")
	t.Logf("%s", st.Summary)
	for _, want := range []string{"Video: camera.mp4", "BGM: bed.wav", `Title: "Urban Dreams" (0-1s)`} {
		if !strings.Contains(st.Summary, want) {
			t.Errorf("summary lacks %q: %s", want, st.Summary)
		}
	}
	out := filepath.Join(dir, "all.mp4")
	job := exportTo(t, b, backend.ExportRequest{OutputPath: out, Resolution: "320x240"})
	t.Logf("notes %v report %v", job.Notes, job.Report)
	total := float64(len(camera)) / testmedia.Rate
	if math.Abs(job.DurationS-total) > 0.1 {
		t.Errorf("duration %.3f s, the video's %.3f", job.DurationS, total)
	}
	// Title.
	o, w, h := grayFrame(t, b, out, 0.5)
	s, _, _ := grayFrame(t, b, video, 0.5)
	o2, _, _ := grayFrame(t, b, out, 3)
	s2, _, _ := grayFrame(t, b, video, 3)
	if on, off := regionDiff(o, s, w, h, 0.4, 0.6), regionDiff(o2, s2, w, h, 0.4, 0.6); on < 2.5 || off > 2.5 {
		t.Errorf("title band differs from the source by %.1f while shown, %.1f after", on, off)
	}
	// Sound: the recorder's, in sync, with the music.
	got, err := testmedia.ReadPCM(ctx, ff, out, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	off, conf := testmedia.Align(fx.clean, got, testmedia.Rate, 1)
	if math.Abs(off) > 0.001 {
		t.Errorf("speech is %.2f ms off the camera (confidence %.1f), want within 1 ms", off*1000, conf)
	}
	mk, mu := toneLevel(got, markerHz, 1, total-1), toneLevel(got, musicHz, 1, total-1)
	t.Logf("camera marker %.1f dB, music %.1f dB in the output", mk, mu)
	if mk > -50 {
		t.Errorf("the camera's scratch sound is still there (marker %.1f dB)", mk)
	}
	if mu < -45 {
		t.Errorf("no music in the output (%.1f dB)", mu)
	}
}

// TestVideoAndRecordingSyncByDefault: a video and a separate recording
// with nothing said export as the video with the recording's sound, lined
// up: the default combination.
func TestVideoAndRecordingSyncByDefault(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	fx := speechFixture(t)
	ff := testmedia.FFmpeg()
	const markerHz = 3000.0
	marker := toneWave(float64(len(fx.clean))/testmedia.Rate, markerHz, 0.05)
	camera := make([]float32, len(fx.clean))
	for i := range camera {
		camera[i] = fx.clean[i] + marker[i]
	}
	video := filepath.Join(dir, "camera.mp4")
	if err := testmedia.Video(ctx, ff, video, camera, 160, 120, 25); err != nil {
		t.Fatal(err)
	}
	micPath := filepath.Join(dir, "mic.wav")
	if err := testmedia.WriteWAV(micPath, append(make([]float32, testmedia.Rate/4), fx.clean...), testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{video, micPath}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "auto.mp4")
	job := exportTo(t, b, backend.ExportRequest{OutputPath: out})
	t.Logf("notes %v", job.Notes)
	got, err := testmedia.ReadPCM(ctx, ff, out, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	total := float64(len(camera)) / testmedia.Rate
	if off, conf := testmedia.Align(fx.clean, got, testmedia.Rate, 1); math.Abs(off) > 0.001 {
		t.Errorf("speech is %.2f ms off the camera (confidence %.1f), want within 1 ms", off*1000, conf)
	}
	if mk := toneLevel(got, markerHz, 1, total-1); mk > -50 {
		t.Errorf("the camera's scratch sound is still there (marker %.1f dB)", mk)
	}
}
