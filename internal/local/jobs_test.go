package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// newJobBackend is newBackend with job limits.
func newJobBackend(t *testing.T, jobs JobOptions) (*Backend, string) {
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
	b, err := New(Options{Store: st, Engine: eng, OutputDir: filepath.Join(dir, "out"), TempDir: dir, MediaDir: filepath.Join(dir, "media"), Jobs: jobs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(); st.Close() })
	return b, dir
}

// waitRendering polls until the job has made progress, so it is inside
// ffmpeg.
func waitRendering(t *testing.T, b *Backend, id string) {
	t.Helper()
	for {
		j, err := b.ExportStatus(context.Background(), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if j.Done() {
			t.Fatalf("job %s ended (%s) before it could be cancelled: %s", id, j.Status, j.Error)
		}
		if j.Status == backend.JobRunning && j.Progress > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// One render slot: later exports queue in order with their position, the
// queue is capped, a queued job cancelled never starts, a running one
// cancelled stops its ffmpeg, and the slot then serves the next export.
func TestRenderQueueCapAndCancel(t *testing.T) {
	b, dir := newJobBackend(t, JobOptions{MaxRunning: 1, MaxQueued: 2})
	ctx := context.Background()
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{toneFile(t, dir, "long.wav", 240)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "fade in 1 second"}); err != nil {
		t.Fatal(err)
	}
	slow := backend.ExportRequest{Format: "mp4", Resolution: "1080p"}
	a, err := b.Export(ctx, slow)
	if err != nil {
		t.Fatal(err)
	}
	waitRendering(t, b, a.ID)
	q1, err := b.Export(ctx, backend.ExportRequest{Format: "wav"})
	if err != nil {
		t.Fatal(err)
	}
	q2, err := b.Export(ctx, backend.ExportRequest{Format: "mp3"})
	if err != nil {
		t.Fatal(err)
	}
	if q1.Status != backend.JobQueued || q1.QueuePosition != 1 || q2.Status != backend.JobQueued || q2.QueuePosition != 2 {
		t.Fatalf("queued jobs: %s #%d, %s #%d; want queued #1 and #2", q1.Status, q1.QueuePosition, q2.Status, q2.QueuePosition)
	}
	_, err = b.Export(ctx, backend.ExportRequest{Format: "m4a"})
	if msg := userMsg(t, err); !strings.Contains(msg, "AUDIOEDIT_MAX_QUEUED_JOBS") || !strings.Contains(msg, "not started") {
		t.Fatalf("over the queue cap: %q", msg)
	}
	c, err := b.CancelJob(ctx, q1.ID)
	if err != nil || c.Status != backend.JobCancelled {
		t.Fatalf("cancel queued: %+v %v", c, err)
	}
	if j, _ := b.ExportStatus(ctx, q2.ID, 0); j.QueuePosition != 1 {
		t.Fatalf("after the job ahead was cancelled, position = %d, want 1", j.QueuePosition)
	}
	if c, err := b.CancelJob(ctx, q2.ID); err != nil || c.Status != backend.JobCancelled {
		t.Fatalf("cancel queued: %+v %v", c, err)
	}
	start := time.Now()
	c, err = b.CancelJob(ctx, a.ID)
	took := time.Since(start)
	if err != nil || c.Status != backend.JobCancelled || !strings.Contains(c.Error, "on request") {
		t.Fatalf("cancel running: %+v %v", c, err)
	}
	t.Logf("a running render was cancelled in %v", took)
	if took > 30*time.Second { // generous: the promise is about 1 s
		t.Errorf("cancelling took %v", took)
	}
	if kids := testmedia.FFmpegChildren(t); len(kids) > 0 {
		t.Fatalf("ffmpeg still runs after the cancel: pids %v", kids)
	}
	if _, err := os.Stat(a.Path); err == nil {
		t.Errorf("a cancelled render left %s", a.Path)
	}
	for _, id := range []string{q1.ID, q2.ID} {
		if j, _ := b.ExportStatus(ctx, id, 0); j.Status != backend.JobCancelled || j.Progress != 0 {
			t.Errorf("queued job %s after cancel: %s %.0f%%", id, j.Status, j.Progress)
		}
	}
	// The freed slot serves the next export; cancelling a finished job changes nothing.
	d, err := b.Export(ctx, backend.ExportRequest{Format: "wav", Wait: time.Hour})
	if err != nil || d.Status != backend.JobCompleted {
		t.Fatalf("export after cancels: %+v %v", d, err)
	}
	if c, err := b.CancelJob(ctx, d.ID); err != nil || c.Status != backend.JobCompleted {
		t.Fatalf("cancel of a finished job: %+v %v", c, err)
	}
	if info, err := b.eng.Probe(ctx, d.Path); err != nil || info.Duration < 239 {
		t.Fatalf("export after cancels: %+v %v", info, err)
	}
}

// Cancelling a call that only waits leaves the render running.
func TestCancelledWaitKeepsRendering(t *testing.T) {
	b, dir := newJobBackend(t, JobOptions{})
	ctx := context.Background()
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{toneFile(t, dir, "long.wav", 120)}}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	started := make(chan string, 1)
	go func() {
		j, _ := b.Export(wctx, backend.ExportRequest{Format: "mp4", Wait: time.Hour})
		if j != nil {
			started <- j.ID
		}
		close(started)
	}()
	var id string
	for id == "" { // the job appears in the state once planned
		st, err := b.State(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Jobs) > 0 {
			id = st.Jobs[0].ID
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-started
	// export_status's own wait, cancelled too.
	sctx, scancel := context.WithCancel(ctx)
	scancel()
	if _, err := b.ExportStatus(sctx, id, time.Hour); err != nil {
		t.Fatal(err)
	}
	j, err := b.ExportStatus(ctx, id, time.Hour)
	if err != nil || j.Status != backend.JobCompleted {
		t.Fatalf("after the waiting calls were cancelled the job is %+v, %v; want completed", j, err)
	}
}

func TestJobDeadline(t *testing.T) {
	b, dir := newJobBackend(t, JobOptions{Deadline: time.Nanosecond})
	ctx := context.Background()
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{toneFile(t, dir, "a.wav", 2)}}); err != nil {
		t.Fatal(err)
	}
	j, err := b.Export(ctx, backend.ExportRequest{Format: "wav", Wait: time.Hour})
	if err != nil || j.Status != backend.JobFailed || !strings.Contains(j.Error, "AUDIOEDIT_JOB_TIMEOUT") {
		t.Fatalf("job past its deadline: %+v %v", j, err)
	}
}

// At start only the jobs of server processes that are gone are failed: a
// second server on the same data folder leaves the first one's alone.
func TestOrphansOnlyOfDeadOwners(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	if procStart(os.Getpid()) == "" {
		t.Skip("no /proc")
	}
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	other := exec.Command("sleep", "300") // stands for another server process
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer other.Process.Kill()
	live := ownerOf(other.Process.Pid)
	st.PutJob(ctx, &store.Job{ID: "job_live", SessionID: "s", Backend: "local", Status: backend.JobRunning, Owner: live})
	st.PutJob(ctx, &store.Job{ID: "job_dead", SessionID: "s", Backend: "local", Status: backend.JobRunning, Owner: "pid:999999999:1:" + bootID()})
	st.PutJob(ctx, &store.Job{ID: "job_old", SessionID: "s", Backend: "local", Status: backend.JobQueued})
	eng, err := engine.New(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	open := func() *Backend {
		b, err := New(Options{Store: st, Engine: eng, TempDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}
	b := open()
	status := func(id string) string {
		j, err := b.ExportStatus(ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		return j.Status
	}
	if status("job_live") != backend.JobRunning || status("job_dead") != backend.JobFailed || status("job_old") != backend.JobFailed {
		t.Fatalf("live %s, dead %s, old %s", status("job_live"), status("job_dead"), status("job_old"))
	}
	if _, err := b.CancelJob(ctx, "job_live"); !strings.Contains(userMsg(t, err), "another mcp-audioedit process") {
		t.Fatal("cancelling another live process's job should say where it runs")
	}
	other.Process.Kill()
	other.Wait()
	b = open()
	if s := status("job_live"); s != backend.JobFailed {
		t.Fatalf("after its owner died the job is %s", s)
	}
}

// Exports without output_path from several sessions at once, all of a
// file with the same name: every one writes its own file.
func TestParallelExportsDistinctNames(t *testing.T) {
	b, dir := newJobBackend(t, JobOptions{MaxQueued: 64})
	ctx := context.Background()
	f := toneFile(t, dir, "same.wav", 1)
	var sessions []string
	for range 5 {
		up, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{f}, NewSession: true})
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, up.SessionID)
	}
	const n = 40
	jobs := make([]*backend.Job, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			jobs[i], errs[i] = b.Export(ctx, backend.ExportRequest{SessionID: sessions[i%len(sessions)], Format: "wav", Wait: time.Hour})
		}(i)
	}
	wg.Wait()
	paths := map[string]bool{}
	for i, j := range jobs {
		if errs[i] != nil || j.Status != backend.JobCompleted {
			t.Fatalf("export %d: %+v %v", i, j, errs[i])
		}
		if st, err := os.Stat(j.Path); err != nil || st.Size() == 0 {
			t.Fatalf("export %d: %s: %v", i, j.Path, err)
		}
		paths[j.Path] = true
	}
	if len(paths) != n {
		t.Fatalf("%d exports wrote %d distinct files", n, len(paths))
	}
}
