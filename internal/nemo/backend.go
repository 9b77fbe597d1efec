package nemo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/draft"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// Name is the backend's name.
const Name = "nemo"

// DefaultEditExportWait is how long an export asked for through Edit
// waits before returning a running job (under clients' 60 s timeout).
const DefaultEditExportWait = 45 * time.Second

// Backend is the NemoVideo cloud backend.Backend. Local session ids map
// to cloud session ids through store.Session (Backend "nemo", RemoteID
// the cloud's session id, Data {task_id, user_id}); render ids are kept
// in store.Job.RemoteID so a restarted server resumes them.
type Backend struct {
	cfg Config
	c   *Client
	st  *store.Store
	log *zap.Logger

	mu    sync.Mutex
	locks map[string]*sync.Mutex // per session and per job

	current backend.Current // per MCP client session
}

var (
	_ backend.Backend            = (*Backend)(nil)
	_ backend.ClientNamer        = (*Backend)(nil)
	_ backend.SessionLister      = (*Backend)(nil)
	_ backend.ClientSessionEnder = (*Backend)(nil)
)

// SetClientName takes the MCP client's name for X-Skill-Platform.
func (b *Backend) SetClientName(name string) { b.c.SetClientName(name) }

// New returns the backend. It sends nothing until first used.
func New(cfg Config, st *store.Store, log *zap.Logger) (*Backend, error) {
	if st == nil {
		return nil, errors.New("nemo: a store is required")
	}
	if log == nil {
		log = zap.NewNop()
	}
	c, err := NewClient(cfg, log)
	if err != nil {
		return nil, err
	}
	cfg = c.cfg
	if cfg.OutputDir == "" {
		cfg.OutputDir = defaultOutputDir()
	}
	return &Backend{cfg: cfg, c: c, st: st, log: log, locks: map[string]*sync.Mutex{}}, nil
}

func defaultOutputDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		d := filepath.Join(h, "Downloads")
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	return os.TempDir()
}

// Client is the underlying API client.
func (b *Backend) Client() *Client { return b.c }

// Name is "nemo".
func (b *Backend) Name() string { return Name }

// Hints are what the cloud backend's tools do: every one calls the
// NemoVideo API (open world). state may create the cloud session and
// makes a named session current; edits run the cloud agent, spend
// credits and have no undo; export spends credits and writes a file;
// export_status downloads the finished file.
var Hints = backend.Capabilities{
	Upload:       backend.ToolHints{OpenWorld: true},
	Edit:         backend.ToolHints{Destructive: true, OpenWorld: true},
	State:        backend.ToolHints{Idempotent: true, OpenWorld: true},
	Credits:      backend.ToolHints{ReadOnly: true, Idempotent: true, OpenWorld: true},
	Export:       backend.ToolHints{Destructive: true, OpenWorld: true},
	ExportStatus: backend.ToolHints{Idempotent: true, OpenWorld: true},
}

// Capabilities returns Hints.
func (b *Backend) Capabilities() backend.Capabilities { return Hints }

// Close releases nothing: the store belongs to the caller.
func (b *Backend) Close() error { return nil }

func (b *Backend) lock(key string) func() {
	b.mu.Lock()
	m, ok := b.locks[key]
	if !ok {
		m = &sync.Mutex{}
		b.locks[key] = m
	}
	b.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// sessionData is store.Session.Data for this backend.
type sessionData struct {
	TaskID string `json:"task_id,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

// session resolves a local session id ("" = the client's current one,
// see backend.Current). With create, a missing current session is created
// (locally; the cloud one is created when first needed).
func (b *Backend) session(ctx context.Context, id string, create bool) (*store.Session, error) {
	if id == "" {
		id = b.current.Get(ctx)
	}
	if id == "" {
		if !create {
			return nil, backend.Userf("No session yet in this connection: upload a file or send an edit first, or pass session_id (state with list_sessions: true lists recent sessions).")
		}
		defer b.lock("current:" + backend.ClientSession(ctx))()
		if cur := b.current.Get(ctx); cur != "" {
			return b.session(ctx, cur, false) // created meanwhile
		}
		return b.newSession(ctx)
	}
	s, err := b.st.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, backend.Userf("Unknown session %q: call state without a session id for the current one, or upload to start a new one.", id)
	}
	if err != nil {
		return nil, err
	}
	if s.Backend != Name {
		return nil, backend.Userf("Session %q belongs to the %s backend, not the cloud one.", id, s.Backend)
	}
	b.current.Set(ctx, s.ID)
	return s, nil
}

// newSession starts a new local session and makes it the client's current
// one; its cloud session is created when first needed.
func (b *Backend) newSession(ctx context.Context) (*store.Session, error) {
	s := &store.Session{ID: "nemo_" + uuid.NewString()[:8], Backend: Name, Data: json.RawMessage("{}")}
	if err := b.st.CreateSession(ctx, s); err != nil {
		return nil, err
	}
	b.current.Set(ctx, s.ID)
	return s, nil
}

// EndClientSession forgets a client's current session when it goes away.
func (b *Backend) EndClientSession(clientID string) { b.current.Forget(clientID) }

// ListSessions lists the most recently changed sessions, the client's
// current one marked.
func (b *Backend) ListSessions(ctx context.Context, limit int) ([]backend.SessionInfo, error) {
	list, err := b.st.ListSessions(ctx, Name, limit)
	return b.current.Mark(ctx, list), err
}

// newRemote creates a cloud session for s and saves the mapping.
func (b *Backend) newRemote(ctx context.Context, s *store.Session) error {
	cs, err := b.c.CreateSession(ctx, "project")
	if err != nil {
		return b.userErr(err)
	}
	s.RemoteID = cs.SessionID
	s.Data, _ = json.Marshal(sessionData{TaskID: cs.TaskID, UserID: cs.UserID})
	return b.st.UpdateSession(ctx, s)
}

// noteLost is the note added when the cloud lost a session.
const noteLost = "The cloud session had expired, so a new one was started: the old timeline is gone. Upload the files again if they are needed."

// withRemote runs fn with s's cloud session id, creating the cloud
// session when there is none. When the cloud says the session is gone
// (1002 or 404), it creates a new one, adds noteLost to notes and runs
// fn once more.
func (b *Backend) withRemote(ctx context.Context, s *store.Session, notes *[]string, fn func(sid string) error) error {
	if s.RemoteID == "" {
		if err := b.newRemote(ctx, s); err != nil {
			return err
		}
	}
	err := fn(s.RemoteID)
	if !errors.Is(err, ErrSessionNotFound) {
		return err
	}
	b.log.Info("nemo session lost; creating a new one", zap.String("session", s.ID))
	if err := b.newRemote(ctx, s); err != nil {
		return err
	}
	if notes != nil {
		*notes = appendOnce(*notes, noteLost)
	}
	return fn(s.RemoteID)
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// userErr turns API failures the user can act on into backend.UserError
// with the next step; other errors pass through.
func (b *Backend) userErr(err error) error {
	if err == nil {
		return nil
	}
	var ue *backend.UserError
	if errors.As(err, &ue) {
		return err
	}
	switch {
	case errors.Is(err, ErrNoCredits):
		return &backend.UserError{Msg: b.noCreditsMsg(), Err: err}
	case errors.Is(err, ErrNoRenderScope):
		return &backend.UserError{Msg: "This plan cannot export (the token has no render permission): register or upgrade to export: " + b.c.RegisterLink(b.c.UserID()), Err: err}
	case errors.Is(err, ErrPlanBlocked):
		return &backend.UserError{Msg: "Export is blocked on the current plan: register or upgrade your plan to unlock export at " + b.cfg.WebURL + ".", Err: err}
	case errors.Is(err, ErrUnsupportedFile):
		return &backend.UserError{Msg: "Unsupported file type. Supported formats: " + strings.Join(SupportedFormats, ", ") + ".", Err: err}
	case errors.Is(err, ErrFileTooLarge):
		return &backend.UserError{Msg: "File too large: the limit is 500 MB. Compress it or trim it to a shorter clip, then upload again.", Err: err}
	case errors.As(err, new(*TokenLimitError)):
		return &backend.UserError{Msg: b.tokenLimitMsg(err), Err: err}
	case errors.Is(err, ErrRateLimited):
		return &backend.UserError{Msg: "NemoVideo is rate-limiting this client. Wait a minute and try again.", Err: err}
	case errors.Is(err, ErrTokenExpired) && b.cfg.Token != "" && b.cfg.TokenStrict:
		return &backend.UserError{Msg: "NEMO_TOKEN was rejected (expired or invalid), and NEMO_TOKEN_STRICT=1 forbids falling back to an anonymous token: set a fresh NEMO_TOKEN (nemovideo.com, Settings -> API Tokens), or unset NEMO_TOKEN_STRICT.", Err: err}
	case errors.Is(err, ErrTokenExpired):
		return &backend.UserError{Msg: "NemoVideo rejected a fresh anonymous token. Try again later, or set NEMO_TOKEN.", Err: err}
	case errors.Is(err, ErrSessionNotFound):
		return &backend.UserError{Msg: "The cloud session was lost again; upload the files to start over.", Err: err}
	}
	var ae *APIError
	if errors.As(err, &ae) && ae.Status >= 500 {
		return &backend.UserError{Msg: fmt.Sprintf("NemoVideo had a server error (HTTP %d). Try again in a moment.", ae.Status), Err: err}
	}
	return err
}

// tokenLimitMsg says why no anonymous token can be had, when that ends
// and how to go on now.
func (b *Backend) tokenLimitMsg(err error) string {
	var tl *TokenLimitError
	errors.As(err, &tl)
	when := "7 days after this client's last one"
	if tl != nil && !tl.Until.IsZero() {
		when = "at " + tl.Until.UTC().Format("2006-01-02 15:04 UTC")
	}
	msg := "NemoVideo gives one free anonymous token per client every 7 days (and 10 per network address), and this client has had its token. The limit ends " + when + "."
	if b.cfg.Token != "" {
		msg = "NEMO_TOKEN was rejected (expired or invalid), and no anonymous token can replace it: " + msg
	}
	return msg + " To go on now, register for free at " + b.cfg.WebURL + "/register, then set NEMO_TOKEN to a token from Settings -> API Tokens."
}

// withNotes adds the notes every result carries (a NEMO_TOKEN fallback).
func (b *Backend) withNotes(notes []string) []string {
	if n := b.c.FallbackNote(); n != "" {
		return appendOnce(notes, n)
	}
	return notes
}

// learnUserID reads the current session's state when the user id is not
// known yet: v1.9's token and session replies carry none, and a register
// link needs it for ?bind= (SKILL.md v1.9 section 7: "get <id> from
// create-session or state response when needed").
func (b *Backend) learnUserID(ctx context.Context) {
	if b.c.UserID() != "" {
		return
	}
	cur := b.current.Get(ctx)
	if cur == "" {
		return
	}
	s, err := b.st.GetSession(ctx, cur)
	if err != nil || s.Backend != Name || s.RemoteID == "" {
		return
	}
	if _, err := b.c.State(ctx, s.RemoteID); err != nil {
		b.log.Info("nemo: no user id for the register link", zap.Error(err))
	}
}

func (b *Backend) noCreditsMsg() string {
	if b.c.Anonymous() {
		return "You are out of credits. Register to get more (your work is kept): " + b.c.RegisterLink(b.c.UserID())
	}
	return "You are out of credits: top up credits in your account at " + b.cfg.WebURL + "."
}

// Upload sends local files (one multipart request, streamed) and URLs
// (one JSON request) to the session's cloud session (POST
// /api/upload-video/nemo_agent/me/<sid>). Formats and sizes
// are checked before anything is sent.
func (b *Backend) Upload(ctx context.Context, req backend.UploadRequest) (*backend.UploadResult, error) {
	if len(req.Paths) == 0 && len(req.URLs) == 0 {
		return nil, backend.Userf("Nothing to upload: give absolute file paths or http(s) URLs.")
	}
	sizes := map[string]int64{}
	for _, p := range req.Paths {
		n, err := CheckUpload(p)
		if err != nil {
			return nil, b.checkErr(err)
		}
		sizes[filepath.Base(p)] = n
	}
	for _, u := range req.URLs {
		if err := CheckUploadURL(u); err != nil {
			return nil, b.checkErr(err)
		}
	}
	var s *store.Session
	var err error
	switch {
	case req.NewSession && req.SessionID != "":
		return nil, backend.Userf("Give either session_id (add to that session) or new_session: true (start a new one), not both.")
	case req.NewSession:
		s, err = b.newSession(ctx)
	default:
		s, err = b.session(ctx, req.SessionID, true)
	}
	if err != nil {
		return nil, err
	}
	defer b.lock(s.ID)()
	res := &backend.UploadResult{SessionID: s.ID}
	var files []UploadedFile
	err = b.withRemote(ctx, s, &res.Notes, func(sid string) error {
		files = files[:0]
		if len(req.Paths) > 0 {
			r, err := b.c.UploadFiles(ctx, sid, req.Paths)
			if err != nil {
				return err
			}
			files = append(files, r.Files...)
		}
		if len(req.URLs) > 0 {
			r, err := b.c.UploadURLs(ctx, sid, req.URLs)
			if err != nil {
				return err
			}
			files = append(files, r.Files...)
		}
		return nil
	})
	if err != nil {
		return nil, b.userErr(err)
	}
	var items []*store.Media
	for i, f := range files {
		m := backend.Media{
			ID: "m_" + uuid.NewString()[:8], Name: f.Filename, URL: f.CDNURL, Kind: f.FileType,
			Format:    strings.TrimPrefix(strings.ToLower(filepath.Ext(f.Filename)), "."),
			DurationS: f.Duration, Width: f.Width, Height: f.Height, FPS: f.FPS, SizeBytes: f.Size,
		}
		if m.SizeBytes == 0 {
			m.SizeBytes = sizes[f.Filename]
		}
		if i < len(req.Paths) && filepath.Base(req.Paths[i]) == f.Filename {
			m.Path = req.Paths[i]
		}
		res.Files = append(res.Files, m)
		info, _ := json.Marshal(m)
		items = append(items, &store.Media{ID: m.ID, Name: m.Name, Path: m.Path, Info: info})
	}
	if len(items) > 0 {
		if err := b.st.AddMedia(ctx, s.ID, items); err != nil {
			return nil, err
		}
	}
	res.Notes = b.withNotes(res.Notes)
	return res, nil
}

// checkErr words a pre-send check failure for the user.
func (b *Backend) checkErr(err error) error {
	switch {
	case errors.Is(err, ErrUnsupportedFile):
		return &backend.UserError{Msg: "Unsupported file type (" + strings.SplitN(err.Error(), ":", 2)[0] + "). Supported formats: " + strings.Join(SupportedFormats, ", ") + ".", Err: err}
	case errors.Is(err, ErrFileTooLarge):
		return &backend.UserError{Msg: "File too large (" + strings.SplitN(err.Error(), ":", 2)[0] + "): the limit is 500 MB. Compress it or trim it to a shorter clip first.", Err: err}
	}
	return &backend.UserError{Msg: "Cannot upload: " + err.Error(), Err: err}
}

// readState reads the cloud state of s (through withRemote).
func (b *Backend) readState(ctx context.Context, s *store.Session, notes *[]string) (*State, error) {
	var st *State
	err := b.withRemote(ctx, s, notes, func(sid string) error {
		var err error
		st, err = b.c.State(ctx, sid)
		return err
	})
	return st, err
}

func summaryOf(raw json.RawMessage) string {
	d, err := draft.Parse(raw)
	if err != nil {
		return "Timeline: unreadable draft."
	}
	return d.Summary()
}

// State returns the cloud state (GET /api/state/nemo_agent/me/<sid>/latest):
// summary, draft, video_infos, generated_media, the media uploaded through this server, history and jobs.
func (b *Backend) State(ctx context.Context, sessionID string) (*backend.StateResult, error) {
	s, err := b.session(ctx, sessionID, false)
	if err != nil {
		return nil, err
	}
	unlock := b.lock(s.ID)
	st, err := b.readState(ctx, s, nil)
	unlock()
	if err != nil {
		return nil, b.userErr(err)
	}
	res := &backend.StateResult{SessionID: s.ID, Summary: summaryOf(st.Draft), Draft: st.Draft,
		VideoInfos: st.VideoInfos, GeneratedMedia: st.GeneratedMedia, Media: []backend.Media{}, History: []backend.HistoryEntry{}}
	if len(res.Draft) == 0 {
		res.Draft = json.RawMessage("{}")
	}
	media, err := b.st.ListMedia(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range media {
		var bm backend.Media
		_ = json.Unmarshal(m.Info, &bm)
		bm.ID, bm.Name = m.ID, m.Name
		res.Media = append(res.Media, bm)
	}
	edits, err := b.st.ListEdits(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	for _, e := range edits {
		var ops []string
		_ = json.Unmarshal(e.Ops, &ops)
		res.History = append(res.History, backend.HistoryEntry{Seq: e.Seq, Instruction: e.Instruction, Ops: ops, Target: e.Target, Undone: e.Undone, At: e.At})
	}
	jobs, err := b.st.ListJobs(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		res.Jobs = append(res.Jobs, *jobFromStore(j))
	}
	return res, nil
}

// Credits returns the balance (GET /api/credits/balance/simple).
func (b *Backend) Credits(ctx context.Context) (*backend.Credits, error) {
	bal, err := b.c.Credits(ctx)
	if err != nil {
		return nil, b.userErr(err)
	}
	cr := &backend.Credits{Available: bal.Available, Frozen: bal.Frozen, Total: bal.Total}
	if bal.Frozen > 0 {
		cr.Note = fmt.Sprintf("%d credits are reserved by running work.", bal.Frozen)
	}
	if b.c.Anonymous() || b.c.cfg.Token == "" {
		b.learnUserID(ctx)
		cr.Note = strings.TrimSpace(cr.Note + " Free starter account: register to keep your credits and get more: " + b.c.RegisterLink(b.c.UserID()))
	}
	if n := b.c.FallbackNote(); n != "" {
		cr.Note = strings.TrimSpace(n + " " + cr.Note)
	}
	return cr, nil
}

// Edit routes the instruction (intent.Route): export, credits and state
// run the matching method, upload asks for the upload tool, and only an
// edit is sent to the agent (POST /run_sse).
func (b *Backend) Edit(ctx context.Context, req backend.EditRequest) (*backend.EditResult, error) {
	if strings.TrimSpace(req.Instruction) == "" {
		return nil, backend.Userf("Empty instruction: say what to change, for example \"remove background noise\".")
	}
	plan := intent.Parse(req.Instruction)
	action := plan.Action
	switch action {
	case intent.ActionNewSession:
		prev := b.current.Get(ctx)
		s, err := b.newSession(ctx)
		if err != nil {
			return nil, err
		}
		msg := fmt.Sprintf("Started a new session %s: call upload to add files to it.", s.ID)
		if prev != "" {
			msg += fmt.Sprintf(" The previous session %s is kept: pass its session_id to go back to it.", prev)
		}
		return &backend.EditResult{SessionID: s.ID, Action: string(action), Message: msg}, nil
	case intent.ActionUpload:
		return nil, backend.Userf("To upload, call the upload tool with absolute file paths or http(s) URLs.")
	case intent.ActionCredits:
		cr, err := b.Credits(ctx)
		if err != nil {
			return nil, err
		}
		msg := fmt.Sprintf("Credits: %d available, %d frozen, %d total.", cr.Available, cr.Frozen, cr.Total)
		if cr.Note != "" {
			msg += " " + cr.Note
		}
		return &backend.EditResult{SessionID: req.SessionID, Action: string(action), Message: msg}, nil
	case intent.ActionState:
		st, err := b.State(ctx, req.SessionID)
		if err != nil {
			return nil, err
		}
		return &backend.EditResult{SessionID: st.SessionID, Action: string(action), Message: st.Summary, Summary: st.Summary}, nil
	case intent.ActionExport:
		if plan.Export != nil && plan.Export.Each {
			break // "process each file separately": the cloud's agent decides how
		}
		ex := backend.ExportRequest{SessionID: req.SessionID, Wait: DefaultEditExportWait}
		if e := plan.Export; e != nil {
			ex.Format, ex.File, ex.Resolution = e.Format, e.File, e.Resolution
		}
		job, err := b.Export(ctx, ex)
		if err != nil {
			return nil, err
		}
		return &backend.EditResult{SessionID: job.SessionID, Action: string(action), Message: job.Message, Notes: job.Notes}, nil
	}
	res, err := b.sendEdit(ctx, req)
	if res != nil {
		res.Notes = b.withNotes(res.Notes)
	}
	return res, err
}

// errStuck ends a stream that sent only keep-alives for StuckAfter.
var errStuck = errors.New("nemo: stream sent only keep-alives")

// ErrStreamBroken marks a message stream that broke before it closed.
var ErrStreamBroken = errors.New("nemo: message stream broke")

// sendEdit sends the instruction once and condenses the stream.
func (b *Backend) sendEdit(ctx context.Context, req backend.EditRequest) (*backend.EditResult, error) {
	s, err := b.session(ctx, req.SessionID, true)
	if err != nil {
		return nil, err
	}
	defer b.lock(s.ID)()
	res := &backend.EditResult{SessionID: s.ID, Action: string(intent.ActionEdit)}
	before, err := b.readState(ctx, s, &res.Notes)
	if err != nil {
		return nil, b.userErr(err)
	}
	var cond Condenser
	start := time.Now()
	beforeSID := s.RemoteID
	err = b.withRemote(ctx, s, &res.Notes, func(sid string) error {
		if sid != beforeSID {
			before = &State{} // a new session: nothing before
		}
		cond = Condenser{}
		return b.stream(ctx, sid, req.Instruction, &cond, start)
	})
	res.ToolCalls = cond.ToolCalls()
	switch {
	case errors.Is(err, errStuck):
		return nil, &backend.UserError{Msg: fmt.Sprintf("The editing agent sent only keep-alives for %s, so this server stopped waiting. The message was not re-sent (it would be charged twice); check the state in a while to see whether the edit landed.", b.cfg.StuckAfter), Err: err}
	case errors.Is(err, ErrStreamBroken):
		return b.recoverBroken(ctx, s, req, before, &cond, res, err)
	case err != nil:
		return nil, b.userErr(err)
	}
	if se := cond.Err(); se != nil {
		if errors.Is(se, ErrNoCredits) {
			return nil, &backend.UserError{Msg: b.noCreditsMsg(), Err: se}
		}
		msg := se.Message
		if msg == "" {
			msg = "The editing agent reported an error."
		}
		return nil, &backend.UserError{Msg: "The editing agent failed: " + msg, Err: se}
	}
	b.finish(ctx, s, req, before, &cond, res)
	return res, nil
}

// stream posts the message and feeds cond, with the stuck watchdog and
// progress reports on keep-alives.
func (b *Backend) stream(parent context.Context, sid, text string, cond *Condenser, start time.Time) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	ctx, cancelT := context.WithTimeout(ctx, b.cfg.StreamTimeout)
	defer cancelT()
	watchdog := time.AfterFunc(b.cfg.StuckAfter, func() { cancel(errStuck) })
	defer watchdog.Stop()
	err := b.c.Message(ctx, sid, text, func(f Frame) {
		if cond.Feed(f) {
			el := time.Since(start).Round(time.Second)
			backend.ReportProgress(ctx, backend.Progress{Done: el.Seconds(), Message: "still working (" + el.String() + ")"})
			return
		}
		watchdog.Reset(b.cfg.StuckAfter)
	})
	if errors.Is(context.Cause(ctx), errStuck) {
		return errStuck
	}
	if err != nil && parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: the %s limit passed", ErrStreamBroken, b.cfg.StreamTimeout)
	}
	return err
}

// finish reads the state after a closed stream and fills res: the
// condensed text GUI-translated, or for a silent completion what changed.
func (b *Backend) finish(ctx context.Context, s *store.Session, req backend.EditRequest, before *State, cond *Condenser, res *backend.EditResult) {
	text := cond.Text()
	after, err := b.readState(ctx, s, &res.Notes)
	if err != nil {
		b.log.Warn("nemo: state after edit", zap.Error(err))
		res.Notes = append(res.Notes, "Could not read the timeline after the edit; call state to see it.")
		after = nil
	}
	if after != nil {
		res.Changes = changes(before, after)
		res.Summary = summaryOf(after.Draft)
	}
	switch {
	case text != "":
		res.Message = TranslateGUI(text, res.Summary)
	case len(res.Changes) > 0:
		res.Message = "Done. The agent sent no text; the timeline changed: " + strings.Join(res.Changes, "; ") + "."
	case after != nil:
		res.Message = "The agent finished without a reply and the timeline did not change. Try a more specific instruction."
	default:
		res.Message = "The agent finished without a reply."
	}
	b.record(ctx, s, req, res.Changes)
}

func (b *Backend) record(ctx context.Context, s *store.Session, req backend.EditRequest, ops []string) {
	if ops == nil {
		ops = []string{}
	}
	raw, _ := json.Marshal(ops)
	if err := b.st.AppendEdit(ctx, &store.Edit{SessionID: s.ID, Instruction: req.Instruction, Ops: raw}); err != nil {
		b.log.Warn("nemo: record edit", zap.Error(err))
	}
}

// changes lists what changed between two states (see stateChanges).
func changes(before, after *State) []string { return stateChanges(before, after) }

// recoverBroken handles a stream that broke: the message is never sent
// again (a second charge). It reads the state after PollInterval, then
// every 2x PollInterval, up to RecoveryReads unchanged reads; a change
// is reported as the edit's result.
func (b *Backend) recoverBroken(ctx context.Context, s *store.Session, req backend.EditRequest, before *State, cond *Condenser, res *backend.EditResult, cause error) (*backend.EditResult, error) {
	b.log.Info("nemo stream broke; polling state", zap.String("session", s.ID), zap.Error(cause))
	wait := b.cfg.PollInterval
	for i := 0; i < b.cfg.RecoveryReads; i++ {
		backend.ReportProgress(ctx, backend.Progress{Done: float64(i), Total: float64(b.cfg.RecoveryReads),
			Message: fmt.Sprintf("connection dropped; checking whether the edit landed (%d/%d)", i+1, b.cfg.RecoveryReads)})
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		wait = 2 * b.cfg.PollInterval
		after, err := b.readState(ctx, s, &res.Notes)
		if err != nil {
			b.log.Info("nemo recovery read failed", zap.Error(err))
			continue
		}
		if ch := changes(before, after); len(ch) > 0 {
			res.Changes, res.Summary = ch, summaryOf(after.Draft)
			msg := "The connection dropped while the agent worked, but the edit went through: " + strings.Join(ch, "; ") + "."
			if t := cond.Text(); t != "" {
				msg = TranslateGUI(t, res.Summary) + "\n\n" + msg
			}
			res.Message = msg
			res.Notes = append(res.Notes, "The stream broke; the message was not re-sent (no double charge).")
			b.record(ctx, s, req, ch)
			return res, nil
		}
	}
	return nil, &backend.UserError{Msg: fmt.Sprintf("The connection to the editing agent broke and the timeline was unchanged after %d checks. The message was not re-sent (it would be charged twice): check the state, then send it again if needed.", b.cfg.RecoveryReads), Err: cause}
}

// exportState is store.Job.Request for a cloud render.
type exportState struct {
	RenderID   string `json:"render_id"`
	RemoteSID  string `json:"remote_session_id"`
	Format     string `json:"format"`
	Quality    string `json:"quality"`
	Resolution string `json:"resolution,omitempty"`
	OutputPath string `json:"output_path,omitempty"`
	Retried    bool   `json:"retried,omitempty"`
	Link       string `json:"link,omitempty"`
	// File is the media file rendered alone (a batch session), and
	// DraftFile whether the draft was cut down to it.
	File      string `json:"file,omitempty"`
	DraftFile bool   `json:"draft_file,omitempty"`
	// Polled: a status poll of this render has answered (a 404 before
	// that is a render not yet registered, and is polled again).
	Polled bool `json:"polled,omitempty"`
}

// Export checks the draft is exportable, starts a render (POST
// /api/render/proxy/lambda; a failed start gets a new id and one retry),
// keeps the render id in the store, and follows it for up to req.Wait.
func (b *Backend) Export(ctx context.Context, req backend.ExportRequest) (*backend.Job, error) {
	s, err := b.session(ctx, req.SessionID, false)
	if err != nil {
		return nil, err
	}
	unlock := b.lock(s.ID)
	j, sj, err := b.startExport(ctx, s, req)
	unlock()
	if err != nil {
		return nil, err
	}
	defer b.lock(j.ID)()
	return b.noted(b.follow(ctx, sj, j, req.Wait))
}

// noted adds withNotes to a job result.
func (b *Backend) noted(j *backend.Job, err error) (*backend.Job, error) {
	if j != nil {
		j.Notes = b.withNotes(j.Notes)
	}
	return j, err
}

// cloudFormat is the only format the cloud renders (every source: the
// skills' render body and NemoVideo's CLI send "mp4"); other formats are
// converted here from the downloaded mp4.
const cloudFormat = "mp4"

// exportFormats are the formats an export may ask for.
var exportFormats = map[string]bool{"mp4": true, "mov": true, "mkv": true, "webm": true, "mp3": true, "wav": true, "m4a": true, "aac": true}

// exportFormat settles the output format from the request's format and
// output path's extension; a mismatch is refused (never an mp4 under
// another extension).
func (b *Backend) exportFormat(req backend.ExportRequest) (string, error) {
	f := strings.ToLower(strings.TrimPrefix(req.Format, "."))
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(req.OutputPath), "."))
	switch {
	case f == "" && exportFormats[ext]:
		f = ext
	case f == "":
		f = cloudFormat
	}
	if !exportFormats[f] {
		return "", backend.Userf("Unknown export format %q: use mp4, mov, mkv, webm, mp3, wav, m4a or aac.", req.Format)
	}
	if ext != "" && ext != f {
		return "", backend.Userf("The output path ends in .%s but the format is %s: make them match.", ext, f)
	}
	if req.OutputPath != "" && !req.Overwrite {
		if _, err := os.Lstat(req.OutputPath); err == nil {
			return "", backend.Userf("output_path %s already exists: pass overwrite: true to replace it, or choose another name", req.OutputPath)
		}
	}
	if f != cloudFormat && b.cfg.Transcode == nil {
		return "", backend.Userf("The cloud renders mp4 only, and converting it to %s needs ffmpeg on this machine, which was not found: export mp4, or install ffmpeg (or set AUDIOEDIT_FFMPEG).", f)
	}
	return f, nil
}

// startExport reads the draft, starts the render and saves the job.
func (b *Backend) startExport(ctx context.Context, s *store.Session, req backend.ExportRequest) (*backend.Job, *store.Job, error) {
	format, err := b.exportFormat(req)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	st, err := b.readState(ctx, s, &notes)
	if err != nil {
		return nil, nil, b.userErr(err)
	}
	d, err := draft.Parse(st.Draft)
	if err != nil || !d.Exportable() {
		return nil, nil, backend.Userf("Nothing to export yet: the timeline is empty. Upload a file or ask for an edit first.")
	}
	es := exportState{RemoteSID: s.RemoteID, Format: format, Quality: strings.ToLower(req.Quality), Resolution: req.Resolution, OutputPath: req.OutputPath}
	if es.Quality == "" {
		es.Quality = "high"
	}
	draftRaw := st.Draft
	if req.File != "" {
		if draftRaw, es.File, err = b.fileDraft(ctx, s, st.Draft, req.File); err != nil {
			return nil, nil, err
		}
		es.DraftFile = true
	}
	if err := b.startRender(ctx, &es, draftRaw); err != nil {
		return nil, nil, err
	}
	var sd sessionData
	_ = json.Unmarshal(s.Data, &sd)
	if sd.TaskID == "" {
		sd.TaskID = st.TaskID
	}
	es.Link = b.c.TaskLink(sd.TaskID, s.RemoteID)
	reqRaw, _ := json.Marshal(es)
	msg := "Rendering in the cloud."
	if es.File != "" {
		msg = "Rendering " + es.File + " in the cloud (its own render)."
	}
	j := &backend.Job{ID: "job_" + uuid.NewString()[:12], SessionID: s.ID, Status: backend.JobRunning, Format: es.Format, Link: es.Link, Notes: notes,
		Message: msg, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	sj := &store.Job{ID: j.ID, SessionID: s.ID, Backend: Name, Status: j.Status, RemoteID: es.RenderID, Request: reqRaw}
	if err := b.saveJob(ctx, sj, j); err != nil {
		return nil, nil, err
	}
	return j, sj, nil
}

// fileDraft is the draft cut down to the clips that use one media file of
// a batch session (by id or name), for that file's own render; tracks
// left without clips are dropped.
func (b *Backend) fileDraft(ctx context.Context, s *store.Session, raw json.RawMessage, file string) (json.RawMessage, string, error) {
	media, err := b.st.ListMedia(ctx, s.ID)
	if err != nil {
		return nil, "", err
	}
	var names []string
	for _, m := range media {
		var bm backend.Media
		_ = json.Unmarshal(m.Info, &bm)
		if m.ID == file || m.Name == file || filepath.Base(m.Path) == file {
			names = append(names, m.Name)
			if bm.URL != "" {
				names = append(names, bm.URL)
			}
		}
	}
	if len(names) == 0 {
		names = []string{file} // a file the agent generated: match it by name
	}
	var top map[string]any
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, "", backend.Userf("The timeline could not be read, so %s cannot be rendered alone.", file)
	}
	tracks, _ := first(top, "t", "tracks").([]any)
	var kept []any
	for _, t := range tracks {
		tm, ok := t.(map[string]any)
		if !ok {
			continue
		}
		segKey := "sg"
		for _, k := range []string{"sg", "segments", "clips"} {
			if _, ok := tm[k]; ok {
				segKey = k
				break
			}
		}
		segs, _ := tm[segKey].([]any)
		var keep []any
		for _, sg := range segs {
			if mentions(sg, names) {
				keep = append(keep, sg)
			}
		}
		if len(keep) > 0 {
			nt := map[string]any{}
			for k, v := range tm {
				nt[k] = v
			}
			nt[segKey] = keep
			kept = append(kept, nt)
		}
	}
	if len(kept) == 0 {
		return nil, "", backend.Userf("No clip of the timeline uses %q: give the id or name of a file of this session (the state tool lists them), or omit file to render the whole timeline.", file)
	}
	for _, k := range []string{"t", "tracks"} {
		if _, ok := top[k]; ok {
			top[k] = kept
		}
	}
	out, err := json.Marshal(top)
	return out, file, err
}

func first(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return nil
}

// mentions reports whether some string in v is one of names or ends in
// "/"+name (a URL or path to it).
func mentions(v any, names []string) bool {
	switch x := v.(type) {
	case string:
		for _, n := range names {
			if x == n || strings.HasSuffix(x, "/"+n) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if mentions(e, names) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if mentions(e, names) {
				return true
			}
		}
	}
	return false
}

// startRender posts the render (always mp4, see cloudFormat) with a
// fresh request id and keeps the id the reply names; a failure gets a
// new id and one retry. A 402 or 403 is the plan, not a glitch, and is
// not retried.
func (b *Backend) startRender(ctx context.Context, es *exportState, draftRaw json.RawMessage) error {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		reqID := "render_" + uuid.NewString()
		var id string
		id, err = b.c.StartRender(ctx, RenderRequest{ID: reqID, SessionID: es.RemoteSID, Draft: draftRaw,
			Output: RenderOutput{Format: cloudFormat, Quality: es.Quality, Resolution: es.Resolution}})
		if err == nil {
			es.RenderID, es.Polled = id, false
			break
		}
		if errors.Is(err, ErrPlanBlocked) || errors.Is(err, ErrNoRenderScope) || errors.Is(err, ErrNoCredits) || ctx.Err() != nil {
			break
		}
		b.log.Info("nemo render start failed; retrying with a new id", zap.Error(err))
	}
	return b.userErr(err)
}

func (b *Backend) saveJob(ctx context.Context, sj *store.Job, j *backend.Job) error {
	j.UpdatedAt = time.Now().UTC()
	sj.Status, sj.Progress, sj.Error = j.Status, j.Progress, j.Error
	sj.Result, _ = json.Marshal(j)
	return b.st.PutJob(ctx, sj)
}

func jobFromStore(sj *store.Job) *backend.Job {
	var j backend.Job
	_ = json.Unmarshal(sj.Result, &j)
	j.ID, j.SessionID, j.Status, j.Progress = sj.ID, sj.SessionID, sj.Status, sj.Progress
	if j.CreatedAt.IsZero() {
		j.CreatedAt = sj.CreatedAt
	}
	return &j
}

// ExportStatus returns a job, following its render (GET
// /api/render/proxy/lambda/<id>) for up to wait. A job started by an
// earlier server process resumes from the render id in the store.
func (b *Backend) ExportStatus(ctx context.Context, jobID string, wait time.Duration) (*backend.Job, error) {
	defer b.lock(jobID)()
	sj, err := b.st.GetJob(ctx, jobID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, backend.Userf("Unknown job %q: use the job_id an export returned.", jobID)
	}
	if err != nil {
		return nil, err
	}
	if sj.Backend != Name {
		return nil, backend.Userf("Job %q belongs to the %s backend.", jobID, sj.Backend)
	}
	j := jobFromStore(sj)
	if j.Done() {
		return j, nil
	}
	return b.noted(b.follow(ctx, sj, j, wait))
}

// maxMissing is how many 404s a render gets before its first answered
// poll: a render just started may not be registered yet.
const maxMissing = 3

// follow polls the render every PollInterval until it finishes, wait has
// passed or MaxPolls polls were made (the skills: 30 s x 10), then
// reports it as still running with its job and render ids; a completed
// render is downloaded (and converted when another format was asked
// for); a failed one is started again once with a new id.
func (b *Backend) follow(ctx context.Context, sj *store.Job, j *backend.Job, wait time.Duration) (*backend.Job, error) {
	var es exportState
	_ = json.Unmarshal(sj.Request, &es)
	deadline := time.Now().Add(wait)
	missing := 0
	for polls := 1; ; polls++ {
		rs, err := b.c.GetRender(ctx, es.RenderID)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case isNotFound(err) && !es.Polled && missing < maxMissing:
			missing++
			j.Message = fmt.Sprintf("Waiting for the cloud to register render %s. Call export_status with job_id %s to follow it.", es.RenderID, j.ID)
		case isNotFound(err):
			return b.fail(ctx, sj, j, "The cloud no longer knows this render; call export again.")
		case err != nil:
			b.log.Info("nemo render poll failed", zap.Error(err))
			j.Message = "Could not check the render just now; call export_status again."
		default:
			if !es.Polled {
				es.Polled = true
				sj.Request, _ = json.Marshal(es)
			}
			switch {
			case rs.Status == "completed":
				return b.complete(ctx, sj, j, &es, rs)
			case rs.Status == "failed" && !es.Retried:
				b.log.Info("nemo render failed; retrying with a new id", zap.String("error", rs.Error))
				es.Retried = true
				if err := b.restart(ctx, sj, &es); err != nil {
					return b.fail(ctx, sj, j, "the render failed ("+rs.Error+") and could not be restarted: "+userText(err))
				}
				j.Notes = append(j.Notes, "The first render failed; it was started again with a new id.")
				j.Progress = 0
			case rs.Status == "failed":
				reason := rs.Error
				if reason == "" {
					reason = "no reason given"
				}
				return b.fail(ctx, sj, j, "The render failed twice: "+reason+". Try again later.")
			default:
				j.Progress = rs.Progress
				j.Message = fmt.Sprintf("Rendering in the cloud (%s, %.0f%%). Call export_status with job_id %s to follow it.", rs.Status, rs.Progress, j.ID)
				backend.ReportProgress(ctx, backend.Progress{Done: rs.Progress, Total: 100, Message: "rendering " + rs.Status})
			}
		}
		last := polls >= b.cfg.MaxPolls
		if last {
			j.Message = fmt.Sprintf("Still rendering after %d checks: render %s keeps running in the cloud. Call export_status with job_id %s later to fetch it.", polls, es.RenderID, j.ID)
		}
		if err := b.saveJob(ctx, sj, j); err != nil {
			return nil, err
		}
		if last || time.Until(deadline) < b.cfg.PollInterval {
			return j, nil
		}
		if err := sleep(ctx, b.cfg.PollInterval); err != nil {
			return nil, err
		}
	}
}

func isNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == 404
}

func userText(err error) string {
	if m, ok := backend.UserMessage(err); ok {
		return m
	}
	return err.Error()
}

// restart starts a failed render again with a new id, reading the draft anew.
func (b *Backend) restart(ctx context.Context, sj *store.Job, es *exportState) error {
	s, err := b.st.GetSession(ctx, sj.SessionID)
	if err != nil {
		return err
	}
	st, err := b.readState(ctx, s, nil)
	if err != nil {
		return err
	}
	es.RemoteSID = s.RemoteID
	es.Retried = true
	draftRaw := st.Draft
	if es.DraftFile {
		if draftRaw, _, err = b.fileDraft(ctx, s, st.Draft, es.File); err != nil {
			return err
		}
	}
	if err := b.startRender(ctx, es, draftRaw); err != nil {
		return err
	}
	sj.RemoteID = es.RenderID
	sj.Request, _ = json.Marshal(es)
	return nil
}

func (b *Backend) fail(ctx context.Context, sj *store.Job, j *backend.Job, msg string) (*backend.Job, error) {
	j.Status, j.Error, j.Message = backend.JobFailed, msg, msg
	return j, b.saveJob(ctx, sj, j)
}

// complete downloads the output atomically to the output path (or
// OutputDir), converting the cloud's mp4 when another format was asked
// for, and marks the job completed.
func (b *Backend) complete(ctx context.Context, sj *store.Job, j *backend.Job, es *exportState, rs *RenderStatus) (*backend.Job, error) {
	dst := es.OutputPath
	if dst == "" {
		short := strings.TrimPrefix(strings.TrimPrefix(es.RenderID, "render_"), "rnd_")
		short = short[:min(8, len(short))]
		name := sj.SessionID
		if es.File != "" {
			name += "_" + strings.TrimSuffix(filepath.Base(es.File), filepath.Ext(es.File))
		}
		dst = filepath.Join(b.cfg.OutputDir, fmt.Sprintf("%s_%s.%s", name, short, es.Format))
	}
	j.URL, j.DurationS, j.Progress = rs.URL, rs.Duration, 100
	rc, err := b.c.Download(ctx, es.RenderID, rs.URL)
	if err != nil {
		j.Message = "The render finished but the download failed; open the URL instead, or call export_status again."
		j.Notes = appendOnce(j.Notes, "download failed: "+err.Error())
		_ = b.saveJob(ctx, sj, j)
		return j, nil
	}
	defer rc.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	var n int64
	if es.Format == cloudFormat {
		n, err = fsutil.WriteFile(dst, rc, false)
	} else {
		n, err = b.transcode(ctx, rc, dst, es)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		j.Message = "The render finished but saving it failed: " + err.Error()
		_ = b.saveJob(ctx, sj, j)
		return j, nil
	}
	j.Status, j.Path, j.SizeBytes = backend.JobCompleted, dst, n
	j.Message = "Exported to " + dst + "."
	if es.Format != cloudFormat {
		j.Message = "Exported to " + dst + " (the cloud renders mp4; it was converted to " + es.Format + " here with ffmpeg)."
	}
	backend.ReportProgress(ctx, backend.Progress{Done: 100, Total: 100, Message: "exported"})
	return j, b.saveJob(ctx, sj, j)
}

// transcode saves the cloud's mp4 beside dst, converts it into es.Format
// at dst (Config.Transcode writes atomically), removes the mp4 and
// returns dst's size.
func (b *Backend) transcode(ctx context.Context, rc io.Reader, dst string, es *exportState) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".nemo-render-*.mp4")
	if err != nil {
		return 0, err
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name)
	if _, err := fsutil.WriteFile(name, rc, false); err != nil {
		return 0, err
	}
	if err := b.cfg.Transcode(ctx, name, dst, es.Format, es.Quality); err != nil {
		return 0, fmt.Errorf("convert the cloud's mp4 to %s: %w", es.Format, err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
