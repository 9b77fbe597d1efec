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

// TestSyncAudioToVideo: a camera video with its own (noisy) sound and a
// separately recorded microphone track that started 0.8 s earlier. After
// "sync audio to video" the export's sound is the microphone's, lined up
// with the picture to the millisecond, and the video stream is copied.
func TestSyncAudioToVideo(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	fx := speechFixture(t)
	ff := testmedia.FFmpeg()
	const lead = 0.8 // the mic was started this much before the camera
	camera := testmedia.Mix(fx.clean, testmedia.Noise(testmedia.Fan, len(fx.clean), 21), 5)
	video := filepath.Join(dir, "camera.mp4")
	if err := testmedia.Video(ctx, ff, video, camera, 320, 240, 25); err != nil {
		t.Fatal(err)
	}
	d := int(lead * testmedia.Rate)
	mic := append(make([]float32, d), fx.clean...)
	mic = testmedia.Mix(mic, testmedia.Noise(testmedia.White, len(mic), 22), 25)
	micPath := filepath.Join(dir, "mic.wav")
	if err := testmedia.WriteWAV(micPath, mic, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{video, micPath}}); err != nil {
		t.Fatal(err)
	}
	res, err := b.Edit(ctx, backend.EditRequest{Instruction: "sync audio to video"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("applied %v; %s", res.Applied, res.Summary)
	if !strings.Contains(res.Summary, "sound from mic.wav") || !strings.Contains(res.Summary, "synced to camera.mp4") {
		t.Errorf("summary = %s", res.Summary)
	}
	out := filepath.Join(dir, "synced.mp4")
	job, err := b.Export(ctx, backend.ExportRequest{Format: "mp4", Resolution: "320x240", OutputPath: out, Wait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != backend.JobCompleted {
		t.Fatalf("job %+v", job)
	}
	if !containsNote(job.Notes, "video stream copied") {
		t.Errorf("the picture did not change, so the video should be copied; notes %v", job.Notes)
	}
	got, err := testmedia.ReadPCM(ctx, ff, out, 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := testmedia.ReadPCM(ctx, ff, video, 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	off, conf := testmedia.Align(ref, got, 8000, 2)
	t.Logf("output vs camera sound: offset %.3f ms, confidence %.1f; duration %.3f s", off*1000, conf, job.DurationS)
	if math.Abs(off) > 0.001 || conf < 1.5 {
		t.Errorf("synced sound is off by %.3f ms (confidence %.1f), want within 1 ms", off*1000, conf)
	}
	if math.Abs(job.DurationS-float64(len(camera))/testmedia.Rate) > 0.1 {
		t.Errorf("duration %.3f s, want the video's %.3f s", job.DurationS, float64(len(camera))/testmedia.Rate)
	}
	// The sound is the microphone's: far less fan noise than the camera's.
	outFull, _ := testmedia.ReadPCM(ctx, ff, out, testmedia.Rate, 1)
	pauses := testmedia.Complement(fx.speech, float64(len(fx.clean))/testmedia.Rate)
	if n := testmedia.EnergyDB(outFull, testmedia.Rate, pauses); n > testmedia.EnergyDB(camera, testmedia.Rate, pauses)-10 {
		t.Errorf("pause energy %.1f dB: the camera's noisy sound is still there", n)
	}
}

func containsNote(notes []string, s string) bool {
	for _, n := range notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// TestEditOnSyncedRecordingRenders: an edit aimed at the synced recording
// by name ("make mic.wav 12 dB quieter") reaches the render.
func TestEditOnSyncedRecordingRenders(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	fx := speechFixture(t)
	ff := testmedia.FFmpeg()
	video := filepath.Join(dir, "camera.mp4")
	camera := testmedia.Mix(fx.clean, testmedia.Noise(testmedia.Fan, len(fx.clean), 21), 5)
	if err := testmedia.Video(ctx, ff, video, camera, 320, 240, 25); err != nil {
		t.Fatal(err)
	}
	mic := append(make([]float32, testmedia.Rate/2), fx.clean...)
	micPath := filepath.Join(dir, "mic.wav")
	if err := testmedia.WriteWAV(micPath, mic, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{video, micPath}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "sync audio to video"}); err != nil {
		t.Fatal(err)
	}
	level := func(name string) float64 {
		out := filepath.Join(dir, name)
		job, err := b.Export(ctx, backend.ExportRequest{Format: "wav", OutputPath: out, Wait: time.Minute})
		if err != nil || job.Status != backend.JobCompleted {
			t.Fatalf("export %+v %v", job, err)
		}
		y, err := testmedia.ReadPCM(ctx, ff, out, testmedia.Rate, 1)
		if err != nil {
			t.Fatal(err)
		}
		return testmedia.RMSdB(y)
	}
	before := level("before.wav")
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "make mic.wav 12 dB quieter"}); err != nil {
		t.Fatal(err)
	}
	after := level("after.wav")
	t.Logf("synced sound %.1f dB, after the edit on mic.wav %.1f dB", before, after)
	if d := after - before; math.Abs(d+12) > 0.5 {
		t.Errorf("the edit on mic.wav changed the render by %.1f dB, want -12", d)
	}
}

// TestSyncDriftingRecorder: a recorder drifting 200 ppm from the camera
// (12 ms a minute) is synced, resampled at export and lines up with the
// camera's sound within 5 ms at the start and the end of the output.
func TestSyncDriftingRecorder(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	testmedia.RequireEspeak(t)
	x, _, err := testmedia.Speech(ctx, testmedia.SpeechOptions{TargetSeconds: 90, Seed: 5, LeadIn: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	ff := testmedia.FFmpeg()
	camera := testmedia.Mix(x, testmedia.Noise(testmedia.Fan, len(x), 21), 8)
	video := filepath.Join(dir, "camera.mp4")
	if err := testmedia.Video(ctx, ff, video, camera, 160, 120, 25); err != nil {
		t.Fatal(err)
	}
	micPath := filepath.Join(dir, "recorder.wav")
	if err := testmedia.WriteWAV(micPath, testmedia.Drift(x, 200, 0.6), testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{video, micPath}}); err != nil {
		t.Fatal(err)
	}
	res, err := b.Edit(ctx, backend.EditRequest{Instruction: "match the recorder to the camera"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v", res.Applied)
	if !strings.Contains(strings.Join(res.Applied, " "), "ppm, corrected") {
		t.Errorf("applied %v: want the drift reported and corrected", res.Applied)
	}
	out := filepath.Join(dir, "synced.wav")
	job, err := b.Export(ctx, backend.ExportRequest{Format: "wav", OutputPath: out, Wait: 3 * time.Minute})
	if err != nil || job.Status != backend.JobCompleted {
		t.Fatalf("export %+v %v", job, err)
	}
	got, err := testmedia.ReadPCM(ctx, ff, out, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	total := float64(len(camera)) / testmedia.Rate
	for _, at := range []float64{2, total - 10} {
		a := camera[int(at*testmedia.Rate):int((at+8)*testmedia.Rate)]
		g := got[int(at*testmedia.Rate):int((at+8)*testmedia.Rate)]
		off, conf := testmedia.Align(a, g, testmedia.Rate, 0.1)
		t.Logf("at %.0f s: output vs camera %.2f ms (confidence %.1f)", at, off*1000, conf)
		if math.Abs(off) > 0.005 {
			t.Errorf("at %.0f s the output is %.2f ms off the camera, want within 5 ms", at, off*1000)
		}
	}
}
