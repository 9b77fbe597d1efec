package nemo

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo/nemotest"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// The render items of issue 12 (item 8), each against a behaviour the
// fake learnt from the public sources.

// exportWith uploads a.mp4, applies knob to the fake and exports.
func exportWith(t *testing.T, knob func(*nemotest.Server)) (*env, *backend.Job, error) {
	t.Helper()
	e := newEnv(t)
	sid := writeMedia(t, e, "a.mp4")
	if knob != nil {
		knob(e.fake)
	}
	job, err := e.b.Export(ctxT(t), exportReq(e, sid))
	return e, job, e.note(err)
}

func TestRenderIDFromStartReply(t *testing.T) {
	t.Parallel()
	e, job, err := exportWith(t, nil)
	if err != nil || job.Status != backend.JobCompleted {
		t.Fatalf("%+v %v", job, err)
	}
	sj, _ := e.st.GetJob(context.Background(), job.ID)
	if !strings.HasPrefix(sj.RemoteID, "rnd_") {
		t.Fatalf("kept render id %q, want the start reply's render_id", sj.RemoteID)
	}
	for _, r := range e.fake.Requests() {
		if strings.HasPrefix(r.Path, "/api/render/proxy/lambda/render_") {
			t.Errorf("polled the request id: %s", r.Path)
		}
	}
}

func TestRenderPollingCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := writeMedia(t, e, "a.mp4")
	e.fake.SetRenderSteps(50)
	job, err := e.b.Export(ctxT(t), backend.ExportRequest{SessionID: sid, Wait: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sj, _ := e.st.GetJob(context.Background(), job.ID)
	if job.Status != backend.JobRunning || !strings.Contains(job.Message, "after 10 checks") ||
		!strings.Contains(job.Message, job.ID) || !strings.Contains(job.Message, sj.RemoteID) {
		t.Fatalf("%+v", job)
	}
	if n := e.fake.Count(http.MethodGet, "/api/render/proxy/lambda/"); n != 10 {
		t.Fatalf("%d polls, want 10", n)
	}
}

func TestRenderNotFoundAtFirstPoll(t *testing.T) {
	t.Parallel()
	_, job, err := exportWith(t, func(f *nemotest.Server) { f.RenderMissingFirst(2) })
	if err != nil || job.Status != backend.JobCompleted {
		t.Fatalf("%+v %v", job, err)
	}
}

func TestRenderForbiddenForAnonymous(t *testing.T) {
	t.Parallel()
	e, _, err := exportWith(t, func(f *nemotest.Server) { f.AnonymousCannotRender(true) })
	m := userMsg(t, err)
	if !strings.Contains(m, "This plan cannot export") || !strings.Contains(m, "register or upgrade") || !strings.Contains(m, "/register?bind=anon_") {
		t.Fatalf("message %q", m)
	}
	if n := e.fake.Count(http.MethodPost, "/api/render/proxy/lambda"); n != 1 {
		t.Fatalf("%d render starts, want 1 (a 403 is not retried)", n)
	}
}

func TestBrowserLinkIsTaskLink(t *testing.T) {
	t.Parallel()
	e, job, err := exportWith(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.st.GetSession(context.Background(), job.SessionID)
	var sd sessionData
	_ = json.Unmarshal(s.Data, &sd)
	if want := DefaultWebURL + "/workspace/task/" + sd.TaskID + "?session=" + s.RemoteID; job.Link != want {
		t.Fatalf("link %q, want %q", job.Link, want)
	}
	if n := e.fake.Count(http.MethodPost, "/api/auth/claim-token"); n != 0 {
		t.Fatalf("%d claim-token calls", n)
	}
}

func TestRegisterLinkBindsWithoutUserIDInReplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.OmitUserIDs(true)
	writeMedia(t, e, "a.mp4")
	cr, err := e.b.Credits(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cr.Note, "/register?bind=anon_") {
		t.Fatalf("note %q", cr.Note)
	}
}

func TestUploadSendsContentLength(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.RequireContentLength(true)
	sid := writeMedia(t, e, "a.mp4", "b.wav")
	st, err := e.b.State(ctxT(t), sid)
	if err != nil || len(st.Media) != 2 {
		t.Fatalf("%+v %v", st, err)
	}
}

func TestBatchFileGetsItsOwnRender(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := writeMedia(t, e, "a.mp4", "b.mp4")
	job, err := e.b.Export(ctxT(t), backend.ExportRequest{SessionID: sid, File: "b.mp4", Wait: 10 * time.Second})
	if err != nil || job.Status != backend.JobCompleted || !strings.Contains(filepath.Base(job.Path), "_b_") {
		t.Fatalf("%+v %v", job, err)
	}
	var body struct {
		Draft struct {
			T []struct {
				Sg []struct {
					M map[string]any `json:"m"`
				} `json:"sg"`
			} `json:"t"`
		} `json:"draft"`
	}
	for _, r := range e.fake.Requests() {
		if r.Method == http.MethodPost && r.Path == "/api/render/proxy/lambda" {
			_ = json.Unmarshal(r.Body, &body)
		}
	}
	if len(body.Draft.T) != 1 || len(body.Draft.T[0].Sg) != 1 || body.Draft.T[0].Sg[0].M["name"] != "b.mp4" {
		t.Fatalf("rendered draft %+v, want b.mp4's clip alone", body.Draft)
	}
	_, err = e.b.Export(ctxT(t), backend.ExportRequest{SessionID: sid, File: "c.mp4", Wait: time.Second})
	if m := userMsg(t, e.note(err)); !strings.Contains(m, "No clip") {
		t.Fatalf("message %q", m)
	}
}

// TestExportFormatsConvertedLocally: the cloud is asked for mp4 only and
// an mp3 export is converted here; the file is a real mp3 of the render's
// length, never an mp4 under another extension (issue 12, item 4).
func TestExportFormatsConvertedLocally(t *testing.T) {
	t.Parallel()
	ff := testmedia.RequireFFmpeg(t)
	eng, err := engine.New(engine.Options{FFmpeg: ff})
	if err != nil {
		t.Skip(err)
	}
	mp4 := filepath.Join(t.TempDir(), "render.mp4")
	tone := make([]float32, 2*testmedia.Rate)
	for i := range tone {
		tone[i] = float32(0.3 * math.Sin(2*math.Pi*440*float64(i)/testmedia.Rate))
	}
	if err := testmedia.Video(ctxT(t), ff, mp4, tone, 160, 120, 25); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(mp4)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Transcode = eng.Transcode })
	e.fake.SetOutput(data)
	sid := writeMedia(t, e, "a.mp4")
	out := filepath.Join(t.TempDir(), "talk.mp3")
	job, err := e.b.Export(ctxT(t), backend.ExportRequest{SessionID: sid, OutputPath: out, Wait: 10 * time.Second})
	if err != nil || job.Status != backend.JobCompleted || job.Path != out || job.Format != "mp3" {
		t.Fatalf("%+v %v", job, err)
	}
	for _, r := range e.fake.Requests() {
		if r.Path == "/api/render/proxy/lambda" && !strings.Contains(string(r.Body), `"format":"mp4"`) {
			t.Errorf("render asked for %s", r.Body)
		}
	}
	probe, err := exec.Command(strings.TrimSuffix(ff, "ffmpeg")+"ffprobe", "-v", "error", "-show_entries", "format=format_name,duration", "-of", "json", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Format struct {
			Name     string `json:"format_name"`
			Duration string `json:"duration"`
		} `json:"format"`
	}
	_ = json.Unmarshal(probe, &p)
	if p.Format.Name != "mp3" || !strings.HasPrefix(p.Format.Duration, "2.0") {
		t.Fatalf("output is %q, %s s; want mp3 of 2 s", p.Format.Name, p.Format.Duration)
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 1 {
		t.Fatalf("left beside the output: %v", ents)
	}
	// Without ffmpeg here, another format is refused with the reason.
	e2 := newEnv(t)
	sid2 := writeMedia(t, e2, "a.mp4")
	_, err = e2.b.Export(ctxT(t), backend.ExportRequest{SessionID: sid2, Format: "wav", Wait: time.Second})
	if m := userMsg(t, e2.note(err)); !strings.Contains(m, "mp4 only") || !strings.Contains(m, "ffmpeg") {
		t.Fatalf("message %q", m)
	}
	// A format that contradicts the output path is refused.
	_, err = e.b.Export(ctxT(t), backend.ExportRequest{SessionID: sid, Format: "mp4", OutputPath: out + ".wav", Wait: time.Second})
	if m := userMsg(t, e.note(err)); !strings.Contains(m, "make them match") {
		t.Fatalf("message %q", m)
	}
}
