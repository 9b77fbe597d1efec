package tools

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// stdioPeer speaks raw JSON-RPC to a StdioServer over pipes, as a client
// process would.
type stdioPeer struct {
	t      *testing.T
	in     *io.PipeWriter
	lines  chan map[string]any
	nextID int
}

func startStdio(t *testing.T, s *server.MCPServer) *stdioPeer {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = server.NewStdioServer(s).Listen(ctx, inR, outW)
	}()
	p := &stdioPeer{t: t, in: inW, lines: make(chan map[string]any, 1024)}
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("stdout line is not JSON: %q", sc.Text())
				continue
			}
			p.lines <- m
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		cancel()
		inW.Close()
		outW.Close()
		<-done
	})
	p.request("initialize", map[string]any{
		"protocolVersion": mcp.LATEST_PROTOCOL_VERSION,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "test", "version": "0"},
	})
	p.send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
	return p
}

func (p *stdioPeer) send(m map[string]any) {
	p.t.Helper()
	b, _ := json.Marshal(m)
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

// request sends a request and returns its response and the messages that
// came before it.
func (p *stdioPeer) request(method string, params map[string]any) (resp map[string]any, before []map[string]any) {
	p.t.Helper()
	p.nextID++
	id := p.nextID
	p.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("server closed stdout before answering %s", method)
			}
			if v, ok := m["id"].(float64); ok && int(v) == id {
				return m, before
			}
			before = append(before, m)
		case <-timeout:
			p.t.Fatalf("no answer to %s", method)
		}
	}
}

// drain returns the messages that arrive within d.
func (p *stdioPeer) drain(d time.Duration) []map[string]any {
	var out []map[string]any
	deadline := time.After(d)
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				return out
			}
			out = append(out, m)
		case <-deadline:
			return out
		}
	}
}

func countProgress(msgs []map[string]any, token string) int {
	n := 0
	for _, m := range msgs {
		if m["method"] != "notifications/progress" {
			continue
		}
		if params, _ := m["params"].(map[string]any); params["progressToken"] == token {
			n++
		}
	}
	return n
}

// tickServer serves one tool that reports five progress steps and returns.
func tickServer(log *zap.Logger, mw server.ToolHandlerMiddleware) *server.MCPServer {
	s := server.NewMCPServer("tick", "0", server.WithToolHandlerMiddleware(mw))
	s.AddTool(mcp.NewTool("tick"), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		for i := 1; i <= 5; i++ {
			backend.ReportProgress(ctx, backend.Progress{Done: float64(i), Total: 5, Message: fmt.Sprintf("step %d", i)})
		}
		return mcp.NewToolResultText("done"), nil
	})
	return s
}

// measureOrdering calls tick n times over stdio with a progress token and
// counts the calls whose five notifications all came before the result.
func measureOrdering(t *testing.T, s *server.MCPServer, n int) (ordered int) {
	p := startStdio(t, s)
	for i := range n {
		token := fmt.Sprintf("tok-%d", i)
		resp, before := p.request("tools/call", map[string]any{"name": "tick", "_meta": map[string]any{"progressToken": token}})
		if resp["error"] != nil {
			t.Fatalf("tick: %v", resp["error"])
		}
		if countProgress(before, token) == 5 {
			ordered++
		}
	}
	// Everything sent must eventually arrive.
	p.drain(100 * time.Millisecond)
	return ordered
}

// TestProgressOrdering measures, over the stdio transport, how many of N
// calls deliver all their progress notifications before the result: with
// the middleware's wait, and without it (mcp-go's behaviour).
func TestProgressOrdering(t *testing.T) {
	const n = 100
	log := zaptest.NewLogger(t)
	with := measureOrdering(t, tickServer(log, progressMiddlewareFlush(log, 0, true)), n)
	without := measureOrdering(t, tickServer(log, progressMiddlewareFlush(log, 0, false)), n)
	t.Logf("calls with all 5 progress notifications before the result: %d/%d with the wait, %d/%d without", with, n, without, n)
	if with < n*97/100 {
		t.Errorf("with the wait only %d/%d calls had their progress before the result", with, n)
	}
}

func TestProgressThrottle(t *testing.T) {
	t.Parallel()
	log := zaptest.NewLogger(t)
	s := server.NewMCPServer("tick", "0", server.WithToolHandlerMiddleware(progressMiddleware(log, defaultProgressInterval)))
	s.AddTool(mcp.NewTool("burst"), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		// 200 reports in about 300 ms, with a phase going backwards.
		for i := 1; i <= 200; i++ {
			done := float64(i)
			if i > 100 && i < 150 {
				done = 50
			}
			backend.ReportProgress(ctx, backend.Progress{Done: done, Total: 200})
			time.Sleep(1500 * time.Microsecond)
		}
		return mcp.NewToolResultText("done"), nil
	})
	p := startStdio(t, s)
	start := time.Now()
	_, before := p.request("tools/call", map[string]any{"name": "burst", "_meta": map[string]any{"progressToken": "b"}})
	maxN := int(time.Since(start)/defaultProgressInterval) + 2
	var values []float64
	for _, m := range before {
		if m["method"] == "notifications/progress" {
			params := m["params"].(map[string]any)
			values = append(values, params["progress"].(float64))
			if params["total"] != 100.0 {
				t.Errorf("total = %v, want 100", params["total"])
			}
		}
	}
	if len(values) < 2 || len(values) > maxN {
		t.Errorf("got %d notifications, want 2 to %d (at most 10/s): %v", len(values), maxN, values)
	}
	for i := 1; i < len(values); i++ {
		if values[i] <= values[i-1] {
			t.Errorf("progress did not increase: %v", values)
		}
	}
	if len(values) > 0 && values[len(values)-1] != 100 {
		t.Errorf("last progress = %v, want 100", values[len(values)-1])
	}
	if extra := p.drain(50 * time.Millisecond); countProgress(extra, "b") > 0 {
		t.Errorf("progress after the result: %v", extra)
	}
}

// TestProgressWithoutToken checks a call without a progress token sends
// no notifications and reports go nowhere.
func TestProgressWithoutToken(t *testing.T) {
	t.Parallel()
	log := zaptest.NewLogger(t)
	p := startStdio(t, tickServer(log, progressMiddleware(log, 0)))
	resp, before := p.request("tools/call", map[string]any{"name": "tick"})
	if resp["error"] != nil || len(before) != 0 {
		t.Errorf("resp %v, before %v", resp, before)
	}
}
