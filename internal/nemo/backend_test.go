package nemo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo/nemotest"
)

func editReq(sid, text string) backend.EditRequest {
	return backend.EditRequest{SessionID: sid, Instruction: text}
}

func exportReq(e *env, sid string) backend.ExportRequest {
	return backend.ExportRequest{SessionID: sid, Wait: 10 * time.Second}
}

// writeMedia uploads a small file and returns the local session id.
func writeMedia(t testing.TB, e *env, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("media bytes of "+n), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	res, err := e.b.Upload(ctxT(t), backend.UploadRequest{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	return res.SessionID
}

func remoteID(t testing.TB, e *env, local string) string {
	t.Helper()
	s, err := e.st.GetSession(context.Background(), local)
	if err != nil {
		t.Fatal(err)
	}
	return s.RemoteID
}

const bgmDraft = `{"t":[{"tt":0,"sg":[{"st":0,"d":30000,"m":{"name":"a.mp4"}}]},{"tt":1,"m":{"role":"bgm"},"sg":[{"st":0,"d":30000,"m":{"name":"Lo-fi","volume":0.35}}]}],"d":30000}`

func TestRoutedActionsSkipSSE(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := writeMedia(t, e, "a.mp4")
	tests := []struct {
		text       string
		wantAction string
		wantUser   bool
		wantIn     string
	}{
		{"export", "export", false, "Exported to"},
		{"导出", "export", false, "Exported to"},
		{"send me the video", "export", false, "Exported to"},
		{"credits", "credits", false, "available"},
		{"余额", "credits", false, "available"},
		{"status", "state", false, "Timeline (1 track)"},
		{"show tracks", "state", false, "Video: a.mp4"},
		{"upload", "", true, "upload tool"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			res, err := e.b.Edit(ctxT(t), editReq(sid, tt.text))
			e.note(err)
			if tt.wantUser {
				if m := userMsg(t, err); !strings.Contains(m, tt.wantIn) {
					t.Fatalf("message %q", m)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Action != tt.wantAction || !strings.Contains(res.Message, tt.wantIn) {
				t.Fatalf("result %+v", res)
			}
		})
	}
	if n := e.fake.Count(http.MethodPost, "/run_sse"); n != 0 {
		t.Fatalf("%d messages reached /run_sse", n)
	}
}

func TestEditCondensesStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := writeMedia(t, e, "a.mp4")
	e.fake.Script(nemotest.NewReply(
		nemotest.Comment(), nemotest.Thought("I should call the tool"),
		nemotest.Call("edit_multitrack"), nemotest.Heartbeat(), nemotest.Response("edit_multitrack"),
		nemotest.EmptyData(), nemotest.SetDraft(bgmDraft),
		nemotest.Partial("Added Lo-fi background music at 35%. Click the Export button to download.", 4),
		nemotest.Text("I encountered a temporary issue. Please try again."),
	))
	var mu sync.Mutex
	var progress []backend.Progress
	ctx := backend.WithProgress(ctxT(t), func(p backend.Progress) { mu.Lock(); progress = append(progress, p); mu.Unlock() })
	res, err := e.b.Edit(ctx, editReq(sid, "add lo-fi background music at 35%"))
	if err != nil {
		t.Fatal(err)
	}
	want := "Added Lo-fi background music at 35%. To get the file, ask to export (the export tool renders and downloads it)."
	if res.Message != want {
		t.Errorf("Message = %q\nwant      %q", res.Message, want)
	}
	if res.ToolCalls != 1 || res.Action != "edit" {
		t.Errorf("ToolCalls %d, Action %q", res.ToolCalls, res.Action)
	}
	if len(res.Changes) != 1 || res.Changes[0] != "added the music track: Lo-fi (0-30s, 35%)" {
		t.Errorf("Changes %q", res.Changes)
	}
	if !strings.Contains(res.Summary, "BGM: Lo-fi (0-30s, 35%)") {
		t.Errorf("Summary %q", res.Summary)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(progress) < 3 || !strings.Contains(progress[0].Message, "still working") {
		t.Errorf("progress %+v", progress)
	}
	st, err := e.b.State(ctxT(t), sid)
	if err != nil || len(st.History) != 1 || st.History[0].Instruction != "add lo-fi background music at 35%" {
		t.Fatalf("history %+v %v", st, err)
	}
}

func TestEditSilentCompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := writeMedia(t, e, "a.mp4")
	e.fake.Script(
		nemotest.NewReply(nemotest.Call("edit_multitrack"), nemotest.Response("edit_multitrack"), nemotest.SetDraft(bgmDraft), nemotest.Heartbeat()),
		nemotest.NewReply(nemotest.Heartbeat()),
	)
	res, err := e.b.Edit(ctxT(t), editReq(sid, "add background music"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Message, "added the music track: Lo-fi (0-30s, 35%)") || len(res.Changes) != 1 {
		t.Fatalf("silent completion: %+v", res)
	}
	res, err = e.b.Edit(ctxT(t), editReq(sid, "make it nicer"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Message, "did not change") || len(res.Changes) != 0 {
		t.Fatalf("no-op completion: %+v", res)
	}
}

func TestEditErrorEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply nemotest.Reply
		want  string
	}{
		{"error field", nemotest.NewReply(nemotest.Text("Working"), nemotest.ErrorEvent("model overloaded")), "model overloaded"},
		{"event error", nemotest.NewReply(nemotest.ErrorLine("upstream timeout")), "upstream timeout"},
		{"errorCode", nemotest.NewReply(nemotest.ErrorCode("500", "render node down")), "render node down"},
		{"tagged", nemotest.NewReply(nemotest.Tagged("error", "tagged failure")), "tagged failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.fake.Script(tt.reply)
			_, err := e.b.Edit(ctxT(t), editReq("", "add a title"))
			e.note(err)
			if m := userMsg(t, err); !strings.Contains(m, tt.want) {
				t.Fatalf("message %q, want %q", m, tt.want)
			}
		})
	}
}

// TestFinishReasonEndsNormally: ADK's finish reason in errorCode after
// the final text ends the edit normally, the text and the state change
// kept (issue 12, item 1).
func TestFinishReasonEndsNormally(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"STOP", "MAX_TOKENS", "FINISH_REASON_STOP"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.fake.Script(nemotest.NewReply(nemotest.Call("edit_multitrack"), nemotest.Response("edit_multitrack"),
				nemotest.SetDraft(`{"t":[{"tt":7,"sg":[{"st":0,"d":3000,"m":{"text":"Hi"}}]}],"d":3000}`),
				nemotest.Text("Added the title \"Hi\"."), nemotest.FinishReason(code)))
			res, err := e.b.Edit(ctxT(t), editReq("", "add a title"))
			if err != nil {
				t.Fatal(e.note(err))
			}
			if res.Message != `Added the title "Hi".` || len(res.Changes) == 0 {
				t.Fatalf("%+v", res)
			}
		})
	}
}

func TestOldTaggedShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.Script(nemotest.NewReply(nemotest.Tagged("heartbeat", ""), nemotest.Tagged("tool_call", "x"), nemotest.Tagged("tool_result", "y"), nemotest.Tagged("text", "Title added.")))
	res, err := e.b.Edit(ctxT(t), editReq("", "add a title"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Message != "Title added." || res.ToolCalls != 1 {
		t.Fatalf("%+v", res)
	}
}

func TestNoCredits(t *testing.T) {
	t.Parallel()
	t.Run("anonymous", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.fake.SetCredits(0, 0)
		_, err := e.b.Edit(ctxT(t), editReq("", "add a title"))
		e.note(err)
		m := userMsg(t, err)
		if !strings.Contains(m, DefaultWebURL+"/register?bind=anon_") || !errors.Is(err, ErrNoCredits) {
			t.Fatalf("message %q", m)
		}
	})
	t.Run("in stream", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.fake.Script(nemotest.NewReply(nemotest.ErrorCode("2001", "Insufficient credits")))
		_, err := e.b.Edit(ctxT(t), editReq("", "add a title"))
		e.note(err)
		if m := userMsg(t, err); !strings.Contains(m, "/register?bind=anon_") {
			t.Fatalf("message %q", m)
		}
	})
	t.Run("registered", func(t *testing.T) {
		t.Parallel()
		fake := nemotest.New(t)
		fake.AddToken("nmv_usr_reg")
		cfg := testConfig(t, fake)
		cfg.Token = "nmv_usr_reg"
		b, err := New(cfg, openStore(t, t.TempDir()), nil)
		if err != nil {
			t.Fatal(err)
		}
		fake.SetCredits(0, 0)
		_, err = b.Edit(ctxT(t), editReq("", "add a title"))
		if m := userMsg(t, err); !strings.Contains(m, "top up credits in your account") || strings.Contains(m, "register") {
			t.Fatalf("message %q", m)
		}
	})
}

func TestConfigTokenRejected(t *testing.T) {
	t.Parallel()
	t.Run("strict", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *Config) { c.Token = "nmv_usr_bad"; c.TokenStrict = true })
		_, err := e.b.Credits(ctxT(t))
		e.note(err)
		if m := userMsg(t, err); !strings.Contains(m, "NEMO_TOKEN") || !strings.Contains(m, "NEMO_TOKEN_STRICT") {
			t.Fatalf("message %q", m)
		}
		if n := e.fake.Count(http.MethodPost, "/api/auth/anonymous-token"); n != 0 {
			t.Fatalf("%d anonymous token calls with NEMO_TOKEN_STRICT set", n)
		}
	})
	// A stale NEMO_TOKEN (the skills tell users to save the 7-day
	// anonymous token there, SKILL.md v1.8-v1.9 section 1) falls back
	// once to an anonymous token, and every result says so (issue 12,
	// item 5).
	t.Run("falls back once", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *Config) { c.Token = "nmv_usr_stale" })
		ctx := ctxT(t)
		cr, err := e.b.Credits(ctx)
		if err != nil {
			t.Fatal(e.note(err))
		}
		if !strings.Contains(cr.Note, "NEMO_TOKEN was rejected") || cr.Available != 100 {
			t.Fatalf("%+v", cr)
		}
		res, err := e.b.Edit(ctx, editReq("", "add a title"))
		if err != nil {
			t.Fatal(e.note(err))
		}
		if !strings.Contains(strings.Join(res.Notes, " "), "NEMO_TOKEN was rejected") {
			t.Fatalf("edit notes %q", res.Notes)
		}
		if n := e.fake.Count(http.MethodPost, "/api/auth/anonymous-token"); n != 1 {
			t.Fatalf("%d anonymous token calls, want 1", n)
		}
		for _, r := range e.fake.Requests()[1:] {
			if r.Header.Get("Authorization") == "Bearer nmv_usr_stale" {
				t.Errorf("%s %s: the rejected token was sent again", r.Method, r.Path)
			}
		}
	})
}

// TestTokenLimitMessage: a 429 on the token call means one token per
// client per 7 days (SKILL.md v1.8-v1.9 section 7); the user is told when
// that ends and how to register, not to "wait a minute" (issue 12, item 5).
func TestTokenLimitMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	if _, err := e.b.Credits(ctx); err != nil {
		t.Fatal(err)
	}
	e.fake.RejectTokens(true) // the token is revoked; the 7-day window is still closed
	_, err := e.b.Credits(ctx)
	e.note(err)
	m := userMsg(t, err)
	want := time.Now().UTC().Add(7 * 24 * time.Hour).Format("2006-01-02")
	if !strings.Contains(m, "every 7 days") || !strings.Contains(m, want) || !strings.Contains(m, DefaultWebURL+"/register") || strings.Contains(m, "minute") {
		t.Fatalf("message %q, want the end date %s and the register link", m, want)
	}
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err %v", err)
	}
}

func TestStreamBreakNeverResends(t *testing.T) {
	t.Parallel()
	t.Run("edit landed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		sid := writeMedia(t, e, "a.mp4")
		e.fake.Script(nemotest.NewReply(nemotest.Partial("Adding music", 2), nemotest.SetDraft(bgmDraft), nemotest.Disconnect()))
		res, err := e.b.Edit(ctxT(t), editReq(sid, "add background music"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Message, "went through") || !strings.Contains(res.Message, "Adding music") || len(res.Changes) != 1 {
			t.Fatalf("%+v", res)
		}
		if n := e.fake.Count(http.MethodPost, "/run_sse"); n != 1 {
			t.Fatalf("message sent %d times", n)
		}
	})
	t.Run("edit lands late", func(t *testing.T) {
		t.Parallel()
		// The edit lands after the first recovery read: no timing, the
		// fake's request count says when.
		e := newEnv(t, func(c *Config) { c.RecoveryReads = 1000 })
		sid := writeMedia(t, e, "a.mp4")
		rid := remoteID(t, e, sid)
		e.fake.Script(nemotest.NewReply(nemotest.Disconnect()))
		reads := func() int { return e.fake.Count(http.MethodGet, "/api/state/") }
		base := reads()
		landed := make(chan int, 1)
		go func() {
			for reads() < base+2 { // the read before the message, then the first recovery read
				time.Sleep(time.Millisecond)
			}
			e.fake.SetDraft(rid, []byte(bgmDraft))
			landed <- reads()
		}()
		res, err := e.b.Edit(ctxT(t), editReq(sid, "add background music"))
		if err != nil {
			t.Fatal(err)
		}
		if at := <-landed; len(res.Changes) != 1 || reads() <= at {
			t.Fatalf("%+v; landed at read %d, reads %d", res, at, reads())
		}
		if n := e.fake.Count(http.MethodPost, "/run_sse"); n != 1 {
			t.Fatalf("message sent %d times", n)
		}
	})
	t.Run("nothing changed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *Config) { c.PollInterval = 10 * time.Millisecond })
		sid := writeMedia(t, e, "a.mp4")
		e.fake.Script(nemotest.NewReply(nemotest.Heartbeat(), nemotest.Disconnect()))
		statesBefore := e.fake.Count(http.MethodGet, "/api/state/")
		start := time.Now()
		_, err := e.b.Edit(ctxT(t), editReq(sid, "add background music"))
		e.note(err)
		m := userMsg(t, err)
		if !strings.Contains(m, "not re-sent") || !errors.Is(err, ErrStreamBroken) {
			t.Fatalf("message %q", m)
		}
		// 1 read before the message + 5 recovery reads; waits 1x then 2x.
		if n := e.fake.Count(http.MethodGet, "/api/state/") - statesBefore; n != 6 {
			t.Fatalf("%d state reads, want 6", n)
		}
		if el := time.Since(start); el < 90*time.Millisecond {
			t.Fatalf("recovery took %v, want >= 90ms (10 + 4x20)", el)
		}
		if n := e.fake.Count(http.MethodPost, "/run_sse"); n != 1 {
			t.Fatalf("message sent %d times", n)
		}
	})
}

func TestStuckStreamGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.StuckAfter = 150 * time.Millisecond })
	var steps []any
	for i := 0; i < 40; i++ {
		steps = append(steps, nemotest.Sleep(25*time.Millisecond), nemotest.Heartbeat())
	}
	e.fake.Script(nemotest.NewReply(steps...))
	start := time.Now()
	_, err := e.b.Edit(ctxT(t), editReq("", "add a title"))
	e.note(err)
	if m := userMsg(t, err); !strings.Contains(m, "only keep-alives") {
		t.Fatalf("message %q", m)
	}
	if el := time.Since(start); el > 800*time.Millisecond {
		t.Fatalf("gave up after %v", el)
	}
	if n := e.fake.Count(http.MethodPost, "/run_sse"); n != 1 {
		t.Fatalf("message sent %d times", n)
	}
}

func TestSessionLost(t *testing.T) {
	t.Parallel()
	t.Run("1002 on state", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		sid := writeMedia(t, e, "a.mp4")
		old := remoteID(t, e, sid)
		e.fake.LoseSession(old)
		res, err := e.b.Edit(ctxT(t), editReq(sid, "add a title"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "old timeline is gone") {
			t.Fatalf("notes %q", res.Notes)
		}
		if nw := remoteID(t, e, sid); nw == old || nw == "" || e.fake.Runs(nw) != 1 {
			t.Fatalf("remote %q -> %q", old, nw)
		}
	})
	t.Run("404 on run_sse", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		sid := writeMedia(t, e, "a.mp4")
		old := remoteID(t, e, sid)
		e.fake.Script(nemotest.Reply{Status: http.StatusNotFound, Body: `{"detail":"Session not found"}`})
		res, err := e.b.Edit(ctxT(t), editReq(sid, "add a title"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "old timeline is gone") || !strings.HasPrefix(res.Message, "Done: add a title") {
			t.Fatalf("%+v", res)
		}
		if nw := remoteID(t, e, sid); nw == old {
			t.Fatal("no new session")
		}
		if n := e.fake.Count(http.MethodPost, "/run_sse"); n != 2 {
			t.Fatalf("%d run_sse calls, want 2 (404 + retry)", n)
		}
	})
	t.Run("lost twice", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.fake.Script(nemotest.Reply{Status: http.StatusNotFound, Body: `{"detail":"Session not found"}`},
			nemotest.Reply{Status: http.StatusNotFound, Body: `{"detail":"Session not found"}`})
		_, err := e.b.Edit(ctxT(t), editReq("", "add a title"))
		e.note(err)
		if !isUser(err) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestRateLimitedEdit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.RateLimit("/run_sse", 1)
	if _, err := e.b.Edit(ctxT(t), editReq("", "add a title")); err != nil {
		t.Fatal(err)
	}
	e.fake.RateLimit("/run_sse", 2)
	_, err := e.b.Edit(ctxT(t), editReq("", "add a title"))
	e.note(err)
	if m := userMsg(t, err); !strings.Contains(m, "rate-limiting") {
		t.Fatalf("message %q", m)
	}
}

func TestUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := writeMedia(t, e, "a.mp4", "b.wav")
	reqs := e.fake.Requests()
	var up []nemotest.Request
	for _, r := range reqs {
		if strings.HasPrefix(r.Path, "/api/upload-video/") {
			up = append(up, r)
		}
	}
	if len(up) != 1 || strings.Join(up[0].Files, ",") != "a.mp4,b.wav" || !strings.HasPrefix(up[0].Header.Get("Content-Type"), "multipart/form-data") {
		t.Fatalf("uploads %+v", up)
	}
	res, err := e.b.Upload(ctxT(t), backend.UploadRequest{URLs: []string{"https://example.com/c.mp3"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.SessionID != sid || len(res.Files) != 1 || res.Files[0].Kind != "audio" || res.Files[0].URL == "" {
		t.Fatalf("url upload %+v", res)
	}
	last := e.fake.Requests()
	if body := string(last[len(last)-1].Body); !strings.Contains(body, `"source_type":"url"`) {
		t.Fatalf("url body %s", body)
	}
	st, err := e.b.State(ctxT(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Media) != 3 || !strings.HasPrefix(st.Summary, "Timeline (3 tracks)") || len(st.VideoInfos) == 0 {
		t.Fatalf("state %+v", st)
	}
}

func TestUploadChecksBeforeSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("x"), 0o644)
	big := filepath.Join(dir, "big.mp4")
	f, _ := os.Create(big)
	f.Truncate(MaxUploadSize + 1) // sparse
	f.Close()
	tests := []struct {
		name string
		req  backend.UploadRequest
		want string
	}{
		{"format", backend.UploadRequest{Paths: []string{txt}}, "Supported formats: mp4, mov"},
		{"size", backend.UploadRequest{Paths: []string{big}}, "500 MB"},
		{"url format", backend.UploadRequest{URLs: []string{"https://x.com/a.exe"}}, "Supported formats"},
		{"url scheme", backend.UploadRequest{URLs: []string{"file:///etc/passwd"}}, "only http and https"},
		{"url credentials", backend.UploadRequest{URLs: []string{"https://me:pw@x.com/a.mp3"}}, "user name or password"},
		{"url loopback", backend.UploadRequest{URLs: []string{"http://127.0.0.1/a.mp3"}}, "cloud cannot reach"},
		{"nothing", backend.UploadRequest{}, "Nothing to upload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.b.Upload(ctxT(t), tt.req)
			e.note(err)
			if m := userMsg(t, err); !strings.Contains(m, tt.want) {
				t.Fatalf("message %q", m)
			}
		})
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestUploadServerCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.SetFormats("wav")
	dir := t.TempDir()
	p := filepath.Join(dir, "a.mp3")
	os.WriteFile(p, []byte("12345678"), 0o644)
	_, err := e.b.Upload(ctxT(t), backend.UploadRequest{Paths: []string{p}})
	e.note(err)
	if m := userMsg(t, err); !errors.Is(err, ErrUnsupportedFile) || !strings.Contains(m, "Supported formats") {
		t.Fatalf("4001: %v", err)
	}
	e.fake.SetFormats("mp3")
	e.fake.SetMaxUpload(4)
	_, err = e.b.Upload(ctxT(t), backend.UploadRequest{Paths: []string{p}})
	e.note(err)
	if m := userMsg(t, err); !errors.Is(err, ErrFileTooLarge) || !strings.Contains(m, "Compress") {
		t.Fatalf("4002: %v", err)
	}
}

func TestExport(t *testing.T) {
	t.Parallel()
	for shape, name := range []string{"success data outputUrl", "bare output.url", "code data output.url"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.fake.SetRenderShape(shape)
			sid := writeMedia(t, e, "a.mp4")
			var mu sync.Mutex
			var prog []backend.Progress
			ctx := backend.WithProgress(ctxT(t), func(p backend.Progress) { mu.Lock(); prog = append(prog, p); mu.Unlock() })
			job, err := e.b.Export(ctx, exportReq(e, sid))
			if err != nil {
				t.Fatal(err)
			}
			if job.Status != backend.JobCompleted || job.URL == "" || job.Path == "" || !strings.Contains(job.Link, "/workspace/task/task_") {
				t.Fatalf("job %+v", job)
			}
			sj, _ := e.st.GetJob(context.Background(), job.ID)
			b, err := os.ReadFile(job.Path)
			if err != nil || string(b) != nemotest.FileContent(sj.RemoteID) || filepath.Dir(job.Path) != e.cfg.OutputDir {
				t.Fatalf("file %s: %q %v", job.Path, b, err)
			}
			var body string
			for _, r := range e.fake.Requests() {
				if r.Path == "/api/render/proxy/lambda" {
					body = string(r.Body)
				}
			}
			if !strings.Contains(body, `"sessionId":"`+remoteID(t, e, sid)+`"`) || !strings.Contains(body, `"id":"render_`) || !strings.Contains(body, `"format":"mp4","quality":"high"`) {
				t.Fatalf("render body %s", body)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(prog) < 2 {
				t.Fatalf("progress %+v", prog)
			}
		})
	}
}

func TestExportRules(t *testing.T) {
	t.Parallel()
	t.Run("empty timeline", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.b.Edit(ctxT(t), editReq("", "hello")) // creates a session, draft stays empty
		_, err := e.b.Export(ctxT(t), exportReq(e, ""))
		e.note(err)
		if m := userMsg(t, err); !strings.Contains(m, "Nothing to export") {
			t.Fatalf("message %q", m)
		}
		if n := e.fake.Count(http.MethodPost, "/api/render/proxy/lambda"); n != 0 {
			t.Fatal("render started")
		}
	})
	t.Run("402 is the plan", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		sid := writeMedia(t, e, "a.mp4")
		e.fake.BlockExport(true)
		_, err := e.b.Export(ctxT(t), exportReq(e, sid))
		e.note(err)
		m := userMsg(t, err)
		if !strings.Contains(m, "register or upgrade your plan to unlock export") || strings.Contains(strings.ToLower(m), "no credits") || strings.Contains(m, "out of credits") {
			t.Fatalf("message %q", m)
		}
		if n := e.fake.Count(http.MethodPost, "/api/render/proxy/lambda"); n != 1 {
			t.Fatalf("%d render starts, want 1", n)
		}
	})
	t.Run("start fails once", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		sid := writeMedia(t, e, "a.mp4")
		e.fake.FailRenderStarts(1)
		job, err := e.b.Export(ctxT(t), exportReq(e, sid))
		if err != nil || job.Status != backend.JobCompleted {
			t.Fatalf("%+v %v", job, err)
		}
		var ids []string
		for _, r := range e.fake.Requests() {
			if r.Path == "/api/render/proxy/lambda" {
				ids = append(ids, string(r.Body))
			}
		}
		if len(ids) != 2 || ids[0] == ids[1] {
			t.Fatalf("render starts %v", ids)
		}
	})
	t.Run("start fails twice", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		sid := writeMedia(t, e, "a.mp4")
		e.fake.FailRenderStarts(2)
		_, err := e.b.Export(ctxT(t), exportReq(e, sid))
		e.note(err)
		if err == nil {
			t.Fatal("want error")
		}
	})
	t.Run("render fails once", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		sid := writeMedia(t, e, "a.mp4")
		e.fake.FailRenders(1)
		job, err := e.b.Export(ctxT(t), exportReq(e, sid))
		if err != nil || job.Status != backend.JobCompleted || len(job.Notes) != 1 {
			t.Fatalf("%+v %v", job, err)
		}
	})
	t.Run("render fails twice", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		sid := writeMedia(t, e, "a.mp4")
		e.fake.FailRenders(2)
		job, err := e.b.Export(ctxT(t), exportReq(e, sid))
		if err != nil || job.Status != backend.JobFailed || !strings.Contains(job.Error, "lambda render crashed") {
			t.Fatalf("%+v %v", job, err)
		}
	})
	t.Run("download fallback", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		sid := writeMedia(t, e, "a.mp4")
		e.fake.BreakOutputURL(true)
		out := filepath.Join(t.TempDir(), "sub", "final.mp4")
		job, err := e.b.Export(ctxT(t), backend.ExportRequest{SessionID: sid, OutputPath: out, Wait: 5 * time.Second})
		if err != nil || job.Status != backend.JobCompleted || job.Path != out {
			t.Fatalf("%+v %v", job, err)
		}
		if n := e.fake.Count(http.MethodGet, "/api/render/proxy/rnd_"); n != 1 {
			t.Fatalf("%d fallback downloads", n)
		}
	})
}

func TestExportResumesAfterRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.SetRenderSteps(4)
	sid := writeMedia(t, e, "a.mp4")
	job, err := e.b.Export(ctxT(t), backend.ExportRequest{SessionID: sid}) // Wait 0: one poll
	if err != nil || job.Status != backend.JobRunning || !strings.Contains(job.Message, job.ID) {
		t.Fatalf("%+v %v", job, err)
	}
	e.b.Close()
	// A new process: new Backend over the same store and config dir.
	b2, logs2 := e.newBackend(t, e.st)
	_ = logs2
	got, err := b2.ExportStatus(ctxT(t), job.ID, 5*time.Second)
	if err != nil || got.Status != backend.JobCompleted || got.Path == "" {
		t.Fatalf("%+v %v", got, err)
	}
	if n := e.fake.Count(http.MethodPost, "/api/render/proxy/lambda"); n != 1 {
		t.Fatalf("%d render starts, want 1", n)
	}
	again, err := b2.ExportStatus(ctxT(t), job.ID, 0)
	if err != nil || again.Path != got.Path {
		t.Fatalf("done job: %+v %v", again, err)
	}
	_, err = b2.ExportStatus(ctxT(t), "job_nope", 0)
	e.note(err)
	if !isUser(err) {
		t.Fatalf("unknown job: %v", err)
	}
}

func TestEnvelopeShapesEndToEnd(t *testing.T) {
	t.Parallel()
	for _, shape := range []int{nemotest.EnvelopeCode, nemotest.EnvelopeSuccess, nemotest.EnvelopeBare} {
		t.Run([]string{"code", "success", "bare"}[shape], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.fake.SetEnvelope(shape)
			sid := writeMedia(t, e, "a.mp4")
			if _, err := e.b.Edit(ctxT(t), editReq(sid, "add a title")); err != nil {
				t.Fatal(err)
			}
			if _, err := e.b.Credits(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			job, err := e.b.Export(ctxT(t), exportReq(e, sid))
			if err != nil || job.Status != backend.JobCompleted {
				t.Fatalf("%+v %v", job, err)
			}
			e.fake.SetCredits(0, 0)
			_, err = e.b.Edit(ctxT(t), editReq(sid, "add a title"))
			e.note(err)
			if !errors.Is(err, ErrNoCredits) {
				t.Fatalf("2001 in %d shape: %v", shape, err)
			}
		})
	}
}

func TestStateWithoutSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.b.State(ctxT(t), "")
	e.note(err)
	if m := userMsg(t, err); !strings.Contains(m, "No session yet") {
		t.Fatalf("message %q", m)
	}
	_, err = e.b.State(ctxT(t), "nope")
	e.note(err)
	if !isUser(err) {
		t.Fatalf("unknown session: %v", err)
	}
}

func TestCredits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.SetCredits(25000, 40)
	cr, err := e.b.Credits(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if cr.Available != 25000 || cr.Frozen != 40 || cr.Total != 25040 || !strings.Contains(cr.Note, "register") {
		t.Fatalf("%+v", cr)
	}
}

// TestSilentCompletionWholeState: a silent completion is described from a
// structural diff of the whole state (issue 12, item 2).
func TestSilentCompletionWholeState(t *testing.T) {
	t.Parallel()
	silent := func(steps ...nemotest.Event) nemotest.Reply {
		return nemotest.NewReply(append([]nemotest.Event{nemotest.Call("edit_multitrack"), nemotest.Response("edit_multitrack")}, steps...))
	}
	audio := func(seg string) string {
		return `{"t":[{"tt":1,"sg":[` + seg + `]}],"d":30000}`
	}
	tests := []struct {
		name   string
		strDft bool
		start  string // the draft before the edit ("" = the upload's)
		reply  nemotest.Reply
		want   []string
	}{
		{name: "generated media only", reply: silent(nemotest.SetGeneratedMedia(`[{"id":"g1","url":"https://cdn.example/gen/bgm_lofi.mp3?sig=1","type":"audio"}]`)),
			want: []string{"new generated media: bgm_lofi.mp3 (audio)"}},
		{name: "video infos only", reply: silent(nemotest.AddVideoInfo(`{"filename":"voiceover.mp3","file_type":"audio","cdn_url":"https://cdn.example/voiceover.mp3"}`)),
			want: []string{"new media: voiceover.mp3 (audio)"}},
		{name: "rename and effect", start: audio(`{"st":0,"d":30000,"m":{"name":"a.wav"}}`),
			reply: silent(nemotest.SetDraft(audio(`{"st":0,"d":30000,"m":{"name":"a_denoised.wav","fx":["denoise"]}}`))),
			want:  []string{"clip 1 of the audio track now uses a_denoised.wav (was a.wav)", "effect 'denoise' added to clip 1 of the audio track"}},
		{name: "unmodelled keys", start: audio(`{"st":0,"d":30000,"m":{"name":"a.wav"},"speed":1}`),
			reply: silent(nemotest.SetDraft(audio(`{"st":0,"d":30000,"m":{"name":"a.wav"},"speed":1.5}`))),
			want:  []string{"clip 1 of the audio track: speed changed from 1 to 1.5"}},
		{name: "camelCase and snake_case alike", start: audio(`{"st":0,"d":30000,"source_start":0,"m":{"name":"a.wav"}}`),
			reply: silent(nemotest.SetDraft(audio(`{"st":0,"d":30000,"sourceStart":2000,"m":{"name":"a.wav","fadeIn":500}}`))),
			want:  []string{"clip 1 of the audio track: fade in set to 500", "clip 1 of the audio track now starts 2s into its source (was 0s)"}},
		{name: "string draft", strDft: true, start: audio(`{"st":0,"d":30000,"m":{"name":"a.wav","volume":1}}`),
			reply: silent(nemotest.SetDraft(audio(`{"st":0,"d":30000,"m":{"name":"a.wav","volume":0.5}}`))),
			want:  []string{"clip 1 of the audio track volume now 50% (was 100%)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.fake.StringDrafts(tt.strDft)
			sid := writeMedia(t, e, "a.wav")
			if tt.start != "" {
				e.fake.SetDraft(remoteID(t, e, sid), json.RawMessage(tt.start))
			}
			e.fake.Script(tt.reply)
			res, err := e.b.Edit(ctxT(t), editReq(sid, "clean it up"))
			if err != nil {
				t.Fatal(e.note(err))
			}
			if diff := cmp.Diff(tt.want, res.Changes); diff != "" {
				t.Fatalf("changes (-want +got):\n%s\nmessage %q", diff, res.Message)
			}
			if !strings.Contains(res.Message, tt.want[0]) || strings.Contains(res.Message, "did not change") {
				t.Fatalf("message %q", res.Message)
			}
		})
	}
}

// TestStringDraftExports: a draft sent as a JSON string is read as the
// draft: summarised, and exported (it blocked export before).
func TestStringDraftExports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.StringDrafts(true)
	sid := writeMedia(t, e, "a.mp4")
	st, err := e.b.State(ctxT(t), sid)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Summary, "Video: a.mp4") {
		t.Fatalf("summary %q", st.Summary)
	}
	j, err := e.b.Export(ctxT(t), backend.ExportRequest{SessionID: sid, Wait: 10 * time.Second})
	if err != nil {
		t.Fatal(e.note(err))
	}
	if j.Status != backend.JobCompleted {
		t.Fatalf("%+v", j)
	}
}
