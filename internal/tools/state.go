package tools

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// StateInput is the state tool's input.
type StateInput struct {
	SessionID string `json:"session_id,omitempty" jsonschema:"Session to read. Omit to use the current session."`
}

// HistoryItem is one edit of a session's history.
type HistoryItem struct {
	Seq         int      `json:"seq" jsonschema:"Position in the history, from 1."`
	Instruction string   `json:"instruction" jsonschema:"The instruction as given."`
	Ops         []string `json:"ops,omitempty" jsonschema:"Operations it applied."`
	Target      string   `json:"target,omitempty" jsonschema:"Media it applied to."`
	Undone      bool     `json:"undone,omitempty" jsonschema:"Whether it was undone."`
	At          string   `json:"at" jsonschema:"When, RFC 3339."`
}

// StateOutput is the state tool's output.
type StateOutput struct {
	SessionID      string        `json:"session_id" jsonschema:"Session read."`
	Summary        string        `json:"summary" jsonschema:"One-line timeline summary, e.g. Timeline (2 tracks): 1. Audio: podcast.wav (0-182s) ..."`
	Draft          any           `json:"draft,omitempty" jsonschema:"The timeline as draft JSON (t: tracks, tt: track type 0 video 1 audio 7 text, sg: segments, d: duration in ms)."`
	Media          []FileInfo    `json:"media" jsonschema:"Media in the session."`
	History        []HistoryItem `json:"history" jsonschema:"Edits, oldest first."`
	Jobs           []JobOutput   `json:"jobs,omitempty" jsonschema:"Export jobs of the session."`
	VideoInfos     any           `json:"video_infos,omitempty" jsonschema:"Cloud backend: media info as the service keeps it."`
	GeneratedMedia any           `json:"generated_media,omitempty" jsonschema:"Cloud backend: media the service generated."`
}

func state(d *deps) Tool {
	def := mcp.NewTool("state",
		mcp.WithDescription("Read a session's state: a one-line timeline summary, the draft JSON, the media, "+
			"the edit history and export jobs. Use it to check an edit before exporting."),
		schemas[StateInput, StateOutput](),
		annotations("Session state", true, false, true, false),
	)
	return Tool{Def: def, Handler: typed(d, def, func(ctx context.Context, in StateInput, _ map[string]json.RawMessage) (*mcp.CallToolResult, error) {
		res, err := d.b.State(ctx, in.SessionID)
		if err != nil {
			return d.fail(ctx, "state", err), nil
		}
		out := stateOutput(res)
		text := fmt.Sprintf("%s\n%d media file(s), %d edit(s), %d export job(s).", out.Summary, len(out.Media), len(out.History), len(out.Jobs))
		return result(text, out), nil
	})}
}

func stateOutput(res *backend.StateResult) StateOutput {
	out := StateOutput{
		SessionID: res.SessionID, Summary: res.Summary, Draft: rawJSON(res.Draft),
		Media: []FileInfo{}, History: []HistoryItem{},
		VideoInfos: rawJSON(res.VideoInfos), GeneratedMedia: rawJSON(res.GeneratedMedia),
	}
	for _, m := range res.Media {
		out.Media = append(out.Media, fileInfo(m))
	}
	for _, h := range res.History {
		out.History = append(out.History, HistoryItem{
			Seq: h.Seq, Instruction: h.Instruction, Ops: h.Ops, Target: h.Target, Undone: h.Undone, At: timestamp(h.At),
		})
	}
	for i := range res.Jobs {
		out.Jobs = append(out.Jobs, jobOutput(&res.Jobs[i]))
	}
	return out
}
