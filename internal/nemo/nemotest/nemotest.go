// Package nemotest is a fake NemoVideo API for tests: an httptest server
// mounted under a non-empty base path that implements the rules of
// docs/nemo-protocol.md, the awkward ones included, and records every
// request.
//
// What it checks and does:
//   - every call needs X-Skill-Source, X-Skill-Version and
//     X-Skill-Platform (HTTP 402 when one is missing) and, but for the
//     token call, a known bearer token (HTTP 401 when absent; the token
//     error set by SetTokenError when unknown or expired);
//   - tokens: POST /api/auth/anonymous-token needs X-Client-Id (HTTP 400
//     "Missing X-Client-Id" otherwise) and issues one token per client id
//     per window (HTTP 429 with Retry-After after that);
//   - sessions can be lost on demand (1002 on REST calls, HTTP 404
//     {"detail":"Session not found"} on /run_sse);
//   - /run_sse streams scripted ADK-shaped replies (Script), charges
//     MessageCost credits per message and answers code 2001 when the
//     balance is short;
//   - upload (multipart field "files", or JSON URLs) checks formats
//     (4001) and size (4002) and adds a track per file to the draft;
//   - renders go pending -> processing -> completed (or failed) over
//     polls, in one of three reply shapes (SetRenderShape), with the
//     output under /files/ and the /download fallback;
//   - every JSON reply uses the envelope chosen by SetEnvelope.
package nemotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"

	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Base is the path the fake is mounted under.
const Base = "/base"

// Envelope shapes for JSON replies.
const (
	EnvelopeCode    = iota // {"code":0,"message":"ok","data":{...}}
	EnvelopeSuccess        // {"success":true,"data":{...}}
	EnvelopeBare           // {...}
)

// Render status reply shapes.
const (
	RenderShapeSuccess = iota // {"success":true,"data":{"status":..,"progress":..,"outputUrl":..}}
	RenderShapeBare           // {"status":..,"output":{"url":..,"duration":..,"size":..}}
	RenderShapeCode           // {"code":0,"data":{"status":..,"output":{"url":..}}}
)

// Request is one recorded request.
type Request struct {
	Method string
	// Path is the path below Base.
	Path   string
	Header http.Header
	// Body is the body of a JSON request (empty for multipart and others).
	Body []byte
	// Files are the multipart file names of an upload.
	Files []string
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the API base to configure the client with (server + Base).
	URL string
	// HTTP is the underlying test server.
	HTTP *httptest.Server

	mu           sync.Mutex
	requests     []Request
	envelope     int
	renderShape  int
	tokenErr     int // 1001, 1010, 1011, or 401 for HTTP 401
	retryAfter   string
	window       time.Duration
	issued       map[string]time.Time // client id -> last issue
	tokens       map[string]*token
	failClientID int
	rateLimit    map[string]int // path -> 429s to send
	users        map[string]*user
	sessions     map[string]*session
	replies      []Reply
	runs         map[string]int
	renders      map[string]*render
	renderSteps  int
	failRenders  int
	failStarts   int
	blockExport  bool
	breakOutput  bool
	formats      map[string]bool
	maxUpload    int64
	messageCost  int64
	startCredits int64
	startFrozen  int64
	seq          int
	rejectAll    bool
	stringDrafts bool
	omitUserIDs  bool
	needLength   bool
	anonNoRender bool
	missingPolls int
	output       []byte
}

type token struct {
	user    string
	client  string
	expired bool
}

type user struct {
	id                string
	available, frozen int64
}

type session struct {
	id, task, user string
	draft          json.RawMessage
	videoInfos     []any
	generated      json.RawMessage
	lost           bool
}

type render struct {
	id, session  string
	polls, steps int
	missing      int // polls still answered 404
	fail         bool
	cancelled    bool
}

// New starts a fake and closes it when the test ends.
func New(tb testing.TB) *Server {
	s := &Server{
		tokenErr: 1001, window: 7 * 24 * time.Hour, issued: map[string]time.Time{}, tokens: map[string]*token{},
		rateLimit: map[string]int{}, users: map[string]*user{}, sessions: map[string]*session{}, runs: map[string]int{},
		renders: map[string]*render{}, renderSteps: 3, maxUpload: 500 << 20, messageCost: 10, startCredits: 100,
		formats: map[string]bool{},
	}
	for _, f := range strings.Fields("mp4 mov avi webm mkv jpg png gif webp mp3 wav m4a aac") {
		s.formats[f] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/auth/anonymous-token", s.handleToken)
	mux.HandleFunc("POST /api/tasks/me/with-session/nemo_agent", s.authed(s.handleSession))
	mux.HandleFunc("POST /run_sse", s.authed(s.handleRun))
	mux.HandleFunc("POST /api/upload-video/nemo_agent/me/{sid}", s.authed(s.handleUpload))
	mux.HandleFunc("GET /api/credits/balance/simple", s.authed(s.handleCredits))
	mux.HandleFunc("GET /api/state/nemo_agent/me/{sid}/latest", s.authed(s.handleState))
	mux.HandleFunc("POST /api/render/proxy/lambda", s.authed(s.handleRender))
	// One pattern for GET .../lambda/<id> and GET .../<id>/download (the
	// two overlap at .../lambda/download).
	mux.HandleFunc("GET /api/render/proxy/{a}/{b}", s.authed(func(w http.ResponseWriter, r *http.Request, u *user) {
		switch {
		case r.PathValue("a") == "lambda":
			s.handleRenderStatus(w, r, r.PathValue("b"))
		case r.PathValue("b") == "download":
			s.handleDownload(w, r, r.PathValue("a"))
		default:
			http.NotFound(w, r)
		}
	}))
	mux.HandleFunc("POST /api/render/proxy/lambda/{id}/cancel", s.authed(s.handleCancel))
	mux.HandleFunc("GET /files/{file}", s.handleFile)
	mux.HandleFunc("POST /api/auth/claim-token", s.authed(s.handleClaim))
	root := http.NewServeMux()
	root.Handle(Base+"/", http.StripPrefix(Base, s.record(mux)))
	s.HTTP = httptest.NewServer(root)
	s.URL = s.HTTP.URL + Base
	tb.Cleanup(s.HTTP.Close)
	return s
}

// Close shuts the server down (also done at test cleanup).
func (s *Server) Close() { s.HTTP.Close() }

func rnd(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- knobs ----

// SetEnvelope picks the JSON reply shape (EnvelopeCode, EnvelopeSuccess, EnvelopeBare).
func (s *Server) SetEnvelope(shape int) { s.mu.Lock(); s.envelope = shape; s.mu.Unlock() }

// SetRenderShape picks the render status shape (RenderShape*).
func (s *Server) SetRenderShape(shape int) { s.mu.Lock(); s.renderShape = shape; s.mu.Unlock() }

// SetTokenError picks what a bad token gets: 1001, 1010 or 1011 (code,
// HTTP 200) or 401 (HTTP 401).
func (s *Server) SetTokenError(code int) { s.mu.Lock(); s.tokenErr = code; s.mu.Unlock() }

// RejectTokens makes every bearer token fail (the SetTokenError answer).
func (s *Server) RejectTokens(on bool) { s.mu.Lock(); s.rejectAll = on; s.mu.Unlock() }

// SetTokenWindow sets how long a client id waits between tokens.
func (s *Server) SetTokenWindow(d time.Duration) { s.mu.Lock(); s.window = d; s.mu.Unlock() }

// SetRetryAfter sets the Retry-After header of 429 replies ("" for none).
func (s *Server) SetRetryAfter(v string) { s.mu.Lock(); s.retryAfter = v; s.mu.Unlock() }

// ExpireTokens expires every issued token and reopens the token window
// of their client ids (as if the 7 days had passed).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.expired = true
		delete(s.issued, t.client)
	}
}

// FailClientIDOnce makes the next n token calls answer HTTP 400 "Missing
// X-Client-Id".
func (s *Server) FailClientIDOnce(n int) { s.mu.Lock(); s.failClientID = n; s.mu.Unlock() }

// RateLimit makes the next n calls to path (below Base) answer 429.
func (s *Server) RateLimit(path string, n int) { s.mu.Lock(); s.rateLimit[path] = n; s.mu.Unlock() }

// LoseSession makes a session unknown: 1002 on REST, 404 on /run_sse.
func (s *Server) LoseSession(sid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[sid]; ok {
		ss.lost = true
	}
}

// LoseAllSessions loses every session.
func (s *Server) LoseAllSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		ss.lost = true
	}
}

// SetCredits sets every user's balance (and that of users to come).
func (s *Server) SetCredits(available, frozen int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startCredits, s.startFrozen = available, frozen
	for _, u := range s.users {
		u.available, u.frozen = available, frozen
	}
}

// StringDrafts makes the state reply carry the draft as a JSON string
// holding the draft, not as an object: the audit of the public skills
// (docs/nemo-protocol.md, "Silent completions": "the draft can arrive as
// a JSON string").
func (s *Server) StringDrafts(on bool) { s.mu.Lock(); s.stringDrafts = on; s.mu.Unlock() }

// OmitUserIDs drops user_id from the token and session replies, as v1.9
// does (SKILL.md v1.9 section 1: the token reply is
// {"token":"nmv_usr_xxx","credits":100,...}; section 7: get the bind id
// "from create-session or state response when needed"); the state reply
// keeps it.
func (s *Server) OmitUserIDs(on bool) { s.mu.Lock(); s.omitUserIDs = on; s.mu.Unlock() }

// RequireContentLength makes uploads without a Content-Length (a chunked
// body) answer 411, as a proxy in front of the API may; the skills upload
// with curl -F (SKILL.md v1.9 section 3.2), which always sends one.
func (s *Server) RequireContentLength(on bool) { s.mu.Lock(); s.needLength = on; s.mu.Unlock() }

// AnonymousCannotRender makes render starts with an anonymous token
// answer 403: SKILL.md v1.8 section 8 gives anonymous tokens the read,
// write and upload scopes only, not render.
func (s *Server) AnonymousCannotRender(on bool) { s.mu.Lock(); s.anonNoRender = on; s.mu.Unlock() }

// RenderMissingFirst makes the first n status polls of each new render
// answer 404, as a render not yet registered does.
func (s *Server) RenderMissingFirst(n int) { s.mu.Lock(); s.missingPolls = n; s.mu.Unlock() }

// SetOutput makes a finished render's output these bytes (a real mp4 for
// tests that convert it) instead of FileContent.
func (s *Server) SetOutput(b []byte) { s.mu.Lock(); s.output = b; s.mu.Unlock() }

// SetRenderSteps sets how many status polls a render takes to finish (>= 1).
func (s *Server) SetRenderSteps(n int) { s.mu.Lock(); s.renderSteps = max(n, 1); s.mu.Unlock() }

// FailRenders makes the next n renders end "failed".
func (s *Server) FailRenders(n int) { s.mu.Lock(); s.failRenders = n; s.mu.Unlock() }

// FailRenderStarts makes the next n render starts answer HTTP 500.
func (s *Server) FailRenderStarts(n int) { s.mu.Lock(); s.failStarts = n; s.mu.Unlock() }

// BlockExport makes render starts answer HTTP 402 (a plan block).
func (s *Server) BlockExport(on bool) { s.mu.Lock(); s.blockExport = on; s.mu.Unlock() }

// BreakOutputURL makes the output URL answer 404, so that clients must
// use the /download fallback.
func (s *Server) BreakOutputURL(on bool) { s.mu.Lock(); s.breakOutput = on; s.mu.Unlock() }

// SetFormats replaces the accepted upload extensions.
func (s *Server) SetFormats(exts ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.formats = map[string]bool{}
	for _, e := range exts {
		s.formats[strings.ToLower(e)] = true
	}
}

// SetMaxUpload sets the largest accepted upload in bytes.
func (s *Server) SetMaxUpload(n int64) { s.mu.Lock(); s.maxUpload = n; s.mu.Unlock() }

// SetDraft sets a session's draft.
func (s *Server) SetDraft(sid string, draft json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[sid]; ok {
		ss.draft = draft
	}
}

// Draft returns a session's draft.
func (s *Server) Draft(sid string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[sid]; ok {
		return ss.draft
	}
	return nil
}

// Sessions returns the ids of the sessions created, in no order.
func (s *Server) Sessions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.sessions {
		out = append(out, id)
	}
	return out
}

// Tokens returns every token issued.
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t := range s.tokens {
		out = append(out, t)
	}
	return out
}

// Runs is how many messages /run_sse accepted (and charged) for a session.
func (s *Server) Runs(sid string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.runs[sid] }

// Requests returns the recorded requests in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count is how many recorded requests had this method and a path
// starting with prefix.
func (s *Server) Count(method, prefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// Script queues replies for the next messages, in order. A message with
// no queued reply gets a tool call and "Done: <message>".
func (s *Server) Script(replies ...Reply) {
	s.mu.Lock()
	s.replies = append(s.replies, replies...)
	s.mu.Unlock()
}

// ---- plumbing ----

func (s *Server) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
			b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			rec.Body = b
			r.Body = io.NopCloser(strings.NewReader(string(b)))
		}
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		idx := len(s.requests) - 1
		s.mu.Unlock()
		h.ServeHTTP(w, r.WithContext(withIndex(r.Context(), idx)))
	})
}

// reply writes data in the chosen envelope.
func (s *Server) reply(w http.ResponseWriter, data any) {
	s.mu.Lock()
	shape := s.envelope
	s.mu.Unlock()
	var v any
	switch shape {
	case EnvelopeSuccess:
		v = map[string]any{"success": true, "data": data}
	case EnvelopeBare:
		v = data
	default:
		v = map[string]any{"code": 0, "message": "ok", "data": data}
	}
	writeJSON(w, http.StatusOK, v)
}

// fail writes an error with a code in the chosen envelope (HTTP status
// 200 for the code shape, as the API does).
func (s *Server) fail(w http.ResponseWriter, status, code int, msg string) {
	s.mu.Lock()
	shape := s.envelope
	s.mu.Unlock()
	switch shape {
	case EnvelopeSuccess:
		writeJSON(w, status, map[string]any{"success": false, "error": msg, "error_code": code})
	default:
		writeJSON(w, status, map[string]any{"code": code, "message": msg})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// attributed checks the three attribution headers.
func attributed(r *http.Request) bool {
	for _, h := range []string{"X-Skill-Source", "X-Skill-Version", "X-Skill-Platform"} {
		if r.Header.Get(h) == "" {
			return false
		}
	}
	return true
}

func (s *Server) limited(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	n := s.rateLimit[r.URL.Path]
	if n > 0 {
		s.rateLimit[r.URL.Path] = n - 1
	}
	ra := s.retryAfter
	s.mu.Unlock()
	if n <= 0 {
		return false
	}
	if ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"detail": "Too many requests"})
	return true
}

type ctxUser struct{}

// authed checks attribution and the bearer, then calls h with the user.
func (s *Server) authed(h func(w http.ResponseWriter, r *http.Request, u *user)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !attributed(r) {
			writeJSON(w, http.StatusPaymentRequired, map[string]any{"detail": "Missing X-Skill-* attribution headers"})
			return
		}
		if s.limited(w, r) {
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": "Not authenticated"})
			return
		}
		s.mu.Lock()
		t := s.tokens[tok]
		code := s.tokenErr
		var u *user
		if t != nil && !t.expired && !s.rejectAll {
			u = s.users[t.user]
		}
		s.mu.Unlock()
		if u == nil {
			if code == 401 {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 1001, "message": "Invalid or expired token"})
			} else {
				s.fail(w, http.StatusOK, code, "Invalid or expired token")
			}
			return
		}
		h(w, r, u)
	}
}

// ---- handlers ----

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if !attributed(r) {
		writeJSON(w, http.StatusPaymentRequired, map[string]any{"detail": "Missing X-Skill-* attribution headers"})
		return
	}
	if s.limited(w, r) {
		return
	}
	cid := r.Header.Get("X-Client-Id")
	s.mu.Lock()
	if s.failClientID > 0 {
		s.failClientID--
		cid = ""
	}
	s.mu.Unlock()
	if cid == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "Missing X-Client-Id header"})
		return
	}
	s.mu.Lock()
	if last, ok := s.issued[cid]; ok && time.Since(last) < s.window {
		ra := s.retryAfter
		s.mu.Unlock()
		if ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"detail": "Anonymous token limit: 1 per client per 7 days"})
		return
	}
	s.issued[cid] = time.Now()
	// The same client keeps its user (and credits) across tokens.
	var uid string
	for _, t := range s.tokens {
		if t.client == cid {
			uid = t.user
		}
	}
	if uid == "" {
		uid = "anon_" + rnd(6)
		s.users[uid] = &user{id: uid, available: s.startCredits, frozen: s.startFrozen}
	}
	tok := "nmv_usr_" + rnd(16)
	s.tokens[tok] = &token{user: uid, client: cid}
	credits := s.users[uid].available
	s.mu.Unlock()
	s.mu.Lock()
	omit := s.omitUserIDs
	s.mu.Unlock()
	if omit {
		s.reply(w, map[string]any{"token": tok, "credits": credits})
		return
	}
	s.reply(w, map[string]any{"token": tok, "user_id": uid, "expires_at": time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339), "credits": credits})
}

// AddToken registers a token for a new registered user (as NEMO_TOKEN
// would be) and returns the user id.
func (s *Server) AddToken(tok string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	uid := "usr_" + rnd(6)
	s.users[uid] = &user{id: uid, available: s.startCredits}
	s.tokens[tok] = &token{user: uid, client: ""}
	return uid
}

func (s *Server) handleSession(w http.ResponseWriter, r *http.Request, u *user) {
	var body struct {
		TaskName string `json:"task_name"`
		Language string `json:"language"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.TaskName == "" || body.Language == "" {
		s.fail(w, http.StatusBadRequest, 400, "task_name and language are required")
		return
	}
	s.mu.Lock()
	s.seq++
	sid := strconv.FormatInt(5529798706024415232+int64(s.seq), 10)
	ss := &session{id: sid, task: "task_" + rnd(6), user: u.id, draft: json.RawMessage(`{"t":[],"d":0}`)}
	s.sessions[sid] = ss
	omit := s.omitUserIDs
	s.mu.Unlock()
	if omit {
		s.reply(w, map[string]any{"task_id": ss.task, "session_id": sid})
		return
	}
	s.reply(w, map[string]any{"task_id": ss.task, "session_id": sid, "user_id": u.id})
}

// getSession returns a session that exists and is not lost, or answers 1002.
func (s *Server) getSession(w http.ResponseWriter, sid string) *session {
	s.mu.Lock()
	ss := s.sessions[sid]
	s.mu.Unlock()
	if ss == nil || ss.lost {
		s.fail(w, http.StatusOK, 1002, "Session not found")
		return nil
	}
	return ss
}

func (s *Server) handleCredits(w http.ResponseWriter, r *http.Request, u *user) {
	s.mu.Lock()
	a, f := u.available, u.frozen
	s.mu.Unlock()
	s.reply(w, map[string]any{"available": a, "frozen": f, "total": a + f})
}

func (s *Server) handleState(w http.ResponseWriter, r *http.Request, u *user) {
	ss := s.getSession(w, r.PathValue("sid"))
	if ss == nil {
		return
	}
	s.mu.Lock()
	var d any = ss.draft
	if s.stringDrafts {
		d = string(ss.draft)
	}
	vi := append([]any{}, ss.videoInfos...)
	gm := ss.generated
	if gm == nil {
		gm = json.RawMessage("[]")
	}
	s.mu.Unlock()
	s.reply(w, map[string]any{"session_id": ss.id, "task_id": ss.task, "user_id": u.id, "state": map[string]any{
		"draft": d, "video_infos": vi, "canvas_config": map[string]any{"width": 1920, "height": 1080}, "generated_media": gm,
	}})
}

func (s *Server) handleClaim(w http.ResponseWriter, r *http.Request, u *user) {
	var body struct {
		TaskID    string `json:"task_id"`
		SessionID string `json:"session_id"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || body.SessionID == "" {
		s.fail(w, http.StatusBadRequest, 400, "session_id is required")
		return
	}
	s.reply(w, map[string]any{"claim_token": "clm_" + rnd(8), "expires_in": 604800})
}

var audioExt = map[string]bool{"mp3": true, "wav": true, "m4a": true, "aac": true}
var imageExt = map[string]bool{"jpg": true, "png": true, "gif": true, "webp": true}

func fileType(name string) string {
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
	switch {
	case audioExt[ext]:
		return "audio"
	case imageExt[ext]:
		return "image"
	}
	return "video"
}

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, u *user) {
	ss := s.getSession(w, r.PathValue("sid"))
	if ss == nil {
		return
	}
	type file struct {
		name string
		size int64
	}
	var files []file
	s.mu.Lock()
	formats, maxUp, needLength := s.formats, s.maxUpload, s.needLength
	s.mu.Unlock()
	if needLength && r.ContentLength < 0 {
		writeJSON(w, http.StatusLengthRequired, map[string]any{"detail": "Length Required"})
		return
	}
	okExt := func(name string) bool {
		return formats[strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")]
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			s.fail(w, http.StatusBadRequest, 400, "bad multipart body")
			return
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				s.fail(w, http.StatusBadRequest, 400, "bad multipart body")
				return
			}
			if p.FormName() != "files" {
				continue
			}
			name := p.FileName()
			s.addFileName(r, name)
			if !okExt(name) {
				s.fail(w, http.StatusOK, 4001, "Unsupported file type: "+name)
				return
			}
			n, err := io.Copy(io.Discard, io.LimitReader(p, maxUp+1))
			if err != nil {
				s.fail(w, http.StatusBadRequest, 400, "upload interrupted")
				return
			}
			if n > maxUp {
				s.fail(w, http.StatusOK, 4002, "File too large: "+name)
				return
			}
			files = append(files, file{name, n})
		}
	case "application/json":
		var body struct {
			URLs       []string `json:"urls"`
			SourceType string   `json:"source_type"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil || body.SourceType != "url" || len(body.URLs) == 0 {
			s.fail(w, http.StatusBadRequest, 400, `want {"urls":[...],"source_type":"url"}`)
			return
		}
		for _, raw := range body.URLs {
			pu, err := url.Parse(raw)
			if err != nil {
				s.fail(w, http.StatusBadRequest, 400, "bad url")
				return
			}
			name := path.Base(pu.Path)
			if !okExt(name) {
				s.fail(w, http.StatusOK, 4001, "Unsupported file type: "+name)
				return
			}
			files = append(files, file{name, 0})
		}
	default:
		s.fail(w, http.StatusBadRequest, 400, "want multipart/form-data or JSON")
		return
	}
	if len(files) == 0 {
		s.fail(w, http.StatusBadRequest, 400, "no files")
		return
	}
	var out []map[string]any
	s.mu.Lock()
	var d map[string]any
	_ = json.Unmarshal(ss.draft, &d)
	if d == nil {
		d = map[string]any{}
	}
	tracks, _ := d["t"].([]any)
	for _, f := range files {
		ft := fileType(f.name)
		tt := 0
		if ft == "audio" {
			tt = 1
		}
		tracks = append(tracks, map[string]any{"tt": tt, "sg": []any{map[string]any{"st": 0, "d": 30000, "m": map[string]any{"name": f.name}}}})
		info := map[string]any{"filename": f.name, "file_type": ft, "cdn_url": s.URL + "/files/" + url.PathEscape(f.name),
			"duration": 30.0, "width": 1920, "height": 1080, "fps": 30, "hash": rnd(8)}
		ss.videoInfos = append(ss.videoInfos, info)
		out = append(out, info)
	}
	d["t"], d["d"] = tracks, 30000
	ss.draft, _ = json.Marshal(d)
	s.mu.Unlock()
	s.reply(w, map[string]any{"files": out, "session_state_applied": true})
}

func (s *Server) addFileName(r *http.Request, name string) {
	idx, ok := indexFrom(r.Context())
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if idx < len(s.requests) {
		s.requests[idx].Files = append(s.requests[idx].Files, name)
	}
}

func (s *Server) handleRender(w http.ResponseWriter, r *http.Request, u *user) {
	var body struct {
		ID        string          `json:"id"`
		SessionID string          `json:"sessionId"`
		Draft     json.RawMessage `json:"draft"`
		Output    struct {
			Format  string `json:"format"`
			Quality string `json:"quality"`
		} `json:"output"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ID == "" || body.SessionID == "" || len(body.Draft) == 0 {
		s.fail(w, http.StatusBadRequest, 400, "id, sessionId and draft are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.anonNoRender && strings.HasPrefix(u.id, "anon_") {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Token lacks the render scope"})
		return
	}
	if s.blockExport {
		writeJSON(w, http.StatusPaymentRequired, map[string]any{"detail": "Export is not available on the free plan"})
		return
	}
	if s.failStarts > 0 {
		s.failStarts--
		writeJSON(w, http.StatusInternalServerError, map[string]any{"detail": "render queue unavailable"})
		return
	}
	if _, dup := s.renders[body.ID]; dup {
		writeJSON(w, http.StatusConflict, map[string]any{"code": 409, "message": "render id already used"})
		return
	}
	// The service names the render itself and says so in render_id; the
	// client's id is only a request id (nemovideo-tools src/core/render.ts:
	// "return result.render_id ?? renderId").
	rid := "rnd_" + rnd(8)
	rd := &render{id: rid, session: body.SessionID, steps: s.renderSteps, missing: s.missingPolls}
	if s.failRenders > 0 {
		s.failRenders--
		rd.fail = true
	}
	s.renders[body.ID] = rd // the request id, to refuse a reused one
	s.renders[rid] = rd
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": map[string]any{"render_id": rid, "status": "pending"}})
}

func (s *Server) handleRenderStatus(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	rd := s.renders[id]
	if rd == nil || rd.id != id || rd.missing > 0 {
		if rd != nil && rd.id == id {
			rd.missing--
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Render not found"})
		return
	}
	rd.polls++
	status, progress, errMsg := "processing", float64(rd.polls)*100/float64(rd.steps+1), ""
	switch {
	case rd.cancelled:
		status, errMsg = "failed", "cancelled"
	case rd.polls == 1 && rd.steps > 1:
		status, progress = "pending", 0
	case rd.polls >= rd.steps && rd.fail:
		status, errMsg = "failed", "lambda render crashed"
	case rd.polls >= rd.steps:
		status, progress = "completed", 100
	}
	shape := s.renderShape
	s.mu.Unlock()
	out := s.URL + "/files/" + rd.id + ".mp4"
	var v map[string]any
	switch shape {
	case RenderShapeBare:
		v = map[string]any{"id": rd.id, "status": status, "progress": progress}
		if status == "completed" {
			v["output"] = map[string]any{"url": out, "duration": 30.0, "size": 1234}
		}
		if errMsg != "" {
			v["error"] = errMsg
		}
	case RenderShapeCode:
		d := map[string]any{"id": rd.id, "status": status, "progress": progress}
		if status == "completed" {
			d["output"] = map[string]any{"url": out}
		}
		if errMsg != "" {
			d["error"] = errMsg
		}
		v = map[string]any{"code": 0, "data": d}
	default:
		d := map[string]any{"id": rd.id, "status": status, "progress": progress}
		if status == "completed" {
			d["outputUrl"] = out
		}
		if errMsg != "" {
			d["error"] = errMsg
		}
		v = map[string]any{"success": true, "data": d}
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request, u *user) {
	s.mu.Lock()
	rd := s.renders[r.PathValue("id")]
	if rd != nil && rd.id != r.PathValue("id") {
		rd = nil
	}
	if rd != nil {
		rd.cancelled = true
	}
	s.mu.Unlock()
	if rd == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Render not found"})
		return
	}
	s.reply(w, map[string]any{"id": rd.id, "status": "cancelled"})
}

// FileContent is what the fake serves for a render's output.
func FileContent(renderID string) string { return "FAKE-MP4:" + renderID }

func (s *Server) renderDone(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rd := s.renders[id]
	return rd != nil && rd.id == id && !rd.fail && rd.polls >= rd.steps
}

func (s *Server) outputOf(id string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.output != nil {
		return s.output
	}
	return []byte(FileContent(id))
}

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request, id string) {
	if !s.renderDone(id) {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Render not ready"})
		return
	}
	w.Header().Set("Content-Type", "video/mp4")
	_, _ = w.Write(s.outputOf(id))
}

func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSuffix(r.PathValue("file"), ".mp4")
	s.mu.Lock()
	broken := s.breakOutput
	s.mu.Unlock()
	if broken || !s.renderDone(id) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "video/mp4")
	_, _ = w.Write(s.outputOf(id))
}

// ErrorJSON formats an {"error":..} event body, for tests building raw events.
func ErrorJSON(msg string) string {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return string(b)
}
