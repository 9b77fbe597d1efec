package attack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// parallelCases: parallel calls through one server (item 6).
func parallelCases() []Case {
	var out []Case
	out = append(out, stdio(Case{Name: "parallel/conflicting-cuts", Category: CatParallel, Item: "item 6", Run: func(e *E) error {
		// Each round cuts the first and the last second at once: in either
		// order both apply, but checked against the same timeline and
		// saved together the second one no longer fits.
		p := filepath.Join(e.SB.Root, "twenty.wav")
		_, c, err := e.Session(map[string][]byte{p: ToneWAV(20, 16000, 440)}, nil, p)
		if err != nil {
			return err
		}
		length, applied := 20, 0
		for round := 0; length >= 4; round++ {
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok := 0
			for _, ins := range []string{"cut 0:00-0:01", fmt.Sprintf("cut 0:%02d-0:%02d", length-1, length)} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if r, err := e.Tool(c, "edit", map[string]any{"instruction": ins}); err == nil && !r.IsError {
						mu.Lock()
						ok++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			length -= ok
			applied += ok
			if _, err := e.MustTool(c, "state", nil); err != nil {
				return fmt.Errorf("round %d, after two parallel cuts: %w", round, err)
			}
		}
		for range applied {
			if _, err := e.MustTool(c, "edit", map[string]any{"instruction": "undo"}); err != nil {
				return fmt.Errorf("after parallel cuts: %w", err)
			}
		}
		r, err := e.Tool(c, "export", map[string]any{"format": "wav"})
		if err != nil {
			return err
		}
		_, err = e.checkOutput(r, "wav", 20)
		return err
	}})...)
	out = append(out, stdio(Case{Name: "parallel/20-exports-distinct-files", Category: CatParallel, Item: "item 6", Run: func(e *E) error {
		_, c, err := e.Session(nil, nil, filepath.Join(e.SB.In, "tone.wav"))
		if err != nil {
			return err
		}
		const n = 20
		paths := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := e.Tool(c, "export", map[string]any{"format": "wav", "wait_seconds": 50})
				for err == nil && !r.IsError && r.Structured["status"] != "completed" {
					job, _ := r.Structured["job_id"].(string)
					r, err = e.Tool(c, "export_status", map[string]any{"job_id": job, "wait_seconds": 50})
				}
				if err != nil {
					errs[i] = err
					return
				}
				paths[i], errs[i] = e.checkOutput(r, "wav", 1)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, p := range paths {
			seen[p] = true
		}
		if len(seen) != n {
			return fmt.Errorf("%d parallel exports wrote %d distinct files", n, len(seen))
		}
		return nil
	}})...)
	out = append(out, Case{Name: "parallel/8-uploads-new-sessions/http", Category: CatParallel, Item: "item 6", Transport: "http", Run: func(e *E) error {
		s, _, err := e.StartHTTP()
		if err != nil {
			return err
		}
		return parallelUploads(e, 8, func(int) (Client, error) { return e.NewHTTPSession(s, nil) })
	}})
	out = append(out, stdio(Case{Name: "parallel/8-processes-one-database", Category: CatParallel, Item: "item 6", Run: func(e *E) error {
		return parallelUploads(e, 8, func(int) (Client, error) {
			_, c, err := e.StartStdio()
			return c, err
		})
	}})...)
	return out
}

// parallelUploads has n clients upload 5 times each at once: no call may
// fail, no session may be shared.
func parallelUploads(e *E, n int, client func(int) (Client, error)) error {
	clients := make([]Client, n)
	for i := range n {
		c, err := client(i)
		if err != nil {
			return err
		}
		clients[i] = c
	}
	sids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				sid, err := e.Upload(c, filepath.Join(e.SB.In, "tone.wav"))
				if err != nil {
					errs[i] = fmt.Errorf("client %d: %w", i, err)
					return
				}
				if sids[i] != "" && sid != sids[i] {
					errs[i] = fmt.Errorf("client %d: uploads went to sessions %s and %s", i, sids[i], sid)
					return
				}
				sids[i] = sid
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	seen := map[string]int{}
	for i, sid := range sids {
		if j, ok := seen[sid]; ok {
			return fmt.Errorf("clients %d and %d share session %s", j, i, sid)
		}
		seen[sid] = i
	}
	return nil
}

// sessionCases: the current session belongs to its client (item 7).
func sessionCases() []Case {
	var out []Case
	out = append(out, Case{Name: "sessions/http-clients-isolated", Category: CatSessions, Item: "item 7", Transport: "http", Run: func(e *E) error {
		s, a, err := e.StartHTTP()
		if err != nil {
			return err
		}
		return isolated(e, a, func() (Client, error) { return e.NewHTTPSession(s, nil) })
	}})
	out = append(out, stdio(Case{Name: "sessions/stdio-processes-isolated", Category: CatSessions, Item: "item 7", Run: func(e *E) error {
		_, a, err := e.StartStdio()
		if err != nil {
			return err
		}
		return isolated(e, a, func() (Client, error) {
			_, c, err := e.StartStdio()
			return c, err
		})
	}})...)
	out = append(out, stdio(Case{Name: "sessions/second-process-keeps-jobs", Category: CatSessions, Item: "item 7", Run: func(e *E) error {
		sa, a, err := slowSession(e)
		if err != nil {
			return err
		}
		r, err := e.MustTool(a, "export", map[string]any{"format": "wav", "wait_seconds": 0})
		if err != nil {
			return err
		}
		job, _ := r.Structured["job_id"].(string)
		waitFor(e.Ctx, 30*time.Second, func() bool { return len(ffmpegChildren(sa)) > 0 })
		_, b, err := e.StartStdio()
		if err != nil {
			return err
		}
		// The second process must not have marked the running job failed.
		if r, err := e.Tool(b, "export_status", map[string]any{"job_id": job, "wait_seconds": 0}); err == nil {
			if st, _ := r.Structured["status"].(string); st == "failed" || st == "cancelled" || strings.Contains(strings.ToLower(r.Text), "interrupted") {
				return fmt.Errorf("a second server process on the same data folder reports the first one's running job %s: %s", st, tail(r.Text, 200))
			}
		}
		// Nor may the first process have lost it: it still runs there.
		r, err = e.Tool(a, "export_status", map[string]any{"job_id": job, "wait_seconds": 0})
		if err != nil {
			return err
		}
		if st, _ := r.Structured["status"].(string); st == "failed" || st == "cancelled" {
			return fmt.Errorf("after a second process started, the first one's job is %s: %s", st, tail(r.Text, 200))
		}
		_, _ = e.Tool(a, "export_status", map[string]any{"job_id": job, "cancel": true, "wait_seconds": 0})
		return nil
	}})...)
	return out
}

// isolated: a uploads; a fresh client b must not see a's files.
func isolated(e *E, a Client, fresh func() (Client, error)) error {
	if _, err := e.Upload(a, filepath.Join(e.SB.In, "long.wav")); err != nil {
		return err
	}
	b, err := fresh()
	if err != nil {
		return err
	}
	r, err := e.Tool(b, "state", nil)
	if err != nil {
		return err
	}
	if strings.Contains(r.Raw, "long.wav") {
		return fmt.Errorf("a fresh client sees another client's session: %s", tail(r.Text, 200))
	}
	return nil
}

// waitJob follows a job until it ends and checks its final status.
func waitJob(e *E, c Client, job, want string) error {
	for range 6 {
		r, err := e.Tool(c, "export_status", map[string]any{"job_id": job, "wait_seconds": 50})
		if err != nil {
			return err
		}
		st, _ := r.Structured["status"].(string)
		if st == "running" || st == "queued" {
			continue
		}
		if st != want {
			return fmt.Errorf("job %s ended %s, want %s: %s", job, st, want, tail(r.Text, 300))
		}
		return nil
	}
	return fmt.Errorf("job %s still running after 5 minutes", job)
}

// limitCases: resources an attacker can exhaust (item 8).
func limitCases() []Case {
	var out []Case
	up := func(id string, data func() []byte) {
		out = append(out, stdio(Case{Name: "limits/" + id, Category: CatLimits, Item: "item 8", Run: func(e *E) error {
			p := filepath.Join(e.SB.Root, id+".wav")
			if err := e.Write(p, data()); err != nil {
				return err
			}
			_, c, err := e.Start()
			if err != nil {
				return err
			}
			r, err := e.Tool(c, "upload", map[string]any{"paths": []string{p}})
			return refused("upload of "+id, r, err)
		}})...)
	}
	up("sample-rate-1Hz", func() []byte { return WAV(1, 1, make([]byte, 400000), 400000) })
	up("sample-rate-100Hz", func() []byte { return WAV(100, 1, make([]byte, 400000), 400000) })
	// A WAV header that claims 74 hours is read by ffprobe as the second
	// it holds, so the duration limit is proven with its setting: a 3 s
	// file against a 2 s limit.
	out = append(out, stdio(Case{Name: "limits/duration-over-setting", Category: CatLimits, Item: "item 8", Run: func(e *E) error {
		_, c, err := e.Start("AUDIOEDIT_MAX_DURATION=2s")
		if err != nil {
			return err
		}
		r, err := e.Tool(c, "upload", map[string]any{"paths": []string{filepath.Join(e.SB.In, "long.wav")}})
		if err := refused("upload of 3 s against AUDIOEDIT_MAX_DURATION=2s", r, err); err != nil {
			return err
		}
		if !strings.Contains(r.Text, "AUDIOEDIT_MAX_DURATION") {
			return fmt.Errorf("the refusal does not name the setting: %s", tail(r.Text, 200))
		}
		return nil
	}})...)
	out = append(out, stdio(Case{Name: "limits/51-files-per-session", Category: CatLimits, Item: "item 8", Run: func(e *E) error {
		var ps []string
		for i := range 51 {
			p := filepath.Join(e.SB.Root, "many", fmt.Sprintf("f%02d.wav", i))
			if err := e.Write(p, ToneWAV(0.2, 8000, 440)); err != nil {
				return err
			}
			ps = append(ps, p)
		}
		_, c, err := e.Start()
		if err != nil {
			return err
		}
		for i := 0; i < len(ps); i += 10 {
			r, err := e.Tool(c, "upload", map[string]any{"paths": ps[i:min(i+10, len(ps))]})
			if err != nil {
				return err
			}
			if r.IsError {
				if i+10 <= 50 {
					return fmt.Errorf("upload refused at %d files, before the limit of 50: %s", i, tail(r.Text, 200))
				}
				return nil
			}
		}
		return errors.New("a session took 51 files")
	}})...)
	out = append(out, stdio(Case{Name: "limits/2MB-instruction", Category: CatLimits, Item: "item 8", Run: func(e *E) error {
		s, c, err := e.Session(nil, nil, filepath.Join(e.SB.In, "tone.wav"))
		if err != nil {
			return err
		}
		big := "normalize " + strings.Repeat("loud ", 400000)
		r, err := e.Tool(c, "edit", map[string]any{"instruction": big})
		if err != nil {
			return err
		}
		if len(r.Raw) > 8<<10 {
			return fmt.Errorf("a 2 MB instruction is echoed back (%d bytes of answer)", len(r.Raw))
		}
		st, err := e.MustTool(c, "state", nil)
		if err != nil {
			return err
		}
		if len(st.Raw) > 64<<10 {
			return fmt.Errorf("a 2 MB instruction is stored: state is %d bytes", len(st.Raw))
		}
		if strings.Contains(s.Stderr(), strings.Repeat("loud ", 2000)) {
			return errors.New("a 2 MB instruction is written to the log")
		}
		return nil
	}})...)
	out = append(out, stdio(Case{Name: "limits/detached-exports-queued", Category: CatLimits, Item: "item 8", Run: func(e *E) error {
		s, c, err := slowSession(e)
		if err != nil {
			return err
		}
		var jobs []string
		for range 8 {
			r, err := e.MustTool(c, "export", map[string]any{"format": "wav", "wait_seconds": 0})
			if err != nil {
				return err
			}
			j, _ := r.Structured["job_id"].(string)
			jobs = append(jobs, j)
		}
		// Count ffmpeg processes until the first job ends (by then the
		// others have all been started or queued), then cancel the rest.
		most := 0
		waitFor(e.Ctx, 3*time.Minute, func() bool {
			n := len(ffmpegChildren(s))
			most = max(most, n)
			r, err := e.Tool(c, "export_status", map[string]any{"job_id": jobs[0], "wait_seconds": 0})
			return err != nil || r.Structured["status"] != "running" && r.Structured["status"] != "queued"
		})
		for _, j := range jobs {
			_, _ = e.Tool(c, "export_status", map[string]any{"job_id": j, "cancel": true, "wait_seconds": 0})
		}
		if most > 2 {
			return fmt.Errorf("8 detached exports ran %d ffmpeg processes at once (the queue allows 2)", most)
		}
		return nil
	}})...)
	return out
}

// slowJob starts a detached export of a slow session; it returns the job
// id.
func slowJob(e *E) (*Server, Client, string, error) {
	s, c, err := slowSession(e)
	if err != nil {
		return nil, nil, "", err
	}
	r, err := e.MustTool(c, "export", map[string]any{"format": "wav", "wait_seconds": 0})
	if err != nil {
		return nil, nil, "", err
	}
	j, _ := r.Structured["job_id"].(string)
	return s, c, j, nil
}

// cancelCases: cancelling a wait must not cancel the render (item 9).
func cancelCases() []Case {
	var out []Case
	out = append(out, stdio(Case{Name: "cancel/waiter-cancel-keeps-render", Category: CatCancel, Item: "item 9", Run: func(e *E) error {
		s, c, job, err := slowJob(e)
		if err != nil {
			return err
		}
		waitFor(e.Ctx, 30*time.Second, func() bool { return len(ffmpegChildren(s)) > 0 })
		ctx, cancel := context.WithTimeout(e.Ctx, 500*time.Millisecond)
		_, _ = Tool(ctx, c, "export_status", map[string]any{"job_id": job, "wait_seconds": 30})
		cancel()
		return waitJob(e, c, job, "completed")
	}})...)
	out = append(out, stdio(Case{Name: "cancel/explicit-cancel-stops-ffmpeg", Category: CatCancel, Item: "item 9", Run: func(e *E) error {
		s, c, job, err := slowJob(e)
		if err != nil {
			return err
		}
		waitFor(e.Ctx, 30*time.Second, func() bool { return len(ffmpegChildren(s)) > 0 })
		r, err := e.Tool(c, "export_status", map[string]any{"job_id": job, "cancel": true, "wait_seconds": 10})
		if err != nil {
			return err
		}
		if st, _ := r.Structured["status"].(string); st != "cancelled" {
			return fmt.Errorf("export_status cancel: true left the job %q: %s", st, tail(r.Text, 200))
		}
		if !waitFor(e.Ctx, 10*time.Second, func() bool { return len(ffmpegChildren(s)) == 0 }) {
			return errors.New("ffmpeg still runs after the job was cancelled")
		}
		return nil
	}})...)
	return out
}

// crashCases: kill -9 at several points, then a restart (item 11).
func crashCases() []Case {
	var out []Case
	// at starts the server, brings it to the point of the crash and
	// returns it.
	crash := func(id string, at func(e *E) (*Server, error)) {
		out = append(out, stdio(Case{Name: "kill9/" + id, Category: CatCrash, Item: "item 11", Run: func(e *E) error {
			s, err := at(e)
			if err != nil {
				return err
			}
			kids := s.Children()
			s.Kill9()
			// Its ffmpeg children die too (as in a machine crash or an OOM
			// kill of the group): what they wrote so far is left behind.
			for _, k := range kids {
				_ = syscall.Kill(k, syscall.SIGKILL)
			}
			_, c2, err := e.Start()
			if err != nil {
				return fmt.Errorf("restart after kill -9: %w", err)
			}
			return recovered(e, c2)
		}})...)
	}
	// during a render, once files appear in dir
	render := func(dir func(sb *Sandbox) string) func(e *E) (*Server, error) {
		return func(e *E) (*Server, error) {
			s, _, _, err := slowJob(e)
			if err == nil && dir != nil {
				waitFor(e.Ctx, 2*time.Minute, func() bool { return len(files(dir(e.SB))) > 0 })
			}
			return s, err
		}
	}
	crash("during-decode", render(func(sb *Sandbox) string { return sb.Tmp }))
	crash("during-encode", render(func(sb *Sandbox) string { return sb.Out }))
	crash("right-after-export-call", render(nil))
	crash("during-edit", func(e *E) (*Server, error) {
		s, c, err := e.Session(nil, nil, filepath.Join(e.SB.In, "long.wav"))
		if err != nil {
			return nil, err
		}
		for _, ins := range []string{"fade in 0.5 s", "cut 0:01-0:02"} {
			go func() { _, _ = e.Tool(c, "edit", map[string]any{"instruction": ins}) }()
		}
		time.Sleep(5 * time.Millisecond)
		return s, nil
	})
	crash("during-upload", func(e *E) (*Server, error) {
		files := map[string][]byte{}
		var ps []string
		for i := range 10 {
			p := filepath.Join(e.SB.Root, "batch", fmt.Sprintf("f%d.wav", i))
			files[p] = ToneWAV(0.5, 48000, 440)
			ps = append(ps, p)
		}
		s, c, err := e.Session(files, nil)
		if err != nil {
			return nil, err
		}
		go func() { _, _ = e.Tool(c, "upload", map[string]any{"paths": ps}) }()
		waitFor(e.Ctx, 10*time.Second, func() bool { return len(ffmpegChildren(s)) > 0 })
		return s, nil
	})
	return out
}

// recovered checks the restarted server: no leftovers in the output
// folder or TMPDIR, the session readable, undo working, and an export of
// what the session holds.
func recovered(e *E, c Client) error {
	var errs []error
	for _, f := range files(e.SB.Out) {
		if !strings.HasSuffix(f, ".wav") || strings.Contains(f, ".tmp") || strings.HasPrefix(filepath.Base(f), ".") {
			errs = append(errs, fmt.Errorf("the crash left %s in the output folder", f))
		}
	}
	if left := files(e.SB.Tmp); len(left) > 0 {
		errs = append(errs, fmt.Errorf("the crash left %s in TMPDIR", strings.Join(left, ", ")))
	}
	r, err := e.Tool(c, "state", nil)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("state after the restart: %w", err))...)
	}
	if r.IsError || len(anySlice(r.Structured["media"])) == 0 {
		// Nothing was saved before the crash: start over.
		if r.IsError && !strings.Contains(strings.ToLower(r.Text), "upload") {
			errs = append(errs, fmt.Errorf("state after the restart: %s", tail(r.Text, 300)))
		}
		if _, err := e.Upload(c, filepath.Join(e.SB.In, "tone.wav")); err != nil {
			return errors.Join(append(errs, fmt.Errorf("after the restart: %w", err))...)
		}
	}
	if r, err := e.Tool(c, "edit", map[string]any{"instruction": "undo"}); err != nil {
		errs = append(errs, fmt.Errorf("undo after the restart: %w", err))
	} else if r.IsError && !strings.Contains(strings.ToLower(r.Text), "nothing to undo") {
		errs = append(errs, fmt.Errorf("undo after the restart: %s", tail(r.Text, 300)))
	}
	r, err = e.Tool(c, "export", map[string]any{"format": "wav", "wait_seconds": 50})
	for err == nil && !r.IsError && r.Structured["status"] != "completed" {
		job, _ := r.Structured["job_id"].(string)
		r, err = e.Tool(c, "export_status", map[string]any{"job_id": job, "wait_seconds": 50})
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("export after the restart: %w", err))
	} else if _, err := e.checkOutput(r, "wav", 0); err != nil {
		errs = append(errs, fmt.Errorf("export after the restart: %w", err))
	}
	return errors.Join(errs...)
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// errorCases: errors that must say what happened (item 12).
func errorCases() []Case {
	var out []Case
	out = append(out, stdio(Case{Name: "errors/ffmpeg-missing-handshake", Category: CatErrors, Item: "item 12", Run: func(e *E) error {
		_, c, err := e.Start("AUDIOEDIT_FFMPEG=/nonexistent/ffmpeg", "AUDIOEDIT_FFPROBE=/nonexistent/ffprobe")
		if err != nil {
			return fmt.Errorf("with ffmpeg missing the MCP handshake fails: %w", err)
		}
		r, err := e.Tool(c, "upload", map[string]any{"paths": []string{filepath.Join(e.SB.In, "tone.wav")}})
		if err != nil {
			return err
		}
		if !r.IsError || !strings.Contains(r.Text, "install") {
			return fmt.Errorf("with ffmpeg missing, upload does not say how to install it: %s", tail(r.Text, 200))
		}
		return nil
	}})...)
	full := func(id, dir string, setup func(e *E, c Client) error, call func(e *E, c Client) (*ToolResult, error)) {
		out = append(out, stdio(Case{Name: "errors/" + id, Category: CatErrors, Item: "item 12", Run: func(e *E) error {
			target := filepath.Join(e.SB.Dir, dir)
			if dir != "tmp" {
				target = filepath.Join(e.SB.Root, dir)
			}
			if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", target).Run(); err != nil {
				return fmt.Errorf("%w: mounting a small tmpfs on %s needs root: %v", ErrNotHere, dir, err)
			}
			defer exec.Command("umount", "-l", target).Run()
			_, c, err := e.Start()
			if err != nil {
				return err
			}
			if err := setup(e, c); err != nil {
				return err
			}
			// Fill the folder to the last byte.
			f, err := os.Create(filepath.Join(target, ".fill"))
			if err != nil {
				return err
			}
			buf := make([]byte, 64<<10)
			for {
				if _, err := f.Write(buf); err != nil {
					break
				}
			}
			for {
				if _, err := f.Write(buf[:512]); err != nil {
					break
				}
			}
			f.Close()
			defer os.Remove(filepath.Join(target, ".fill"))
			r, err := call(e, c)
			if err != nil {
				return err
			}
			low := strings.ToLower(r.Text)
			if !r.IsError {
				return nil // it fit after all
			}
			if !strings.Contains(low, "space") || strings.Contains(low, "internal error") || strings.Contains(low, "broken pipe") {
				return fmt.Errorf("with %s full the error does not say so: %s", dir, tail(r.Text, 300))
			}
			return nil
		}})...)
	}
	noop := func(e *E, c Client) error {
		_, err := e.Upload(c, filepath.Join(e.SB.In, "long.wav"))
		return err
	}
	full("data-folder-full", "data", noop, func(e *E, c Client) (*ToolResult, error) {
		var r *ToolResult
		var err error
		for i := range 200 { // until the database has no room left
			r, err = e.Tool(c, "edit", map[string]any{"instruction": fmt.Sprintf("fade in %d ms then normalize to -16 LUFS and %s", i+1, strings.Repeat("then gain +0 dB ", 30))})
			if err != nil || r.IsError {
				break
			}
		}
		return r, err
	})
	full("output-folder-full", "out", noop, func(e *E, c Client) (*ToolResult, error) {
		return e.Tool(c, "export", map[string]any{"format": "wav"})
	})
	full("tmpdir-full", "tmp", noop, func(e *E, c Client) (*ToolResult, error) {
		if _, err := e.MustTool(c, "edit", map[string]any{"instruction": "remove background noise"}); err != nil {
			return nil, err
		}
		return e.Tool(c, "export", map[string]any{"format": "wav"})
	})
	return out
}

// annotationCases: hints that match what the tools do (item 13).
func annotationCases() []Case {
	return stdio(Case{Name: "annotations/nemo-open-world", Category: CatAnnot, Item: "item 13", Run: func(e *E) error {
		port, err := freePort() // nothing listens: listing tools must not need the cloud
		if err != nil {
			return err
		}
		_, c, err := e.Start("AUDIOEDIT_BACKEND=nemo", fmt.Sprintf("NEMO_API_URL=http://127.0.0.1:%d", port), "NEMO_TOKEN=attack-token")
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(e.Ctx, CallTimeout)
		defer cancel()
		raw, err := c.Call(ctx, "tools/list", map[string]any{})
		if err != nil {
			return err
		}
		var list struct {
			Tools []struct {
				Name        string `json:"name"`
				Annotations struct {
					OpenWorld *bool `json:"openWorldHint"`
				} `json:"annotations"`
			} `json:"tools"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return err
		}
		var wrong []string
		for _, t := range list.Tools {
			switch t.Name {
			case "state", "credits", "export", "export_status", "edit", "upload":
				if t.Annotations.OpenWorld == nil || !*t.Annotations.OpenWorld {
					wrong = append(wrong, t.Name)
				}
			}
		}
		if len(wrong) > 0 {
			return fmt.Errorf("with the cloud backend %s say openWorldHint false", strings.Join(wrong, ", "))
		}
		return nil
	}})
}
