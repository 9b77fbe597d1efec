// Package engine is the local backend's media engine: it probes, analyses,
// processes and renders media with ffmpeg and ffprobe run as processes
// (argv, never a shell). It knows nothing of MCP or of sessions.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
)

// ErrFFmpegMissing is returned by New when ffmpeg or ffprobe cannot be found.
var ErrFFmpegMissing = errors.New("ffmpeg/ffprobe not found: install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg; Windows: winget install ffmpeg) or set AUDIOEDIT_FFMPEG and AUDIOEDIT_FFPROBE to their paths")

// NeuralDenoiser runs a neural noise-suppression model on a stream of
// 48 kHz mono float32 little-endian samples. Implementations write exactly
// as many samples as they read, latency-compensated. internal/neural.Pool
// implements it; the engine works without one (classic chain only).
type NeuralDenoiser interface {
	// Available lists the models that can run ("gtcrn", "rnnoise").
	Available() []string
	// Denoise filters in to out. model "" means the best available.
	Denoise(ctx context.Context, model string, strength float64, in io.Reader, out io.Writer) error
}

// Options configures an Engine.
type Options struct {
	// FFmpeg is the ffmpeg binary (name or path); "" means look up "ffmpeg" on PATH.
	FFmpeg string
	// FFprobe is the ffprobe binary; "" means look up "ffprobe" on PATH.
	FFprobe string
	// TempDir holds intermediate files; "" means os.TempDir().
	TempDir string
	// Logger receives debug detail (full ffmpeg argv and stderr); nil means no logging.
	Logger *zap.Logger
	// Neural is the optional neural denoiser.
	Neural NeuralDenoiser
	// Open opens a file ffmpeg or ffprobe must read; the process gets the
	// open descriptor (/dev/fd/N), never the path, so a path swapped after
	// Open cannot redirect it. nil means os.Open. See WithOpener.
	Open func(path string) (*os.File, error)
}

// Engine runs ffmpeg and ffprobe. It is safe for concurrent use.
type Engine struct {
	ffmpeg  string
	ffprobe string
	tmp     string
	log     *zap.Logger
	neural  NeuralDenoiser
	open    func(ctx context.Context, path string) (*os.File, error)
}

// New finds the binaries and returns an Engine. It fails with an error
// wrapping ErrFFmpegMissing when either binary cannot be found.
func New(opts Options) (*Engine, error) {
	ff, err := lookBin(opts.FFmpeg, "ffmpeg")
	if err != nil {
		return nil, err
	}
	fp, err := lookBin(opts.FFprobe, "ffprobe")
	if err != nil {
		return nil, err
	}
	tmp := opts.TempDir
	if tmp == "" {
		tmp = os.TempDir()
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	open := opts.Open
	if open == nil {
		open = os.Open
	}
	return &Engine{ffmpeg: ff, ffprobe: fp, tmp: tmp, log: log, neural: opts.Neural,
		open: func(_ context.Context, path string) (*os.File, error) { return open(path) }}, nil
}

// WithOpener returns a copy of e that opens the files it hands ffmpeg
// with open (a caller's folder rules, checked at each use).
func (e *Engine) WithOpener(open func(path string) (*os.File, error)) *Engine {
	return e.WithContextOpener(func(_ context.Context, path string) (*os.File, error) { return open(path) })
}

// WithContextOpener is WithOpener with the context of the run that opens
// the file: the folders allowed may belong to the caller (one MCP
// client's roots).
func (e *Engine) WithContextOpener(open func(ctx context.Context, path string) (*os.File, error)) *Engine {
	c := *e
	c.open = open
	return &c
}

// TempDir is the folder of the engine's intermediate files.
func (e *Engine) TempDir() string { return e.tmp }

func lookBin(configured, name string) (string, error) {
	if configured == "" {
		configured = name
	}
	p, err := exec.LookPath(configured)
	if err != nil {
		return "", fmt.Errorf("%w (looked for %q)", ErrFFmpegMissing, configured)
	}
	return p, nil
}

// FFmpeg returns the path of the ffmpeg binary in use.
func (e *Engine) FFmpeg() string { return e.ffmpeg }

// FFprobe returns the path of the ffprobe binary in use.
func (e *Engine) FFprobe() string { return e.ffprobe }

// NeuralModels lists the neural denoisers that can run, if any.
func (e *Engine) NeuralModels() []string {
	if e.neural == nil {
		return nil
	}
	return e.neural.Available()
}

// maxStderr bounds the stderr kept in an Error.
const maxStderr = 4 << 10

// Error is a failed ffmpeg or ffprobe run.
type Error struct {
	// Op names what was being done ("probe", "denoise", "encode").
	Op string
	// Stderr is the tail of the process's stderr, at most 4 KiB.
	Stderr string
	// Err is the underlying error (exit status, context cancellation).
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("%s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Op, e.Err, e.Stderr)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// SafeReason is a short, user-presentable reason: the last meaningful
// stderr line, without paths to our temporary files.
func (e *Error) SafeReason() string {
	if errors.Is(e.Err, context.Canceled) {
		return "cancelled"
	}
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return "timed out"
	}
	lines := strings.Split(strings.TrimSpace(e.Stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "Conversion failed") || strings.HasPrefix(l, "Exiting normally") {
			continue
		}
		if len(l) > 200 {
			l = l[:200]
		}
		return l
	}
	return e.Err.Error()
}

// UserMessage is the sentence a tool result shows for this failure.
func (e *Error) UserMessage() string {
	r := e.SafeReason()
	if r == "cancelled" {
		return e.Op + " was cancelled."
	}
	return fmt.Sprintf("ffmpeg could not %s: %s. Check that the file plays in a media player, or convert it to WAV/MP4 and upload it again.", e.Op, r)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	t.buf.Write(p)
	if t.buf.Len() > 2*t.max {
		b := t.buf.Bytes()
		keep := append([]byte(nil), b[len(b)-t.max:]...)
		t.buf.Reset()
		t.buf.Write(keep)
	}
	return n, nil
}

func (t *tailBuffer) String() string {
	b := t.buf.Bytes()
	if len(b) > t.max {
		b = b[len(b)-t.max:]
	}
	return string(b)
}

// run executes bin with args. stdout (may be nil) receives the process's
// stdout; stdin (may be nil) feeds it. stderr is returned in full-ish
// (bounded) for parsing, and folded into an *Error on failure. The process
// is killed when ctx ends.
func (e *Engine) run(ctx context.Context, op, bin string, args []string, stdin io.Reader, stdout io.Writer) (string, error) {
	return e.runFiles(ctx, op, bin, args, nil, stdin, stdout)
}

// runFiles is run with files handed to the process as descriptors 3, 4,
// ... (args name them /dev/fd/3, ...). Every input file in args
// ("-i file:PATH") is opened with e.open and handed over the same way.
func (e *Engine) runFiles(ctx context.Context, op, bin string, args []string, files []*os.File, stdin io.Reader, stdout io.Writer) (string, error) {
	args, opened, err := e.pinInputs(ctx, args, len(files))
	defer func() {
		for _, f := range opened {
			f.Close()
		}
	}()
	if err != nil {
		return "", &Error{Op: op, Err: err}
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.ExtraFiles = append(append([]*os.File(nil), files...), opened...)
	cmd.Stdin = stdin
	var sw *errWriter
	if stdout != nil {
		sw = &errWriter{w: stdout}
		cmd.Stdout = sw
	}
	// Analysis filters (ebur128, silencedetect) print their results to
	// stderr, so keep a generous tail for parsing; errors keep 4 KiB.
	se := &tailBuffer{max: 1 << 20}
	cmd.Stderr = se
	e.log.Debug("exec", zap.String("op", op), zap.String("bin", bin), zap.Strings("args", args))
	err = cmd.Run()
	out := se.String()
	if err == nil && strings.Contains(out, "No space left on device") {
		// ffmpeg 5.1 exits 0 when writing the trailer fails on a full
		// disk, leaving a truncated file that still probes.
		err = errors.New("a write failed: no space left on device")
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		} else if sw != nil && sw.err != nil {
			// Our side failed (a full disk under the temp folder): the
			// process only saw a broken pipe.
			err = sw.err
		}
		if fsutil.IsNoSpace(err) || strings.Contains(out, "No space left on device") {
			err = &fsutil.NoSpaceError{Err: err}
		}
		tail := out
		if len(tail) > maxStderr {
			tail = tail[len(tail)-maxStderr:]
		}
		e.log.Debug("exec failed", zap.String("op", op), zap.Error(err), zap.String("stderr", tail))
		return out, &Error{Op: op, Stderr: strings.TrimSpace(tail), Err: err}
	}
	return out, nil
}

// errWriter remembers the first error of w.
type errWriter struct {
	w   io.Writer
	err error
}

func (w *errWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// pinInputs opens every input file of args ("-i file:PATH") with e.open
// and names it /dev/fd/N instead, N counting from 3+first. Pipes and
// descriptors already named are left alone.
func (e *Engine) pinInputs(ctx context.Context, args []string, first int) ([]string, []*os.File, error) {
	var opened []*os.File
	out := args
	for i := 1; i < len(args); i++ {
		path, ok := strings.CutPrefix(args[i], "file:")
		if args[i-1] != "-i" || !ok || strings.HasPrefix(path, "/dev/fd/") {
			continue
		}
		f, err := e.open(ctx, path)
		if err != nil {
			for _, o := range opened {
				o.Close()
			}
			return nil, nil, err
		}
		if len(opened) == 0 {
			out = append([]string(nil), args...)
		}
		out[i] = "file:/dev/fd/" + strconv.Itoa(3+first+len(opened))
		opened = append(opened, f)
	}
	return out, opened, nil
}

// The protocols and demuxers an input may use: files, descriptors and
// pipes; the containers we accept and our own raw audio. Playlists (hls)
// and lists of other files (concat) are refused before they open
// anything.
const (
	inputProtocols = "file,fd,pipe"
	inputFormats   = "mov,mp4,m4a,matroska,webm,avi,wav,mp3,aac,gif,png_pipe,jpeg_pipe,webp_pipe,f32le"
)

// input is the argv of one input: the whitelists, then -i. A path is
// given as file:PATH (so a name such as "a:b" is not a protocol); "pipe:N"
// is kept.
func input(path string) []string {
	if !strings.HasPrefix(path, "pipe:") {
		path = fileArg(path)
	}
	return []string{"-protocol_whitelist", inputProtocols, "-format_whitelist", inputFormats, "-i", path}
}

// ffmpegArgs prefixes the flags every ffmpeg run uses.
func ffmpegArgs(args ...string) []string {
	return append([]string{"-hide_banner", "-nostdin", "-y"}, args...)
}
