// Package nemo is the NemoVideo cloud backend: a client for the agent's
// HTTP + SSE API (Client) and the backend.Backend built on it (Backend).
// The protocol is described in docs/nemo-protocol.md; nemotest is a fake
// server implementing it for tests.
//
// X-Skill-Platform, sent on every call, is the first match of: env
// SKILL_SOURCE; the MCP client's clientInfo.name from initialize (a name
// holding "claude-code" -> claude_code, "claude-ai" or "claude desktop"
// -> claude_desktop, "cursor" -> cursor, "visual studio code" or
// "vscode" -> vscode, "windsurf" -> windsurf, any other name lower-cased
// with runs outside [a-z0-9] as "_", 32 characters at most); the install
// path (/.clawhub/ -> clawhub, /.cursor/skills/ -> cursor); else
// "unknown". The tools layer hands the client's name over through
// backend.ClientNamer, so every request after initialize carries it.
package nemo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/netguard"
	"go.uber.org/zap"
)

// Client talks to the NemoVideo API. It holds the bearer token in memory
// (an anonymous one is also kept in DataDir/token.json, 0600, since the
// API issues one per client id per 7 days), adds the attribution headers
// to every call, and applies the retry rules: a rejected anonymous token
// is renewed once, a rejected Config.Token falls back once to an
// anonymous one (unless TokenStrict), a 429 is retried once after
// Retry-After (or RetryWait), a 400 for a missing client id makes a new
// id and retries.
// It is safe for concurrent use.
type Client struct {
	cfg Config
	hc  *http.Client
	log *zap.Logger

	authMu sync.Mutex // serialises token fetches
	mu     sync.Mutex // guards the fields below
	token  string
	userID string
	anon   bool
	client string // client id
	// envRejected: Config.Token was rejected and an anonymous token
	// replaced it (FallbackNote).
	envRejected bool
	// clientName is the MCP client's name (SetClientName).
	clientName string
}

// NewClient returns a client for cfg. It reads (or creates) the client id
// and a saved anonymous token; it sends nothing.
func NewClient(cfg Config, log *zap.Logger) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	if _, err := url.Parse(cfg.APIURL); err != nil {
		return nil, fmt.Errorf("nemo config: bad API URL (set NEMO_API_URL): %w", err)
	}
	c := &Client{cfg: cfg, hc: cfg.HTTPClient, log: log}
	c.client = cfg.ClientID
	if c.client == "" {
		if c.client, err = loadClientID(cfg.ConfigDir); err != nil {
			return nil, err
		}
	}
	if cfg.Token != "" {
		c.token = cfg.Token // anonymous or not is learnt from the user id ("anon_...")
	} else if t, ok := loadToken(cfg.DataDir, c.client); ok {
		c.token, c.userID, c.anon = t.Token, t.UserID, true
	}
	return c, nil
}

// Platform is the X-Skill-Platform value the client sends now (see the
// package Platform function).
func (c *Client) Platform() string {
	c.mu.Lock()
	name := c.clientName
	c.mu.Unlock()
	return Platform(c.cfg.SkillSource, name, c.cfg.ExecPath)
}

// SetClientName records the MCP client's name (clientInfo.name from
// initialize); every request after it carries the platform it maps to.
func (c *Client) SetClientName(name string) {
	c.mu.Lock()
	c.clientName = name
	c.mu.Unlock()
}

// ClientID is the X-Client-Id the client sends for anonymous tokens.
func (c *Client) ClientID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client
}

// Anonymous reports whether the token is an anonymous one (requested by
// the client, or a user id starting "anon_").
func (c *Client) Anonymous() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.anon || strings.HasPrefix(c.userID, "anon_")
}

// UserID is the account's user id when known.
func (c *Client) UserID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.userID
}

func (c *Client) setUserID(id string) {
	if id == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.userID == "" {
		c.userID = id
	}
}

// redact removes the token from s (defence in depth: no message should
// hold it, but a server may echo it back).
func (c *Client) redact(s string) string {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	if tok != "" && strings.Contains(s, tok) {
		s = strings.ReplaceAll(s, tok, "[redacted]")
	}
	return s
}

// call is one API request. body makes a fresh body for each attempt.
type call struct {
	method, path string
	body         func() (io.Reader, string, error) // reader, content type
	noAuth       bool                              // the token call
	accept       string
	stream       bool          // return the 2xx response of a non-JSON reply unread
	timeout      time.Duration // for do; 0 = Config.CallTimeout
}

func jsonBody(v any) func() (io.Reader, string, error) {
	b, err := json.Marshal(v)
	return func() (io.Reader, string, error) {
		return bytes.NewReader(b), "application/json", err
	}
}

// do runs a call and decodes the envelope's data into out (when non-nil).
func (c *Client) do(ctx context.Context, cl call, out any) error {
	t := cl.timeout
	if t <= 0 {
		t = c.cfg.CallTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	_, data, err := c.exchange(ctx, cl)
	if err != nil {
		return err
	}
	if out != nil && len(data) > 0 && string(data) != "null" {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("nemo: %s %s: decode reply: %w", cl.method, cl.path, err)
		}
	}
	return nil
}

// exchange sends cl with the retry rules. For a stream call whose reply
// is 2xx and not JSON it returns the open response; otherwise the data.
func (c *Client) exchange(ctx context.Context, cl call) (*http.Response, json.RawMessage, error) {
	var reauthed, waited, newID bool
	for {
		tok := ""
		if !cl.noAuth {
			var err error
			if tok, err = c.ensureToken(ctx); err != nil {
				return nil, nil, err
			}
		}
		req, err := c.newRequest(ctx, cl, tok)
		if err != nil {
			return nil, nil, err
		}
		start := time.Now()
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			return nil, nil, fmt.Errorf("nemo: %s %s: %s", cl.method, cl.path, c.redact(err.Error()))
		}
		c.log.Debug("nemo call", zap.String("method", cl.method), zap.String("path", cl.path),
			zap.Int("status", resp.StatusCode), zap.Duration("took", time.Since(start)))
		if cl.stream && resp.StatusCode/100 == 2 && !isJSON(resp.Header.Get("Content-Type")) {
			return resp, nil, nil
		}
		data, err := checkResponse(resp)
		if err == nil {
			return nil, data, nil
		}
		var ae *APIError
		if errors.As(err, &ae) {
			ae.Path = cl.path
			ae.Message = c.redact(ae.Message)
			c.log.Info("nemo call failed", zap.String("method", cl.method), zap.String("path", cl.path),
				zap.Int("status", ae.Status), zap.Int("code", ae.Code))
		}
		switch {
		case errors.Is(err, ErrTokenExpired) && !cl.noAuth && !reauthed && c.fallBack(tok):
			reauthed = true
			continue
		case errors.Is(err, ErrRateLimited) && !waited:
			wait := c.cfg.RetryWait
			if ae != nil && ae.RetryAfter > 0 {
				wait = ae.RetryAfter
			}
			if wait > c.cfg.MaxRetryWait {
				return nil, nil, err
			}
			waited = true
			c.log.Info("nemo rate limited, waiting", zap.Duration("wait", wait))
			if err := sleep(ctx, wait); err != nil {
				return nil, nil, err
			}
			continue
		case errors.Is(err, ErrMissingClientID) && cl.noAuth && !newID:
			newID = true
			if err := c.renewClientID(); err != nil {
				return nil, nil, err
			}
			continue
		}
		return nil, nil, err
	}
}

func isJSON(ct string) bool {
	return strings.Contains(strings.ToLower(ct), "json")
}

func (c *Client) newRequest(ctx context.Context, cl call, tok string) (*http.Request, error) {
	var body io.Reader
	ctype := ""
	if cl.body != nil {
		var err error
		if body, ctype, err = cl.body(); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.cfg.APIURL+cl.path, body)
	if err != nil {
		return nil, fmt.Errorf("nemo: %s %s: %w", cl.method, cl.path, err)
	}
	if sb, ok := body.(*sizedBody); ok {
		req.ContentLength = sb.n
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	accept := cl.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	c.setHeaders(req.Header, tok)
	if cl.noAuth {
		req.Header.Set("X-Client-Id", c.ClientID())
	}
	return req, nil
}

// setHeaders adds the attribution headers and, when tok is set, the bearer.
func (c *Client) setHeaders(h http.Header, tok string) {
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	h.Set("X-Skill-Source", c.cfg.SkillName)
	h.Set("X-Skill-Version", c.cfg.SkillVersion)
	h.Set("X-Skill-Platform", c.Platform())
	h.Set("User-Agent", "mcp-audioedit/"+c.cfg.SkillVersion)
}

// fallBack drops a rejected token so that the next call gets an
// anonymous one. A rejected Config.Token is dropped once, unless
// TokenStrict; false means the rejection stands.
func (c *Client) fallBack(tok string) bool {
	c.mu.Lock()
	env := c.cfg.Token != "" && tok == c.cfg.Token
	if env && (c.cfg.TokenStrict || c.envRejected) {
		c.mu.Unlock()
		return false
	}
	if env {
		c.envRejected = true
		c.token, c.userID = "", ""
		if t, ok := loadToken(c.cfg.DataDir, c.client); ok {
			c.token, c.userID, c.anon = t.Token, t.UserID, true
		}
		c.mu.Unlock()
		c.log.Warn("nemo: NEMO_TOKEN was rejected; using an anonymous token instead")
		return true
	}
	c.mu.Unlock()
	c.dropToken(tok)
	return true
}

// FallbackNote is the note every result carries once a rejected
// NEMO_TOKEN was replaced by an anonymous token ("" otherwise).
func (c *Client) FallbackNote() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.envRejected {
		return ""
	}
	return "NEMO_TOKEN was rejected (expired or invalid), so a free anonymous token is used instead: set a fresh NEMO_TOKEN to use your account, or NEMO_TOKEN_STRICT=1 to refuse rather than fall back."
}

func (c *Client) renewClientID() error {
	id, err := newClientID(c.cfg.ConfigDir)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.client = id
	c.mu.Unlock()
	return nil
}

// ensureToken returns the token, requesting an anonymous one when none is held.
func (c *Client) ensureToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	c.authMu.Lock()
	defer c.authMu.Unlock()
	c.mu.Lock()
	tok = c.token
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	t, err := c.anonymousToken(ctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.token, c.anon = t.Token, true
	if t.UserID != "" {
		c.userID = t.UserID
	}
	clientID := c.client
	c.mu.Unlock()
	st := savedToken{Token: t.Token, UserID: t.UserID, ClientID: clientID, IssuedAt: time.Now().UTC()}
	if ts, err := time.Parse(time.RFC3339, t.ExpiresAt); err == nil {
		st.ExpiresAt = ts
	} else {
		st.ExpiresAt = time.Now().Add(7 * 24 * time.Hour)
	}
	if err := saveToken(c.cfg.DataDir, st); err != nil {
		c.log.Warn("nemo: could not keep the anonymous token; a restart will request another", zap.Error(err))
	}
	return t.Token, nil
}

// dropToken forgets tok (if still current) so the next call re-authenticates.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
		forgetToken(c.cfg.DataDir)
	}
}

// anonToken is the anonymous-token reply.
type anonToken struct {
	Token     string `json:"token"`
	UserID    string `json:"user_id"`
	ExpiresAt string `json:"expires_at"`
	Credits   int64  `json:"credits"`
}

// anonymousToken calls POST /api/auth/anonymous-token with X-Client-Id.
func (c *Client) anonymousToken(ctx context.Context) (*anonToken, error) {
	var t anonToken
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/auth/anonymous-token", noAuth: true}, &t); err != nil {
		if errors.Is(err, ErrRateLimited) {
			return nil, c.tokenLimit(err)
		}
		return nil, fmt.Errorf("get anonymous token: %w", err)
	}
	if t.Token == "" {
		return nil, errors.New("get anonymous token: reply holds no token")
	}
	return &t, nil
}

// TokenLimitError is a 429 on the token call: NemoVideo issues one
// anonymous token per client id per 7 days (10 per IP address).
type TokenLimitError struct {
	// Until is when the limit ends, when known (Retry-After, or 7 days
	// after the last token this client was issued); zero otherwise.
	Until time.Time
	Err   error
}

// Error implements error.
func (e *TokenLimitError) Error() string { return "get anonymous token: " + e.Err.Error() }

// Unwrap returns the cause (matching ErrRateLimited).
func (e *TokenLimitError) Unwrap() error { return e.Err }

// tokenLimit dates the end of the token limit for err.
func (c *Client) tokenLimit(err error) error {
	e := &TokenLimitError{Err: err}
	var ae *APIError
	if errors.As(err, &ae) && ae.RetryAfter > c.cfg.MaxRetryWait {
		e.Until = time.Now().Add(ae.RetryAfter).UTC()
	} else if t, ok := readToken(c.cfg.DataDir); ok && !t.IssuedAt.IsZero() && t.ClientID == c.ClientID() {
		if u := t.IssuedAt.Add(7 * 24 * time.Hour); u.After(time.Now()) {
			e.Until = u
		}
	}
	return e
}

// Session is a cloud session.
type Session struct {
	TaskID    string `json:"task_id"`
	SessionID string `json:"session_id"`
	UserID    string `json:"user_id"`
}

// CreateSession calls POST /api/tasks/me/with-session/nemo_agent.
func (c *Client) CreateSession(ctx context.Context, taskName string) (*Session, error) {
	if taskName == "" {
		taskName = "project"
	}
	var raw map[string]json.RawMessage
	err := c.do(ctx, call{method: http.MethodPost, path: "/api/tasks/me/with-session/nemo_agent",
		body: jsonBody(map[string]string{"task_name": taskName, "language": c.cfg.Language})}, &raw)
	if err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	s := &Session{TaskID: str(raw["task_id"]), SessionID: str(raw["session_id"]), UserID: str(raw["user_id"])}
	if s.SessionID == "" {
		return nil, errors.New("create session: reply holds no session_id")
	}
	c.setUserID(s.UserID)
	return s, nil
}

// str reads a JSON string or number as a string (session ids look numeric).
func str(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// UploadedFile is one file the API took.
type UploadedFile struct {
	Filename string  `json:"filename"`
	FileType string  `json:"file_type"`
	CDNURL   string  `json:"cdn_url"`
	Duration float64 `json:"duration"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	FPS      float64 `json:"fps"`
	Hash     string  `json:"hash"`
	Size     int64   `json:"size,omitempty"`
}

// UploadReply is the upload reply.
type UploadReply struct {
	Files               []UploadedFile `json:"files"`
	SessionStateApplied bool           `json:"session_state_applied"`
}

// CheckUpload checks a local file's format and size before sending. The
// error is a sentinel-matching *APIError-free error: ErrUnsupportedFile
// or ErrFileTooLarge wrapped with the name.
func CheckUpload(path string) (int64, error) {
	if !supported(path) {
		return 0, fmt.Errorf("%s: %w", filepath.Base(path), ErrUnsupportedFile)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("upload %s: %w", filepath.Base(path), err)
	}
	if fi.IsDir() {
		return 0, fmt.Errorf("upload %s: is a folder, not a file", filepath.Base(path))
	}
	if fi.Size() > MaxUploadSize {
		return fi.Size(), fmt.Errorf("%s (%d MB): %w", filepath.Base(path), fi.Size()>>20, ErrFileTooLarge)
	}
	return fi.Size(), nil
}

func supported(name string) bool {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
	for _, f := range SupportedFormats {
		if ext == f {
			return true
		}
	}
	return false
}

// CheckUploadURL checks a URL's scheme, and its extension when it has one.
//
// The cloud fetches the URL itself, so two more things are refused before
// anything is sent: user info (user@host), which would hand the user's
// credentials to the cloud, and a host that names a loopback, private or
// other non-public address (netguard's table), which the cloud cannot
// reach and which would aim its fetcher at its own network. Host names are
// not resolved here: resolution happens in the cloud.
func CheckUploadURL(raw string) error {
	u, err := netguard.CheckURL(raw)
	if err != nil {
		return fmt.Errorf("%w; give a public http(s) URL, or upload the file by path", err)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%s names this computer, which the cloud cannot reach: upload the file by path instead", host)
	}
	if a, perr := netip.ParseAddr(host); perr == nil {
		if err := netguard.Check(a); err != nil {
			return fmt.Errorf("%s is not a public address, which the cloud cannot reach: upload the file by path instead", host)
		}
	}
	if ext := filepath.Ext(u.Path); ext != "" && !supported(u.Path) {
		return fmt.Errorf("%s: %w", filepath.Base(u.Path), ErrUnsupportedFile)
	}
	return nil
}

// UploadFiles calls POST /api/upload-video/nemo_agent/me/<sid> with the
// files as repeated multipart fields "files", streamed from disk. Each
// file is checked first (CheckUpload).
func (c *Client) UploadFiles(ctx context.Context, sessionID string, paths []string) (*UploadReply, error) {
	for _, p := range paths {
		if _, err := CheckUpload(p); err != nil {
			return nil, err
		}
	}
	body := func() (io.Reader, string, error) { return multipartBody(paths) }
	var r UploadReply
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/upload-video/nemo_agent/me/" + url.PathEscape(sessionID), body: body, timeout: c.cfg.UploadTimeout}, &r); err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	return &r, nil
}

// sizedBody is a request body of known length, streamed from open files
// (closed by Close, which the HTTP client calls).
type sizedBody struct {
	io.Reader
	n     int64
	files []*os.File
}

// Close closes the files.
func (b *sizedBody) Close() error {
	for _, f := range b.files {
		f.Close()
	}
	return nil
}

// multipartBody is the upload's multipart body (repeated field "files")
// with its length worked out before sending, so the request carries a
// Content-Length (a proxy may answer 411 to a chunked upload; the skills'
// curl -F always sends one). The files are streamed, not buffered.
func multipartBody(paths []string) (io.Reader, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	b := &sizedBody{}
	var parts []io.Reader
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			b.Close()
			return nil, "", err
		}
		b.files = append(b.files, f)
		fi, err := f.Stat()
		if err != nil {
			b.Close()
			return nil, "", err
		}
		if _, err := mw.CreateFormFile("files", filepath.Base(p)); err != nil {
			b.Close()
			return nil, "", err
		}
		head := bytes.Clone(buf.Bytes())
		buf.Reset()
		parts = append(parts, bytes.NewReader(head), io.LimitReader(f, fi.Size()))
		b.n += int64(len(head)) + fi.Size()
	}
	if err := mw.Close(); err != nil {
		b.Close()
		return nil, "", err
	}
	parts = append(parts, bytes.NewReader(bytes.Clone(buf.Bytes())))
	b.n += int64(buf.Len())
	b.Reader = io.MultiReader(parts...)
	return b, mw.FormDataContentType(), nil
}

// UploadURLs calls POST /api/upload-video/nemo_agent/me/<sid> with
// {"urls":[...],"source_type":"url"}.
func (c *Client) UploadURLs(ctx context.Context, sessionID string, urls []string) (*UploadReply, error) {
	for _, u := range urls {
		if err := CheckUploadURL(u); err != nil {
			return nil, err
		}
	}
	var r UploadReply
	err := c.do(ctx, call{method: http.MethodPost, path: "/api/upload-video/nemo_agent/me/" + url.PathEscape(sessionID),
		body: jsonBody(map[string]any{"urls": urls, "source_type": "url"})}, &r)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	return &r, nil
}

// Balance is the credit balance.
type Balance struct {
	Available int64 `json:"available"`
	Frozen    int64 `json:"frozen"`
	Total     int64 `json:"total"`
}

// Credits calls GET /api/credits/balance/simple. A missing total is
// available + frozen.
func (c *Client) Credits(ctx context.Context) (*Balance, error) {
	var b Balance
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/credits/balance/simple"}, &b); err != nil {
		return nil, fmt.Errorf("credits: %w", err)
	}
	if b.Total == 0 {
		b.Total = b.Available + b.Frozen
	}
	return &b, nil
}

// State is a session's state.
type State struct {
	SessionID      string          `json:"session_id"`
	TaskID         string          `json:"task_id"`
	Draft          json.RawMessage `json:"draft"`
	VideoInfos     json.RawMessage `json:"video_infos"`
	CanvasConfig   json.RawMessage `json:"canvas_config"`
	GeneratedMedia json.RawMessage `json:"generated_media"`
}

// State calls GET /api/state/nemo_agent/me/<sid>/latest.
func (c *Client) State(ctx context.Context, sessionID string) (*State, error) {
	var raw struct {
		SessionID json.RawMessage `json:"session_id"`
		TaskID    json.RawMessage `json:"task_id"`
		UserID    string          `json:"user_id"`
		State     *State          `json:"state"`
	}
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/state/nemo_agent/me/" + url.PathEscape(sessionID) + "/latest"}, &raw); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	st := raw.State
	if st == nil {
		st = &State{}
	}
	// The draft can arrive as a JSON string (audit of the skills, see
	// docs/nemo-protocol.md): read, summarise and render the object.
	st.Draft = unwrapDraft(st.Draft)
	if s := str(raw.SessionID); s != "" {
		st.SessionID = s
	}
	if s := str(raw.TaskID); s != "" {
		st.TaskID = s
	}
	c.setUserID(raw.UserID)
	return st, nil
}

// RenderRequest starts a render.
type RenderRequest struct {
	ID        string          `json:"id"`
	SessionID string          `json:"sessionId"`
	Draft     json.RawMessage `json:"draft"`
	Output    RenderOutput    `json:"output"`
}

// RenderOutput is a render's output settings.
type RenderOutput struct {
	Format     string `json:"format"`
	Quality    string `json:"quality"`
	Resolution string `json:"resolution,omitempty"`
}

// StartRender calls POST /api/render/proxy/lambda and returns the render
// id to poll: the reply's render_id when it has one (NemoVideo's CLI:
// "result.render_id ?? renderId"), else the request's id.
func (c *Client) StartRender(ctx context.Context, r RenderRequest) (string, error) {
	var reply struct {
		RenderID  json.RawMessage `json:"render_id"`
		RenderID2 json.RawMessage `json:"renderId"`
	}
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/render/proxy/lambda", body: jsonBody(r)}, &reply); err != nil {
		return "", fmt.Errorf("start render: %w", err)
	}
	for _, raw := range []json.RawMessage{reply.RenderID, reply.RenderID2} {
		if id := str(raw); id != "" {
			return id, nil
		}
	}
	return r.ID, nil
}

// RenderStatus is a render's status in one shape, whatever the reply's.
type RenderStatus struct {
	ID       string
	Status   string // pending, processing, completed, failed
	Progress float64
	URL      string
	Duration float64
	Size     int64
	Error    string
}

// GetRender calls GET /api/render/proxy/lambda/<id>. It accepts the
// status and URL at the top level or under data, the URL as outputUrl,
// output_url, url or output.url.
func (c *Client) GetRender(ctx context.Context, id string) (*RenderStatus, error) {
	var raw json.RawMessage
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/render/proxy/lambda/" + url.PathEscape(id)}, &raw); err != nil {
		return nil, fmt.Errorf("render status: %w", err)
	}
	return parseRender(id, raw)
}

// parseRender reads every render status shape.
func parseRender(id string, raw json.RawMessage) (*RenderStatus, error) {
	var r struct {
		ID          json.RawMessage `json:"id"`
		Status      string          `json:"status"`
		State       string          `json:"state"`
		Progress    json.Number     `json:"progress"`
		OutputURL   string          `json:"outputUrl"`
		OutputURL2  string          `json:"output_url"`
		URL         string          `json:"url"`
		DownloadURL string          `json:"downloadUrl"`
		Output      json.RawMessage `json:"output"`
		Error       json.RawMessage `json:"error"`
		Data        json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("render status: %w", err)
	}
	if r.Status == "" && r.State == "" && len(r.Data) > 0 && r.Data[0] == '{' {
		return parseRender(id, r.Data)
	}
	st := &RenderStatus{ID: id, Status: strings.ToLower(r.Status)}
	if st.Status == "" {
		st.Status = strings.ToLower(r.State)
	}
	if s := str(r.ID); s != "" {
		st.ID = s
	}
	st.Progress, _ = strconv.ParseFloat(string(r.Progress), 64)
	for _, u := range []string{r.OutputURL, r.OutputURL2, r.DownloadURL, r.URL} {
		if u != "" {
			st.URL = u
			break
		}
	}
	if len(r.Output) > 0 {
		var o struct {
			URL      string  `json:"url"`
			Duration float64 `json:"duration"`
			Size     int64   `json:"size"`
		}
		var s string
		if json.Unmarshal(r.Output, &o) == nil {
			if o.URL != "" {
				st.URL = o.URL
			}
			st.Duration, st.Size = o.Duration, o.Size
		} else if json.Unmarshal(r.Output, &s) == nil && s != "" {
			st.URL = s
		}
	}
	if len(r.Error) > 0 && string(r.Error) != "null" {
		var s string
		if json.Unmarshal(r.Error, &s) == nil {
			st.Error = s
		} else {
			st.Error = firstString(map[string]json.RawMessage{"e": r.Error}, "e")
		}
	}
	switch st.Status {
	case "complete", "done", "succeeded", "success", "finished":
		st.Status = "completed"
	case "error", "failure":
		st.Status = "failed"
	case "queued", "waiting", "":
		st.Status = "pending"
	case "running", "rendering", "in_progress":
		st.Status = "processing"
	}
	if st.Status == "completed" && st.Progress == 0 {
		st.Progress = 100
	}
	return st, nil
}

// CancelRender calls POST /api/render/proxy/lambda/<id>/cancel.
func (c *Client) CancelRender(ctx context.Context, id string) error {
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/render/proxy/lambda/" + url.PathEscape(id) + "/cancel"}, nil); err != nil {
		return fmt.Errorf("cancel render: %w", err)
	}
	return nil
}

// Download fetches a render's output: from rawURL when given (the bearer
// goes only to the API's own host, never to a CDN), else or on failure
// from GET /api/render/proxy/<id>/download. It returns the open body;
// the caller closes it.
func (c *Client) Download(ctx context.Context, id, rawURL string) (io.ReadCloser, error) {
	if rawURL != "" {
		rc, err := c.fetch(ctx, rawURL)
		if err == nil {
			return rc, nil
		}
		c.log.Info("nemo download failed; trying the fallback", zap.Error(err))
	}
	resp, _, err := c.exchange(ctx, call{method: http.MethodGet, path: "/api/render/proxy/" + url.PathEscape(id) + "/download", accept: "*/*", stream: true})
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	if resp == nil {
		return nil, errors.New("download: the server sent JSON, not a file")
	}
	return resp.Body, nil
}

func (c *Client) fetch(ctx context.Context, rawURL string) (io.ReadCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("download: bad output URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	tok := ""
	if api, err := url.Parse(c.cfg.APIURL); err == nil && api.Scheme == u.Scheme && api.Host == u.Host {
		tok, _ = c.ensureToken(ctx)
	}
	c.setHeaders(req.Header, tok)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download: %s", c.redact(err.Error()))
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, fmt.Errorf("download: HTTP %d", resp.StatusCode)
	}
	return resp.Body, nil
}

// TaskLink is the browser link that opens a session,
// <web>/workspace/task/<task_id>?session=<sid> (skill v1.9.4; the claim
// token of v1.9 is no longer needed). No token goes in it.
func (c *Client) TaskLink(taskID, sessionID string) string {
	if taskID == "" {
		return ""
	}
	return c.cfg.WebURL + "/workspace/task/" + url.PathEscape(taskID) + "?session=" + url.QueryEscape(sessionID)
}

// RegisterLink is where an anonymous user registers, binding userID.
func (c *Client) RegisterLink(userID string) string {
	if userID == "" {
		return c.cfg.WebURL + "/register"
	}
	return c.cfg.WebURL + "/register?bind=" + url.QueryEscape(userID)
}

// Message posts a message (POST /run_sse, Accept: text/event-stream) and
// calls fn for every frame until the stream closes. A clean close
// returns nil; a stream cut short returns an error matching
// ErrStreamBroken. Errors before the stream starts (a JSON reply with a
// code, a 404 session not found) are returned as *APIError; they are
// safe to retry since the agent did not take the message.
func (c *Client) Message(ctx context.Context, sessionID, text string, fn func(Frame)) error {
	body := map[string]any{"app_name": "nemo_agent", "user_id": "me", "session_id": sessionID,
		"new_message": map[string]any{"parts": []map[string]string{{"text": text}}}}
	resp, _, err := c.exchange(ctx, call{method: http.MethodPost, path: "/run_sse", body: jsonBody(body), accept: "text/event-stream", stream: true})
	if err != nil {
		return err
	}
	if resp == nil {
		return nil // a JSON success with no stream: nothing said
	}
	defer resp.Body.Close()
	r := newSSEReader(resp.Body)
	for {
		f, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: %s", ErrStreamBroken, c.redact(err.Error()))
		}
		fn(f)
	}
}
