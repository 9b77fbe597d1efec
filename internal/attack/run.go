package attack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Case is one attack.
type Case struct {
	// Name is stable: the test skip list and the report use it.
	Name string
	// Category groups cases in docs/RELIABILITY.md.
	Category string
	// Item is the issue 8 item (or review category) the case reproduces.
	Item string
	// Transport is "stdio" or "http": the server the case talks to.
	Transport string
	// Slow cases mostly wait (on the server's timeouts); the test runs
	// them in parallel.
	Slow bool
	// Run performs the attack: nil when it held, else what got through.
	Run func(e *E) error
}

// ErrNotHere is wrapped by a case that cannot run on this machine (it
// needs root to mount a small tmpfs, say): it is reported as not tried.
var ErrNotHere = errors.New("cannot run on this machine")

// Outcome is a case's result.
type Outcome struct {
	Case
	NotRun  bool // ErrNotHere: not tried
	Held    bool
	Detail  string // what got through
	Took    time.Duration
	PeakRSS int64 // the largest VmHWM of the case's server processes
}

// E is what a running case works with.
type E struct {
	Ctx context.Context
	Bin string
	SB  *Sandbox
	// Transport of the case ("stdio" or "http").
	Transport string

	mu       sync.Mutex
	servers  []*Server
	clients  []Client
	snapshot bool
	extra    []string // texts the case saw by other means
	defers   []func()
	wrap     []string // a command the next Launch runs the binary under
}

// CallTimeout bounds every call a case makes: an attack that hangs a call
// longer got through (a client gives up at about 60 s).
const CallTimeout = 90 * time.Second

// RunCase runs c against the binary bin in a new sandbox under parent.
func RunCase(ctx context.Context, bin, parent string, c Case) Outcome {
	start := time.Now()
	o := Outcome{Case: c}
	sb, err := NewSandbox(parent)
	if err != nil {
		o.Detail = "sandbox: " + err.Error()
		return o
	}
	defer os.RemoveAll(sb.Dir)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	e := &E{Ctx: ctx, Bin: bin, SB: sb, Transport: c.Transport}
	runErr := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("case panicked: %v", r)
			}
		}()
		return c.Run(e)
	}()
	var errs []error
	if errors.Is(runErr, ErrNotHere) {
		o.NotRun = true
	} else if runErr != nil {
		errs = append(errs, runErr)
	}
	var texts []string
	e.mu.Lock()
	for _, cl := range e.clients {
		texts = append(texts, cl.Said()...)
	}
	texts = append(texts, e.extra...)
	servers := append([]*Server(nil), e.servers...)
	e.mu.Unlock()
	for _, s := range servers {
		s.stop()
		o.PeakRSS = max(o.PeakRSS, s.PeakRSS())
		log := s.Stderr()
		texts = append(texts, s.Texts()...)
		if strings.Contains(log, "WARNING: DATA RACE") {
			errs = append(errs, errors.New("the server has a data race:\n"+excerpt(log, "WARNING: DATA RACE", 3000)))
		}
		if i := strings.Index(log, "panic:"); i >= 0 && !strings.Contains(log[i:min(len(log), i+200)], "recovered") {
			errs = append(errs, errors.New("the server panicked:\n"+excerpt(log, "panic:", 2000)))
		}
		for _, line := range s.Texts() {
			if strings.HasPrefix(line, "NOT JSON-RPC: ") {
				errs = append(errs, fmt.Errorf("stdout carried a line that is not JSON-RPC: %q", tail(line, 200)))
				break
			}
		}
	}
	for i := len(e.defers) - 1; i >= 0; i-- {
		e.defers[i]()
	}
	if e.snapshot {
		if err := sb.Verify(texts...); err != nil {
			errs = append(errs, err)
		}
	}
	o.Took = time.Since(start)
	if o.NotRun && len(errs) == 0 {
		o.Detail = runErr.Error()
		return o
	}
	o.NotRun = false
	if len(errs) == 0 {
		o.Held = true
		return o
	}
	o.Detail = strings.ReplaceAll(errors.Join(errs...).Error(), sb.Dir, "<sandbox>")
	return o
}

func excerpt(s, at string, n int) string {
	i := strings.Index(s, at)
	if i < 0 {
		return tail(s, n)
	}
	return s[i:min(len(s), i+n)]
}

// Saw records text the case received outside an MCP answer (an HTTP body,
// a file name) for the secret check.
func (e *E) Saw(text string) {
	e.mu.Lock()
	e.extra = append(e.extra, text)
	e.mu.Unlock()
}

// Launch starts the binary with args and the sandbox's environment plus
// extra, without a handshake; the first launch snapshots the sandbox.
func (e *E) Launch(extra []string, args ...string) (*Server, error) {
	e.mu.Lock()
	if !e.snapshot {
		if err := e.SB.Snapshot(); err != nil {
			e.mu.Unlock()
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		e.snapshot = true
	}
	e.mu.Unlock()
	env := e.SB.Env(extra...)
	var addr string
	if len(args) > 0 && args[0] == "http" {
		addr = envValue(env, "AUDIOEDIT_HTTP_ADDR")
		if addr == "" || strings.HasSuffix(addr, ":0") && strings.HasPrefix(addr, "127.0.0.1") {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			addr = "127.0.0.1:" + strconv.Itoa(port)
			env = append(env, "AUDIOEDIT_HTTP_ADDR="+addr)
		}
	}
	bin, argv := e.Bin, args
	if len(e.wrap) > 0 {
		bin, argv = e.wrap[0], append(append(append([]string(nil), e.wrap[1:]...), e.Bin), args...)
	}
	s, err := startServer(len(args) > 0 && args[0] == "stdio", bin, env, argv...)
	if err != nil {
		return nil, err
	}
	s.Addr = addr
	if addr != "" {
		s.URL = "http://" + addr + "/mcp"
	}
	e.mu.Lock()
	e.servers = append(e.servers, s)
	e.mu.Unlock()
	return s, nil
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, _ := strings.Cut(kv, "="); k == key {
			v = val
		}
	}
	return v
}

// Start starts a server on the case's transport with the sandbox
// environment plus extra, and returns a client that completed the
// handshake.
func (e *E) Start(extra ...string) (*Server, Client, error) {
	if e.Transport == "http" {
		s, c, err := e.StartHTTP(extra...)
		return s, c, err
	}
	return e.StartStdio(extra...)
}

// StartStdio starts a stdio server and completes the handshake.
func (e *E) StartStdio(extra ...string) (*Server, Client, error) {
	s, err := e.Launch(extra, "stdio")
	if err != nil {
		return nil, nil, err
	}
	c := &stdioClient{s: s}
	e.addClient(c)
	ctx, cancel := context.WithTimeout(e.Ctx, CallTimeout)
	defer cancel()
	if _, err := Initialize(ctx, c); err != nil {
		return nil, nil, fmt.Errorf("handshake: %w\n%s", err, tail(s.Stderr(), 2000))
	}
	return s, c, nil
}

// StdioClient is the client of a stdio server started with Launch; it
// does no handshake.
func (e *E) StdioClient(s *Server) Client {
	c := &stdioClient{s: s}
	e.addClient(c)
	return c
}

// StartHTTP starts an http server on a free loopback port and completes a
// handshake with a first client.
func (e *E) StartHTTP(extra ...string) (*Server, *HTTPClient, error) {
	s, err := e.Launch(extra, "http")
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(e.Ctx, 30*time.Second)
	defer cancel()
	if err := s.waitHTTP(ctx); err != nil {
		return nil, nil, err
	}
	// The first request can race the server's start; retry a transport
	// error (not an HTTP answer) a few times.
	var c *HTTPClient
	for range 5 {
		c, err = e.NewHTTPSession(s, nil)
		var st *HTTPStatusError
		if err == nil || errors.As(err, &st) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s, c, err
}

// NewHTTPSession opens a further client session with the http server,
// with the given extra headers.
func (e *E) NewHTTPSession(s *Server, h map[string]string) (*HTTPClient, error) {
	c := e.HTTPClient(s)
	for k, v := range h {
		c.Header.Set(k, v)
	}
	ctx, cancel := context.WithTimeout(e.Ctx, CallTimeout)
	defer cancel()
	if _, err := Initialize(ctx, c); err != nil {
		return nil, fmt.Errorf("handshake: %w", err)
	}
	return c, nil
}

// HTTPClient is a client of the http server with no session yet.
func (e *E) HTTPClient(s *Server) *HTTPClient {
	c := NewHTTPClient(s.URL)
	e.addClient(c)
	return c
}

func (e *E) addClient(c Client) {
	e.mu.Lock()
	e.clients = append(e.clients, c)
	e.mu.Unlock()
}

// Tool calls a tool with the case's call timeout.
func (e *E) Tool(c Client, name string, args map[string]any) (*ToolResult, error) {
	ctx, cancel := context.WithTimeout(e.Ctx, CallTimeout)
	defer cancel()
	return Tool(ctx, c, name, args)
}

// MustTool calls a tool that must succeed (a setup step of the case).
func (e *E) MustTool(c Client, name string, args map[string]any) (*ToolResult, error) {
	r, err := e.Tool(c, name, args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if r.IsError {
		return r, fmt.Errorf("%s failed: %s", name, tail(r.Text, 500))
	}
	return r, nil
}

// Upload uploads paths and returns the session id.
func (e *E) Upload(c Client, paths ...string) (string, error) {
	r, err := e.MustTool(c, "upload", map[string]any{"paths": paths})
	if err != nil {
		return "", err
	}
	sid, _ := r.Structured["session_id"].(string)
	return sid, nil
}

// Session writes files (path -> content), starts a server on the case's
// transport with extra settings, and uploads the paths given in upload.
func (e *E) Session(files map[string][]byte, extra []string, upload ...string) (*Server, Client, error) {
	for p, data := range files {
		if err := e.Write(p, data); err != nil {
			return nil, nil, err
		}
	}
	s, c, err := e.Start(extra...)
	if err != nil {
		return nil, nil, err
	}
	if len(upload) > 0 {
		if _, err := e.Upload(c, upload...); err != nil {
			return nil, nil, err
		}
	}
	return s, c, nil
}

// Write writes a file in the sandbox, making its folder.
func (e *E) Write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// String renders a value for a message.
func String(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
