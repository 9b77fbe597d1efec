package tools

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

// CreditsInput is the credits tool's input: none.
type CreditsInput struct{}

// CreditsOutput is the credits tool's output; total = available + frozen.
type CreditsOutput struct {
	Available int64  `json:"available" jsonschema:"Credits that can be spent now."`
	Frozen    int64  `json:"frozen" jsonschema:"Credits held by running work."`
	Total     int64  `json:"total" jsonschema:"available + frozen."`
	Unlimited bool   `json:"unlimited" jsonschema:"True when editing costs nothing (the local backend)."`
	Note      string `json:"note,omitempty" jsonschema:"What the balance means, or how to top up."`
}

func credits(d *deps) Tool {
	def := mcp.NewTool("credits",
		mcp.WithDescription("Show the account's credit balance (available, frozen, total). The local backend is unlimited."),
		schemas[CreditsInput, CreditsOutput](),
		annotations("Credits", d.caps.Credits),
	)
	return Tool{Def: def, Handler: typed(d, def, func(ctx context.Context, _ CreditsInput, _ map[string]json.RawMessage) (*mcp.CallToolResult, error) {
		res, err := d.b.Credits(ctx)
		if err != nil {
			return d.fail(ctx, "credits", err), nil
		}
		out := CreditsOutput{Available: res.Available, Frozen: res.Frozen, Total: res.Total, Unlimited: res.Unlimited, Note: res.Note}
		text := fmt.Sprintf("Credits: %d available, %d frozen, %d total.", out.Available, out.Frozen, out.Total)
		if out.Unlimited {
			text = "Credits: unlimited."
		}
		if out.Note != "" {
			text += " " + out.Note
		}
		return result(text, out), nil
	})}
}
