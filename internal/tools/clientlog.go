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
}

// NewClientLog returns a ClientLog that drops everything until NewServer
// attaches it to the server.
func NewClientLog() *ClientLog {
	return &ClientLog{t: &logTarget{sessions: map[string]server.ClientSession{}}}
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
		c.t.mu.Unlock()
	})
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
		ids = append(ids, id)
	}
	c.t.mu.Unlock()
	for _, id := range ids {
		c.send(id, mcpLevel(e.Level), e.Message, enc.Fields)
	}
	return nil
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
	d := map[string]any{"message": msg}
	for k, v := range data {
		d[k] = v
	}
	_ = s.SendLogMessageToSpecificClient(client, mcp.NewLoggingMessageNotification(level, ServerName, d))
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
