package tools

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
)

// logMessage is the message text of a notifications/message.
func logMessage(n mcp.JSONRPCNotification) string {
	d, _ := n.Params.AdditionalFields["data"].(map[string]any)
	s, _ := d["message"].(string)
	return s
}

// nextLog waits for the next log message (a bounded wait for an event, not
// a timing assertion).
func nextLog(t *testing.T, got chan mcp.JSONRPCNotification) string {
	t.Helper()
	select {
	case n := <-got:
		return logMessage(n)
	case <-time.After(20 * time.Second):
		t.Fatal("no log message came")
		return ""
	}
}

// logClient connects an in-process client speaking version to s and
// returns the log messages it receives.
func logClient(t *testing.T, s *server.MCPServer, version string) (*client.Client, chan mcp.JSONRPCNotification) {
	t.Helper()
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan mcp.JSONRPCNotification, 10)
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/message" {
			got <- n
		}
	})
	initClient(t, c, version)
	return c, got
}

// A client on protocol 2026-07-28 names its level in each request: it gets
// the warnings logged during a call that asked for them, on that call, and
// nothing outside its calls (the protocol forbids unsolicited log
// messages), not even errors.
func TestClientLogModern(t *testing.T) {
	cl := NewClientLog()
	log := zap.New(cl)
	s := NewServer(nil, Options{Roots: fsutil.Roots{}, Logger: log, ClientLog: cl})
	// A probe tool that logs a warning while it runs, as the engine does
	// during an edit; the server's middlewares wrap it like every tool.
	s.AddTool(mcp.NewTool("probe"), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		log.Warn("probe warning", zap.String("file", "talk.wav"))
		return mcp.NewToolResultText("probed"), nil
	})
	c, got := logClient(t, s, mcp.ProtocolVersion20260728)
	ctx := context.Background()
	probe := func() {
		t.Helper()
		req := mcp.CallToolRequest{}
		req.Params.Name = "probe"
		if _, err := c.CallTool(ctx, req); err != nil {
			t.Fatal(err)
		}
	}

	probe() // no level named: no message
	if err := c.SetLevel(ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevelWarning}}); err != nil {
		t.Fatal(err)
	}
	log.Error("outside any call") // unsolicited: never sent
	probe()
	// Messages keep their order, so had either of the first two been sent
	// it would come first.
	if m := nextLog(t, got); m != "probe warning" {
		t.Errorf("first log message %q, want the warning of the call that asked", m)
	}
}

// Job events reach a 2026-07-28 client on its calls: an export's
// completion on the export call that saw it, and on the export_status call
// of a render that ended between calls.
func TestClientLogModernJobEvents(t *testing.T) {
	e := newTestEnvProtocol(t, mcp.ProtocolVersion20260728)
	ctx := context.Background()
	if err := e.c.SetLevel(ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevelInfo}}); err != nil {
		t.Fatal(err)
	}
	got := make(chan mcp.JSONRPCNotification, 20)
	e.c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/message" {
			got <- n
		}
	})
	decode(t, e.call("upload", map[string]any{"paths": []string{toneWAV(t, e.dir, "talk.wav", 2)}}), &UploadOutput{})
	job := completed(t, e.call("export", map[string]any{"format": "wav"}))
	if m := nextLog(t, got); !strings.Contains(m, "export "+job.JobID+" completed") {
		t.Errorf("log message %q, want export %s completed", m, job.JobID)
	}

	var running JobOutput
	decode(t, e.call("export", map[string]any{"format": "mp3", "wait_seconds": 0}), &running)
	if !running.done() {
		if m := nextLog(t, got); !strings.Contains(m, "export "+running.JobID+" is rendering") {
			t.Errorf("log message %q, want export %s is rendering", m, running.JobID)
		}
	}
	for !running.done() {
		decode(t, e.call("export_status", map[string]any{"job_id": running.JobID, "wait_seconds": 10}), &running)
	}
	if m := nextLog(t, got); !strings.Contains(m, "export "+running.JobID+" completed") {
		t.Errorf("log message %q, want export %s completed", m, running.JobID)
	}
}
