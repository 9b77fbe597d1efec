package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// Export formats.
var (
	videoFormats = map[string]bool{"mp4": true, "mov": true, "mkv": true, "webm": true}
	audioFormats = map[string]bool{"mp3": true, "wav": true, "m4a": true, "aac": true}
)

// job is a running or finished export.
type job struct {
	mu        sync.Mutex
	j         backend.Job
	plan      *exportPlan
	done      chan struct{}
	cancel    context.CancelFunc // set when the job starts running
	cancelled string             // why it was cancelled on request; "" otherwise
	listeners map[int]backend.ProgressFunc
	next      int
	saved     time.Time
}

func (jb *job) snapshot() *backend.Job {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	c := jb.j
	c.Notes = append([]string(nil), jb.j.Notes...)
	return &c
}

func (jb *job) listen(fn backend.ProgressFunc) func() {
	if fn == nil {
		return func() {}
	}
	jb.mu.Lock()
	defer jb.mu.Unlock()
	id := jb.next
	jb.next++
	jb.listeners[id] = fn
	return func() {
		jb.mu.Lock()
		delete(jb.listeners, id)
		jb.mu.Unlock()
	}
}

// exportPlan is everything a render needs, resolved before the job starts.
type exportPlan struct {
	track     *track
	audioSrc  *engine.MediaInfo // where the sound comes from
	picture   *engine.MediaInfo // video or still image; nil for audio formats
	format    string
	quality   string
	w, h      int
	output    string // the file's path as planned (numbered names may move on at commit)
	outDir    string // the folder written into
	outName   string // fixed name; "" means numbered from outNum
	outNum    int
	overwrite bool
	title     string
	offset    float64 // sync offset: audio time = video time + offset
	drift     float64 // sync drift (ppm) to correct before rendering
	wholeKeep bool
	mix       mixPlan  // music bed, other voices, titles, frame
	syncTrack *track   // the synced recording's own track (its edits render too)
	notes     []string // said about the plan (an automatic sync)
	// scope is the calling client's folders (its MCP roots), which the
	// render keeps after the call; nil means the configured roots.
	scope *fsutil.Scope
}

// Export validates the request, starts the render as a job and waits up
// to req.Wait for it.
func (b *Backend) Export(ctx context.Context, req backend.ExportRequest) (*backend.Job, error) {
	if err := b.needEngine("export"); err != nil {
		return nil, err
	}
	sess, err := b.session(ctx, req.SessionID, false)
	if err != nil {
		return nil, err
	}
	// Planning reads the timeline as the session's edits left it: no edit
	// of this session runs between the read and the job's start.
	unlock := b.lockSession(sess.ID)
	defer func() { unlock() }()
	tl, _, err := b.build(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	var autoNotes []string
	if req.File == "" {
		if autoNotes, err = b.autoSync(ctx, tl); err != nil {
			return nil, err
		}
	}
	plan, err := b.plan(ctx, tl, req)
	if err != nil {
		return nil, err
	}
	plan.notes = autoNotes
	now := now().UTC()
	jb := &job{
		j: backend.Job{ID: "job_" + uuid.NewString()[:8], SessionID: sess.ID, Status: backend.JobQueued, Format: plan.format,
			Path: plan.output, CreatedAt: now, UpdatedAt: now, Notes: append([]string(nil), tl.skipped...)},
		plan: plan, done: make(chan struct{}), listeners: map[int]backend.ProgressFunc{},
	}
	reqJSON, _ := json.Marshal(map[string]any{"format": plan.format, "quality": plan.quality, "output": plan.output, "media_id": plan.track.item.ID})
	if err := b.enqueue(ctx, jb, &store.Job{ID: jb.j.ID, SessionID: sess.ID, Backend: "local", Status: backend.JobQueued, Request: reqJSON, Owner: b.owner}); err != nil {
		return nil, err
	}
	unlock() // the job is registered: other edits and exports may go on
	unlock = func() {}
	return b.wait(ctx, jb, req.Wait)
}

// ExportStatus returns a job, waiting up to wait for it to finish.
func (b *Backend) ExportStatus(ctx context.Context, jobID string, wait time.Duration) (*backend.Job, error) {
	b.mu.Lock()
	jb := b.jobs[jobID]
	b.mu.Unlock()
	if jb != nil {
		return b.wait(ctx, jb, wait)
	}
	sj, err := b.st.GetJob(ctx, jobID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sj.Backend != "local") {
		return nil, backend.Userf("unknown job_id %q: call export to start a render (state lists a session's jobs)", jobID)
	}
	if err != nil {
		return nil, err
	}
	return b.jobFromStore(sj)
}

// wait blocks until the job ends, wait passes or ctx ends. A caller that
// cancels its call stops waiting and nothing more: the render goes on for
// whoever follows it (export_status with cancel: true stops it).
func (b *Backend) wait(ctx context.Context, jb *job, wait time.Duration) (*backend.Job, error) {
	fn := backend.ProgressFrom(ctx)
	stop := jb.listen(fn)
	defer stop()
	if snap := jb.snapshot(); fn != nil && snap.Status == backend.JobQueued {
		fn(backend.Progress{Done: 0, Total: 100, Message: queuedMessage(snap.QueuePosition)})
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-jb.done:
		case <-t.C:
		case <-ctx.Done():
		}
	} else {
		select {
		case <-jb.done:
		default:
		}
	}
	return jb.snapshot(), nil
}

// plan resolves what to render.
func (b *Backend) plan(ctx context.Context, tl *timeline, req backend.ExportRequest) (*exportPlan, error) {
	var tr *track
	var mixp mixPlan
	switch {
	case req.File != "":
		it := tl.find(req.File)
		if it == nil {
			return nil, backend.Userf("no file named %q in this session; its files are: %s", req.File, names(tl))
		}
		tr = tl.byID[it.ID]
		if tr.syncedTo != nil {
			tr = tl.byID[tr.syncedTo.ID] // synced audio is exported with its video
		}
	default:
		var cands []*track
		for _, t := range tl.tracks {
			if t.item.Info.Kind != "image" && t.syncedTo == nil && t.role != "music" {
				cands = append(cands, t)
			}
		}
		cands, mp, err := tl.combine(cands)
		if err != nil {
			return nil, err
		}
		mixp = mp
		switch len(cands) {
		case 0:
			return nil, backend.Userf("there is nothing to export: upload an audio or video file first")
		case 1:
			tr = cands[0]
		default:
			var ns []string
			for _, c := range cands {
				ns = append(ns, c.item.Name)
			}
			return nil, backend.Userf("this session has %d files to export (%s): pass file= with one of them; each file is exported on its own", len(cands), strings.Join(ns, ", "))
		}
	}
	if tr.item.Info.Kind == "image" {
		return nil, backend.Userf("%s is an image: export an audio or video file (the image becomes the picture behind the audio)", tr.item.Name)
	}
	mixp.mainOffset = tr.offset
	p := &exportPlan{track: tr, quality: strings.ToLower(req.Quality), mix: mixp}
	switch p.quality {
	case "":
		p.quality = "high"
	case "high", "medium", "low":
	default:
		return nil, backend.Userf("unknown quality %q: use high, medium or low", req.Quality)
	}
	p.format = strings.TrimPrefix(strings.ToLower(req.Format), ".")
	if p.format == "" && req.OutputPath != "" {
		p.format = strings.TrimPrefix(strings.ToLower(filepath.Ext(req.OutputPath)), ".")
	}
	if p.format == "" {
		p.format = "mp4"
	}
	if !videoFormats[p.format] && !audioFormats[p.format] {
		return nil, backend.Userf("cannot export to %q: choose mp4, mov, mkv or webm (video) or mp3, wav, m4a or aac (audio)", p.format)
	}
	info := tr.item.Info
	p.audioSrc = info
	if tr.syncAudio != nil {
		p.audioSrc, p.offset = tr.syncAudio.Info, tr.syncOffset
		if math.Abs(tr.syncDrift) > engine.DriftCorrectPPM {
			p.drift = tr.syncDrift
		}
		p.syncTrack = tl.byID[tr.syncAudio.ID]
	}
	if !p.audioSrc.HasAudio {
		return nil, backend.Userf("%s has no sound to export: upload its audio and say \"sync audio to video\", or export a video format", tr.item.Name)
	}
	if videoFormats[p.format] {
		p.picture = info
		if info.Kind == "audio" {
			for _, t := range tl.tracks { // an uploaded image becomes the picture
				if t.item.Info.Kind == "image" {
					p.picture = t.item.Info
					break
				}
			}
		}
		w, h, fit, err := parseResolution(req.Resolution)
		if err != nil {
			return nil, err
		}
		if f := tl.mt.frame; f != nil && req.Resolution == "" && req.File == "" {
			size := intent.Aspects[f.Aspect]
			w, h, fit = size[0], size[1], f.Fit
		}
		p.w, p.h, p.mix.fit = w, h, fit
	}
	p.title = strings.TrimSuffix(tr.item.Name, filepath.Ext(tr.item.Name))
	p.wholeKeep = wholeKeep(tr)
	if sc, ok := fsutil.ScopeFrom(ctx); ok {
		p.scope = &sc // the render, after this call, keeps the client's folders
	}
	if err := b.outputPath(ctx, tl, req.OutputPath, req.Overwrite, p); err != nil {
		return nil, err
	}
	return p, nil
}

func parseResolution(s string) (int, int, string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if size, ok := intent.Aspects[s]; ok {
		return size[0], size[1], "crop", nil // an aspect ratio reframes by centre crop
	}
	w, h, err := parseSize(s)
	return w, h, "", err
}

// parseSize reads a size; "" is 0x0: the engine picks 1920x1080, or
// 1080 wide for a vertical picture.
func parseSize(s string) (int, int, error) {
	switch s {
	case "":
		return 0, 0, nil
	case "1080p", "1080", "fhd", "full hd":
		return 1920, 1080, nil
	case "720p", "720", "hd":
		return 1280, 720, nil
	case "480p", "480":
		return 854, 480, nil
	case "1440p", "2k":
		return 2560, 1440, nil
	case "2160p", "4k", "uhd":
		return 3840, 2160, nil
	case "vertical", "1080x1920", "9:16":
		return 1080, 1920, nil
	case "square", "1:1":
		return 1080, 1080, nil
	}
	if a, c, ok := strings.Cut(s, "x"); ok {
		w, err1 := strconv.Atoi(a)
		h, err2 := strconv.Atoi(c)
		if err1 == nil && err2 == nil && w >= 16 && h >= 16 && w <= 7680 && h <= 4320 {
			return w &^ 1, h &^ 1, nil
		}
	}
	return 0, 0, backend.Userf("unknown resolution %q: use %s", s, ResolutionHelp)
}

// maxNumbered bounds the numbered names tried for one export.
const maxNumbered = 10000

// numberedName is the n-th numbered output name: title-edited.fmt,
// title-edited-2.fmt, ..., shortened to fit a file name.
func numberedName(title, format string, n int) string {
	tail := "-edited." + format
	if n > 1 {
		tail = "-edited-" + strconv.Itoa(n) + "." + format
	}
	return fsutil.FileName(title, tail)
}

// outputPath picks the output: the asked file (never an input, never in
// the server's own folders, never over an existing file unless
// overwrite), or a new numbered file in the asked folder or the output
// folder. It sets p.output, p.outDir and p.outName or p.outNum.
func (b *Backend) outputPath(ctx context.Context, tl *timeline, asked string, overwrite bool, p *exportPlan) error {
	p.overwrite = overwrite
	_, writeRoots, sc := b.rootsFor(ctx)
	dir := b.outDir
	if asked == "" {
		if err := os.MkdirAll(b.outDir, 0o755); err != nil {
			return backend.Userf("cannot create the output folder %s (%v): set AUDIOEDIT_OUTPUT_DIR to a writable folder", b.outDir, err)
		}
	} else {
		if !filepath.IsAbs(asked) {
			return backend.Userf("bad output_path %q: give an absolute file path", short(asked))
		}
		asked = filepath.Clean(asked)
		st, err := writeRoots.Stat(asked)
		switch {
		case err == nil && st.IsDir():
			dir = asked // a folder: a new numbered file in it
		case err != nil && !errors.Is(err, os.ErrNotExist):
			return b.outputRefused(asked, sc.Refix(err))
		default:
			dir = filepath.Dir(asked)
		}
		if err := b.notProtected(dir, asked); err != nil {
			return err
		}
		if dir != asked {
			name := filepath.Base(asked)
			if fsutil.CleanStem(name) != name || !utf8.ValidString(name) {
				return backend.Userf("the file name of output_path %q has control characters, invalid UTF-8, a leading dot or surrounding spaces: choose a plain name", short(asked))
			}
			ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
			switch {
			case ext == "":
				name += "." + p.format
			case ext != p.format:
				return backend.Userf("output_path %s ends in .%s but the format is %s: make them agree (or omit format to take it from the name)", short(asked), ext, p.format)
			}
			if len(name) > fsutil.MaxNameBytes {
				return backend.Userf("the file name of output_path is %d bytes, over the %d a file name may have: choose a shorter name", len(name), fsutil.MaxNameBytes)
			}
			p.outName = name
		}
		if st, err := writeRoots.Stat(dir); err != nil || !st.IsDir() {
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return b.outputRefused(asked, sc.Refix(err))
			}
			return backend.Userf("the folder of output_path %s does not exist: create it or choose another folder", short(asked))
		}
	}
	p.outDir = dir
	if p.outName != "" {
		p.output = filepath.Join(dir, p.outName)
		for _, t := range tl.tracks {
			if p.output == t.item.Path || fsutil.SameFile(p.output, t.item.Path) {
				return backend.Userf("output_path %s is one of the session's inputs: inputs are never overwritten, choose another name", short(asked))
			}
		}
		st, err := writeRoots.Stat(p.output)
		switch {
		case err == nil && !overwrite:
			return backend.Userf("output_path %s already exists: pass overwrite: true to replace it, or choose another name", p.output)
		case err == nil && !st.Mode().IsRegular():
			return backend.Userf("output_path %s exists and is not a regular file: choose another name", p.output)
		}
		return nil
	}
	// Numbered: the first name neither on disk nor planned by a running
	// job. The name is settled when the file is committed, without
	// replacing anything, so two exports never take the same one.
	for n := 1; n <= maxNumbered; n++ {
		out := filepath.Join(dir, numberedName(p.title, p.format, n))
		if _, err := os.Lstat(out); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		b.mu.Lock()
		taken := false
		for _, jb := range b.jobs { // a running job has not created its file yet
			if s := jb.snapshot(); s.Path == out && !s.Done() {
				taken = true
			}
		}
		b.mu.Unlock()
		if !taken {
			p.output, p.outNum = out, n
			return nil
		}
	}
	return backend.Userf("%s already holds %d exports of %s: move some away, or pass output_path", dir, maxNumbered, p.title)
}

// notProtected refuses an output folder inside one the server keeps for
// itself.
func (b *Backend) notProtected(dir, asked string) error {
	real := dir
	if ev, err := filepath.EvalSymlinks(dir); err == nil {
		real = ev
	}
	for _, pr := range b.protected {
		if real == pr || strings.HasPrefix(real, pr+string(filepath.Separator)) {
			return backend.Userf("output_path %s is inside %s, a folder the server keeps for itself (its database, models or downloads): choose another folder", short(asked), pr)
		}
	}
	return nil
}

// outputRefused explains why an output place cannot be used.
func (b *Backend) outputRefused(asked string, err error) error {
	if errors.Is(err, fsutil.ErrOutsideRoots) {
		return &backend.UserError{Msg: err.Error(), Err: err}
	}
	return backend.Userf("cannot use output_path %s (%v): choose another folder", short(asked), err)
}

// short is s cut to 200 characters for an error or a log.
func short(s string) string {
	if utf8.RuneCountInString(s) <= 200 {
		return s
	}
	r := []rune(s)
	return string(r[:200]) + "..."
}

// commit gives the rendered file its name: the fixed one (replacing only
// with overwrite), or the first free numbered one.
func (b *Backend) commit(o *fsutil.Output, p *exportPlan) error {
	if p.outName != "" {
		err := o.Commit(p.outName, p.overwrite)
		if errors.Is(err, fsutil.ErrExist) {
			return backend.Userf("%s was created while the export ran: nothing was replaced; pass overwrite: true to replace it, or choose another name", p.output)
		}
		return err
	}
	for n := p.outNum; n < p.outNum+maxNumbered; n++ {
		err := o.Commit(numberedName(p.title, p.format, n), false)
		if !errors.Is(err, fsutil.ErrExist) {
			return err
		}
	}
	return backend.Userf("%s already holds %d exports of %s: move some away, or pass output_path", p.outDir, maxNumbered, p.title)
}

// run renders a plan; it always closes jb.done.
func (b *Backend) run(ctx context.Context, jb *job, p *exportPlan) {
	defer close(jb.done)
	b.save(jb, false) // running
	start := time.Now()
	out, report, notes, err := b.render(ctx, jb, p)
	jb.mu.Lock()
	jb.j.UpdatedAt = now().UTC()
	jb.j.Notes = append(jb.j.Notes, notes...)
	switch {
	case err == nil:
		jb.j.Status, jb.j.Progress = backend.JobCompleted, 100
		jb.j.Path, jb.j.DurationS, jb.j.SizeBytes, jb.j.Report = out.Path, round3(out.Duration), out.Size, report
		jb.j.Message = fmt.Sprintf("Rendered in %.1f s.", time.Since(start).Seconds())
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		jb.j.Status = backend.JobFailed
		jb.j.Error = fmt.Sprintf("the render ran past its %s limit and was stopped: export a shorter part, or raise AUDIOEDIT_JOB_TIMEOUT", b.jobOpt.Deadline)
	case ctx.Err() != nil && jb.cancelled != "":
		jb.j.Status, jb.j.Error = backend.JobCancelled, jb.cancelled
	case ctx.Err() != nil:
		jb.j.Status, jb.j.Error = backend.JobCancelled, "the server stopped during the export: export again to render"
	default:
		jb.j.Status = backend.JobFailed
		if msg, ok := b.explain(err, p.outDir); ok {
			jb.j.Error = msg
		} else if msg, ok := backend.UserMessage(err); ok {
			jb.j.Error = msg
		} else {
			jb.j.Error = "the render failed: " + shortErr(err) + ". Try another format, or check the input plays"
		}
		b.log.Warn("export failed", zap.String("job", jb.j.ID), zap.Error(err))
	}
	jb.mu.Unlock()
	b.save(jb, true)
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// progress records progress (0..1) and tells the listeners.
func (b *Backend) progress(jb *job, frac float64, msg string) {
	frac = math.Max(0, math.Min(1, frac))
	jb.mu.Lock()
	pct := math.Round(frac*1000) / 10
	if pct < jb.j.Progress {
		pct = jb.j.Progress // never go back
	}
	jb.j.Progress = pct
	fns := make([]backend.ProgressFunc, 0, len(jb.listeners))
	for _, fn := range jb.listeners {
		fns = append(fns, fn)
	}
	saveNow := time.Since(jb.saved) > 2*time.Second
	jb.mu.Unlock()
	for _, fn := range fns {
		fn(backend.Progress{Done: pct, Total: 100, Message: msg})
	}
	if saveNow {
		b.save(jb, false)
	}
}

// save writes the job to the store.
func (b *Backend) save(jb *job, final bool) {
	j := jb.snapshot()
	jb.mu.Lock()
	jb.saved = time.Now()
	jb.mu.Unlock()
	res, _ := json.Marshal(j)
	sj := &store.Job{ID: j.ID, SessionID: j.SessionID, Backend: "local", Status: j.Status, Progress: j.Progress, Result: res, Error: j.Error, Owner: b.owner, CreatedAt: j.CreatedAt}
	if err := b.st.PutJob(context.Background(), sj); err != nil {
		b.log.Error("save job", zap.String("job", j.ID), zap.Error(err))
	}
}

func (b *Backend) jobFromStore(sj *store.Job) (*backend.Job, error) {
	var j backend.Job
	if len(sj.Result) > 2 {
		if err := json.Unmarshal(sj.Result, &j); err != nil {
			return nil, err
		}
	}
	j.ID, j.SessionID, j.Status, j.Progress, j.Error = sj.ID, sj.SessionID, sj.Status, sj.Progress, sj.Error
	if j.CreatedAt.IsZero() {
		j.CreatedAt = sj.CreatedAt
	}
	j.UpdatedAt = sj.UpdatedAt
	return &j, nil
}

// failOrphans marks the jobs of server processes that are gone as failed:
// their ffmpeg died with them. Jobs of a live process (a second server on
// the same data folder) are left alone.
func (b *Backend) failOrphans(ctx context.Context) error {
	jobs, err := b.st.ListJobs(ctx, "")
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Backend == "local" && (j.Status == backend.JobRunning || j.Status == backend.JobQueued) && !ownerAlive(j.Owner) {
			j.Status, j.Error = backend.JobFailed, "the server stopped while this export was running: export again"
			if err := b.st.PutJob(ctx, j); err != nil {
				return err
			}
		}
	}
	return nil
}

// render runs the audio chain (when there is anything to do) and the
// encoder.
func (b *Backend) render(ctx context.Context, jb *job, p *exportPlan) (*engine.Output, map[string]float64, []string, error) {
	tr := p.track
	chain := tr.chain(p.syncTrack)
	synced := tr.syncAudio != nil
	if !p.wholeKeep || synced {
		for _, r := range tr.keep { // video time -> audio time
			chain.Keep = append(chain.Keep, engine.Range{Start: r.Start + p.offset, End: r.End + p.offset})
		}
	}
	needAudio := p.mix.active() || synced || !p.wholeKeep || chain.Denoise != nil || chain.Silence != nil || chain.Loudness != nil ||
		chain.GainDB != 0 || chain.FadeIn > 0 || chain.FadeOut > 0 || tr.effects.Active() || len(tr.speed) > 0 || len(tr.denoiseIn) > 0
	report := map[string]float64{}
	notes := append([]string(nil), p.notes...)
	enc := engine.EncodeOptions{Source: p.picture, Format: p.format, Quality: p.quality, Width: p.w, Height: p.h, Title: p.title, OutputPath: p.output,
		Fit: p.mix.fit, Texts: p.mix.texts}
	if enc.Source == nil {
		enc.Source = p.audioSrc
	}
	encShare := 1.0
	if needAudio {
		encShare = 0.25
		if p.picture != nil && p.picture.Kind == "video" {
			encShare = 0.4
		}
		popts := engine.ProcessOptions{Chain: chain, Progress: func(f float64) { b.progress(jb, f*(1-encShare), "processing audio") }}
		if p.picture != nil && p.picture.Kind == "video" && p.picture.FPS > 0 {
			popts.FrameRate, popts.FrameOffset = p.picture.FPS, p.offset
		}
		if p.mix.active() {
			popts.SampleRate = mixRate
		}
		src, dnote, err := b.correctDrift(ctx, p, &popts)
		if err != nil {
			return nil, nil, nil, err
		}
		if src != p.audioSrc {
			defer os.Remove(src.Path)
			notes = append(notes, dnote)
		}
		src, rmFx, fxNotes, err := b.withEffects(ctx, tr, src, p.offset)
		if err != nil {
			return nil, nil, nil, err
		}
		defer rmFx()
		notes = append(notes, fxNotes...)
		pr, err := b.eng.Process(ctx, src, popts)
		if err != nil {
			return nil, nil, nil, err
		}
		defer pr.Remove()
		mixed, mnotes, err := b.mixRender(ctx, jb, p, pr, report)
		if err != nil {
			return nil, nil, nil, err
		}
		notes = append(notes, mnotes...)
		if mixed != nil {
			defer mixed.Remove()
			enc.AudioPath, enc.Duration = mixed.Path, mixed.Duration
		}
		if enc.AudioPath == "" {
			enc.AudioPath, enc.Duration = pr.Path, pr.Duration
		}
		sp, sd, rmSpeed, err := b.withSpeed(ctx, tr, pr.Keep, enc.AudioPath, enc.Duration, p.offset)
		if err != nil {
			return nil, nil, nil, err
		}
		defer rmSpeed()
		enc.AudioPath, enc.Duration = sp, sd
		rep := pr.Report
		notes = append(notes, rep.Notes...)
		if rep.Denoiser != "" {
			notes = append(notes, "denoiser: "+rep.Denoiser)
			report["noise_floor_db"] = round1(rep.NoiseFloorDB)
			report["noise_reduction_db"] = round1(rep.NoiseReductionDB)
		}
		if chain.Silence != nil {
			report["pauses_trimmed"] = float64(rep.PausesTrimmed)
			report["seconds_removed"] = round1(rep.SecondsRemoved)
		}
		report["input_lufs"] = round1(rep.InputLUFS)
		report["loudness_lufs"] = round1(rep.OutputLUFS)
		report["true_peak_dbtp"] = round1(rep.TruePeakDB)
		if mixed != nil {
			report["voice_lufs"] = report["loudness_lufs"]
			report["loudness_lufs"] = round1(mixed.Report.OutputLUFS)
			report["true_peak_dbtp"] = round1(mixed.Report.TruePeakDB)
		}
		// The picture follows the sound's cuts. With no cut, keep or trim
		// the video is left whole (and can be copied); Encode also treats
		// one range covering the whole video as no cut.
		if enc.Source.Kind == "video" && (!p.wholeKeep || synced || chain.Silence != nil) {
			for _, r := range pr.Keep { // audio time -> video time
				enc.VideoKeep = append(enc.VideoKeep, engine.Range{Start: r.Start - p.offset, End: r.End - p.offset})
			}
		}
	}
	base := 1 - encShare
	enc.Progress = func(f float64) { b.progress(jb, base+f*encShare, "encoding "+p.format) }
	_, writeRoots, sc := b.rootsFor(ctx)
	o, err := writeRoots.CreateOutput(p.outDir, "."+p.format)
	if err != nil {
		return nil, nil, nil, sc.Refix(err)
	}
	defer o.Close()
	enc.Output = o.File()
	out, err := b.eng.Encode(ctx, enc)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := b.commit(o, p); err != nil {
		return nil, nil, nil, err
	}
	out.Path = o.Path
	if out.VideoCopied {
		notes = append(notes, "video stream copied, not re-encoded")
	}
	if out.SmartFrames > 0 {
		notes = append(notes, fmt.Sprintf("video smart-rendered: %d frames copied untouched, only the frames around the cuts re-encoded", out.SmartFrames))
	}
	return out, report, notes, nil
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
