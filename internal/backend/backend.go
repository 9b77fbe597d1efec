// Package backend defines the one interface the MCP tools call, and the
// request and result types both backends share: the local ffmpeg engine
// (internal/local) and the NemoVideo cloud adapter (internal/nemo). It
// knows nothing of MCP.
package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Backend is an editing backend. Every method is safe for concurrent use.
// Errors the user or model can fix carry a UserMessage (see UserError);
// any other error is a broken invariant.
type Backend interface {
	// Name is "local" or "nemo".
	Name() string
	// Upload adds media to a session, creating the session when
	// req.SessionID is empty and there is no current one.
	Upload(ctx context.Context, req UploadRequest) (*UploadResult, error)
	// Edit applies a natural-language instruction to a session.
	Edit(ctx context.Context, req EditRequest) (*EditResult, error)
	// State returns the session's timeline, media and history.
	State(ctx context.Context, sessionID string) (*StateResult, error)
	// Credits returns the account's balance.
	Credits(ctx context.Context) (*Credits, error)
	// Export starts rendering the session's timeline and waits up to
	// req.Wait for it to finish; a job still running is returned with
	// Status "running" and can be followed with ExportStatus.
	Export(ctx context.Context, req ExportRequest) (*Job, error)
	// ExportStatus returns a job, waiting up to wait for it to finish.
	ExportStatus(ctx context.Context, jobID string, wait time.Duration) (*Job, error)
	// Capabilities say what each tool does on this backend; the MCP
	// tool annotations are built from them.
	Capabilities() Capabilities
	// Close stops background work and releases resources.
	Close() error
}

// ToolHints say what a tool does on a backend, as MCP tool annotations
// carry them to clients, which use them to decide what to confirm with
// the user.
type ToolHints struct {
	// ReadOnly: the call changes nothing, not even which session is
	// current.
	ReadOnly bool
	// Destructive: the call may delete or overwrite data, or spend what
	// cannot be given back (credits, a running render).
	Destructive bool
	// Idempotent: calling again with the same arguments has no further
	// effect.
	Idempotent bool
	// OpenWorld: the call reaches beyond this machine (the internet, a
	// cloud service).
	OpenWorld bool
}

// Capabilities are the hints of each tool on a backend.
type Capabilities struct {
	Upload, Edit, State, Credits, Export, ExportStatus ToolHints
}

// UnknownHints are MCP's defaults, for a tool whose backend is not
// known: it may write, destroy, differ when repeated and reach out.
var UnknownHints = ToolHints{Destructive: true, OpenWorld: true}

// ClientNamer is implemented by a backend that wants the MCP client's
// name (clientInfo.name from initialize): the cloud backend reports the
// platform it runs on from it. With several clients (HTTP mode) the
// latest initialize wins.
type ClientNamer interface {
	SetClientName(name string)
}

// UploadRequest names files or URLs to add to a session.
type UploadRequest struct {
	SessionID string
	Paths     []string
	URLs      []string
	// NewSession starts a fresh session for the files (and makes it the
	// client's current one); it cannot be combined with SessionID.
	NewSession bool
}

// Media is one uploaded file as probed.
type Media struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Path       string  `json:"path,omitempty"`
	URL        string  `json:"url,omitempty"`
	Kind       string  `json:"kind"` // audio, video, image
	Format     string  `json:"format"`
	DurationS  float64 `json:"duration_s"`
	SizeBytes  int64   `json:"size_bytes"`
	AudioCodec string  `json:"audio_codec,omitempty"`
	SampleRate int     `json:"sample_rate,omitempty"`
	Channels   int     `json:"channels,omitempty"`
	VideoCodec string  `json:"video_codec,omitempty"`
	Width      int     `json:"width,omitempty"`
	Height     int     `json:"height,omitempty"`
	FPS        float64 `json:"fps,omitempty"`
}

// UploadResult is what Upload added.
type UploadResult struct {
	SessionID string `json:"session_id"`
	// Notice is a sentence for the first line of the result when the
	// session is not the one the caller may expect (a new one started
	// because the current one was idle too long).
	Notice string   `json:"notice,omitempty"`
	Files  []Media  `json:"files"`
	Notes  []string `json:"notes,omitempty"`
}

// EditRequest is one instruction for a session.
type EditRequest struct {
	SessionID   string
	Instruction string
}

// EditResult says what an instruction did.
type EditResult struct {
	SessionID string `json:"session_id"`
	// Action is where the text was routed: edit, export, credits, state, upload.
	Action string `json:"action"`
	// Applied lists the operations applied, one human line each.
	Applied []string `json:"applied,omitempty"`
	// Message is the text for the user (the cloud agent's condensed reply,
	// or the local engine's summary of what it did or why it did nothing).
	Message string `json:"message"`
	// Changes lists what changed on the timeline.
	Changes []string `json:"changes,omitempty"`
	// Summary is the timeline summary after the edit.
	Summary string `json:"summary,omitempty"`
	// ToolCalls counts the cloud agent's internal tool calls.
	ToolCalls int `json:"tool_calls,omitempty"`
	// Notes are caveats (a fallback taken, a timeline lost).
	Notes []string `json:"notes,omitempty"`
	// Refused lists the clauses not applied, each with why ("'boost the
	// bass' (no EQ yet)"); Message's first line says the same.
	Refused []string `json:"refused,omitempty"`
}

// HistoryEntry is one edit in a session's history.
type HistoryEntry struct {
	Seq         int       `json:"seq"`
	Instruction string    `json:"instruction"`
	Ops         []string  `json:"ops,omitempty"`
	Target      string    `json:"target,omitempty"`
	Undone      bool      `json:"undone,omitempty"`
	At          time.Time `json:"at"`
}

// StateResult is a session's state.
type StateResult struct {
	SessionID      string          `json:"session_id"`
	Summary        string          `json:"summary"`
	Draft          json.RawMessage `json:"draft"`
	Media          []Media         `json:"media"`
	History        []HistoryEntry  `json:"history"`
	VideoInfos     json.RawMessage `json:"video_infos,omitempty"`
	GeneratedMedia json.RawMessage `json:"generated_media,omitempty"`
	Jobs           []Job           `json:"jobs,omitempty"`
	// Notes are caveats (an edit in the history skipped because it no
	// longer applies).
	Notes []string `json:"notes,omitempty"`
}

// Credits is an account balance; total = available + frozen.
type Credits struct {
	Available int64  `json:"available"`
	Frozen    int64  `json:"frozen"`
	Total     int64  `json:"total"`
	Unlimited bool   `json:"unlimited"`
	Note      string `json:"note,omitempty"`
}

// ExportRequest asks for a render of a session's timeline.
type ExportRequest struct {
	SessionID  string
	Format     string // mp4 (default) mov mkv webm mp3 wav m4a aac
	Quality    string // high (default) medium low
	Resolution string // "1080p" (default for video), "720p", "4k", "1920x1080", "1080x1920"
	OutputPath string
	// Overwrite lets the export replace an existing file at OutputPath;
	// without it an existing file is never replaced.
	Overwrite bool
	// File picks one media file of the session (id or name) for a batch
	// session; "" renders the whole timeline.
	File string
	Wait time.Duration
}

// Job statuses.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobCompleted = "completed"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// Job is an export's state.
type Job struct {
	ID        string  `json:"job_id"`
	SessionID string  `json:"session_id"`
	Status    string  `json:"status"`
	Progress  float64 `json:"progress"` // 0-100
	Format    string  `json:"format,omitempty"`
	Path      string  `json:"path,omitempty"`
	URL       string  `json:"url,omitempty"`
	DurationS float64 `json:"duration_s,omitempty"`
	SizeBytes int64   `json:"size_bytes,omitempty"`
	Error     string  `json:"error,omitempty"`
	Message   string  `json:"message,omitempty"`
	// QueuePosition is the job's place in the render queue while it
	// waits for a slot (1 = next); 0 once it runs.
	QueuePosition int `json:"queue_position,omitempty"`
	// Link opens the session in a browser (cloud backend).
	Link string `json:"link,omitempty"`
	// Report holds measured figures (loudness, true peak, noise floor...).
	Report map[string]float64 `json:"report,omitempty"`
	// Notes are caveats about the render.
	Notes     []string  `json:"notes,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Done reports whether the job has finished, well or not.
func (j *Job) Done() bool {
	switch j.Status {
	case JobCompleted, JobFailed, JobCancelled:
		return true
	}
	return false
}

// JobCanceller is implemented by backends that can stop a render.
type JobCanceller interface {
	// CancelJob stops a job and returns it once it has ended; a finished
	// job is returned unchanged.
	CancelJob(ctx context.Context, jobID string) (*Job, error)
}

// UserError is a failure the user or the model can fix. Its message says
// what went wrong and what to do next.
type UserError struct {
	Msg string
	Err error
}

// Error implements error.
func (e *UserError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the cause.
func (e *UserError) Unwrap() error { return e.Err }

// UserMessage returns the sentence for the user.
func (e *UserError) UserMessage() string { return e.Msg }

// Userf returns a UserError with a formatted message.
func Userf(format string, args ...any) error {
	return &UserError{Msg: fmt.Sprintf(format, args...)}
}

// UserMessage returns the user-facing sentence of err when some error in
// its chain has one (a UserMessage() string method), and ok=false else.
func UserMessage(err error) (msg string, ok bool) {
	var um interface{ UserMessage() string }
	if errors.As(err, &um) {
		return um.UserMessage(), true
	}
	return "", false
}

// Progress is one progress report.
type Progress struct {
	// Done and Total are in any unit (seconds rendered, percent).
	Done, Total float64
	Message     string
}

// ProgressFunc receives progress reports.
type ProgressFunc func(Progress)

type progressKey struct{}

// WithProgress returns a context whose backend calls report progress to fn.
func WithProgress(ctx context.Context, fn ProgressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// ReportProgress sends p to the context's ProgressFunc, if any.
func ReportProgress(ctx context.Context, p Progress) {
	if fn, ok := ctx.Value(progressKey{}).(ProgressFunc); ok && fn != nil {
		fn(p)
	}
}

// ProgressFrom returns the context's ProgressFunc, or nil.
func ProgressFrom(ctx context.Context) ProgressFunc {
	fn, _ := ctx.Value(progressKey{}).(ProgressFunc)
	return fn
}
