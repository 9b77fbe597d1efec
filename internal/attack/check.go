package attack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// refused is nil when a call was refused: an error result, or a JSON-RPC
// error answer. A call that hung or broke the connection is not a refusal.
func refused(what string, r *ToolResult, err error) error {
	var rpc *RPCError
	switch {
	case errors.As(err, &rpc):
		return nil
	case err != nil:
		return fmt.Errorf("%s: no clean refusal: %v", what, err)
	case !r.IsError:
		return fmt.Errorf("%s was accepted: %s", what, tail(r.Text, 300))
	}
	return nil
}

// failedText is nil when a call failed with a message; it returns the text.
func errText(r *ToolResult, err error) string {
	if err != nil {
		return err.Error()
	}
	return r.Text
}

// probeDuration is an output's duration by ffprobe (the suite's own read,
// of a file inside the root).
func probeDuration(ctx context.Context, path string) (float64, error) {
	probe := os.Getenv("AUDIOEDIT_FFPROBE")
	if probe == "" {
		probe = "ffprobe"
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, probe, "-v", "error", "-show_entries", "format=duration",
		"-of", "default=nw=1:nk=1", "-i", "file:"+path).Output()
	if err != nil {
		return 0, fmt.Errorf("ffprobe %s: %v", path, err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

// checkOutput checks a completed export's file: it exists inside the root,
// its name is valid UTF-8 without control characters and fits 255 bytes,
// it has the format's extension, and it lasts want seconds (not the
// canary's length).
func (e *E) checkOutput(r *ToolResult, format string, want float64) (string, error) {
	if r.IsError {
		return "", fmt.Errorf("export failed: %s", tail(r.Text, 400))
	}
	path, _ := r.Structured["path"].(string)
	status, _ := r.Structured["status"].(string)
	if status != "completed" {
		return path, fmt.Errorf("export did not complete in the call: status %q: %s", status, tail(r.Text, 300))
	}
	if err := e.checkName(path); err != nil {
		return path, err
	}
	if format != "" && !strings.HasSuffix(path, "."+format) {
		return path, fmt.Errorf("output %q lacks the .%s extension", path, format)
	}
	if !strings.HasPrefix(path, e.SB.Root+"/") {
		return path, fmt.Errorf("output %q is outside the root", path)
	}
	d, err := probeDuration(e.Ctx, path)
	if err != nil {
		return path, fmt.Errorf("the reported output does not play: %v", err)
	}
	if abs(d-CanaryDuration) < 0.05 {
		return path, fmt.Errorf("output %s lasts %.3f s: it is the canary outside the roots", path, d)
	}
	if want > 0 && abs(d-want) > 0.1 {
		return path, fmt.Errorf("output %s lasts %.3f s, want %.3f s", path, d, want)
	}
	return path, nil
}

// checkName checks a reported path names an existing file whose name is
// valid UTF-8, free of control characters, at most 255 bytes.
func (e *E) checkName(path string) error {
	base := filepath.Base(path)
	switch {
	case path == "":
		return errors.New("no output path reported")
	case !utf8.ValidString(path):
		return fmt.Errorf("reported path %q is not valid UTF-8", path)
	case strings.IndexFunc(base, unicode.IsControl) >= 0:
		return fmt.Errorf("reported file name %q holds control characters", base)
	case len(base) > 255:
		return fmt.Errorf("reported file name is %d bytes (over 255)", len(base))
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("reported path does not exist: %v", err)
	}
	return nil
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// waitFor polls cond every 20 ms until it is true or d passes.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ffmpegChildren counts the server's ffmpeg and ffprobe children.
func ffmpegChildren(s *Server) []int {
	var out []int
	for _, pid := range s.Children() {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if n := strings.TrimSpace(string(b)); strings.HasPrefix(n, "ffmpeg") || strings.HasPrefix(n, "ffprobe") {
			out = append(out, pid)
		}
	}
	return out
}

// files lists the regular files under dir (relative names).
func files(dir string) []string {
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, rel(dir, p))
		}
		return nil
	})
	return out
}
