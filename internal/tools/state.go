package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// StateInput is the state tool's input.
type StateInput struct {
	SessionID    string `json:"session_id,omitempty" jsonschema:"Session to read. Omit to use the current session."`
	ListSessions bool   `json:"list_sessions,omitempty" jsonschema:"List recent sessions (id, files, last edit) instead of reading one; pass an id as session_id to continue it."`
	Waveform     bool   `json:"waveform,omitempty" jsonschema:"Also return a PNG picture of the timeline: each track's waveform, cuts and removed pauses shaded, music bed and titles marked, time axis."`
}

// SessionItem is one session of state's list.
type SessionItem struct {
	SessionID string   `json:"session_id" jsonschema:"Session id, for session_id."`
	Files     []string `json:"files" jsonschema:"Its media files, in upload order."`
	Edits     int      `json:"edits" jsonschema:"Edits in its history."`
	LastEdit  string   `json:"last_edit,omitempty" jsonschema:"When it was last edited, RFC 3339."`
	UpdatedAt string   `json:"updated_at" jsonschema:"When it last changed, RFC 3339."`
	Current   bool     `json:"current,omitempty" jsonschema:"Whether it is this connection's current session."`
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
	SessionID      string        `json:"session_id,omitempty" jsonschema:"Session read."`
	Sessions       []SessionItem `json:"sessions,omitempty" jsonschema:"With list_sessions: recent sessions, most recently changed first."`
	Summary        string        `json:"summary" jsonschema:"One-line timeline summary, e.g. Timeline (2 tracks): 1. Audio: podcast.wav (0-182s) ..."`
	Draft          any           `json:"draft,omitempty" jsonschema:"The timeline as draft JSON (t: tracks, tt: track type 0 video 1 audio 7 text, sg: segments, d: duration in ms)."`
	Media          []FileInfo    `json:"media" jsonschema:"Media in the session."`
	History        []HistoryItem `json:"history" jsonschema:"Edits, oldest first."`
	Jobs           []JobOutput   `json:"jobs,omitempty" jsonschema:"Export jobs of the session."`
	VideoInfos     any           `json:"video_infos,omitempty" jsonschema:"Cloud backend: media info as the service keeps it."`
	GeneratedMedia any           `json:"generated_media,omitempty" jsonschema:"Cloud backend: media the service generated."`
	Notes          []string      `json:"notes,omitempty" jsonschema:"Caveats: an edit of the history skipped because it no longer applies."`
}

func state(d *deps) Tool {
	def := mcp.NewTool("state",
		mcp.WithDescription("Read a session's state: a one-line timeline summary, the draft JSON, the media, "+
			"the edit history and export jobs. Use it to check an edit before exporting."),
		schemas[StateInput, StateOutput](),
		annotations("Session state", d.caps.State),
	)
	return Tool{Def: def, Handler: typed(d, def, func(ctx context.Context, in StateInput, _ map[string]json.RawMessage) (*mcp.CallToolResult, error) {
		if in.ListSessions {
			return listSessions(ctx, d), nil
		}
		res, err := d.b.State(ctx, in.SessionID)
		if err != nil {
			return d.fail(ctx, "state", err), nil
		}
		out := stateOutput(res)
		text := fmt.Sprintf("%s\n%d media file(s), %d edit(s), %d export job(s).", out.Summary, len(out.Media), len(out.History), len(out.Jobs))
		if len(out.Notes) > 0 {
			text = strings.Join(out.Notes, " ") + "\n" + text
		}
		if in.Waveform {
			pic, note := d.waveformContent(ctx, out.SessionID) // waveform.go
			text += "\n" + note
			if pic != nil {
				return result(text, out, pic), nil
			}
		}
		return result(text, out), nil
	})}
}

func stateOutput(res *backend.StateResult) StateOutput {
	out := StateOutput{
		SessionID: res.SessionID, Summary: res.Summary, Draft: rawJSON(res.Draft),
		Media: []FileInfo{}, History: []HistoryItem{},
		VideoInfos: rawJSON(res.VideoInfos), GeneratedMedia: rawJSON(res.GeneratedMedia), Notes: res.Notes,
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

// maxListedSessions bounds state's list of sessions.
const maxListedSessions = 20

// listSessions is state with list_sessions.
func listSessions(ctx context.Context, d *deps) *mcp.CallToolResult {
	lister, ok := d.b.(backend.SessionLister)
	if !ok {
		return mcp.NewToolResultError("this backend does not list sessions: call state without list_sessions")
	}
	ss, err := lister.ListSessions(ctx, maxListedSessions)
	if err != nil {
		return d.fail(ctx, "state", err)
	}
	out := StateOutput{Sessions: []SessionItem{}, Media: []FileInfo{}, History: []HistoryItem{}}
	lines := []string{fmt.Sprintf("%d recent session(s), most recently changed first; pass one as session_id to continue it:", len(ss))}
	for _, s := range ss {
		it := SessionItem{SessionID: s.SessionID, Files: nonNil(s.Files), Edits: s.Edits, LastEdit: timestamp(s.LastEdit), UpdatedAt: timestamp(s.UpdatedAt), Current: s.Current}
		out.Sessions = append(out.Sessions, it)
		line := fmt.Sprintf("- %s: %d file(s) (%s), %d edit(s), changed %s", it.SessionID, len(it.Files), strings.Join(it.Files, ", "), it.Edits, it.UpdatedAt)
		if it.Current {
			line += " (current)"
		}
		lines = append(lines, line)
	}
	return result(strings.Join(lines, "\n"), out)
}
