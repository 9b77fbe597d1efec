package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// failingBackend fails Credits with err and panics in State; the other
// methods are not called. It stands in for failures the real backends
// cannot be made to produce on demand.
type failingBackend struct {
	backend.Backend
	err error
}

func (f failingBackend) Credits(context.Context) (*backend.Credits, error) { return nil, f.err }
func (f failingBackend) Capabilities() backend.Capabilities                { return backend.Capabilities{} }
func (f failingBackend) State(context.Context, string) (*backend.StateResult, error) {
	panic("state exploded")
}

// TestErrorChannels checks the two error channels: a UserError's sentence
// reaches the model as is; any other error becomes a short "internal
// error" while the log keeps the detail; a panic is recovered and the
// server keeps serving.
func TestErrorChannels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     error
		want    string
		wantLog bool
	}{
		{"user error", fmt.Errorf("credits: %w", backend.Userf("No credits left: top up in your account, then retry.")), "No credits left: top up in your account, then retry.", false},
		{"internal error", errors.New("database is locked"), "internal error: credits failed; see the server log", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			core, logs := observer.New(zap.InfoLevel)
			s := NewServer(failingBackend{err: tt.err}, Options{Logger: zap.New(core)})
			c, err := client.NewInProcessClient(s)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			init := mcp.InitializeRequest{}
			init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
			if _, err := c.Initialize(ctx, init); err != nil {
				t.Fatal(err)
			}
			req := mcp.CallToolRequest{}
			req.Params.Name = "credits"
			res, err := c.CallTool(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			wantError(t, res, tt.want)
			logged := logs.FilterMessage("tool call failed").Len() > 0
			if logged != tt.wantLog {
				t.Errorf("logged = %v, want %v", logged, tt.wantLog)
			}
			if tt.wantLog && !strings.Contains(fmt.Sprint(logs.FilterMessage("tool call failed").All()[0].ContextMap()), "database is locked") {
				t.Errorf("log lacks the detail: %v", logs.All())
			}

			// A panicking handler does not take the server down.
			req.Params.Name = "state"
			if _, err := c.CallTool(ctx, req); err == nil || !strings.Contains(err.Error(), "panic") {
				t.Errorf("state: err = %v, want the recovered panic", err)
			}
			req.Params.Name = "credits"
			if _, err := c.CallTool(ctx, req); err != nil {
				t.Errorf("credits after a panic: %v", err)
			}
		})
	}
}
