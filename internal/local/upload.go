package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/netguard"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// Upload probes each file and adds it to the session. Nothing is added
// unless every file is accepted, so a bad file in a batch loses nothing
// and half-adds nothing.
func (b *Backend) Upload(ctx context.Context, req backend.UploadRequest) (*backend.UploadResult, error) {
	if err := b.needEngine("upload"); err != nil {
		return nil, err
	}
	if len(req.Paths) == 0 && len(req.URLs) == 0 {
		return nil, backend.Userf("nothing to upload: give paths (absolute file paths) or urls")
	}
	if req.NewSession && req.SessionID != "" {
		return nil, backend.Userf("give either session_id (add to that session) or new_session: true (start a new one), not both")
	}
	// Probe everything before touching the store.
	var items []*mediaItem
	for _, p := range req.Paths {
		it, err := b.probeLocal(ctx, p)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	for _, u := range req.URLs {
		it, err := b.fetch(ctx, u)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	sess, notice, err := b.sessionFor(ctx, req.SessionID, true, req.NewSession)
	if err != nil {
		return nil, err
	}
	// The count and the add are one step: parallel uploads cannot pass
	// the file limit together.
	unlock := b.lockSession(sess.ID)
	defer unlock()
	existing, err := b.mediaOf(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	if n, max := len(existing)+len(items), b.limits.MaxSessionFiles; n > max {
		return nil, backend.Userf("this session would hold %d files, over the limit of %d files per session (AUDIOEDIT_MAX_SESSION_FILES): start a new session (upload with new_session: true) or raise the limit", n, max)
	}
	taken := map[string]bool{}
	for _, m := range existing {
		taken[strings.ToLower(m.Name)] = true
	}
	rows := make([]*store.Media, len(items))
	res := &backend.UploadResult{SessionID: sess.ID, Notice: notice}
	if notice != "" {
		res.Notes = append(res.Notes, notice)
	}
	for i, it := range items {
		it.Name = uniqueName(it.Name, taken)
		info, _ := json.Marshal(it.Info)
		it.Media.Info = info
		rows[i] = it.Media
	}
	if err := b.st.AddMedia(ctx, sess.ID, rows); err != nil {
		return nil, err
	}
	for _, it := range items {
		res.Files = append(res.Files, it.public())
		if it.Info.Kind == "video" && !it.Info.HasAudio {
			res.Notes = append(res.Notes, fmt.Sprintf("%s has no audio track: upload the separately recorded audio and say \"sync audio to video\".", it.Name))
		}
	}
	if len(existing)+len(items) > 1 {
		res.Notes = append(res.Notes, "Several files are in this session: name a file in an instruction (\"denoise interview.wav\") to edit only it, and pass file= to export one file on its own.")
	}
	return res, nil
}

func uniqueName(name string, taken map[string]bool) string {
	n := name
	ext := filepath.Ext(name)
	for i := 2; taken[strings.ToLower(n)]; i++ {
		n = fmt.Sprintf("%s (%d)%s", strings.TrimSuffix(name, ext), i, ext)
	}
	taken[strings.ToLower(n)] = true
	return n
}

func (b *Backend) probeLocal(ctx context.Context, p string) (*mediaItem, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, backend.Userf("bad path %q: give an absolute file path", p)
	}
	read, _, sc := b.rootsFor(ctx)
	st, err := read.Stat(abs) // through the roots: a link out of them is refused
	err = sc.Refix(err)
	if errors.Is(err, fsutil.ErrOutsideRoots) {
		msg, _ := b.explain(err)
		return nil, &backend.UserError{Msg: msg, Err: err}
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, backend.Userf("file not found: %s. Check the path (it must be an absolute path on the machine running this server)", p)
	case err != nil:
		return nil, backend.Userf("cannot read %s: %v. Check the file's permissions", p, err)
	case st.IsDir():
		return nil, backend.Userf("%s is a folder: give the path of a media file inside it", p)
	case st.Size() == 0:
		return nil, backend.Userf("%s is empty (0 bytes): re-export or re-record it and upload again", p)
	case st.Size() > MaxFileSize:
		return nil, backend.Userf("%s is %.0f MB, over the 500 MB limit: trim it or compress it (e.g. to a lower bitrate) and upload again", p, float64(st.Size())/(1<<20))
	}
	return b.probeItem(ctx, abs, filepath.Base(abs))
}

// checkLimits refuses media outside the limits: too long, or at a sample
// rate no real recording has (which also makes its duration absurd).
func (b *Backend) checkLimits(name string, info *engine.MediaInfo) error {
	l := b.limits
	if info.HasAudio && info.SampleRate > 0 && info.SampleRate < l.MinSampleRate {
		return backend.Userf("%s has a sample rate of %d Hz, under the %d Hz minimum (AUDIOEDIT_MIN_SAMPLE_RATE): it is not ordinary audio (its length would read as %s). Resample it to 44.1 or 48 kHz and upload again",
			name, info.SampleRate, l.MinSampleRate, time.Duration(info.Duration*float64(time.Second)).Round(time.Second))
	}
	if info.Kind != "image" && info.Duration > l.MaxDuration.Seconds() {
		return backend.Userf("%s lasts %s, over the %s limit (AUDIOEDIT_MAX_DURATION): cut it into parts, or raise the limit",
			name, time.Duration(info.Duration*float64(time.Second)).Round(time.Second), l.MaxDuration)
	}
	return nil
}

func (b *Backend) probeItem(ctx context.Context, abs, name string) (*mediaItem, error) {
	info, err := b.eng.Probe(ctx, abs)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if msg, ok := b.explain(err); ok {
			return nil, &backend.UserError{Msg: msg, Err: err}
		}
		if errors.Is(err, engine.ErrListFormat) {
			return nil, &backend.UserError{Msg: fmt.Sprintf("%s is a playlist or a list of other files (m3u8/hls, concat): refused, because it would make ffmpeg read the files it names. Upload the media files themselves", name), Err: err}
		}
		if errors.Is(err, engine.ErrUnsupported) {
			return nil, &backend.UserError{Msg: fmt.Sprintf("%s is not a supported or readable media file. Supported formats: %s. Check it plays, or convert it (for example to WAV or MP4) and upload again", name, strings.Join(engine.SupportedFormats, ", ")), Err: err}
		}
		return nil, err
	}
	if info.Kind != "image" && info.Duration <= 0 {
		return nil, backend.Userf("%s has no duration (a broken or empty recording?): check it plays and upload again", name)
	}
	if err := b.checkLimits(fsutil.CleanStem(name), info); err != nil {
		return nil, err
	}
	// The name is shown and becomes part of output names: valid UTF-8, no
	// control characters or newlines.
	return &mediaItem{Media: &store.Media{ID: "m_" + uuid.NewString()[:8], Name: fsutil.CleanStem(name), Path: abs}, Info: info}, nil
}

// fetch downloads a URL into the media folder. Only public addresses are
// reached (netguard checks each connection, redirects included), proxies
// are ignored, the download is bounded in size (by Content-Length before
// writing, and while streaming), in total time and in time without a byte,
// and a download that fails leaves no file.
func (b *Backend) fetch(ctx context.Context, raw string) (*mediaItem, error) {
	u, err := netguard.CheckURL(raw)
	if err != nil {
		return nil, backend.Userf("cannot fetch %s: %s. Give a public http(s) URL without a user name or password, or download the file and pass its path in paths", showURL(raw), strings.TrimPrefix(err.Error(), netguard.ErrURL.Error()+": "))
	}
	shown := showURL(raw)
	name := path.Base(u.Path)
	if name == "" || name == "/" || name == "." {
		name = "download"
	}
	opt := b.fetchOpt
	dctx, cancel := context.WithTimeoutCause(ctx, opt.Timeout, errFetchTimeout)
	defer cancel()
	dctx, stop := context.WithCancelCause(dctx)
	defer stop(nil)
	stall := time.AfterFunc(opt.StallTimeout, func() { stop(errFetchStalled) })
	defer stall.Stop()

	req, err := http.NewRequestWithContext(dctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, backend.Userf("cannot fetch %s: not a valid URL. Check it, or download the file and pass its path in paths", shown)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, b.fetchFailed(ctx, dctx, shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, backend.Userf("could not download %s: the server answered %s. Check the URL, or download the file and upload its path", shown, resp.Status)
	}
	if resp.ContentLength > opt.MaxBytes {
		return nil, tooBig(name, opt.MaxBytes)
	}
	if err := os.MkdirAll(b.mediaDir, 0o755); err != nil {
		return nil, fmt.Errorf("media dir: %w", err)
	}
	dst := filepath.Join(b.mediaDir, fsutil.FileName(uuid.NewString()[:8]+"-"+name, ""))
	body := &stallReader{r: io.LimitReader(resp.Body, opt.MaxBytes+1), stall: stall, d: opt.StallTimeout}
	n, err := fsutil.WriteFile(dst, body, false)
	if err != nil {
		if body.err != nil {
			return nil, b.fetchFailed(ctx, dctx, shown, body.err)
		}
		return nil, fmt.Errorf("download %s: %w", shown, err)
	}
	if n > opt.MaxBytes {
		os.Remove(dst)
		return nil, tooBig(name, opt.MaxBytes)
	}
	it, err := b.probeItem(ctx, dst, name)
	if err != nil {
		os.Remove(dst)
		return nil, err
	}
	it.Media.Path = dst
	return it, nil
}

var (
	errFetchTimeout = errors.New("download took too long")
	errFetchStalled = errors.New("download stalled")
)

// fetchFailed turns a failed request or body read into the one message
// every network failure gets: refused, reset, unknown host, TLS, stalled
// or timed out read the same, so an error never tells an open port from a
// closed one. A non-public address, refused before any packet is sent,
// and a cancelled call keep their own.
func (b *Backend) fetchFailed(ctx, dctx context.Context, shown string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// A *url.Error prints the whole URL, query tokens included: keep
	// only what it wraps.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	b.log.Info("url upload failed", zap.String("url", shown), zap.Error(err), zap.NamedError("cause", context.Cause(dctx)))
	switch {
	case errors.Is(err, netguard.ErrBlocked):
		return &backend.UserError{Err: err, Msg: fmt.Sprintf("refused to fetch %s: it leads to a loopback, private or other non-public address, which URL uploads never reach. Download the file yourself and pass its path in paths", shown)}
	case errors.Is(err, netguard.ErrURL):
		return &backend.UserError{Err: err, Msg: fmt.Sprintf("refused to fetch %s: it redirects more than %d times, or to a URL that is not plain http(s). Download the file yourself and pass its path in paths", shown, netguard.MaxRedirects)}
	}
	return &backend.UserError{Err: err, Msg: fmt.Sprintf("could not download %s: no answer, the connection failed, or the server stopped sending (no data for %s, or over %s in all). Check the URL, or download the file and upload its path",
		shown, b.fetchOpt.StallTimeout, b.fetchOpt.Timeout)}
}

func tooBig(name string, max int64) error {
	return backend.Userf("%s is over the %s limit for a download: trim or compress it first, or download it and upload a smaller copy", name, sizeText(max))
}

// sizeText is n bytes as "500 MB" (binary megabytes, as MaxFileSize).
func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// showURL is a URL as errors and logs may show it: scheme, host and path,
// without user info, query or fragment (where tokens of signed URLs live).
func showURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the URL"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// stallReader restarts the stall timer on every byte received and keeps
// the read error, to tell a failed download from a failed write.
type stallReader struct {
	r     io.Reader
	stall *time.Timer
	d     time.Duration
	err   error
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.stall.Reset(s.d)
	}
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}
