package local

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zaptest"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// newBackend opens a real store and engine in a temp dir; mods adjust
// the options.
func newBackend(t *testing.T, mods ...func(*Options)) (*Backend, string) {
	t.Helper()
	testmedia.RequireFFmpeg(t)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "data", "audioedit.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Options{TempDir: dir, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Store: st, Engine: eng, OutputDir: filepath.Join(dir, "out"), TempDir: dir, MediaDir: filepath.Join(dir, "media"),
		Roots: fsutil.ParseRoots(os.TempDir())} // fixtures live in other test folders
	if _, err := opts.Roots.Check(dir); err != nil { // TMPDIR is a link elsewhere
		opts.Roots = nil
	}
	for _, m := range mods {
		m(&opts)
	}
	b, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(); st.Close() })
	return b, dir
}

// fixture is generated noisy speech with known pauses.
type fixture struct {
	path   string
	clean  []float32
	noisy  []float32
	speech []testmedia.Segment
}

var (
	fixOnce sync.Once
	fixData fixture
	fixErr  error
)

func speechFixture(t *testing.T) fixture {
	t.Helper()
	testmedia.RequireEspeak(t)
	fixOnce.Do(func() {
		clean, speech, err := testmedia.Speech(context.Background(), testmedia.SpeechOptions{
			Phrases: testmedia.DefaultPhrases()[:6], Pauses: []float64{0.3, 1.5, 0.6, 2.0, 1.0, 0.5}, LeadIn: 1.5, Seed: 7})
		if err != nil {
			fixErr = err
			return
		}
		noisy := testmedia.Mix(clean, testmedia.Noise(testmedia.Pink, len(clean), 3), 10)
		fixData = fixture{clean: clean, noisy: noisy, speech: speech}
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	f := fixData
	f.path = filepath.Join(t.TempDir(), "interview.wav")
	if err := testmedia.WriteWAV(f.path, f.noisy, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	return f
}

func userMsg(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	msg, ok := backend.UserMessage(err)
	if !ok {
		t.Fatalf("error %v has no user message", err)
	}
	return msg
}

func TestUploadRejectsBadInputAndLosesNothing(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	good := filepath.Join(dir, "tone.wav")
	if err := testmedia.WriteWAV(good, make([]float32, testmedia.Rate), testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	res, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{good}})
	if err != nil {
		t.Fatal(err)
	}
	sid := res.SessionID
	corrupt := filepath.Join(dir, "fake.mp4")
	os.WriteFile(corrupt, []byte("this is not a video at all, just text"), 0o644)
	empty := filepath.Join(dir, "empty.wav")
	os.WriteFile(empty, nil, 0o644)
	huge := filepath.Join(dir, "huge.wav")
	f, _ := os.Create(huge)
	f.Truncate(MaxFileSize + 1) // sparse: no disk used
	f.Close()
	tests := []struct {
		name string
		req  backend.UploadRequest
		want string
	}{
		{"missing", backend.UploadRequest{Paths: []string{filepath.Join(dir, "nope.wav")}}, "file not found"},
		{"folder", backend.UploadRequest{Paths: []string{dir}}, "is a folder"},
		{"empty", backend.UploadRequest{Paths: []string{empty}}, "empty"},
		{"corrupt", backend.UploadRequest{Paths: []string{corrupt}}, "Supported formats"},
		{"too large", backend.UploadRequest{Paths: []string{huge}}, "500 MB"},
		{"good then bad", backend.UploadRequest{Paths: []string{good, corrupt}}, "Supported formats"},
		{"unknown session", backend.UploadRequest{Paths: []string{good}, SessionID: "s_nope"}, "unknown session"},
		{"bad url", backend.UploadRequest{URLs: []string{"ftp://x/y.wav"}}, "http(s) URL"},
		{"nothing", backend.UploadRequest{}, "nothing to upload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.Upload(ctx, tc.req)
			if msg := userMsg(t, err); !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not contain %q", msg, tc.want)
			}
		})
	}
	st, err := b.State(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Media) != 1 {
		t.Fatalf("after failed uploads the session has %d media, want 1", len(st.Media))
	}
}

func TestApplyRangeTimelineTime(t *testing.T) {
	r := func(a, b float64) engine.Range { return engine.Range{Start: a, End: b} }
	tests := []struct {
		name    string
		keep    []engine.Range
		op      intent.Op
		want    []engine.Range
		wantErr bool
	}{
		{"cut first 10", []engine.Range{r(0, 60)}, intent.Op{Kind: intent.KindCut, Start: 0, End: 10}, []engine.Range{r(10, 60)}, false},
		{"cut middle", []engine.Range{r(0, 60)}, intent.Op{Kind: intent.KindCut, Start: 20, End: 30}, []engine.Range{r(0, 20), r(30, 60)}, false},
		{"cut last 5", []engine.Range{r(0, 60)}, intent.Op{Kind: intent.KindCut, Start: -5}, []engine.Range{r(0, 55)}, false},
		{"keep range", []engine.Range{r(0, 60)}, intent.Op{Kind: intent.KindKeep, Start: 15, End: 45}, []engine.Range{r(15, 45)}, false},
		// After a cut of 0:20-0:30, timeline second 25 is source second 35.
		{"timeline time after cut", []engine.Range{r(0, 20), r(30, 60)}, intent.Op{Kind: intent.KindCut, Start: 15, End: 25}, []engine.Range{r(0, 15), r(35, 60)}, false},
		{"keep across pieces", []engine.Range{r(0, 20), r(30, 60)}, intent.Op{Kind: intent.KindKeep, Start: 10, End: 40}, []engine.Range{r(10, 20), r(30, 50)}, false},
		{"outside", []engine.Range{r(0, 60)}, intent.Op{Kind: intent.KindCut, Start: 70, End: 80}, nil, true},
		{"everything", []engine.Range{r(0, 60)}, intent.Op{Kind: intent.KindCut, Start: 0, End: 0}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := applyRange(tc.keep, tc.op)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestEditHistoryUndoRedo(t *testing.T) {
	b, _ := newBackend(t)
	ctx := context.Background()
	fx := speechFixture(t)
	up, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{fx.path}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Edit(ctx, backend.EditRequest{Instruction: "remove background noise, trim silence and normalize to -16 LUFS"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 3 || res.SessionID != up.SessionID {
		t.Fatalf("applied = %v", res.Applied)
	}
	want := "Timeline (1 track): 1. Audio: interview.wav (0-"
	if !strings.HasPrefix(res.Summary, want) || !strings.Contains(res.Summary, "denoised, silence trimmed, -16 LUFS)") {
		t.Fatalf("summary = %q", res.Summary)
	}
	if len(res.Changes) != 1 {
		t.Errorf("changes = %v", res.Changes)
	}
	// Unparseable text changes nothing and lists what can be done.
	_, err = b.Edit(ctx, backend.EditRequest{Instruction: "make me a sandwich"})
	if msg := userMsg(t, err); !strings.HasPrefix(msg, "I did not apply: 'make me a sandwich' (not understood).") || !strings.Contains(msg, "Nothing changed") || !strings.Contains(msg, "noise") {
		t.Errorf("message = %q", msg)
	}
	_, err = b.Edit(ctx, backend.EditRequest{Instruction: "   "})
	userMsg(t, err)
	// A cut past the end is refused and not recorded.
	_, err = b.Edit(ctx, backend.EditRequest{Instruction: "cut from 5:00 to 6:00"})
	userMsg(t, err)
	st, _ := b.State(ctx, "")
	if len(st.History) != 1 {
		t.Fatalf("history has %d entries, want 1: %+v", len(st.History), st.History)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "undo"}); err != nil {
		t.Fatal(err)
	}
	st, _ = b.State(ctx, "")
	if strings.Contains(st.Summary, "denoised") || !st.History[0].Undone {
		t.Fatalf("after undo: %s %+v", st.Summary, st.History)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "redo"}); err != nil {
		t.Fatal(err)
	}
	st, _ = b.State(ctx, "")
	if !strings.Contains(st.Summary, "denoised") {
		t.Fatalf("after redo: %s", st.Summary)
	}
	// Non-edit phrases are routed, not parsed as edits.
	r, err := b.Edit(ctx, backend.EditRequest{Instruction: "余额"})
	if err != nil || r.Action != "credits" {
		t.Fatalf("credits route: %+v %v", r, err)
	}
	r, err = b.Edit(ctx, backend.EditRequest{Instruction: "show tracks"})
	if err != nil || r.Action != "state" || !strings.HasPrefix(r.Message, "Timeline (1 track)") {
		t.Fatalf("state route: %+v %v", r, err)
	}
}

// TestCleanPodcastChain is the product's core promise, measured: noise in
// the pauses drops, pauses are removed without losing speech, loudness
// lands on target.
func TestCleanPodcastChain(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	fx := speechFixture(t)
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{fx.path}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "remove background noise, trim silence and normalize to -16 LUFS"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []float64
	pctx := backend.WithProgress(ctx, func(p backend.Progress) { mu.Lock(); seen = append(seen, p.Done); mu.Unlock() })
	out := filepath.Join(dir, "clean.wav")
	job, err := b.Export(pctx, backend.ExportRequest{Format: "wav", OutputPath: out, Wait: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != backend.JobCompleted {
		t.Fatalf("job = %+v", job)
	}
	inDur := float64(len(fx.noisy)) / testmedia.Rate
	speechTotal := 0.0
	for _, s := range fx.speech {
		speechTotal += s.End - s.Start
	}
	pauses := inDur - speechTotal
	t.Logf("in %.2fs (speech %.2fs) -> out %.2fs; report %v; notes %v; %d progress reports", inDur, speechTotal, job.DurationS, job.Report, job.Notes, len(seen))
	if job.DurationS > inDur-0.5*pauses || job.DurationS < speechTotal {
		t.Errorf("duration %.2f s: want between the speech (%.2f s) and input minus half the pauses (%.2f s)", job.DurationS, speechTotal, inDur-0.5*pauses)
	}
	lufs, tp, err := testmedia.Loudness(ctx, testmedia.FFmpeg(), out)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lufs+16) > 0.5 || tp > -1.5 {
		t.Errorf("loudness %.2f LUFS, true peak %.2f dBTP: want -16 ±0.5, ≤ -1.5", lufs, tp)
	}
	if job.Report["noise_reduction_db"] < 6 {
		t.Errorf("noise reduction in pauses %.1f dB, want ≥ 6", job.Report["noise_reduction_db"])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || seen[len(seen)-1] > 100 {
		t.Errorf("progress reports %v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("progress went back: %v", seen)
		}
	}
	// The input is untouched.
	back, err := testmedia.ReadPCM(ctx, testmedia.FFmpeg(), fx.path, testmedia.Rate, 1)
	if err != nil || len(back) != len(fx.noisy) {
		t.Fatalf("input changed: %d samples, %v", len(back), err)
	}
}

func TestBatchAndJobs(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	a := filepath.Join(dir, "a.wav")
	c := filepath.Join(dir, "b.wav")
	tone := make([]float32, 3*testmedia.Rate)
	for i := range tone {
		tone[i] = float32(0.1 * math.Sin(2*math.Pi*440*float64(i)/testmedia.Rate))
	}
	testmedia.WriteWAV(a, tone, testmedia.Rate, 1)
	testmedia.WriteWAV(c, tone, testmedia.Rate, 1)
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{a, c}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "cut the first second of b.wav"}); err != nil {
		t.Fatal(err)
	}
	st, _ := b.State(ctx, "")
	if !strings.Contains(st.Summary, "Audio: a.wav (0-3s)") || !strings.Contains(st.Summary, "Audio: b.wav (0-2s)") {
		t.Fatalf("summary = %s", st.Summary)
	}
	// Two voices and no video: one multitrack mix, as long as the longer.
	mixJob, err := b.Export(ctx, backend.ExportRequest{Format: "wav", Wait: time.Minute})
	if err != nil || mixJob.Status != backend.JobCompleted {
		t.Fatalf("mix export %+v %v", mixJob, err)
	}
	if math.Abs(mixJob.DurationS-3) > 0.01 {
		t.Errorf("mix of 3 s and 2 s lasts %.3f s, want 3", mixJob.DurationS)
	}
	_, err = b.Export(ctx, backend.ExportRequest{Format: "wav", File: "a.wav", OutputPath: a})
	if msg := userMsg(t, err); !strings.Contains(msg, "never overwritten") {
		t.Errorf("overwrite message = %q", msg)
	}
	job, err := b.Export(ctx, backend.ExportRequest{Format: "mp3", File: "b.wav"})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != backend.JobRunning && job.Status != backend.JobCompleted {
		t.Fatalf("status %s", job.Status)
	}
	job, err = b.ExportStatus(ctx, job.ID, time.Minute)
	if err != nil || job.Status != backend.JobCompleted {
		t.Fatalf("job %+v %v", job, err)
	}
	if math.Abs(job.DurationS-2) > 0.06 {
		t.Errorf("b.wav cut to %.3f s, want 2", job.DurationS)
	}
	if _, err := b.ExportStatus(ctx, "job_nope", 0); !strings.Contains(userMsg(t, err), "unknown job_id") {
		t.Error("unknown job should say so")
	}
}

func TestOrphanJobsFailOnRestart(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	st.PutJob(ctx, &store.Job{ID: "job_x", SessionID: "s", Backend: "local", Status: backend.JobRunning})
	testmedia.RequireFFmpeg(t)
	eng, err := engine.New(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{Store: st, Engine: eng, TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	j, err := b.ExportStatus(ctx, "job_x", 0)
	if err != nil || j.Status != backend.JobFailed || !strings.Contains(j.Error, "export again") {
		t.Fatalf("orphan = %+v, %v", j, err)
	}
}

func TestNoSession(t *testing.T) {
	b, _ := newBackend(t)
	_, err := b.State(context.Background(), "")
	if !strings.Contains(userMsg(t, err), "upload") {
		t.Error("no session should point to upload")
	}
	_, err = b.Edit(context.Background(), backend.EditRequest{Instruction: "denoise", SessionID: "s_missing"})
	if !strings.Contains(userMsg(t, err), "unknown session") {
		t.Error("unknown session should say so")
	}
	var ue *backend.UserError
	if !errors.As(err, &ue) {
		t.Error("want *backend.UserError")
	}
}
