package tools

import (
	"context"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// defaultProgressInterval is the least time between two progress
// notifications of one call (at most 10 a second).
const defaultProgressInterval = 100 * time.Millisecond

// flushTimeout bounds how long a call waits for its notifications to leave.
const flushTimeout = 500 * time.Millisecond

// progressMiddleware turns backend progress reports into
// notifications/progress when the request carries a progress token, and
// holds the result back until those notifications have been written.
//
// mcp-go writes notifications from a goroutine that drains the session's
// notification channel and writes results directly, so without the wait
// the last updates often reach the client after the result, and clients
// drop progress that comes with or after the result. The middleware waits
// until the channel is empty and then a millisecond more, for the
// notification taken off the channel to be written.
func progressMiddleware(log *zap.Logger, interval time.Duration) server.ToolHandlerMiddleware {
	return progressMiddlewareFlush(log, interval, true)
}

// progressMiddlewareFlush is progressMiddleware; flush=false skips the
// wait, for measuring what the wait buys.
func progressMiddlewareFlush(log *zap.Logger, interval time.Duration, flush bool) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
				return next(ctx, req)
			}
			srv := server.ServerFromContext(ctx)
			session := server.ClientSessionFromContext(ctx)
			if srv == nil || session == nil {
				return next(ctx, req)
			}
			p := &progressSender{
				ctx: ctx, srv: srv, token: req.Params.Meta.ProgressToken,
				interval: interval, log: log,
			}
			res, err := next(backend.WithProgress(ctx, p.report), req)
			if p.close() > 0 && flush {
				waitFlushed(session.NotificationChannel())
			}
			return res, err
		}
	}
}

// waitFlushed waits until ch is empty (or flushTimeout passes), then 1 ms
// for the writer to finish the notification it took last.
func waitFlushed(ch chan<- mcp.JSONRPCNotification) {
	deadline := time.Now().Add(flushTimeout)
	for len(ch) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	time.Sleep(time.Millisecond)
}

// progressSender sends one call's progress notifications, throttled to one
// per interval. Progress with a total is sent as a percentage (total 100)
// that never goes down, so phases with different units read as one bar.
type progressSender struct {
	ctx      context.Context
	srv      *server.MCPServer
	token    mcp.ProgressToken
	interval time.Duration
	log      *zap.Logger

	mu      sync.Mutex
	closed  bool
	sent    int
	last    time.Time
	lastVal float64
	lastMsg string
	pending *progressUpdate
}

type progressUpdate struct {
	progress float64
	total    float64 // 0: unknown
	message  string
}

// report is the backend.ProgressFunc.
func (p *progressSender) report(r backend.Progress) {
	u := progressUpdate{progress: r.Done, message: r.Message}
	if r.Total > 0 {
		u.total = 100
		u.progress = min(100, max(0, r.Done/r.Total*100))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if u.progress < p.lastVal {
		u.progress = p.lastVal
	}
	if p.sent > 0 && u.progress == p.lastVal && u.message == p.lastMsg {
		return // nothing new
	}
	final := u.total > 0 && u.progress >= u.total
	if !final && !p.last.IsZero() && time.Since(p.last) < p.interval {
		p.pending = &u
		return
	}
	p.sendLocked(u)
}

// close stops sending, first sending the update the throttle held back,
// and returns how many notifications were sent.
func (p *progressSender) close() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending != nil {
		p.sendLocked(*p.pending)
	}
	p.closed = true
	return p.sent
}

func (p *progressSender) sendLocked(u progressUpdate) {
	p.pending = nil
	params := map[string]any{"progressToken": p.token, "progress": u.progress}
	if u.total > 0 {
		params["total"] = u.total
	}
	if u.message != "" {
		params["message"] = u.message
	}
	if err := p.srv.SendNotificationToClient(p.ctx, string(mcp.MethodNotificationProgress), params); err != nil {
		p.log.Debug("progress notification not sent", zap.Error(err))
		return
	}
	p.sent++
	p.last = time.Now()
	p.lastVal = u.progress
	p.lastMsg = u.message
}
