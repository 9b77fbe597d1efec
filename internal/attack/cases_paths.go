package attack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Categories, in report order.
const (
	CatPaths     = "Path escapes"
	CatSwaps     = "Symlink swaps"
	CatNames     = "Hostile names"
	CatOverwrite = "Overwrites"
	CatPlaylists = "Playlists and demuxers"
	CatSSRF      = "SSRF forms"
	CatURL       = "URL timeouts and sizes"
	CatHTTP      = "HTTP abuse"
	CatParallel  = "Parallel calls"
	CatSessions  = "Sessions per client"
	CatLimits    = "Limits"
	CatCancel    = "Export cancel"
	CatCrash     = "kill -9"
	CatErrors    = "Misleading errors"
	CatAnnot     = "Annotations"
)

// Categories lists the categories in report order.
var Categories = []string{CatPaths, CatSwaps, CatNames, CatOverwrite, CatPlaylists, CatSSRF, CatURL, CatHTTP,
	CatParallel, CatSessions, CatLimits, CatCancel, CatCrash, CatErrors, CatAnnot}

// overHTTPToo is both(c) for the few attacks also run over HTTP (the
// transport changes nothing below the tool layer; these prove it), else
// stdio(c).
func overHTTPToo(id string, c Case) []Case {
	switch id {
	case "absolute", "dotdot", "symlink-file", "symlink-dir", "m3u8-absolute":
		return both(c)
	}
	c.Name += "/stdio"
	return stdio(c)
}

// both is c on stdio and on HTTP.
func both(c Case) []Case {
	s, h := c, c
	s.Name, s.Transport = c.Name+"/stdio", "stdio"
	h.Name, h.Transport = c.Name+"/http", "http"
	return []Case{s, h}
}

func stdio(c Case) []Case {
	c.Transport = "stdio"
	return []Case{c}
}

// pathCases: paths that lead outside the root, given to upload and to
// export's output_path and file.
func pathCases() []Case {
	var out []Case
	up := func(name, item string, paths func(sb *Sandbox) []string) {
		out = append(out, overHTTPToo(name, Case{Name: "path/upload-" + name, Category: CatPaths, Item: item, Run: func(e *E) error {
			ps := paths(e.SB)
			_, c, err := e.Start()
			if err != nil {
				return err
			}
			for _, p := range ps {
				r, err := e.Tool(c, "upload", map[string]any{"paths": []string{p}})
				if err := refused(fmt.Sprintf("upload of %q", p), r, err); err != nil {
					return err
				}
			}
			return nil
		}})...)
	}
	up("absolute", "review: path escapes", func(sb *Sandbox) []string { return []string{filepath.Join(sb.Outside, "canary.wav")} })
	up("dotdot", "review: path escapes", func(sb *Sandbox) []string {
		return []string{sb.In + "/../../outside/canary.wav", sb.Root + "/./in/../../outside/dir/keep.wav"}
	})
	up("relative", "review: path escapes", func(sb *Sandbox) []string {
		return []string{"../outside/canary.wav", "outside/canary.wav", "canary.wav"}
	})
	up("tilde", "review: path escapes", func(sb *Sandbox) []string { return []string{"~/../outside/canary.wav"} })
	up("proc-self-root", "review: path escapes", func(sb *Sandbox) []string {
		return []string{"/proc/self/root" + sb.Outside + "/canary.wav", "/proc/self/cwd/../outside/canary.wav"}
	})
	up("dev-stdin", "review: path escapes", func(sb *Sandbox) []string { return []string{"/dev/stdin", "/dev/fd/0", "/dev/zero"} })
	up("nul-byte", "review: path escapes", func(sb *Sandbox) []string {
		return []string{sb.In + "/tone.wav\x00/../../../outside/canary.wav"}
	})
	up("prefix-sibling", "review: path escapes", func(sb *Sandbox) []string {
		sib := sb.Root + "-sibling"
		_ = os.MkdirAll(sib, 0o755)
		_ = os.WriteFile(filepath.Join(sib, "canary.wav"), ToneWAV(CanaryDuration, 48000, 880), 0o644)
		sb.Watch = append(sb.Watch, sib)
		return []string{filepath.Join(sib, "canary.wav")}
	})
	up("symlink-file", "review: path escapes", func(sb *Sandbox) []string {
		l := filepath.Join(sb.Root, "link.wav")
		_ = os.Symlink(filepath.Join(sb.Outside, "canary.wav"), l)
		return []string{l}
	})
	up("symlink-dir", "review: path escapes", func(sb *Sandbox) []string {
		l := filepath.Join(sb.Root, "linkdir")
		_ = os.Symlink(filepath.Join(sb.Outside, "dir"), l)
		return []string{filepath.Join(l, "keep.wav")}
	})
	up("symlink-relative", "review: path escapes", func(sb *Sandbox) []string {
		l := filepath.Join(sb.In, "rel.wav")
		_ = os.Symlink("../../outside/canary.wav", l)
		// in/ is checksummed: the link is an input that must stay as it is.
		return []string{l}
	})
	out = append(out, overHTTPToo("file-url", Case{Name: "path/upload-file-url", Category: CatPaths, Item: "review: path escapes", Run: func(e *E) error {
		_, c, err := e.Start()
		if err != nil {
			return err
		}
		for _, u := range []string{"file://" + e.SB.Outside + "/canary.wav", "file:///etc/passwd"} {
			r, err := e.Tool(c, "upload", map[string]any{"urls": []string{u}})
			if err := refused("upload of "+u, r, err); err != nil {
				return err
			}
		}
		return nil
	}})...)

	outp := func(name string, dest func(sb *Sandbox) string) {
		out = append(out, overHTTPToo(name, Case{Name: "path/output-" + name, Category: CatPaths, Item: "review: path escapes", Run: func(e *E) error {
			d := dest(e.SB)
			_, c, err := e.Session(nil, nil, filepath.Join(e.SB.In, "tone.wav"))
			if err != nil {
				return err
			}
			r, err := e.Tool(c, "export", map[string]any{"format": "wav", "output_path": d})
			return refused(fmt.Sprintf("export to %q", d), r, err)
		}})...)
	}
	outp("absolute", func(sb *Sandbox) string { return filepath.Join(sb.Outside, "x.wav") })
	outp("dotdot", func(sb *Sandbox) string { return sb.Out + "/../../outside/x.wav" })
	outp("symlink-dir", func(sb *Sandbox) string {
		l := filepath.Join(sb.Root, "linkdir")
		_ = os.Symlink(filepath.Join(sb.Outside, "dir"), l)
		return filepath.Join(l, "x.wav")
	})
	outp("proc-self-root", func(sb *Sandbox) string { return "/proc/self/root" + sb.Outside + "/x.wav" })
	outp("relative", func(sb *Sandbox) string { return "../outside/x.wav" })
	out = append(out, overHTTPToo("file-arg", Case{Name: "path/export-file-arg", Category: CatPaths, Item: "review: path escapes", Run: func(e *E) error {
		_, c, err := e.Session(nil, nil, filepath.Join(e.SB.In, "tone.wav"))
		if err != nil {
			return err
		}
		for _, f := range []string{e.SB.Outside + "/canary.wav", "../../outside/canary.wav"} {
			r, err := e.Tool(c, "export", map[string]any{"format": "wav", "file": f})
			if err := refused("export of file "+f, r, err); err != nil {
				return err
			}
		}
		return nil
	}})...)
	out = append(out, overHTTPToo("ids", Case{Name: "path/ids-injection", Category: CatPaths, Item: "review: path escapes", Run: func(e *E) error {
		s, c, err := e.Start()
		if err != nil {
			return err
		}
		for _, id := range []string{"../../outside/secret.txt", "' OR 1=1 --", "\x00", strings.Repeat("a", 100000)} {
			r, err := e.Tool(c, "state", map[string]any{"session_id": id})
			if err := refused("state of session "+String(id)[:min(40, len(String(id)))], r, err); err != nil {
				return err
			}
			r, err = e.Tool(c, "export_status", map[string]any{"job_id": id, "wait_seconds": 0})
			if err := refused("export_status of job "+String(id)[:min(40, len(String(id)))], r, err); err != nil {
				return err
			}
		}
		select {
		case <-s.Exited():
			return fmt.Errorf("the server exited: %v", s.ExitErr())
		default:
		}
		return nil
	}})...)
	out = append(out, clientRootsCase())
	return out
}

// clientRootsCase: a client offering roots wider than AUDIOEDIT_ROOTS
// ("/", the outside folder, a link out of the root, a ".." path) must not
// widen what the tools may read or write.
func clientRootsCase() Case {
	return Case{Name: "path/client-roots-wider/stdio", Category: CatPaths, Transport: "stdio", Item: "review: path escapes", Run: func(e *E) error {
		sb := e.SB
		link := filepath.Join(sb.Root, "rootlink")
		_ = os.Symlink(sb.Outside, link)
		s, err := e.Launch(nil, "stdio")
		if err != nil {
			return err
		}
		s.OfferRoots("file:///", "file://"+sb.Outside, "file://"+link, "file://"+sb.Root+"/../outside", "file://localhost"+sb.Outside+"/dir")
		c := e.StdioClient(s)
		ctx, cancel := context.WithTimeout(e.Ctx, CallTimeout)
		defer cancel()
		if _, err := InitializeCaps(ctx, c, map[string]any{"roots": map[string]any{"listChanged": true}}); err != nil {
			return fmt.Errorf("handshake: %w", err)
		}
		for _, p := range []string{filepath.Join(sb.Outside, "canary.wav"), filepath.Join(sb.Outside, "dir", "keep.wav"), filepath.Join(link, "canary.wav")} {
			r, err := e.Tool(c, "upload", map[string]any{"paths": []string{p}})
			if err := refused("upload of "+p, r, err); err != nil {
				return err
			}
		}
		if s.RootsAsked() == 0 {
			return errors.New("the server never asked the client for its roots: the case proves nothing")
		}
		r, err := e.Tool(c, "upload", map[string]any{"paths": []string{filepath.Join(sb.In, "tone.wav")}})
		if err != nil || r.IsError {
			return fmt.Errorf("upload inside the root (kept: it lies inside the client's \"/\"): %v %s", err, errText(r, err))
		}
		for _, d := range []string{filepath.Join(sb.Outside, "x.wav"), filepath.Join(link, "x.wav")} {
			r, err := e.Tool(c, "export", map[string]any{"format": "wav", "output_path": d})
			if err := refused("export to "+d, r, err); err != nil {
				return err
			}
		}
		if _, err := e.Tool(c, "export", map[string]any{"format": "wav", "output_path": filepath.Join(sb.Out, "in-root.wav"), "wait_seconds": 60}); err != nil {
			return err
		}
		// Narrower roots, announced with list_changed, apply on the next
		// call: the client's answer is used, not only the configured roots.
		s.OfferRoots("file://" + sb.Out)
		if err := c.Notify("notifications/roots/list_changed", nil); err != nil {
			return err
		}
		in := filepath.Join(sb.In, "tone.wav")
		r, err = e.Tool(c, "upload", map[string]any{"paths": []string{in}})
		if err := refused("upload of "+in+" outside the client's new roots", r, err); err != nil {
			return err
		}
		if !strings.Contains(r.Text, sb.Out) || s.RootsAsked() != 2 {
			return fmt.Errorf("after list_changed (roots asked %d times) the refusal does not name the client's root: %s", s.RootsAsked(), tail(r.Text, 300))
		}
		return nil
	}}
}

// slowEdit makes a render slow: two measured passes and the classic
// denoiser.
const slowEdit = "remove background noise and normalize loudness to -16 LUFS"

// slowSession starts a server whose session holds 30 s of tone with
// slowEdit applied: its render takes seconds.
func slowSession(e *E, extra ...string) (*Server, Client, error) {
	slow := filepath.Join(e.SB.Root, "slow.wav")
	s, c, err := e.Session(map[string][]byte{slow: ToneWAV(30, 48000, 220)}, extra, slow)
	if err != nil {
		return nil, nil, err
	}
	if _, err := e.MustTool(c, "edit", map[string]any{"instruction": slowEdit}); err != nil {
		return nil, nil, err
	}
	return s, c, nil
}

// exportHarmless exports the session: a refusal holds, and so does a
// file that is not the canary.
func (e *E) exportHarmless(c Client) error {
	r, err := e.Tool(c, "export", map[string]any{"format": "wav"})
	if err != nil {
		return err
	}
	if !r.IsError {
		_, err := e.checkOutput(r, "wav", 0)
		return err
	}
	return nil
}

// swapCases: files checked once, then swapped for symlinks that lead out.
func swapCases() []Case {
	var out []Case
	// An input checked at upload, then replaced: the file by a link to the
	// canary, or its folder by a link to the canary folder.
	swapIn := func(name, dir string) {
		out = append(out, stdio(Case{Name: "swap/" + name, Category: CatSwaps, Item: "item 3", Run: func(e *E) error {
			target, swapped := filepath.Join(e.SB.Outside, "canary.wav"), filepath.Join(e.SB.Root, "swap.wav")
			input := swapped
			if dir != "" {
				target, swapped = filepath.Join(e.SB.Outside, "dir"), filepath.Join(e.SB.Root, dir)
				input = filepath.Join(swapped, "keep.wav")
			}
			_, c, err := e.Session(map[string][]byte{input: ToneWAV(1, 48000, 440)}, nil, input)
			if err != nil {
				return err
			}
			if err := os.Rename(swapped, swapped+".orig"); err != nil {
				return err
			}
			if err := os.Symlink(target, swapped); err != nil {
				return err
			}
			return e.exportHarmless(c)
		}})...)
	}
	swapIn("input-file-after-upload", "")
	swapIn("input-dir-after-upload", "sub")
	swapOut := func(name string, outputPath bool) {
		out = append(out, stdio(Case{Name: "swap/" + name, Category: CatSwaps, Item: "item 3", Run: func(e *E) error {
			dir := e.SB.Out
			args := map[string]any{"format": "wav", "wait_seconds": 0}
			if outputPath {
				dir = filepath.Join(e.SB.Root, "sub")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				args["output_path"] = filepath.Join(dir, "o.wav")
			}
			s, c, err := slowSession(e)
			if err != nil {
				return err
			}
			r, err := e.MustTool(c, "export", args)
			if err != nil {
				return err
			}
			job, _ := r.Structured["job_id"].(string)
			// Swap as soon as the render runs.
			waitFor(e.Ctx, 30*time.Second, func() bool { return len(ffmpegChildren(s)) > 0 })
			if err := os.Rename(dir, dir+".real"); err != nil {
				return err
			}
			if err := os.Symlink(filepath.Join(e.SB.Outside, "dir"), dir); err != nil {
				return err
			}
			for range 4 {
				r, err = e.Tool(c, "export_status", map[string]any{"job_id": job, "wait_seconds": 50})
				if err != nil {
					return err
				}
				if st, _ := r.Structured["status"].(string); st != "running" && st != "queued" {
					break
				}
			}
			return nil // Verify finds any file that landed outside
		}})...)
	}
	swapOut("output-dir-during-export", true)
	swapOut("output-folder-setting-during-export", false)
	out = append(out, stdio(Case{Name: "swap/output-file-symlink", Category: CatSwaps, Item: "item 3", Run: func(e *E) error {
		_, c, err := e.Session(nil, nil, filepath.Join(e.SB.In, "tone.wav"))
		if err != nil {
			return err
		}
		dst := filepath.Join(e.SB.Root, "o.wav")
		if err := os.Symlink(filepath.Join(e.SB.Outside, "dir", "keep.wav"), dst); err != nil {
			return err
		}
		_, err = e.Tool(c, "export", map[string]any{"format": "wav", "output_path": dst})
		return err // Verify finds a write through the link
	}})...)
	return out
}
