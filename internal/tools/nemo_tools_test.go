package tools

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo"
	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo/nemotest"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// nemoEnv is an in-process MCP client and server over the nemo backend,
// which talks to the nemotest fake.
type nemoEnv struct {
	fake *nemotest.Server
	c    *client.Client
	dir  string // the root: media and exports live here
}

func newNemoEnv(tb testing.TB) *nemoEnv {
	tb.Helper()
	fake := nemotest.New(tb)
	dir := tb.TempDir()
	st, err := store.Open(filepath.Join(dir, "data", "audioedit.db"))
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "exports")
	if err := os.MkdirAll(out, 0o755); err != nil {
		tb.Fatal(err)
	}
	b, err := nemo.New(nemo.Config{
		APIURL: fake.URL, ConfigDir: filepath.Join(dir, "config"), ExecPath: "/usr/local/bin/mcp-audioedit",
		PollInterval: 5 * time.Millisecond, RetryWait: 5 * time.Millisecond, StuckAfter: 2 * time.Second, OutputDir: out,
	}, st, zap.NewNop())
	if err != nil {
		tb.Fatal(err)
	}
	s := NewServer(b, Options{Roots: fsutil.ParseRoots(dir), Version: "test"})
	c, err := client.NewInProcessClient(s)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "nemo-tools-test", Version: "0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c.Close()
		b.Close()
		st.Close()
	})
	return &nemoEnv{fake: fake, c: c, dir: dir}
}

func (e *nemoEnv) call(tb testing.TB, name string, args map[string]any) *mcp.CallToolResult {
	tb.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := e.c.CallTool(ctx, req)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return res
}

func nemoText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func nemoDecode(tb testing.TB, res *mcp.CallToolResult, out any) {
	tb.Helper()
	if res.IsError {
		tb.Fatalf("tool error: %s", nemoText(res))
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, out); err != nil {
		tb.Fatalf("structured content %s: %v", b, err)
	}
}

func TestNemoTools(t *testing.T) {
	e := newNemoEnv(t)
	media := filepath.Join(e.dir, "talk.mp4")
	if err := os.WriteFile(media, []byte("not really a video"), 0o644); err != nil {
		t.Fatal(err)
	}

	// upload
	var up struct {
		SessionID string `json:"session_id"`
		Files     []struct {
			Name, Kind string
		} `json:"files"`
	}
	nemoDecode(t, e.call(t, "upload", map[string]any{"paths": []string{media}}), &up)
	if up.SessionID == "" || len(up.Files) != 1 || up.Files[0].Name != "talk.mp4" || up.Files[0].Kind != "video" {
		t.Fatalf("upload: %+v", up)
	}
	bad := filepath.Join(e.dir, "notes.txt")
	os.WriteFile(bad, []byte("x"), 0o644)
	if res := e.call(t, "upload", map[string]any{"paths": []string{bad}}); !res.IsError || !strings.Contains(nemoText(res), "Supported formats") {
		t.Fatalf("upload txt: %s", nemoText(res))
	}

	// edit: condensed, GUI-translated text
	e.fake.Script(nemotest.NewReply(nemotest.Call("edit_multitrack"), nemotest.Response("edit_multitrack"),
		nemotest.SetDraft(`{"t":[{"tt":0,"sg":[{"st":0,"d":30000,"m":{"name":"talk.mp4"}}]},{"tt":1,"m":{"role":"bgm"},"sg":[{"st":0,"d":30000,"m":{"name":"Lo-fi","volume":0.35}}]}]}`),
		nemotest.Partial("Added Lo-fi music at 35%. Click the Export button when ready.", 3)))
	var ed struct {
		Action, Message, Summary string
		Changes                  []string
		ToolCalls                int `json:"tool_calls"`
	}
	nemoDecode(t, e.call(t, "edit", map[string]any{"instruction": "add lo-fi background music at 35%"}), &ed)
	if ed.Action != "edit" || !strings.HasPrefix(ed.Message, "Added Lo-fi music at 35%. To get the file, ask to export") || ed.ToolCalls != 1 || len(ed.Changes) != 1 {
		t.Fatalf("edit: %+v", ed)
	}
	// edit: an error event is an error result with the reason
	e.fake.Script(nemotest.NewReply(nemotest.ErrorEvent("model overloaded")))
	if res := e.call(t, "edit", map[string]any{"instruction": "add a title"}); !res.IsError || !strings.Contains(nemoText(res), "model overloaded") {
		t.Fatalf("edit error: %s", nemoText(res))
	}

	// state
	var st struct {
		Summary string `json:"summary"`
	}
	nemoDecode(t, e.call(t, "state", map[string]any{}), &st)
	if !strings.Contains(st.Summary, "BGM: Lo-fi (0-30s, 35%)") {
		t.Fatalf("state: %+v", st)
	}

	// credits
	var cr struct {
		Available, Frozen, Total int64
	}
	nemoDecode(t, e.call(t, "credits", map[string]any{}), &cr)
	if cr.Total != cr.Available+cr.Frozen || cr.Available != 80 { // 100 less two messages
		t.Fatalf("credits: %+v", cr)
	}

	// export (returns running) then export_status (completes)
	e.fake.SetRenderSteps(3)
	var job struct {
		JobID  string `json:"job_id"`
		Status string `json:"status"`
		Path   string `json:"path"`
		Link   string `json:"link"`
	}
	nemoDecode(t, e.call(t, "export", map[string]any{"wait_seconds": 0}), &job)
	if job.Status != "running" || job.JobID == "" || !strings.Contains(job.Link, "/workspace/task/") {
		t.Fatalf("export: %+v", job)
	}
	nemoDecode(t, e.call(t, "export_status", map[string]any{"job_id": job.JobID, "wait_seconds": 10}), &job)
	if job.Status != "completed" || !strings.HasPrefix(job.Path, filepath.Join(e.dir, "exports")) {
		t.Fatalf("export_status: %+v", job)
	}
	if b, err := os.ReadFile(job.Path); err != nil || !strings.HasPrefix(string(b), "FAKE-MP4:rnd_") {
		t.Fatalf("exported file: %q %v", b, err)
	}

	// every call carried the attribution headers
	for _, r := range e.fake.Requests() {
		if r.Header.Get("X-Skill-Source") == "" || r.Header.Get("X-Skill-Version") == "" || r.Header.Get("X-Skill-Platform") == "" {
			t.Errorf("%s %s without attribution", r.Method, r.Path)
		}
	}
	// 402 from the plan is not about credits
	e.fake.BlockExport(true)
	res := e.call(t, "export", map[string]any{"wait_seconds": 0})
	if !res.IsError || !strings.Contains(nemoText(res), "register or upgrade your plan to unlock export") {
		t.Fatalf("402: %s", nemoText(res))
	}
}

// BenchmarkNemoToolOverhead compares a credits tool call through the MCP
// in-process client, server and nemo backend with the raw HTTP exchange
// it makes; it reports both p50s and their difference (target <= 2 ms).
func BenchmarkNemoToolOverhead(b *testing.B) {
	e := newNemoEnv(b)
	e.call(b, "credits", map[string]any{}) // gets a token
	tok := e.fake.Tokens()[0]
	hc := &http.Client{}
	raw := func() {
		req, _ := http.NewRequest(http.MethodGet, e.fake.URL+"/api/credits/balance/simple", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Skill-Source", "audio-editor-free")
		req.Header.Set("X-Skill-Version", "1")
		req.Header.Set("X-Skill-Platform", "unknown")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	var rawD, toolD []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		raw()
		t1 := time.Now()
		if res := e.call(b, "credits", map[string]any{}); res.IsError {
			b.Fatal(nemoText(res))
		}
		t2 := time.Now()
		rawD, toolD = append(rawD, t1.Sub(t0)), append(toolD, t2.Sub(t1))
	}
	p50 := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	pr, pt := p50(rawD), p50(toolD)
	b.ReportMetric(float64(pr.Microseconds())/1000, "raw-p50-ms")
	b.ReportMetric(float64(pt.Microseconds())/1000, "tool-p50-ms")
	b.ReportMetric(float64((pt-pr).Microseconds())/1000, "overhead-ms")
}
