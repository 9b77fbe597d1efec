package tools

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// PreviewInput is the preview tool's input.
type PreviewInput struct {
	SessionID string  `json:"session_id,omitempty" jsonschema:"Session to play. Omit to use the current session."`
	File      string  `json:"file,omitempty" jsonschema:"Media file of the session (id or name); default the main track."`
	AtS       float64 `json:"at_s,omitempty" jsonschema:"Centre of the excerpt, in seconds of the source file; default the middle."`
	DurationS float64 `json:"duration_s,omitempty" jsonschema:"Length of the excerpt in seconds, 1-30, default 15."`
	Format    string  `json:"format,omitempty" jsonschema:"Audio format, default mp3.,enum=mp3,enum=ogg"`
	Before    bool    `json:"before,omitempty" jsonschema:"Also return the same stretch before the edits (to compare noise removal). Default true when the track is edited."`
}

// PreviewOutput describes the excerpts; the audio itself is in the
// result's audio contents.
type PreviewOutput struct {
	SessionID string   `json:"session_id" jsonschema:"Session played."`
	File      string   `json:"file" jsonschema:"Media file the excerpt comes from."`
	StartS    float64  `json:"start_s" jsonschema:"Start of the stretch in the source, seconds."`
	EndS      float64  `json:"end_s" jsonschema:"End of the stretch in the source, seconds."`
	AfterS    float64  `json:"after_s" jsonschema:"Length of the edited excerpt, seconds (shorter when cuts or trimmed pauses fall inside)."`
	MIMEType  string   `json:"mime_type" jsonschema:"MIME type of the audio contents."`
	Edited    bool     `json:"edited" jsonschema:"Whether edits change this track's sound."`
	Contents  []string `json:"contents" jsonschema:"What each audio content is, in order: after, before."`
	Notes     []string `json:"notes,omitempty" jsonschema:"Caveats about the excerpt."`
}

func preview(d *deps) Tool {
	def := mcp.NewTool("preview",
		mcp.WithDescription("Listen to the edit: returns a short excerpt (default 15 s around at_s) as audio content, as export will render it, "+
			"and the same stretch before the edits to compare (noise removal). Small (mp3 64 kbit/s, under 1 MB); export for the whole file."),
		schemas[PreviewInput, PreviewOutput](),
		annotations("Preview", d.caps.State), // reads a session as state does
	)
	return Tool{Def: def, Handler: typed(d, def, func(ctx context.Context, in PreviewInput, raw map[string]json.RawMessage) (*mcp.CallToolResult, error) {
		p, ok := d.b.(backend.Previewer)
		if !ok {
			return mcp.NewToolResultError("preview is not available with the " + d.b.Name() + " backend: export and listen to the file instead."), nil
		}
		at := in.AtS
		if _, ok := raw["at_s"]; !ok {
			at = -1
		}
		before := in.Before
		if _, ok := raw["before"]; !ok {
			before = true
		}
		res, err := p.Preview(ctx, backend.PreviewRequest{SessionID: in.SessionID, File: in.File, AtS: at, DurationS: in.DurationS,
			Format: strings.ToLower(in.Format), Before: before})
		if err != nil {
			return d.fail(ctx, "preview", err), nil
		}
		out := PreviewOutput{SessionID: res.SessionID, File: res.File, StartS: round1(res.StartS), EndS: round1(res.EndS),
			AfterS: round1(res.AfterS), MIMEType: res.MIMEType, Edited: res.Edited, Contents: []string{"after"}, Notes: res.Notes}
		audio := []mcp.Content{mcp.NewAudioContent(base64.StdEncoding.EncodeToString(res.After), res.MIMEType)}
		if res.Before != nil {
			out.Contents = append(out.Contents, "before")
			audio = append(audio, mcp.NewAudioContent(base64.StdEncoding.EncodeToString(res.Before), res.MIMEType))
		}
		text := fmt.Sprintf("Preview of %s, %s-%s: first audio is after the edits (%.1f s)", res.File, clockLabel(res.StartS), clockLabel(res.EndS), res.AfterS)
		if res.Before != nil {
			text += ", second is the source before them"
		}
		if !res.Edited {
			text = fmt.Sprintf("Preview of %s, %s-%s: no edit changes its sound yet, so this is the source", res.File, clockLabel(res.StartS), clockLabel(res.EndS))
		}
		text += ". Nothing was changed."
		if len(res.Notes) > 0 {
			text += " " + strings.Join(res.Notes, "; ") + "."
		}
		return result(text, out, audio...), nil
	})}
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
