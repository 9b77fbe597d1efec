// Package local is the local backend: sessions, media, non-destructive
// edit history and export jobs kept in the store, rendered by the ffmpeg
// engine. It implements backend.Backend.
package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/netguard"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// MaxFileSize is the largest file accepted for upload (500 MB).
const MaxFileSize = 500 << 20

// Options configures the local backend.
type Options struct {
	// Store keeps sessions, media, history and jobs.
	Store *store.Store
	// Engine runs ffmpeg.
	Engine *engine.Engine
	// OutputDir is where exports go when no output path is given.
	OutputDir string
	// TempDir holds intermediate files; "" means os.TempDir().
	TempDir string
	// MediaDir holds files downloaded from URLs; "" means <user cache>/mcp-audioedit/media.
	MediaDir string
	// Logger receives diagnostics; nil means none.
	Logger *zap.Logger
	// EngineErr, given instead of Engine, is why there is no engine
	// (ffmpeg missing): upload, edit and export then answer with it, and
	// state, credits and export_status still work.
	EngineErr error
	// Fetch configures URL uploads.
	Fetch FetchOptions
	// Roots are the folders inputs are read from (uploads, and paths named
	// in an instruction such as "add /music/bed.mp3 as background music")
	// and outputs written to (AUDIOEDIT_ROOTS), checked at each use through
	// os.Root. The output, temp and media folders are added for the
	// server's own files. Empty means the temp folder for reads and
	// writes, and any folder for paths named in instructions.
	Roots fsutil.Roots
	// Jobs bounds exports: renders at once, queue length, deadline.
	Jobs JobOptions
	// Limits bound what is accepted; zero fields take the defaults.
	Limits Limits
	// Protected are folders an export never writes into, even inside the
	// roots: the data, models and cache folders. The media folder is
	// always protected.
	Protected []string
}

// Limits bound what the backend accepts; each refusal names the limit
// and its setting.
type Limits struct {
	// MaxDuration is the longest media accepted (AUDIOEDIT_MAX_DURATION);
	// 0 means 4 hours.
	MaxDuration time.Duration
	// MinSampleRate is the lowest audio sample rate accepted, in Hz
	// (AUDIOEDIT_MIN_SAMPLE_RATE); 0 means 8000.
	MinSampleRate int
	// MaxSessionFiles is the most files a session holds
	// (AUDIOEDIT_MAX_SESSION_FILES); 0 means 50.
	MaxSessionFiles int
	// MaxInstruction is the longest instruction, in bytes
	// (AUDIOEDIT_MAX_INSTRUCTION); 0 means 4096.
	MaxInstruction int
}

// withDefaults fills the zero fields.
func (l Limits) withDefaults() Limits {
	if l.MaxDuration <= 0 {
		l.MaxDuration = 4 * time.Hour
	}
	if l.MinSampleRate <= 0 {
		l.MinSampleRate = 8000
	}
	if l.MaxSessionFiles <= 0 {
		l.MaxSessionFiles = 50
	}
	if l.MaxInstruction <= 0 {
		l.MaxInstruction = 4096
	}
	return l
}

// FetchOptions configures URL uploads.
type FetchOptions struct {
	// AllowPrivate lets URL uploads reach loopback, private and other
	// non-public addresses (AUDIOEDIT_ALLOW_PRIVATE_URLS); off, they are
	// refused at connect time.
	AllowPrivate bool
	// Timeout bounds a whole download; 0 means 10 minutes.
	Timeout time.Duration
	// StallTimeout ends a download that receives no byte for this long;
	// 0 means 30 seconds.
	StallTimeout time.Duration
	// MaxBytes is the largest download; 0 means MaxFileSize.
	MaxBytes int64
	// Permit lets one address through the private-address check: tests
	// use it to serve from 127.0.0.1 while the check stays on.
	Permit func(netip.AddrPort) bool
}

// Backend is the local ffmpeg backend.
type Backend struct {
	st       *store.Store
	eng      *engine.Engine
	engErr   error // why eng is nil
	outDir   string
	tmpDir   string
	mediaDir string
	log      *zap.Logger
	http     *http.Client
	fetchOpt FetchOptions
	roots    fsutil.Roots

	ctx    context.Context // server lifetime: export jobs outlive the call that started them
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	jobs    map[string]*job
	queue   []*job // waiting for a render slot, first in first out
	running int
	closed  bool
	jobOpt  JobOptions
	owner   string // this process, recorded on its jobs

	limits     Limits
	own        fsutil.Roots // our output, temp, media and engine temp folders
	readRoots  fsutil.Roots // inputs, and our own files
	writeRoots fsutil.Roots // outputs
	protected  []string     // canonical folders no export goes into

	sessMu  sync.Mutex // serialises creating the current session
	current backend.Current

	locksMu sync.Mutex
	locks   map[string]*sync.Mutex // one per session: edits, undo, export planning
}

// needEngine is nil when ffmpeg is there, else the error upload, edit
// and export answer with: what to install, for the user to act on.
func (b *Backend) needEngine(what string) error {
	if b.eng != nil {
		return nil
	}
	return &backend.UserError{Err: b.engErr, Msg: fmt.Sprintf("%s needs ffmpeg, which this server cannot find: %v. Then restart the MCP server (or the client that starts it)", what, b.engErr)}
}

// lockSession takes the session's lock and returns its release.
func (b *Backend) lockSession(id string) func() {
	b.locksMu.Lock()
	if b.locks == nil {
		b.locks = map[string]*sync.Mutex{}
	}
	m := b.locks[id]
	if m == nil {
		m = &sync.Mutex{}
		b.locks[id] = m
	}
	b.locksMu.Unlock()
	m.Lock()
	return m.Unlock
}

var (
	_ backend.Backend            = (*Backend)(nil)
	_ backend.SessionLister      = (*Backend)(nil)
	_ backend.ClientSessionEnder = (*Backend)(nil)
	_ backend.JobCanceller       = (*Backend)(nil)
)

// New returns the local backend. Jobs a previous process left running
// are marked failed: their ffmpeg died with that process.
func New(opts Options) (*Backend, error) {
	if opts.Store == nil || (opts.Engine == nil && opts.EngineErr == nil) {
		return nil, errors.New("local backend: store and engine are required")
	}
	b := &Backend{
		st: opts.Store, eng: opts.Engine, engErr: opts.EngineErr, outDir: opts.OutputDir, tmpDir: opts.TempDir,
		mediaDir: opts.MediaDir, log: opts.Logger, fetchOpt: opts.Fetch, roots: opts.Roots, jobs: map[string]*job{},
		jobOpt: opts.Jobs, owner: processOwner(),
	}
	b.jobOpt.defaults()
	if b.log == nil {
		b.log = zap.NewNop()
	}
	b.http = netguard.NewClient(netguard.Options{AllowPrivate: opts.Fetch.AllowPrivate, Permit: opts.Fetch.Permit})
	if b.fetchOpt.Timeout <= 0 {
		b.fetchOpt.Timeout = 10 * time.Minute
	}
	if b.fetchOpt.StallTimeout <= 0 {
		b.fetchOpt.StallTimeout = 30 * time.Second
	}
	if b.fetchOpt.MaxBytes <= 0 {
		b.fetchOpt.MaxBytes = MaxFileSize
	}
	if b.tmpDir == "" {
		b.tmpDir = os.TempDir()
	}
	if b.outDir == "" {
		b.outDir = filepath.Join(b.tmpDir, "mcp-audioedit-exports")
	}
	if b.mediaDir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = b.tmpDir
		}
		b.mediaDir = filepath.Join(c, "mcp-audioedit", "media")
	}
	b.limits = opts.Limits.withDefaults()
	user := opts.Roots
	if len(user) == 0 {
		user = fsutil.ParseRoots(b.tmpDir)
	}
	b.own = fsutil.ParseRoots(strings.Join([]string{b.outDir, b.tmpDir, b.mediaDir, b.engineTemp()}, string(filepath.ListSeparator)))
	b.readRoots, b.writeRoots = b.withOwn(user)
	b.protected = fsutil.ParseRoots(strings.Join(append(opts.Protected, b.mediaDir), string(filepath.ListSeparator)))
	if b.eng != nil {
		b.eng = b.eng.WithContextOpener(func(ctx context.Context, path string) (*os.File, error) {
			read, _, sc := b.rootsFor(ctx)
			f, err := read.Open(path)
			return f, sc.Refix(err)
		})
	}
	b.removeLeftovers()
	b.ctx, b.cancel = context.WithCancel(context.Background())
	if err := b.failOrphans(context.Background()); err != nil {
		return nil, err
	}
	return b, nil
}

// withOwn returns the folders a call may read from (user's and all of
// ours) and write to (user's and the output folder).
func (b *Backend) withOwn(user fsutil.Roots) (read, write fsutil.Roots) {
	read = slices.Compact(slices.Sorted(slices.Values(append(append(fsutil.Roots(nil), user...), b.own...))))
	write = slices.Compact(slices.Sorted(slices.Values(append(append(fsutil.Roots(nil), user...), b.own[0]))))
	return read, write
}

// rootsFor returns the folders a call may read from and write to: the
// client's scope when the context carries one (its MCP roots, see
// fsutil.Scope), else the configured roots, with our own folders added
// either way. sc.Refix puts the scope's advice into a refusal.
func (b *Backend) rootsFor(ctx context.Context) (read, write fsutil.Roots, sc fsutil.Scope) {
	sc, ok := fsutil.ScopeFrom(ctx)
	if !ok {
		return b.readRoots, b.writeRoots, sc
	}
	read, write = b.withOwn(sc.Roots)
	return read, write, sc
}

// Hints are what the local backend's tools do. Everything runs on this
// machine except URL uploads. state with a session_id makes it the
// current session, so it is not read-only. Exports may replace a file
// (overwrite), and export_status with cancel: true stops a render:
// destructive.
var Hints = backend.Capabilities{
	Upload:       backend.ToolHints{OpenWorld: true},
	Edit:         backend.ToolHints{},
	State:        backend.ToolHints{Idempotent: true},
	Credits:      backend.ToolHints{ReadOnly: true, Idempotent: true},
	Export:       backend.ToolHints{Destructive: true},
	ExportStatus: backend.ToolHints{Destructive: true, Idempotent: true},
}

// Capabilities returns Hints.
func (b *Backend) Capabilities() backend.Capabilities { return Hints }

// engineTemp is the engine's temp folder (ours when there is no engine).
func (b *Backend) engineTemp() string {
	if b.eng == nil {
		return b.tmpDir
	}
	return b.eng.TempDir()
}

// removeLeftovers removes what a crashed process left (temp files with
// fsutil's prefix whose process is gone) in the output, temp and media
// folders.
func (b *Backend) removeLeftovers() {
	for _, d := range []string{b.outDir, b.tmpDir, b.mediaDir, b.engineTemp()} {
		n, err := fsutil.RemoveLeftovers(d)
		if err != nil {
			b.log.Warn("cannot clean leftovers", zap.String("folder", d), zap.Error(err))
		} else if n > 0 {
			b.log.Info("removed leftovers of a crashed run", zap.String("folder", d), zap.Int("count", n))
		}
	}
}

// explain gives the sentence for a file-system refusal: a path that now
// leads outside the roots, or a full disk (naming the fullest of the
// folders involved: the temp folder and those given).
func (b *Backend) explain(err error, folders ...string) (string, bool) {
	switch {
	case fsutil.IsNoSpace(err):
		var ne *fsutil.NoSpaceError
		if !errors.As(err, &ne) || ne.Folder == "" {
			ne = &fsutil.NoSpaceError{Folder: fsutil.FullFolder(append([]string{b.engineTemp()}, folders...)...), Err: err}
		}
		return ne.Error(), true
	case errors.Is(err, fsutil.ErrOutsideRoots):
		for e := err; e != nil; e = errors.Unwrap(e) {
			if strings.HasPrefix(e.Error(), fsutil.ErrOutsideRoots.Error()) {
				return e.Error(), true
			}
		}
	}
	return "", false
}

// Name returns "local".
func (b *Backend) Name() string { return "local" }

// Close cancels running exports and waits for them to stop.
func (b *Backend) Close() error {
	b.stopQueue()
	b.cancel()
	b.wg.Wait()
	return nil
}

// Credits reports that the local engine needs none.
func (b *Backend) Credits(ctx context.Context) (*backend.Credits, error) {
	return &backend.Credits{Unlimited: true, Note: "The local engine runs on this machine: no credits are needed and nothing leaves it."}, nil
}

// session returns the session named by id, or the client's current one
// when id is "" (see backend.Current: the current session belongs to the
// MCP client session, never to the shared database). A current session
// idle past backend.SessionIdleLimit is not used silently: the call is
// refused with a sentence saying how to continue it or start anew.
func (b *Backend) session(ctx context.Context, id string, create bool) (*store.Session, error) {
	s, _, err := b.sessionFor(ctx, id, create, false)
	return s, err
}

// sessionFor is session for upload: with fresh, or with create and no
// usable current session, a new session is started; notice then says why
// when the caller could expect another one.
func (b *Backend) sessionFor(ctx context.Context, id string, create, fresh bool) (*store.Session, string, error) {
	if id != "" {
		s, err := b.st.GetSession(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && s.Backend != "local") {
			return nil, "", backend.Userf("unknown session %q: omit session_id to use the current session, call state with list_sessions to see recent ones, or call upload to start a new one", id)
		}
		if err != nil {
			return nil, "", err
		}
		b.current.Set(ctx, s.ID)
		return s, "", nil
	}
	// One client's first calls at once must not start two sessions.
	b.sessMu.Lock()
	defer b.sessMu.Unlock()
	notice := ""
	if cur := b.current.Get(ctx); cur != "" && !fresh {
		s, err := b.st.GetSession(ctx, cur)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, "", err
		}
		if err == nil {
			idle, why := backend.Idle(s.ID, s.UpdatedAt, now())
			if !idle {
				return s, "", nil
			}
			if !create {
				return nil, "", backend.Userf("the current %s, so it is not reused without asking: pass session_id %q to continue it, or call upload (new_session: true) to start a new one", why, s.ID)
			}
			notice = fmt.Sprintf("Started a new session: the %s; pass session_id %q to go back to it.", why, s.ID)
		}
	}
	if !create && !fresh {
		if backend.Stateless(ctx) {
			return nil, "", backend.Userf("no session in this connection: it keeps none between calls (stateless HTTP), so pass session_id as upload returned it (state with list_sessions: true lists recent sessions)")
		}
		return nil, "", backend.Userf("there is no session in this connection yet: call upload with a file path to start one, or pass session_id (state with list_sessions: true lists recent sessions)")
	}
	s := &store.Session{ID: "s_" + uuid.NewString()[:8], Backend: "local", Data: json.RawMessage(`{}`)}
	if err := b.st.CreateSession(ctx, s); err != nil {
		return nil, "", err
	}
	b.current.Set(ctx, s.ID)
	return s, notice, nil
}

// EndClientSession forgets a client's current session when it goes away.
func (b *Backend) EndClientSession(clientID string) { b.current.Forget(clientID) }

// ListSessions lists the most recently changed sessions, the client's
// current one marked.
func (b *Backend) ListSessions(ctx context.Context, limit int) ([]backend.SessionInfo, error) {
	list, err := b.st.ListSessions(ctx, "local", limit)
	return b.current.Mark(ctx, list), err
}

// mediaOf loads a session's media with their probe info.
func (b *Backend) mediaOf(ctx context.Context, sessionID string) ([]*mediaItem, error) {
	ms, err := b.st.ListMedia(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	out := make([]*mediaItem, 0, len(ms))
	for _, m := range ms {
		var info engine.MediaInfo
		if err := json.Unmarshal(m.Info, &info); err != nil {
			return nil, fmt.Errorf("media %s: bad info: %w", m.ID, err)
		}
		out = append(out, &mediaItem{Media: m, Info: &info})
	}
	return out, nil
}

type mediaItem struct {
	*store.Media
	Info *engine.MediaInfo
}

func (m *mediaItem) public() backend.Media {
	i := m.Info
	return backend.Media{
		ID: m.ID, Name: m.Name, Path: m.Path, Kind: i.Kind, Format: i.Format, DurationS: round3(i.Duration),
		SizeBytes: i.Size, AudioCodec: i.AudioCodec, SampleRate: i.SampleRate, Channels: i.Channels,
		VideoCodec: i.VideoCodec, Width: i.Width, Height: i.Height, FPS: round3(i.FPS),
	}
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// now is the clock, replaceable in tests.
var now = time.Now
