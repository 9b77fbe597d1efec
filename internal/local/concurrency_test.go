package local

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// toneFile writes a sine of secs seconds and returns its path.
func toneFile(t *testing.T, dir, name string, secs float64) string {
	t.Helper()
	p := filepath.Join(dir, name)
	s := make([]float32, int(secs*testmedia.Rate))
	for i := range s {
		s[i] = float32(0.1 * math.Sin(2*math.Pi*440*float64(i)/testmedia.Rate))
	}
	if err := testmedia.WriteWAV(p, s, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	return p
}

// Parallel cuts that each fit the timeline but not both together: edits
// of one session are serialized, so the second is checked against the
// first's result and refused, and the session stays usable.
func TestParallelConflictingEdits(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	three := toneFile(t, dir, "three.wav", 3)
	for round := range 4 {
		up, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{three}, NewSession: true})
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = b.Edit(ctx, backend.EditRequest{SessionID: up.SessionID, Instruction: "cut the first 2 seconds"})
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if _, isUser := backend.UserMessage(err); !isUser {
				t.Errorf("a refused cut failed without a user message: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d of %d parallel 2 s cuts of a 3 s file were applied, want exactly 1 (errors %v)", round, ok, n, errs)
		}
		st, err := b.State(ctx, up.SessionID)
		if err != nil {
			t.Fatalf("state after parallel cuts: %v", err)
		}
		if len(st.History) != 1 || len(st.Notes) != 0 || !strings.Contains(st.Summary, "(0-1s)") {
			t.Fatalf("after parallel cuts: %s, %d history entries, notes %q", st.Summary, len(st.History), st.Notes)
		}
	}
	job, err := b.Export(ctx, backend.ExportRequest{Format: "wav", Wait: 1 << 40})
	if err != nil || job.Status != backend.JobCompleted || math.Abs(job.DurationS-1) > 0.05 {
		t.Fatalf("export after parallel cuts: %+v %v", job, err)
	}
}

// An edit in the history that no longer applies (as two unserialized
// cuts left it before) is skipped by the rebuild and named, so state, edit,
// export and undo keep working, and undo removes it.
func TestRebuildSkipsEditThatNoLongerApplies(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	up, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{toneFile(t, dir, "three.wav", 3)}})
	if err != nil {
		t.Fatal(err)
	}
	cut, _ := json.Marshal([]opRecord{{Op: intent.Op{Kind: intent.KindCut, Start: 0, End: 2}}})
	for range 2 {
		if err := b.st.AppendEdit(ctx, &store.Edit{SessionID: up.SessionID, Instruction: "cut the first 2 seconds", Ops: cut}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := b.State(ctx, up.SessionID)
	if err != nil {
		t.Fatalf("state with a broken edit: %v", err)
	}
	if !strings.Contains(st.Summary, "(0-1s)") || len(st.Notes) != 1 || !strings.Contains(st.Notes[0], "edit 2") || !strings.Contains(st.Notes[0], "skipped") {
		t.Fatalf("state = %s, notes %q", st.Summary, st.Notes)
	}
	res, err := b.Edit(ctx, backend.EditRequest{SessionID: up.SessionID, Instruction: "fade in 0.5 seconds"})
	if err != nil || !containsNote(res.Notes, "skipped") {
		t.Fatalf("edit with a broken edit in the history: %+v %v", res, err)
	}
	job, err := b.Export(ctx, backend.ExportRequest{SessionID: up.SessionID, Format: "wav", Wait: 1 << 40})
	if err != nil || job.Status != backend.JobCompleted || !containsNote(job.Notes, "skipped") {
		t.Fatalf("export with a broken edit in the history: %+v %v", job, err)
	}
	for range 2 { // the fade, then the broken cut
		if _, err := b.Edit(ctx, backend.EditRequest{SessionID: up.SessionID, Instruction: "undo"}); err != nil {
			t.Fatalf("undo: %v", err)
		}
	}
	st, err = b.State(ctx, up.SessionID)
	if err != nil || len(st.Notes) != 0 || !strings.Contains(st.Summary, "(0-1s)") {
		t.Fatalf("after undo: %+v %v", st, err)
	}
}

// The current session belongs to the client session: another client
// sees none and starts its own.
func TestCurrentSessionPerClient(t *testing.T) {
	b, dir := newBackend(t)
	a := backend.WithClientSession(context.Background(), "client-a")
	c := backend.WithClientSession(context.Background(), "client-b")
	f := toneFile(t, dir, "private.wav", 1)
	upA, err := b.Upload(a, backend.UploadRequest{Paths: []string{f}})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := b.State(a, ""); err != nil || st.SessionID != upA.SessionID {
		t.Fatalf("client a's state: %+v %v", st, err)
	}
	_, err = b.State(c, "")
	if msg := userMsg(t, err); !strings.Contains(msg, "no session in this connection") {
		t.Fatalf("client b's state = %q", msg)
	}
	if _, err := b.Edit(c, backend.EditRequest{Instruction: "cut the first 0.5 seconds"}); err == nil {
		t.Fatal("client b edited client a's session")
	}
	upB, err := b.Upload(c, backend.UploadRequest{Paths: []string{f}})
	if err != nil || upB.SessionID == upA.SessionID {
		t.Fatalf("client b's upload joined %s (a's is %s): %v", upB.SessionID, upA.SessionID, err)
	}
	// Naming a session makes it the caller's current one.
	if _, err := b.State(c, upA.SessionID); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.State(c, ""); st.SessionID != upA.SessionID {
		t.Fatalf("current after naming a session = %s", st.SessionID)
	}
	b.EndClientSession("client-b")
	if _, err := b.State(c, ""); err == nil {
		t.Fatal("a client that went away kept its current session")
	}
}

func TestNewSessionIdleAndList(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	f := toneFile(t, dir, "day1.wav", 1)
	up1, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{f}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Upload(ctx, backend.UploadRequest{Paths: []string{f}, NewSession: true, SessionID: up1.SessionID})
	userMsg(t, err)
	up2, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{f}, NewSession: true})
	if err != nil || up2.SessionID == up1.SessionID || up2.Notice != "" {
		t.Fatalf("new_session upload: %+v %v", up2, err)
	}
	if st, _ := b.State(ctx, ""); st.SessionID != up2.SessionID || len(st.Media) != 1 {
		t.Fatalf("current after new_session = %+v", st)
	}
	// "Start a new project" through edit.
	res, err := b.startSession(ctx)
	if err != nil || res.Action != backend.ActionNewSession || !strings.Contains(res.Message, up2.SessionID) {
		t.Fatalf("start session: %+v %v", res, err)
	}
	up3, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{f}})
	if err != nil || up3.SessionID != res.SessionID || len(up3.Files) != 1 || up3.Files[0].Name != "day1.wav" {
		t.Fatalf("upload after new session: %+v %v", up3, err)
	}
	// Thirteen hours later the current session is not reused silently.
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Now().Add(13 * time.Hour) }
	_, err = b.Edit(ctx, backend.EditRequest{Instruction: "fade in 0.2 seconds"})
	if msg := userMsg(t, err); !strings.Contains(msg, "not reused") || !strings.Contains(msg, up3.SessionID) {
		t.Fatalf("edit of an idle session = %q", msg)
	}
	if _, err := b.Edit(ctx, backend.EditRequest{SessionID: up3.SessionID, Instruction: "fade in 0.2 seconds"}); err != nil {
		t.Fatalf("naming the idle session continues it: %v", err)
	}
	now = func() time.Time { return time.Now().Add(26 * time.Hour) }
	up4, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{f}})
	if err != nil || up4.SessionID == up3.SessionID || !strings.Contains(up4.Notice, "new session") || !strings.Contains(up4.Notice, up3.SessionID) {
		t.Fatalf("upload after idle: %+v %v", up4, err)
	}
	list, err := b.ListSessions(ctx, 10)
	if err != nil || len(list) != 4 || list[0].SessionID != up4.SessionID || !list[0].Current || list[1].SessionID != up3.SessionID || list[1].Edits != 1 || list[1].LastEdit.IsZero() {
		t.Fatalf("sessions = %+v %v", list, err)
	}
}
