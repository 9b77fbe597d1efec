package backend

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// SessionIdleLimit is how long a session may sit unchanged and still be
// used as the current one without saying so: past it, upload starts a new
// session and says why, and the other tools ask for a session_id.
const SessionIdleLimit = 12 * time.Hour

// ActionNewSession is the EditResult.Action of an instruction that starts
// a new, empty session ("start a new project", 新建项目). The local
// backend's Edit handles an intent route of this name.
const ActionNewSession = "new_session"

type clientKey struct{}

// client is what the context says of the MCP client session.
type client struct{ id string }

// WithClientSession returns a context carrying the MCP client session's
// id (one stdio connection, one HTTP session). The current editing session
// belongs to that client: two clients never share one by accident. An
// empty id means a client without a session (stateless HTTP, protocol
// 2026-07-28 on): it has no current session, and names sessions by id.
func WithClientSession(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, clientKey{}, client{id: id})
}

// ClientSession returns the context's client session id, "" when none.
func ClientSession(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(client)
	return c.id
}

// Stateless reports whether the caller is a client without a session of
// its own, so it cannot have a current session. A context that says
// nothing of clients (a direct caller of the backend) is not stateless: it
// shares the process's one current session.
func Stateless(ctx context.Context) bool {
	c, ok := ctx.Value(clientKey{}).(client)
	return ok && c.id == ""
}

// ClientSessionEnder is implemented by backends that keep state per
// client session; the server calls it when a client goes away.
type ClientSessionEnder interface {
	EndClientSession(clientID string)
}

// SessionInfo is a session as listed by state's list_sessions.
type SessionInfo struct {
	SessionID string    `json:"session_id"`
	Files     []string  `json:"files"`
	Edits     int       `json:"edits"`
	LastEdit  time.Time `json:"last_edit,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	Current   bool      `json:"current,omitempty"`
}

// SessionLister is implemented by backends that can list recent sessions.
type SessionLister interface {
	// ListSessions returns up to limit sessions, most recently changed first.
	ListSessions(ctx context.Context, limit int) ([]SessionInfo, error)
}

// Current maps client sessions to their current editing session. The zero
// value is ready; it is safe for concurrent use. It lives in memory: a
// client that connects anew starts without a current session and names an
// old one by id (state lists them).
type Current struct {
	mu sync.Mutex
	m  map[string]string
}

// Get returns the client's current session id, "" when none.
func (c *Current) Get(ctx context.Context) string {
	if Stateless(ctx) {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[ClientSession(ctx)]
}

// Set makes id the client's current session.
func (c *Current) Set(ctx context.Context, id string) {
	if Stateless(ctx) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]string{}
	}
	c.m[ClientSession(ctx)] = id
}

// Mark sets Current on the client's current session of list and returns
// list.
func (c *Current) Mark(ctx context.Context, list []SessionInfo) []SessionInfo {
	cur := c.Get(ctx)
	for i := range list {
		list[i].Current = cur != "" && list[i].SessionID == cur
	}
	return list
}

// Forget drops a client that went away.
func (c *Current) Forget(clientID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, clientID)
}

// Idle reports whether a session last changed at updated is past the idle
// limit at now, and a sentence saying so.
func Idle(id string, updated, now time.Time) (bool, string) {
	idle := now.Sub(updated)
	if idle <= SessionIdleLimit {
		return false, ""
	}
	return true, fmt.Sprintf("session %s was last changed %s ago (over %d hours)", id, roughDuration(idle), int(SessionIdleLimit.Hours()))
}

func roughDuration(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return fmt.Sprintf("%d hours", int(d.Hours()))
}
