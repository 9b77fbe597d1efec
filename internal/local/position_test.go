package local

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// writeUpload writes x as a WAV named name in dir and uploads it.
func writeUpload(t *testing.T, b *Backend, dir, name string, x []float32) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := testmedia.WriteWAV(p, x, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(context.Background(), backend.UploadRequest{Paths: []string{p}}); err != nil {
		t.Fatal(err)
	}
}

func edits(t *testing.T, b *Backend, ins ...string) *backend.EditResult {
	t.Helper()
	var res *backend.EditResult
	for _, in := range ins {
		var err error
		if res, err = b.Edit(context.Background(), backend.EditRequest{Instruction: in}); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
	}
	return res
}

// placedExport checks the summary holds line, exports the session to
// name.wav in dir and returns its samples, checking it is seconds long.
func placedExport(t *testing.T, b *Backend, dir, summary, line, name string, seconds float64) []float32 {
	t.Helper()
	if !strings.Contains(summary, line) {
		t.Errorf("summary = %s, want %s", summary, line)
	}
	out := filepath.Join(dir, name+".wav")
	exportTo(t, b, backend.ExportRequest{Format: "wav", OutputPath: out})
	y, err := testmedia.ReadPCM(context.Background(), testmedia.FFmpeg(), out, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d := float64(len(y))/testmedia.Rate - seconds; d < -0.05 || d > 0.05 {
		t.Errorf("output %.2f s, want %.0f s", float64(len(y))/testmedia.Rate, seconds)
	}
	return y
}

// TestMusicOffsetAndInOut: "use only 0:04-0:08 of bed.wav" and "start the
// music at 0:03" render: the bed is silent before 3 s and plays after, and
// only the part of the file asked for plays (the file holds 15 kHz for
// 0-4 s and 12 kHz for 4-8 s), measured on the output.
func TestMusicOffsetAndInOut(t *testing.T) {
	b, dir := newBackend(t)
	writeUpload(t, b, dir, "voice.wav", toneWave(10, 440, 0.1))
	writeUpload(t, b, dir, "bed.wav", append(toneWave(4, 15000, 0.3), toneWave(4, 12000, 0.3)...))
	res := edits(t, b, "use only 0:04-0:08 of bed.wav", "add bed.wav as background music at 50%, no ducking, starting at 0:03")
	t.Log(res.Summary)
	y := placedExport(t, b, dir, res.Summary, "BGM: bed.wav (3-10s", "placed", 10) // the voice sets the length
	before, after := toneLevel(y, 12000, 0.2, 2.8), toneLevel(y, 12000, 5.2, 7.8)
	cut := toneLevel(y, 15000, 5.2, 7.8)
	t.Logf("12 kHz before the offset %.1f dB, after %.1f dB; 15 kHz (outside the in/out) %.1f dB", before, after, cut)
	if after < -40 || before > after-40 {
		t.Errorf("music before its offset %.1f dB, after %.1f dB: want absent, then present", before, after)
	}
	if cut > after-40 {
		t.Errorf("the part of bed.wav outside 0:04-0:08 plays at %.1f dB", cut)
	}
	// Music starting after the programme's end is refused.
	_, err := b.Edit(context.Background(), backend.EditRequest{Instruction: "start the music at 0:12"})
	if msg := userMsg(t, err); !strings.Contains(msg, "ends") {
		t.Errorf("refusal = %q", msg)
	}
	// "start the music at 0:00" puts it back at the start.
	res = edits(t, b, "start the music at 0:00")
	y = placedExport(t, b, dir, res.Summary, "BGM: bed.wav (0-10s", "start", 10)
	if l := toneLevel(y, 12000, 2.2, 2.8); l < -40 {
		t.Errorf("music at 2.5 s %.1f dB after moving it to 0:00", l)
	}
}

// TestVoiceOffset: "put beta.wav 2 seconds later" moves that voice on the
// mix's timeline: its tone is absent for the first 2 s and the mix grows
// by 2 s.
func TestVoiceOffset(t *testing.T) {
	b, dir := newBackend(t)
	writeUpload(t, b, dir, "alpha.wav", toneWave(4, 440, 0.2))
	writeUpload(t, b, dir, "beta.wav", toneWave(4, 1000, 0.2))
	res := edits(t, b, "put beta.wav 2 seconds later")
	y := placedExport(t, b, dir, res.Summary, "Audio: beta.wav (2-6s", "mix", 6) // beta ends at 6 s
	bBefore, bAfter := toneLevel(y, 1000, 0.2, 1.8), toneLevel(y, 1000, 2.2, 5.8)
	aIn, aAfter := toneLevel(y, 440, 0.2, 3.8), toneLevel(y, 440, 4.2, 5.8)
	t.Logf("beta before 2 s %.1f dB, after %.1f dB; alpha in %.1f dB, after its end %.1f dB", bBefore, bAfter, aIn, aAfter)
	if bAfter < -40 || bBefore > bAfter-40 || aIn < -40 || aAfter > aIn-40 {
		t.Errorf("voices not where they were placed")
	}
	// Moving a voice before the timeline's start is refused, nothing recorded.
	if st, _ := b.State(context.Background(), ""); len(st.History) != 1 {
		t.Fatalf("history %+v", st.History)
	}
	_, err := b.Edit(context.Background(), backend.EditRequest{Instruction: "move beta.wav 3 seconds earlier"})
	if msg := userMsg(t, err); !strings.Contains(msg, "before") {
		t.Errorf("refusal = %q", msg)
	}
	if st, _ := b.State(context.Background(), ""); len(st.History) != 1 {
		t.Errorf("a refused move was recorded: %+v", st.History)
	}
}

// TestLoneVoiceOffset: a voice moved on its own timeline renders with
// silence before it, in a full export and with file=.
func TestLoneVoiceOffset(t *testing.T) {
	b, dir := newBackend(t)
	writeUpload(t, b, dir, "voice.wav", toneWave(3, 440, 0.2))
	res := edits(t, b, "put voice.wav 1.5 seconds later")
	y := placedExport(t, b, dir, res.Summary, "Audio: voice.wav (1.5-4.5s", "late", 4.5)
	before, after := toneLevel(y, 440, 0.1, 1.4), toneLevel(y, 440, 1.6, 4.4)
	t.Logf("440 Hz before 1.5 s %.1f dB, after %.1f dB", before, after)
	if after < -40 || before > after-40 {
		t.Errorf("voice before its offset %.1f dB, after %.1f dB", before, after)
	}
	out := filepath.Join(dir, "file.wav")
	exportTo(t, b, backend.ExportRequest{Format: "wav", File: "voice.wav", OutputPath: out})
	z, err := testmedia.ReadPCM(context.Background(), testmedia.FFmpeg(), out, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d := float64(len(z))/testmedia.Rate - 4.5; d < -0.05 || d > 0.05 || toneLevel(z, 440, 0.1, 1.4) > after-40 {
		t.Errorf("file= export %.2f s, 440 Hz before the offset %.1f dB", float64(len(z))/testmedia.Rate, toneLevel(z, 440, 0.1, 1.4))
	}
}

// TestNoMoveUnderVideo: with a video in the session, a recording is lined
// up by sync, and the video itself cannot move: both refused, nothing
// recorded.
func TestNoMoveUnderVideo(t *testing.T) {
	b, dir := reframeSession(t, 320, 180)
	writeUpload(t, b, dir, "mic.wav", toneWave(2, 440, 0.2))
	for in, want := range map[string]string{"put mic.wav 2 seconds later": "sync", "move clip.mp4 1 second later": "cannot move"} {
		_, err := b.Edit(context.Background(), backend.EditRequest{Instruction: in})
		if msg := userMsg(t, err); !strings.Contains(msg, want) {
			t.Errorf("%s: refusal %q, want it to say %q", in, msg, want)
		}
	}
	if st, _ := b.State(context.Background(), ""); len(st.History) != 0 {
		t.Errorf("refused moves were recorded: %+v", st.History)
	}
}
