package attack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is one run of the real binary.
type Server struct {
	Cmd    *exec.Cmd
	PID    int
	URL    string // http mode: http://127.0.0.1:port/mcp
	Addr   string // http mode: 127.0.0.1:port
	stderr *lockedBuffer
	stdin  io.WriteCloser
	exited chan struct{}
	err    error // exit status, once exited is closed
	peak   int64 // VmHWM in bytes, read before the process is killed

	mu      sync.Mutex
	pending map[int]chan rpcReply
	nextID  int
	texts   []string // every line the server wrote to stdout
	roots   []string // root URIs a stdio client offers (roots/list)
	asked   int      // roots/list requests received

	wmu sync.Mutex // one writer of stdin at a time
}

// OfferRoots makes the stdio client answer roots/list with these URIs.
func (s *Server) OfferRoots(uris ...string) {
	s.mu.Lock()
	s.roots = uris
	s.mu.Unlock()
}

// RootsAsked is how many roots/list requests the server sent.
func (s *Server) RootsAsked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asked
}

// writeLine writes one JSON-RPC message to the server's stdin.
func (s *Server) writeLine(msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err = s.stdin.Write(append(b, '\n'))
	return err
}

// answerRoots answers a roots/list request with the offered roots.
func (s *Server) answerRoots(id json.RawMessage) {
	s.mu.Lock()
	s.asked++
	roots := []map[string]string{}
	for _, u := range s.roots {
		roots = append(roots, map[string]string{"uri": u})
	}
	s.mu.Unlock()
	_ = s.writeLine(map[string]any{"jsonrpc": "2.0", "id": id, "result": map[string]any{"roots": roots}})
}

type rpcReply struct {
	Result json.RawMessage
	Error  *RPCError
}

// RPCError is a JSON-RPC error answer.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("JSON-RPC error %d: %s", e.Code, e.Message) }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<20 { // a flood of logs is itself a finding; keep memory bounded
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Stderr is everything the server logged so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// Exited is closed when the process has ended.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// status says how the process ended, once it has (waiting a moment).
func (s *Server) status() string {
	select {
	case <-s.exited:
		return fmt.Sprintf("exit: %v", s.err)
	case <-time.After(2 * time.Second):
		return "still running"
	}
}

// ExitErr is the exit status once Exited is closed.
func (s *Server) ExitErr() error { return s.err }

// startServer runs bin with args and env, with pipes on stdin and stdout
// when stdio.
func startServer(stdio bool, bin string, env []string, args ...string) (*Server, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its ffmpeg children die with it at cleanup
	s := &Server{Cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{}), pending: map[int]chan rpcReply{}}
	cmd.Stderr = s.stderr
	var stdout io.ReadCloser
	var err error
	if stdio {
		if s.stdin, err = cmd.StdinPipe(); err != nil {
			return nil, err
		}
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.PID = cmd.Process.Pid
	if stdout != nil {
		go s.readStdout(stdout)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// readStdout dispatches the stdio server's answers to their callers.
func (s *Server) readStdout(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		var m struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *RPCError       `json:"error"`
			Method string          `json:"method"`
		}
		s.mu.Lock()
		s.texts = append(s.texts, line)
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			s.texts = append(s.texts, "NOT JSON-RPC: "+line)
		}
		var ch chan rpcReply
		if m.Method == "roots/list" {
			var req struct {
				ID json.RawMessage `json:"id"`
			}
			_ = json.Unmarshal([]byte(line), &req)
			s.mu.Unlock()
			s.answerRoots(req.ID)
			continue
		}
		if m.ID != nil && m.Method == "" {
			ch = s.pending[*m.ID]
			delete(s.pending, *m.ID)
		}
		s.mu.Unlock()
		if ch != nil {
			ch <- rpcReply{Result: m.Result, Error: m.Error}
		}
	}
	s.mu.Lock()
	for id, ch := range s.pending {
		close(ch)
		delete(s.pending, id)
	}
	s.mu.Unlock()
}

// Texts is every stdout line and the logs: what the server said.
func (s *Server) Texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(append([]string(nil), s.texts...), s.Stderr())
}

// PeakRSS is the process's peak resident set (VmHWM) in bytes, read now
// while it runs, or the last figure read before it was stopped.
func (s *Server) PeakRSS() int64 {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.PID)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				s.mu.Lock()
				s.peak = max(s.peak, kb<<10)
				s.mu.Unlock()
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// Kill9 kills the server process alone with SIGKILL, as a crash would
// (its children are left as a crash leaves them), and waits for it.
func (s *Server) Kill9() {
	s.PeakRSS()
	_ = s.Cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// stop ends the process group: the server and whatever it started.
func (s *Server) stop() {
	s.PeakRSS()
	if s.stdin != nil {
		s.stdin.Close()
	}
	_ = syscall.Kill(-s.PID, syscall.SIGKILL)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
	}
}

// Children are the pids whose parent is the server.
func (s *Server) Children() []int {
	return childrenOf(s.PID)
}

func childrenOf(ppid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, cut after the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 2 && f[1] == strconv.Itoa(ppid) {
			out = append(out, pid)
		}
	}
	return out
}

// FDs is the number of open descriptors of the server.
func (s *Server) FDs() int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.PID))
	return len(ents)
}

// freePort returns a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitHTTP waits until the http server accepts connections or exits.
func (s *Server) waitHTTP(ctx context.Context) error {
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("the http server exited: %v\n%s", s.err, tail(s.Stderr(), 2000))
		case <-ctx.Done():
			return fmt.Errorf("the http server did not listen on %s: %w", s.Addr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Client speaks MCP to one server: a stdio connection or an HTTP session.
type Client interface {
	// Call sends a request and returns its result.
	Call(ctx context.Context, method string, params any) (json.RawMessage, error)
	// Notify sends a notification.
	Notify(method string, params any) error
	// Said is every answer text received, for the secret check.
	Said() []string
}

// Initialize runs the MCP handshake.
func Initialize(ctx context.Context, c Client) (json.RawMessage, error) {
	return InitializeCaps(ctx, c, map[string]any{})
}

// InitializeCaps runs the MCP handshake declaring the client capabilities caps.
func InitializeCaps(ctx context.Context, c Client, caps map[string]any) (json.RawMessage, error) {
	res, err := c.Call(ctx, "initialize", map[string]any{
		"protocolVersion": "2025-06-18",
		"capabilities":    caps,
		"clientInfo":      map[string]any{"name": "attack", "version": "0"},
	})
	if err != nil {
		return nil, err
	}
	return res, c.Notify("notifications/initialized", nil)
}

// stdioClient is the client of a stdio server.
type stdioClient struct {
	s *Server
}

func (c *stdioClient) Said() []string { return c.s.Texts() }

func (c *stdioClient) write(msg map[string]any) error { return c.s.writeLine(msg) }

func (c *stdioClient) Notify(method string, params any) error {
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		msg["params"] = params
	}
	return c.write(msg)
}

// Call sends a request; when ctx ends first it sends
// notifications/cancelled for it, as clients do on their own timeout.
func (c *stdioClient) Call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	c.s.mu.Lock()
	c.s.nextID++
	id := c.s.nextID
	ch := make(chan rpcReply, 1)
	c.s.pending[id] = ch
	c.s.mu.Unlock()
	msg := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if err := c.write(msg); err != nil {
		return nil, fmt.Errorf("write %s: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("%s: the server closed stdout (%s)", method, c.s.status())
		}
		if r.Error != nil {
			return nil, r.Error
		}
		return r.Result, nil
	case <-ctx.Done():
		_ = c.Notify("notifications/cancelled", map[string]any{"requestId": id, "reason": "client timeout"})
		c.s.mu.Lock()
		delete(c.s.pending, id)
		c.s.mu.Unlock()
		return nil, fmt.Errorf("%s: no answer: %w", method, ctx.Err())
	}
}

// HTTPClient is a streamable-HTTP MCP session.
type HTTPClient struct {
	URL     string
	Header  http.Header // sent with every request (Origin, Authorization...)
	Session string      // Mcp-Session-Id, set by the handshake
	HTTP    *http.Client

	mu   sync.Mutex
	id   int
	said []string
}

// NewHTTPClient is a client of the server at url.
func NewHTTPClient(url string) *HTTPClient {
	return &HTTPClient{URL: url, Header: http.Header{}, HTTP: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}}}
}

func (c *HTTPClient) Said() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.said...)
}

// Post sends one JSON-RPC message and returns the HTTP response with its
// body read (an SSE body is read up to the answer to id).
func (c *HTTPClient) Post(ctx context.Context, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if c.Session != "" {
		req.Header.Set("Mcp-Session-Id", c.Session)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var b []byte
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, err = readSSEAnswer(resp.Body)
	} else {
		b, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	}
	c.mu.Lock()
	c.said = append(c.said, string(b))
	c.mu.Unlock()
	return resp, b, err
}

// readSSEAnswer returns the data of the first event that is an answer
// (has an id and no method).
func readSSEAnswer(r io.Reader) ([]byte, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			data = append(data, strings.TrimPrefix(v, " "))
			continue
		}
		if line == "" && len(data) > 0 {
			ev := strings.Join(data, "\n")
			data = nil
			var m struct {
				ID     any    `json:"id"`
				Method string `json:"method"`
			}
			if json.Unmarshal([]byte(ev), &m) == nil && m.ID != nil && m.Method == "" {
				return []byte(ev), nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("the event stream ended without an answer")
}

// HTTPStatusError is a non-2xx answer.
type HTTPStatusError struct {
	Code int
	Body string
}

func (e *HTTPStatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Code, strings.TrimSpace(tail(e.Body, 300)))
}

func (c *HTTPClient) Call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	c.mu.Lock()
	c.id++
	id := c.id
	c.mu.Unlock()
	msg := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	b, _ := json.Marshal(msg)
	resp, body, err := c.Post(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, &HTTPStatusError{Code: resp.StatusCode, Body: string(body)}
	}
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" && method == "initialize" {
		c.Session = sid
	}
	var m struct {
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%s: answer is not JSON-RPC: %q", method, tail(string(body), 300))
	}
	if m.Error != nil {
		return nil, m.Error
	}
	return m.Result, nil
}

func (c *HTTPClient) Notify(method string, params any) error {
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		msg["params"] = params
	}
	b, _ := json.Marshal(msg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, body, err := c.Post(ctx, b)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &HTTPStatusError{Code: resp.StatusCode, Body: string(body)}
	}
	return nil
}

// ToolResult is a tools/call answer.
type ToolResult struct {
	IsError    bool
	Text       string         // the first text content
	Structured map[string]any // structuredContent
	Raw        string
}

// Tool calls a tool and decodes its result.
func Tool(ctx context.Context, c Client, name string, args map[string]any) (*ToolResult, error) {
	if args == nil {
		args = map[string]any{}
	}
	raw, err := c.Call(ctx, "tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return nil, err
	}
	var m struct {
		IsError bool `json:"isError"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		Structured map[string]any `json:"structuredContent"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: bad result: %w", name, err)
	}
	r := &ToolResult{IsError: m.IsError, Structured: m.Structured, Raw: string(raw)}
	for _, ct := range m.Content {
		if ct.Type == "text" {
			r.Text = ct.Text
			break
		}
	}
	return r, nil
}
