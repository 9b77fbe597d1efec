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

	"github.com/google/uuid"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// Upload probes each file and adds it to the session. Nothing is added
// unless every file is accepted, so a bad file in a batch loses nothing
// and half-adds nothing.
func (b *Backend) Upload(ctx context.Context, req backend.UploadRequest) (*backend.UploadResult, error) {
	if len(req.Paths) == 0 && len(req.URLs) == 0 {
		return nil, backend.Userf("nothing to upload: give paths (absolute file paths) or urls")
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
	sess, err := b.session(ctx, req.SessionID, true)
	if err != nil {
		return nil, err
	}
	existing, err := b.mediaOf(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, m := range existing {
		taken[strings.ToLower(m.Name)] = true
	}
	rows := make([]*store.Media, len(items))
	res := &backend.UploadResult{SessionID: sess.ID}
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
	st, err := os.Stat(abs)
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

func (b *Backend) probeItem(ctx context.Context, abs, name string) (*mediaItem, error) {
	info, err := b.eng.Probe(ctx, abs)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, engine.ErrUnsupported) {
			return nil, &backend.UserError{Msg: fmt.Sprintf("%s is not a supported or readable media file. Supported formats: %s. Check it plays, or convert it (for example to WAV or MP4) and upload again", name, strings.Join(engine.SupportedFormats, ", ")), Err: err}
		}
		return nil, err
	}
	if info.Kind != "image" && info.Duration <= 0 {
		return nil, backend.Userf("%s has no duration (a broken or empty recording?): check it plays and upload again", name)
	}
	return &mediaItem{Media: &store.Media{ID: "m_" + uuid.NewString()[:8], Name: name, Path: abs}, Info: info}, nil
}

// fetch downloads a URL into the media folder, at most MaxFileSize bytes.
func (b *Backend) fetch(ctx context.Context, raw string) (*mediaItem, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, backend.Userf("bad URL %q: give an http(s) URL, or a local file path in paths", raw)
	}
	name := path.Base(u.Path)
	if name == "" || name == "/" || name == "." {
		name = "download"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, backend.Userf("bad URL %q: %v", raw, err)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, backend.Userf("could not download %s: %v. Check the URL, or download the file and upload its path", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, backend.Userf("could not download %s: the server answered %s. Check the URL, or download the file and upload its path", u.Redacted(), resp.Status)
	}
	if resp.ContentLength > MaxFileSize {
		return nil, backend.Userf("%s is over the 500 MB limit: trim or compress it first", name)
	}
	if err := os.MkdirAll(b.mediaDir, 0o755); err != nil {
		return nil, fmt.Errorf("media dir: %w", err)
	}
	dst := filepath.Join(b.mediaDir, uuid.NewString()[:8]+"-"+sanitize(name))
	n, err := fsutil.WriteFile(dst, io.LimitReader(resp.Body, MaxFileSize+1), false)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", u.Redacted(), err)
	}
	if n > MaxFileSize {
		os.Remove(dst)
		return nil, backend.Userf("%s is over the 500 MB limit: trim or compress it first", name)
	}
	it, err := b.probeItem(ctx, dst, name)
	if err != nil {
		os.Remove(dst)
		return nil, err
	}
	it.Media.Path = dst
	return it, nil
}

func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r < ' ' {
			return '_'
		}
		return r
	}, name)
}
