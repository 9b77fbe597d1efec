package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// UploadInput is the upload tool's input.
type UploadInput struct {
	Paths      []string `json:"paths,omitempty" jsonschema:"Absolute paths of local files to add: audio (mp3 wav m4a aac), video (mp4 mov avi webm mkv) or a still image (jpg png gif webp) to show behind audio; 500 MB each at most. Pass paths; never file contents or base64."`
	URLs       []string `json:"urls,omitempty" jsonschema:"http(s) URLs of media files to fetch and add."`
	SessionID  string   `json:"session_id,omitempty" jsonschema:"Session to add the files to. Omit to use the current session (a new one is created when there is none, or when it was idle over 12 hours)."`
	NewSession bool     `json:"new_session,omitempty" jsonschema:"Start a new session for these files (a new project) instead of adding to the current one."`
}

// FileInfo is one uploaded media file as probed.
type FileInfo struct {
	ID         string   `json:"id" jsonschema:"Media id, usable as export's file argument."`
	Name       string   `json:"name" jsonschema:"File name."`
	Path       string   `json:"path,omitempty" jsonschema:"Local path of the file."`
	URL        string   `json:"url,omitempty" jsonschema:"URL of the file."`
	Kind       string   `json:"kind" jsonschema:"audio, video or image."`
	Format     string   `json:"format" jsonschema:"Container format."`
	DurationS  float64  `json:"duration_s" jsonschema:"Duration in seconds."`
	SizeBytes  int64    `json:"size_bytes" jsonschema:"Size in bytes."`
	Codecs     []string `json:"codecs,omitempty" jsonschema:"Codecs of the streams (video first)."`
	SampleRate int      `json:"sample_rate,omitempty" jsonschema:"Audio sample rate in Hz."`
	Channels   int      `json:"channels,omitempty" jsonschema:"Audio channels."`
	Width      int      `json:"width,omitempty" jsonschema:"Video width in pixels."`
	Height     int      `json:"height,omitempty" jsonschema:"Video height in pixels."`
	FPS        float64  `json:"fps,omitempty" jsonschema:"Video frame rate."`
}

// UploadOutput is the upload tool's output.
type UploadOutput struct {
	SessionID string     `json:"session_id" jsonschema:"Session the files were added to."`
	Files     []FileInfo `json:"files" jsonschema:"Files added."`
	Notes     []string   `json:"notes,omitempty" jsonschema:"Caveats about the files."`
}

func upload(d *deps) Tool {
	def := mcp.NewTool("upload",
		mcp.WithDescription("Add audio or video files to an editing session, by absolute local path or URL. "+
			"Returns the session id and each file's duration, format and streams. Start here, then call edit."),
		schemas[UploadInput, UploadOutput](),
		annotations("Upload media", d.caps.Upload),
	)
	return Tool{Def: def, Handler: typed(d, def, func(ctx context.Context, in UploadInput, _ map[string]json.RawMessage) (*mcp.CallToolResult, error) {
		if len(in.Paths) == 0 && len(in.URLs) == 0 {
			return mcp.NewToolResultError(`Give at least one file: "paths" with absolute file paths (e.g. ["/home/me/podcast.wav"]) or "urls" with http(s) links.`), nil
		}
		req := backend.UploadRequest{SessionID: in.SessionID, URLs: in.URLs, NewSession: in.NewSession}
		for _, p := range in.Paths {
			abs, bad := d.checkPath(ctx, p)
			if bad != nil {
				return bad, nil
			}
			req.Paths = append(req.Paths, abs)
		}
		for _, u := range in.URLs {
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				return mcp.NewToolResultError(fmt.Sprintf("%q is not an http(s) URL; pass local files in \"paths\" instead", u)), nil
			}
		}
		res, err := d.b.Upload(ctx, req)
		if err != nil {
			return d.fail(ctx, "upload", err), nil
		}
		out := UploadOutput{SessionID: res.SessionID, Files: []FileInfo{}, Notes: res.Notes}
		var lines []string
		for _, m := range res.Files {
			f := fileInfo(m)
			out.Files = append(out.Files, f)
			lines = append(lines, describeFile(f))
		}
		text := fmt.Sprintf("Added %d file(s) to session %s:\n%s\nNext: call edit with what to change.", len(out.Files), out.SessionID, strings.Join(lines, "\n"))
		if res.Notice != "" {
			text = res.Notice + " " + text
		}
		return result(text, out), nil
	})}
}

// fileInfo converts a backend.Media.
func fileInfo(m backend.Media) FileInfo {
	f := FileInfo{
		ID: m.ID, Name: m.Name, Path: m.Path, URL: m.URL, Kind: m.Kind, Format: m.Format,
		DurationS: m.DurationS, SizeBytes: m.SizeBytes, SampleRate: m.SampleRate,
		Channels: m.Channels, Width: m.Width, Height: m.Height, FPS: m.FPS,
	}
	for _, c := range []string{m.VideoCodec, m.AudioCodec} {
		if c != "" {
			f.Codecs = append(f.Codecs, c)
		}
	}
	return f
}

// describeFile is one human line about a file.
func describeFile(f FileInfo) string {
	s := fmt.Sprintf("- %s (id %s): %s %s, %.1f s", f.Name, f.ID, f.Kind, f.Format, f.DurationS)
	if f.Width > 0 {
		s += fmt.Sprintf(", %dx%d", f.Width, f.Height)
	}
	if f.SampleRate > 0 {
		s += fmt.Sprintf(", %d Hz %d ch", f.SampleRate, f.Channels)
	}
	return s
}
