package tools

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap/zapcore"
)

// ClientLog is a zap core that sends the server's warnings and errors to
// every connected MCP client as notifications/message; each client gets
// those at or above the level it set with logging/setLevel (mcp-go sends
// only errors until it does). Tee it into the logger given to the backend
// (zap.WrapCore) and pass it in Options, so the engine's warnings reach the
// clients; job events go to the client that started the job.
//
// A client on protocol 2026-07-28 has no logging/setLevel: it names a
// level in each request's _meta, and a server must not send it log
// messages outside a request that asked for them. Such a client gets the
// warnings logged while one of its tool calls that asked runs, on that
// call, and the job events its calls see (an export rendering, completed
// or failed); an export that ends between its calls is not told (its
// export_status or tasks/get says so).
type ClientLog struct {
	t      *logTarget
	fields []zapcore.Field
}

// logTarget is the server and its clients, shared by a ClientLog and the
// cores derived from it with With.
type logTarget struct {
	srv      atomic.Pointer[server.MCPServer]
	mu       sync.Mutex
	sessions map[string]server.ClientSession
	modern   map[string]bool                                 // sessions whose client speaks 2026-07-28
	calls    map[*server.RequestProtocolInfo]context.Context // their tool calls in flight that asked for log messages
}

// NewClientLog returns a ClientLog that drops everything until NewServer
// attaches it to the server.
func NewClientLog() *ClientLog {
	return &ClientLog{t: &logTarget{sessions: map[string]server.ClientSession{}, modern: map[string]bool{},
		calls: map[*server.RequestProtocolInfo]context.Context{}}}
}

// hooks keeps the list of connected clients.
func (c *ClientLog) hooks(h *server.Hooks) {
	h.AddOnRegisterSession(func(_ context.Context, cs server.ClientSession) {
		c.t.mu.Lock()
		c.t.sessions[cs.SessionID()] = cs
		c.t.mu.Unlock()
	})
	h.AddOnUnregisterSession(func(_ context.Context, cs server.ClientSession) {
		c.t.mu.Lock()
		delete(c.t.sessions, cs.SessionID())
		delete(c.t.modern, cs.SessionID())
		c.t.mu.Unlock()
	})
}

// middleware follows the tool calls of clients on protocol 2026-07-28:
// while a call that asked for log messages runs, warnings go to it. A call
// run as a task is not followed: its request ended with the task's
// creation.
func (c *ClientLog) middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		info := server.RequestProtocolInfoFromContext(ctx)
		if info == nil || !info.Modern {
			return next(ctx, req)
		}
		follow := info.LogLevel != "" && req.Params.Task == nil
		c.t.mu.Lock()
		if id := clientID(ctx); id != "" {
			c.t.modern[id] = true
		}
		if follow {
			c.t.calls[info] = ctx
		}
		c.t.mu.Unlock()
		if follow {
			defer func() {
				c.t.mu.Lock()
				delete(c.t.calls, info)
				c.t.mu.Unlock()
			}()
		}
		return next(ctx, req)
	}
}

func (c *ClientLog) attach(s *server.MCPServer) { c.t.srv.Store(s) }

// Enabled implements zapcore.Core: warnings and above.
func (c *ClientLog) Enabled(l zapcore.Level) bool { return l >= zapcore.WarnLevel }

// With implements zapcore.Core.
func (c *ClientLog) With(fields []zapcore.Field) zapcore.Core {
	return &ClientLog{t: c.t, fields: append(append([]zapcore.Field(nil), c.fields...), fields...)}
}

// Check implements zapcore.Core.
func (c *ClientLog) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

// Write implements zapcore.Core: one notifications/message to each client.
func (c *ClientLog) Write(e zapcore.Entry, fields []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range append(append([]zapcore.Field(nil), c.fields...), fields...) {
		f.AddTo(enc)
	}
	c.t.mu.Lock()
	ids := make([]string, 0, len(c.t.sessions))
	for id := range c.t.sessions {
		if !c.t.modern[id] {
			ids = append(ids, id)
		}
	}
	calls := make([]context.Context, 0, len(c.t.calls))
	for _, ctx := range c.t.calls {
		calls = append(calls, ctx)
	}
	c.t.mu.Unlock()
	for _, id := range ids {
		c.send(id, mcpLevel(e.Level), e.Message, enc.Fields)
	}
	for _, ctx := range calls {
		c.sendCall(ctx, mcpLevel(e.Level), e.Message, enc.Fields)
	}
	return nil
}

// reaches reports whether a message for client can be sent now: always,
// except to a client on protocol 2026-07-28 outside its calls.
func (c *ClientLog) reaches(ctx context.Context, client string) bool {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return true
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	return !c.t.modern[client]
}

// sendTo sends a job event to client: on the call ctx when it is one of a
// client on protocol 2026-07-28, else through the client's session; a
// 2026-07-28 client outside a call is not sent anything.
func (c *ClientLog) sendTo(ctx context.Context, client string, level mcp.LoggingLevel, msg string, data map[string]any) {
	switch {
	case !c.reaches(ctx, client):
	case server.IsModernRequest(ctx):
		c.sendCall(ctx, level, msg, data)
	default:
		c.send(client, level, msg, data)
	}
}

// sendCall sends one message on a 2026-07-28 call; mcp-go sends it only
// when the call's _meta asked for that level.
func (c *ClientLog) sendCall(ctx context.Context, level mcp.LoggingLevel, msg string, data map[string]any) {
	s := c.t.srv.Load()
	cs := server.ClientSessionFromContext(ctx)
	if s == nil || cs == nil {
		return
	}
	if ch := cs.NotificationChannel(); len(ch) > cap(ch)/2 {
		return
	}
	_ = s.SendLogMessageToClient(ctx, mcp.NewLoggingMessageNotification(level, ServerName, logData(msg, data)))
}

// Sync implements zapcore.Core.
func (c *ClientLog) Sync() error { return nil }

// send sends one message to one client at level. A client whose
// notification queue is half full misses it: a blocked queue makes mcp-go
// log a warning, which must not come back here as another message.
func (c *ClientLog) send(client string, level mcp.LoggingLevel, msg string, data map[string]any) {
	s := c.t.srv.Load()
	if s == nil || client == "" {
		return
	}
	c.t.mu.Lock()
	cs := c.t.sessions[client]
	c.t.mu.Unlock()
	if cs == nil {
		return
	}
	if ch := cs.NotificationChannel(); len(ch) > cap(ch)/2 {
		return
	}
	_ = s.SendLogMessageToSpecificClient(client, mcp.NewLoggingMessageNotification(level, ServerName, logData(msg, data)))
}

// logData is a log message's data: the message and its fields.
func logData(msg string, data map[string]any) map[string]any {
	d := map[string]any{"message": msg}
	for k, v := range data {
		d[k] = v
	}
	return d
}

// mcpLevel maps a zap level to an MCP (syslog) level.
func mcpLevel(l zapcore.Level) mcp.LoggingLevel {
	switch {
	case l >= zapcore.DPanicLevel:
		return mcp.LoggingLevelCritical
	case l >= zapcore.ErrorLevel:
		return mcp.LoggingLevelError
	case l >= zapcore.WarnLevel:
		return mcp.LoggingLevelWarning
	case l >= zapcore.InfoLevel:
		return mcp.LoggingLevelInfo
	}
	return mcp.LoggingLevelDebug
}
