package tools

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
)

// DefaultRootsTimeout bounds the wait for a client's answer to roots/list:
// a client that declares roots but never answers must not block its calls.
const DefaultRootsTimeout = 5 * time.Second

// rootsRetry is how long the configured roots stand in for a client that
// failed to answer roots/list before it is asked again.
const rootsRetry = time.Minute

// clientRoots keeps, for each MCP client session, the folders the tools
// may use there: the roots the client offers (roots/list), narrowed to
// the configured roots when the user set AUDIOEDIT_ROOTS. They are asked
// for on the client's first tool call, and again after it sends
// notifications/roots/list_changed. A client without the roots
// capability, or one that offers no usable folder, keeps the configured
// roots.
type clientRoots struct {
	configured fsutil.Roots
	bound      bool // the user set AUDIOEDIT_ROOTS: client roots stay inside it
	timeout    time.Duration
	log        *zap.Logger

	mu sync.Mutex
	m  map[string]*rootsEntry // by MCP session id
}

// rootsEntry is one client's answer, or the wait for it.
type rootsEntry struct {
	ready   chan struct{} // closed once scope is set
	scope   *fsutil.Scope // nil: the configured roots apply
	expires time.Time     // zero: until the client says its roots changed
}

func newClientRoots(opts Options, log *zap.Logger) *clientRoots {
	t := opts.RootsTimeout
	if t <= 0 {
		t = DefaultRootsTimeout
	}
	return &clientRoots{configured: opts.Roots, bound: opts.RootsBound, timeout: t, log: log, m: map[string]*rootsEntry{}}
}

// register asks for the roots again when a client says they changed, and
// forgets a client that goes away.
func (c *clientRoots) register(s *server.MCPServer, hooks *server.Hooks) {
	s.AddNotificationHandler(mcp.MethodNotificationRootsListChanged, func(ctx context.Context, _ mcp.JSONRPCNotification) {
		// A notification carries no session in-process: then every
		// client is asked again, which only costs a request each.
		if cs := server.ClientSessionFromContext(ctx); cs != nil && cs.SessionID() != "" {
			c.forget(cs.SessionID())
			return
		}
		c.mu.Lock()
		clear(c.m)
		c.mu.Unlock()
	})
	hooks.AddOnUnregisterSession(func(_ context.Context, cs server.ClientSession) { c.forget(cs.SessionID()) })
}

func (c *clientRoots) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// apply returns ctx carrying the calling client's folders (fsutil.Scope)
// when they are not the configured roots.
func (c *clientRoots) apply(ctx context.Context) context.Context {
	if c == nil {
		return ctx
	}
	cs, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo)
	if !ok || cs.SessionID() == "" || cs.GetClientCapabilities().Roots == nil {
		return ctx // stateless, or a client without roots: the configured roots
	}
	if sc := c.get(ctx, cs.SessionID()); sc != nil {
		return fsutil.WithScope(ctx, *sc)
	}
	return ctx
}

// get returns the client's scope, asking the client when it is not known
// (one request at a time per client; other calls wait for its answer).
func (c *clientRoots) get(ctx context.Context, id string) *fsutil.Scope {
	c.mu.Lock()
	e := c.m[id]
	fetch := e == nil || (!e.expires.IsZero() && time.Now().After(e.expires))
	if fetch {
		e = &rootsEntry{ready: make(chan struct{})}
		c.m[id] = e
	}
	c.mu.Unlock()
	if fetch {
		sc, exp := c.fetch(ctx, id)
		c.mu.Lock()
		e.scope, e.expires = sc, exp
		c.mu.Unlock()
		close(e.ready)
	}
	select {
	case <-e.ready:
		return e.scope
	case <-ctx.Done():
		return nil // the call is over; its own error says so
	}
}

// fetch asks the client for its roots and makes its scope; on no answer
// the configured roots apply until rootsRetry has passed.
func (c *clientRoots) fetch(ctx context.Context, id string) (*fsutil.Scope, time.Time) {
	s := server.ServerFromContext(ctx)
	if s == nil {
		return nil, time.Time{}
	}
	// Detached from the call that happens to ask: its answer serves every
	// call of the client.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	res, err := s.RequestRoots(rctx, mcp.ListRootsRequest{Request: mcp.Request{Method: string(mcp.MethodListRoots)}})
	if err != nil {
		c.log.Warn("the client declared roots but roots/list failed: the configured roots (AUDIOEDIT_ROOTS) apply to it for now",
			zap.String("session", id), zap.Duration("timeout", c.timeout), zap.Error(err), zap.Strings("roots", c.configured))
		return nil, time.Now().Add(rootsRetry)
	}
	var offered fsutil.Roots
	for _, r := range res.Roots {
		p, err := fsutil.RootFromURI(r.URI)
		if err != nil {
			c.log.Warn("client root dropped", zap.String("session", id), zap.Error(err))
			continue
		}
		offered = append(offered, p)
	}
	if len(offered) == 0 {
		c.log.Info("the client offers no usable root: the configured roots (AUDIOEDIT_ROOTS) apply to it",
			zap.String("session", id), zap.Int("offered", len(res.Roots)), zap.Strings("roots", c.configured))
		return nil, time.Time{}
	}
	sc := scopeOf(offered, c.configured, c.bound)
	c.log.Info("client roots", zap.String("session", id), zap.Strings("offered", offered), zap.Strings("effective", sc.Roots))
	return &sc, time.Time{}
}

// scopeOf is the scope of a client offering folders: those folders, or
// with bound their overlap with the configured roots; Fix says what the
// user can do about a path outside them.
func scopeOf(offered, configured fsutil.Roots, bound bool) fsutil.Scope {
	if !bound {
		return fsutil.Scope{Roots: offered.Narrow(offered), Fix: "these are the folders your MCP client shares with this server (its roots): move the file into one of them, or add its folder to the client's roots"}
	}
	list := func(r fsutil.Roots) string { return strings.Join(r, string(filepath.ListSeparator)) }
	eff := offered.Narrow(configured)
	if len(eff) == 0 {
		return fsutil.Scope{Fix: "the folders your MCP client shares with this server (its roots: " + list(offered) +
			") all lie outside AUDIOEDIT_ROOTS (" + list(configured) + "): add a folder inside AUDIOEDIT_ROOTS to the client's roots, or widen AUDIOEDIT_ROOTS"}
	}
	return fsutil.Scope{Roots: eff, Fix: "these are the folders your MCP client shares with this server (its roots) within AUDIOEDIT_ROOTS (" + list(configured) +
		"): move the file into one of them, or add its folder to the client's roots (inside AUDIOEDIT_ROOTS)"}
}
