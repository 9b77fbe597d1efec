package attack

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// nameCases: hostile file names through upload and a default export.
func nameCases() []Case {
	var out []Case
	name := func(id, item, base string, ts []string) {
		c := Case{Name: "names/" + id, Category: CatNames, Item: item, Run: func(e *E) error {
			p := filepath.Join(e.SB.Root, "named", base)
			_, c, err := e.Session(map[string][]byte{p: ToneWAV(1, 48000, 440)}, nil, p)
			if err != nil {
				return err
			}
			r, err := e.Tool(c, "export", map[string]any{"format": "wav"})
			if err != nil {
				return fmt.Errorf("export without output_path: %w", err)
			}
			_, err = e.checkOutput(r, "wav", 1)
			return err
		}}
		if len(ts) > 1 {
			out = append(out, both(c)...)
		} else {
			out = append(out, stdio(c)...)
		}
	}
	name("long-ascii-245", "item 1", strings.Repeat("a", 245)+".wav", []string{"stdio"})
	name("long-chinese-82", "item 1", strings.Repeat("音", 82)+".wav", []string{"stdio"})
	name("newline", "item 12", "a\nb\r\x1b[31mc.wav", []string{"stdio", "http"})
	name("shell-filter-chars", "review: names", "x';[a]`$(id)%d|,:=\\.wav", []string{"stdio"})
	name("leading-dash", "review: names", "-y.wav", []string{"stdio"})
	name("pattern-percent", "review: names", "clip%03d.wav", []string{"stdio"})
	return out
}

// overwriteCases: exports that would replace files (item 2).
func overwriteCases() []Case {
	var out []Case
	ow := func(id, item string, setup func(e *E) (dest string, keep string, err error), extra ...string) {
		out = append(out, stdio(Case{Name: "overwrite/" + id, Category: CatOverwrite, Item: item, Run: func(e *E) error {
			dest, keep, err := setup(e)
			if err != nil {
				return err
			}
			var before []byte
			if keep != "" {
				if before, err = os.ReadFile(keep); err != nil {
					return err
				}
			}
			_, c, err := e.Start(extra...)
			if err != nil {
				return err
			}
			if _, err := e.Upload(c, filepath.Join(e.SB.In, "tone.wav")); err != nil {
				return err
			}
			r, err := e.Tool(c, "export", map[string]any{"format": "wav", "output_path": dest})
			if keep != "" {
				after, rerr := os.ReadFile(keep)
				if rerr != nil || !bytes.Equal(before, after) {
					return fmt.Errorf("export to %s replaced %s: %s", rel(e.SB.Dir, dest), rel(e.SB.Dir, keep), tail(errText(r, err), 200))
				}
			}
			if keep == "" {
				return refused("export to "+rel(e.SB.Dir, dest), r, err)
			}
			return nil
		}})...)
	}
	ow("database", "item 2", func(e *E) (string, string, error) {
		return filepath.Join(e.SB.Data, "audioedit.db"), "", nil
	})
	ow("existing-file", "item 2", func(e *E) (string, string, error) {
		p := filepath.Join(e.SB.Root, "mine.wav")
		return p, p, e.Write(p, ToneWAV(2, 48000, 300))
	})
	ow("folder-title", "item 2", func(e *E) (string, string, error) {
		d := filepath.Join(e.SB.Root, "folder")
		p := filepath.Join(d, "tone-edited.wav")
		return d, p, e.Write(p, ToneWAV(2, 48000, 300))
	})
	ow("dangling-symlink", "item 2", func(e *E) (string, string, error) {
		l := filepath.Join(e.SB.Root, "new.wav")
		return l, "", os.Symlink(filepath.Join(e.SB.Outside, "dir", "created.wav"), l)
	})
	ow("input", "item 2", func(e *E) (string, string, error) {
		return filepath.Join(e.SB.In, "tone.wav"), "", nil
	})
	ow("input-hardlink", "item 2", func(e *E) (string, string, error) {
		p := filepath.Join(e.SB.Root, "hard.wav")
		return p, "", os.Link(filepath.Join(e.SB.In, "tone.wav"), p)
	})
	ow("models-folder", "item 2", func(e *E) (string, string, error) {
		d := filepath.Join(e.SB.Root, "models")
		return filepath.Join(d, "x.wav"), "", os.MkdirAll(d, 0o755)
	}, "AUDIOEDIT_MODELS_DIR=ROOT/models")
	ow("cache-folder", "item 2", func(e *E) (string, string, error) {
		d := filepath.Join(e.SB.Root, "cache", "mcp-audioedit")
		return filepath.Join(d, "x.wav"), "", os.MkdirAll(d, 0o755)
	}, "XDG_CACHE_HOME=ROOT/cache")
	out = append(out, stdio(Case{Name: "overwrite/database-survives", Category: CatOverwrite, Item: "item 2", Run: func(e *E) error {
		_, c, err := e.Session(nil, nil, filepath.Join(e.SB.In, "tone.wav"))
		if err != nil {
			return err
		}
		_, _ = e.Tool(c, "export", map[string]any{"format": "wav", "output_path": filepath.Join(e.SB.Data, "audioedit.db")})
		b, err := os.ReadFile(filepath.Join(e.SB.Data, "audioedit.db"))
		if err != nil || !bytes.HasPrefix(b, []byte("SQLite format 3\x00")) {
			return fmt.Errorf("the database is no longer a database after an export onto it (%v)", err)
		}
		return nil
	}})...)
	out = append(out, stdio(Case{Name: "overwrite/wrong-extension", Category: CatOverwrite, Item: "review: names", Run: func(e *E) error {
		_, c, err := e.Session(nil, nil, filepath.Join(e.SB.In, "tone.wav"))
		if err != nil {
			return err
		}
		dest := filepath.Join(e.SB.Root, "run.sh")
		r, err := e.Tool(c, "export", map[string]any{"format": "wav", "output_path": dest})
		if _, serr := os.Stat(dest); serr == nil {
			return fmt.Errorf("a wav export was written as %s: %s", filepath.Base(dest), tail(errText(r, err), 200))
		}
		return nil
	}})...)
	return out
}

// playlistCases: files that make ffprobe/ffmpeg open other files (item 10).
func playlistCases() []Case {
	var out []Case
	pl := func(id, file string, body func(sb *Sandbox) string) {
		out = append(out, overHTTPToo(id, Case{Name: "playlist/" + id, Category: CatPlaylists, Item: "item 10", Run: func(e *E) error {
			p := filepath.Join(e.SB.Root, "lists", file)
			if err := e.Write(p, []byte(body(e.SB))); err != nil {
				return err
			}
			_, c, err := e.Start()
			if err != nil {
				return err
			}
			r, err := e.Tool(c, "upload", map[string]any{"paths": []string{p}})
			if rerr := refused("upload of "+file, r, err); rerr != nil {
				// Accepted: an export must still not read the outside.
				if r, err := e.Tool(c, "export", map[string]any{"format": "wav"}); err == nil && !r.IsError {
					if _, cerr := e.checkOutput(r, "wav", 0); cerr != nil {
						return fmt.Errorf("%v; then %v", rerr, cerr)
					}
				}
				return rerr
			}
			return nil
		}})...)
	}
	pl("m3u8-absolute", "list.m3u8", func(sb *Sandbox) string {
		return "#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:2.345,\nfile://" + sb.Outside + "/canary.wav\n#EXT-X-ENDLIST\n"
	})
	pl("m3u8-relative", "list.m3u8", func(sb *Sandbox) string {
		return "#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:2.345,\n../../outside/canary.wav\n#EXT-X-ENDLIST\n"
	})
	pl("m3u8-named-wav", "song.wav", func(sb *Sandbox) string {
		return "#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:2.345,\n" + sb.Outside + "/canary.wav\n#EXT-X-ENDLIST\n"
	})
	pl("ffconcat", "list.mp3", func(sb *Sandbox) string {
		return "ffconcat version 1.0\nfile '" + sb.Outside + "/canary.wav'\n"
	})
	return out
}
