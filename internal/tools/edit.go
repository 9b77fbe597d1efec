package tools

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// EditInput is the edit tool's input.
type EditInput struct {
	Instruction string `json:"instruction" jsonschema:"What to change, in plain language: e.g. remove background noise, trim silence, normalize to -16 LUFS, sync audio to video, undo."`
	SessionID   string `json:"session_id,omitempty" jsonschema:"Session to edit. Omit to use the current session."`
}

// EditOutput is the edit tool's output.
type EditOutput struct {
	SessionID string   `json:"session_id" jsonschema:"Session edited."`
	Action    string   `json:"action" jsonschema:"Where the instruction was routed: edit, export, credits, state or upload."`
	Applied   []string `json:"applied,omitempty" jsonschema:"Operations applied, one line each."`
	Message   string   `json:"message" jsonschema:"What was done, or why nothing was, for the user."`
	Changes   []string `json:"changes,omitempty" jsonschema:"What changed on the timeline."`
	Summary   string   `json:"summary,omitempty" jsonschema:"Timeline summary after the edit."`
	ToolCalls int      `json:"tool_calls,omitempty" jsonschema:"Internal tool calls the cloud agent made."`
	Notes     []string `json:"notes,omitempty" jsonschema:"Caveats: a fallback taken, a timeline lost."`
}

func edit(d *deps) Tool {
	def := mcp.NewTool("edit",
		mcp.WithDescription("Apply a plain-language edit to the session's timeline: remove background noise, trim silence, "+
			"normalize loudness, sync audio to video, cut, fade, undo. Source files are never modified. "+
			"Be specific; one request per call. Then check with state and render with export."),
		schemas[EditInput, EditOutput](),
		annotations("Edit timeline", d.caps.Edit),
	)
	return Tool{Def: def, Handler: typed(d, def, func(ctx context.Context, in EditInput, _ map[string]json.RawMessage) (*mcp.CallToolResult, error) {
		if strings.TrimSpace(in.Instruction) == "" {
			return mcp.NewToolResultError(`The instruction is empty: write what to change, e.g. "remove background noise, trim silence and normalize to -16 LUFS".`), nil
		}
		res, err := d.b.Edit(ctx, backend.EditRequest{SessionID: in.SessionID, Instruction: in.Instruction})
		if err != nil {
			return d.fail(ctx, "edit", err), nil
		}
		out := EditOutput{
			SessionID: res.SessionID, Action: res.Action, Applied: res.Applied, Message: res.Message,
			Changes: res.Changes, Summary: res.Summary, ToolCalls: res.ToolCalls, Notes: res.Notes,
		}
		text := out.Message
		if out.Summary != "" {
			text += "\n" + out.Summary
		}
		if text == "" {
			text = "Edit done."
		}
		return result(text, out), nil
	})}
}
