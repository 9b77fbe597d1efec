package tools

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
)

// waitNote waits for a notification that matches, or fails after a
// minute (a guard against a hang, not a timed assertion).
func (e *testEnv) waitNote(what string, match func(mcp.JSONRPCNotification) bool) mcp.JSONRPCNotification {
	e.t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		e.mu.Lock()
		for _, n := range e.notes {
			if match(n) {
				e.mu.Unlock()
				return n
			}
		}
		e.mu.Unlock()
	}
	e.t.Fatalf("no %s notification arrived", what)
	return mcp.JSONRPCNotification{}
}

// TestResources lists and reads a session's timeline, media and export
// as resources, and checks that a subscriber hears of a finished export.
func TestResources(t *testing.T) {
	e := newTestEnvProtocol(t, legacyProtocol)
	ctx := context.Background()

	tpl, err := e.c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range tpl.ResourceTemplates {
		got[r.URITemplate.Raw()] = r.MIMEType
	}
	for _, want := range []string{timelineTemplate, exportTemplate, mediaTemplate} {
		if _, ok := got[want]; !ok {
			t.Errorf("resource templates %v lack %s", got, want)
		}
	}
	if got[timelineTemplate] != "application/json" {
		t.Errorf("timeline MIME type %q", got[timelineTemplate])
	}

	var up UploadOutput
	decode(t, e.call("upload", map[string]any{"paths": []string{noisyWAV(t)}}), &up)
	sid := up.SessionID
	e.waitNote("resources/list_changed", func(n mcp.JSONRPCNotification) bool {
		return n.Method == mcp.MethodNotificationResourcesListChanged
	})
	list, err := e.c.ListResources(ctx, mcp.ListResourcesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	uris := map[string]string{}
	for _, r := range list.Resources {
		uris[r.URI] = r.MIMEType
	}
	media := mediaURI(sid, filepath.Base(noisyWAV(t)))
	if uris[timelineURI(sid)] != "application/json" || uris[media] != "audio/wav" {
		t.Fatalf("resources/list = %v, want the timeline and %s", uris, media)
	}

	rd, err := e.c.ReadResource(ctx, readReq(timelineURI(sid)))
	if err != nil {
		t.Fatal(err)
	}
	tc, ok := rd.Contents[0].(mcp.TextResourceContents)
	if !ok || tc.MIMEType != "application/json" || !strings.Contains(tc.Text, `"session_id": "`+sid+`"`) {
		t.Fatalf("timeline contents = %#v", rd.Contents)
	}
	rd, err = e.c.ReadResource(ctx, readReq(media))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(noisyWAV(t))
	if b := blob(t, rd); !bytes.Equal(b, want) {
		t.Errorf("media blob: %d bytes, want the file's %d", len(b), len(want))
	}
	if _, err := e.c.ReadResource(ctx, readReq(exportURI(sid, "nothing.mp3"))); err == nil || !strings.Contains(err.Error(), "no export named") {
		t.Errorf("reading a missing export: %v", err)
	}

	// Subscribe to the timeline, export in the background, hear of it.
	if err := e.c.Subscribe(ctx, mcp.SubscribeRequest{Params: mcp.SubscribeParams{URI: timelineURI(sid)}}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.SetLevel(ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevelInfo}}); err != nil {
		t.Fatal(err)
	}
	e.call("edit", map[string]any{"instruction": "normalize to -16 LUFS"})
	out := filepath.Join(e.dir, "episode.mp3")
	var job JobOutput
	decode(t, e.call("export", map[string]any{"format": "mp3", "output_path": out, "wait_seconds": 0}), &job)
	e.waitNote("resources/updated", func(n mcp.JSONRPCNotification) bool {
		return n.Method == mcp.MethodNotificationResourceUpdated && n.Params.AdditionalFields["uri"] == timelineURI(sid)
	})
	logged := e.waitNote("log message", func(n mcp.JSONRPCNotification) bool {
		d, _ := n.Params.AdditionalFields["data"].(map[string]any)
		return n.Method == "notifications/message" && d["job_id"] == job.JobID && d["status"] == "completed"
	})
	if fmt.Sprint(logged.Params.AdditionalFields["level"]) != "info" {
		t.Errorf("job event level %v", logged.Params.AdditionalFields["level"])
	}
	rd, err = e.c.ReadResource(ctx, readReq(exportURI(sid, "episode.mp3")))
	if err != nil {
		t.Fatal(err)
	}
	want, _ = os.ReadFile(out)
	if b := blob(t, rd); len(want) == 0 || !bytes.Equal(b, want) {
		t.Errorf("export blob: %d bytes, want the file's %d", len(b), len(want))
	}
	if m := rd.Contents[0].(mcp.BlobResourceContents).MIMEType; m != "audio/mpeg" {
		t.Errorf("export MIME type %q", m)
	}
	// export_status of the finished job links the resource.
	res := e.call("export_status", map[string]any{"job_id": job.JobID})
	found := false
	for _, c := range res.Content {
		if l, ok := c.(mcp.ResourceLink); ok && l.URI == exportURI(sid, "episode.mp3") {
			found = true
		}
	}
	if !found {
		t.Errorf("export_status result lacks the audioedit:// link: %#v", res.Content)
	}
}

// TestLargeFileIsALink: a file too large for one message is read as a
// link to its path.
func TestLargeFileIsALink(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.wav")
	if err := os.WriteFile(big, make([]byte, maxInlineBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	x := newExtras(newDeps(nil, Options{Roots: fsutil.ParseRoots(dir)}), nil)
	c, err := x.fileContents(context.Background(), "audioedit://sessions/s/media/big.wav", big, "audio/wav")
	if err != nil {
		t.Fatal(err)
	}
	tc, ok := c[0].(mcp.TextResourceContents)
	if !ok || tc.MIMEType != "text/uri-list" || !strings.Contains(tc.Text, fileURI(big)) {
		t.Errorf("large file read as %#v, want a text/uri-list link", c[0])
	}
	// Outside the roots: refused.
	x = newExtras(newDeps(nil, Options{Roots: fsutil.ParseRoots(t.TempDir())}), nil)
	if _, err := x.fileContents(context.Background(), "u", big, "audio/wav"); err == nil {
		t.Error("a file outside the roots was read")
	}
}

func readReq(uri string) mcp.ReadResourceRequest {
	r := mcp.ReadResourceRequest{}
	r.Params.URI = uri
	return r
}

func blob(t *testing.T, rd *mcp.ReadResourceResult) []byte {
	t.Helper()
	bc, ok := rd.Contents[0].(mcp.BlobResourceContents)
	if !ok {
		t.Fatalf("contents %#v, want a blob", rd.Contents[0])
	}
	b, err := base64.StdEncoding.DecodeString(bc.Blob)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPrompts gets every prompt in both languages; every edit instruction
// it tells the agent to send parses as an edit.
func TestPrompts(t *testing.T) {
	s := NewServer(nil, Options{Roots: fsutil.Roots{}})
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	initClient(t, c, legacyProtocol)
	list, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Prompts) != 4 {
		t.Fatalf("%d prompts, want 4", len(list.Prompts))
	}
	args := map[string]string{"path": "/home/u/talk.wav", "video": "/home/u/cam.mp4", "audio": "/home/u/rec.wav", "music": "/home/u/bed.mp3", "start": "1:05"}
	instr := regexp.MustCompile(`instruction "([^"]+)"|指令为“([^”]+)”`)
	for _, p := range list.Prompts {
		for _, lang := range []string{"en", "zh"} {
			req := mcp.GetPromptRequest{}
			req.Params.Name = p.Name
			req.Params.Arguments = map[string]string{"language": lang}
			for _, a := range p.Arguments {
				if v, ok := args[a.Name]; ok {
					req.Params.Arguments[a.Name] = v
				}
			}
			res, err := c.GetPrompt(ctx, req)
			if err != nil {
				t.Fatalf("%s %s: %v", p.Name, lang, err)
			}
			text := res.Messages[0].Content.(mcp.TextContent).Text
			if strings.Contains(text, "{") || (lang == "zh") != regexp.MustCompile(`\p{Han}`).MatchString(text) {
				t.Errorf("%s %s: text not filled or not in %s:\n%s", p.Name, lang, lang, text)
			}
			ms := instr.FindAllStringSubmatch(text, -1)
			if len(ms) == 0 {
				t.Errorf("%s %s: no edit instruction in\n%s", p.Name, lang, text)
			}
			for _, m := range ms {
				in := m[1] + m[2]
				if plan := intent.Parse(in); len(plan.Ops) == 0 || len(plan.Refused) > 0 || plan.Held {
					t.Errorf("%s %s: instruction %q does not parse as an edit: %+v", p.Name, lang, in, plan)
				}
			}
		}
		req := mcp.GetPromptRequest{}
		req.Params.Name = p.Name
		if _, err := c.GetPrompt(ctx, req); err == nil || !strings.Contains(err.Error(), "needs the argument") {
			t.Errorf("%s without its required arguments: %v", p.Name, err)
		}
	}
}

// legacyProtocol is the protocol version today's clients speak (the
// TypeScript SDK, Claude Desktop): logging/setLevel sets a session's level.
// From 2026-07-28 the level is per request and unsolicited log messages
// are not sent.
const legacyProtocol = "2025-11-25"

func initClient(t *testing.T, c *client.Client, version string) {
	t.Helper()
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = version
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-test", Version: "0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
}

// TestClientLog sends the server's warnings to the client at the level it
// set, and nothing below it.
func TestClientLog(t *testing.T) {
	cl := NewClientLog()
	log := zap.New(cl)
	s := NewServer(nil, Options{Roots: fsutil.Roots{}, Logger: log, ClientLog: cl})
	c, got := logClient(t, s, legacyProtocol)
	ctx := context.Background()
	setLevel := func(l mcp.LoggingLevel) {
		if err := c.SetLevel(ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: l}}); err != nil {
			t.Fatal(err)
		}
	}
	setLevel(mcp.LoggingLevelWarning)
	log.Warn("denoiser fell back to classic", zap.String("file", "talk.wav"))
	n := <-got
	d, _ := n.Params.AdditionalFields["data"].(map[string]any)
	if fmt.Sprint(n.Params.AdditionalFields["level"]) != "warning" || d["message"] != "denoiser fell back to classic" || d["file"] != "talk.wav" {
		t.Errorf("log message %+v", n.Params.AdditionalFields)
	}
	setLevel(mcp.LoggingLevelError)
	log.Warn("below the level")
	log.Error("at the level")
	n = <-got
	if d, _ := n.Params.AdditionalFields["data"].(map[string]any); d["message"] != "at the level" {
		t.Errorf("after setLevel error, got %v first", d)
	}
}
