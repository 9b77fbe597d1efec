package tools

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// httpClient connects a new MCP client over streamable HTTP.
func httpClient(t *testing.T, url, version string) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = version
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return c
}

func callWith(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// A fresh HTTP client does not see another client's current session: its
// files and paths stay with the client that uploaded them.
// Both protocol eras: sessions (Mcp-Session-Id) and stateless requests.
func TestHTTPClientsHaveTheirOwnCurrentSession(t *testing.T) {
	for _, v := range []string{"2025-06-18", mcp.LATEST_PROTOCOL_VERSION} {
		t.Run(v, func(t *testing.T) { testHTTPClientSessions(t, v) })
	}
}

func testHTTPClientSessions(t *testing.T, version string) {
	s, _ := newTestServer(t)
	hs := httptest.NewServer(server.NewStreamableHTTPServer(s))
	defer hs.Close()
	a, b := httpClient(t, hs.URL+"/mcp", version), httpClient(t, hs.URL+"/mcp", version)
	stateless := version == mcp.LATEST_PROTOCOL_VERSION
	var up UploadOutput
	decode(t, callWith(t, a, "upload", map[string]any{"paths": []string{noisyWAV(t)}}), &up)
	var st StateOutput
	args := map[string]any{}
	if stateless { // no connection state: the session is named
		args["session_id"] = up.SessionID
	}
	decode(t, callWith(t, a, "state", args), &st)
	if st.SessionID != up.SessionID {
		t.Fatalf("client a's state is %s, want %s", st.SessionID, up.SessionID)
	}
	res := callWith(t, b, "state", nil)
	wantError(t, res, "no session in this connection")
	if strings.Contains(text(res), up.SessionID) || strings.Contains(text(res), "noisy") {
		t.Fatalf("client b saw client a's session: %s", text(res))
	}
	wantError(t, callWith(t, b, "export", map[string]any{"format": "wav"}), "no session")
	// Listing sessions is explicit, and marks only the caller's current one.
	var list StateOutput
	decode(t, callWith(t, b, "state", map[string]any{"list_sessions": true}), &list)
	if len(list.Sessions) != 1 || list.Sessions[0].SessionID != up.SessionID || list.Sessions[0].Current || len(list.Sessions[0].Files) != 1 {
		t.Fatalf("client b's list = %+v", list.Sessions)
	}
	decode(t, callWith(t, a, "state", map[string]any{"list_sessions": true}), &list)
	if len(list.Sessions) != 1 || list.Sessions[0].Current == stateless {
		t.Fatalf("client a's list = %+v", list.Sessions)
	}
	// new_session starts a fresh session even with a current one.
	var up2 UploadOutput
	decode(t, callWith(t, a, "upload", map[string]any{"paths": []string{noisyWAV(t)}, "new_session": true}), &up2)
	if up2.SessionID == up.SessionID {
		t.Fatal("new_session: true joined the current session")
	}
}

// export_status with cancel: true stops the render and says so first; a
// second cancel finds it ended and changes nothing.
func TestExportStatusCancel(t *testing.T) {
	e := newTestEnv(t)
	long := filepath.Join(e.dir, "long.wav")
	if err := testmedia.WriteWAV(long, testmedia.Noise(testmedia.Pink, 240*testmedia.Rate, 3), testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	decode(t, e.call("upload", map[string]any{"paths": []string{long}}), &UploadOutput{})
	decode(t, e.call("edit", map[string]any{"instruction": "fade in 1 second"}), &EditOutput{})
	var job JobOutput
	decode(t, e.call("export", map[string]any{"format": "mp4", "wait_seconds": 0}), &job)
	if job.Status != "queued" && job.Status != "running" {
		t.Fatalf("export with wait_seconds 0: %+v", job)
	}
	res := e.call("export_status", map[string]any{"job_id": job.JobID, "cancel": true})
	var got JobOutput
	decode(t, res, &got)
	if res.IsError || got.Status != "cancelled" || !strings.HasPrefix(text(res), "Cancelled export "+job.JobID) {
		t.Fatalf("cancel: %s", text(res))
	}
	res = e.call("export_status", map[string]any{"job_id": job.JobID, "cancel": true})
	if !strings.Contains(text(res), "already ended") {
		t.Fatalf("second cancel: %s", text(res))
	}
	if _, err := os.Stat(got.Path); err == nil {
		t.Errorf("the cancelled export left %s", got.Path)
	}
}
