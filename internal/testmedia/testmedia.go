// Package testmedia generates real test media (espeak-ng speech, synthetic
// noises, mixes, WAV and MP4 files) and measures results (SI-SDR, energy,
// loudness, alignment, speech kept) for the engine's integration tests, the
// neural denoiser's tests and the benchmark.
//
// It is a normal package so that both _test.go files in other packages and
// the bench command can use it. All generated audio is mono float32 at Rate
// unless said otherwise. External tools are run with exec.CommandContext and
// an argv, never through a shell. Everything is safe for concurrent use.
//
// The measurement set of docs/audio-notes.md is:
//
//	clean, speech, err := testmedia.Speech(ctx, testmedia.SpeechOptions{}) // ~40 s, 2 s lead-in
//	for _, kind := range testmedia.AllNoise() {
//		for _, snr := range []float64{0, 5, 10} {
//			noisy := testmedia.Mix(clean, testmedia.Noise(kind, len(clean), 1), snr)
//			// ... process noisy into out, then:
//			db, lag := testmedia.SISDR(clean, out, testmedia.SISDRMaxLag)
//		}
//	}
//
// with the pauses as testmedia.Complement(speech, float64(len(clean))/testmedia.Rate).
//
// espeak-ng phrases are cached on disk (CacheDir) and in memory, so only the
// first run on a machine pays for synthesis (about 1.5 s for the default
// material, 5 s more for the babble voices).
package testmedia

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Rate is the sample rate (Hz) of all generated material.
const Rate = 48000

// maxStderr bounds how much of a tool's stderr is quoted in an error.
const maxStderr = 4096

// FFmpeg returns the ffmpeg binary to use: the AUDIOEDIT_FFMPEG environment
// variable if set, else ffmpeg from PATH, else "".
func FFmpeg() string {
	return lookTool("AUDIOEDIT_FFMPEG", "ffmpeg")
}

// Espeak returns the espeak-ng binary to use: the AUDIOEDIT_ESPEAK
// environment variable if set, else espeak-ng from PATH, else "".
func Espeak() string {
	return lookTool("AUDIOEDIT_ESPEAK", "espeak-ng")
}

func lookTool(env, name string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return p
}

// RequireFFmpeg returns the ffmpeg path for a test. When ffmpeg is absent it
// skips the test, unless the CI environment variable is set: then it fails,
// because CI must never silently skip.
func RequireFFmpeg(t testing.TB) string {
	t.Helper()
	p := FFmpeg()
	if p == "" {
		missing(t, "ffmpeg (set AUDIOEDIT_FFMPEG or install it on PATH)")
	}
	return p
}

// RequireEspeak makes sure espeak-ng is available, with the same policy as
// RequireFFmpeg (skip locally, fail when CI is set). Because all espeak
// material is resampled with ffmpeg, it requires ffmpeg as well.
func RequireEspeak(t testing.TB) {
	t.Helper()
	if Espeak() == "" {
		missing(t, "espeak-ng (set AUDIOEDIT_ESPEAK or install it on PATH)")
	}
	RequireFFmpeg(t)
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("testmedia: %s is missing and CI is set: refusing to skip", what)
		return
	}
	t.Skipf("testmedia: %s is missing", what)
}

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	limit int
	buf   []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= b.limit {
		b.buf = append(b.buf[:0], p[len(p)-b.limit:]...)
		return n, nil
	}
	if over := len(b.buf) + len(p) - b.limit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

func (b *tailBuffer) String() string { return string(b.buf) }

// runTool runs argv with optional stdin and stdout; it returns the tail of
// stderr (up to keep bytes) and an error that quotes at most maxStderr bytes.
func runTool(ctx context.Context, argv []string, stdin io.Reader, stdout io.Writer, keep int) (string, error) {
	if len(argv) == 0 || argv[0] == "" {
		return "", errors.New("tool not found")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// After a kill on cancellation, do not wait forever for pipes held open
	// by stray children.
	cmd.WaitDelay = 5 * time.Second
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if keep < maxStderr {
		keep = maxStderr
	}
	errBuf := &tailBuffer{limit: keep}
	cmd.Stderr = errBuf
	err := cmd.Run()
	stderr := errBuf.String()
	if err != nil {
		if ctx.Err() != nil {
			return stderr, fmt.Errorf("%s: %w", baseName(argv[0]), ctx.Err())
		}
		msg := strings.TrimSpace(stderr)
		if len(msg) > maxStderr {
			msg = "..." + msg[len(msg)-maxStderr:]
		}
		if msg != "" {
			return stderr, fmt.Errorf("%s: %w: %s", baseName(argv[0]), err, msg)
		}
		return stderr, fmt.Errorf("%s: %w", baseName(argv[0]), err)
	}
	return stderr, nil
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
