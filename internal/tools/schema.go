package tools

import (
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

// schemas sets a tool's input and output schemas from the Go types In and
// Out (mcp.WithInputSchema and mcp.WithOutputSchema), then tidies them for
// clients: a nullable slice or map (["null","array"]) becomes its plain
// type, since every handler sends arrays non-nil or omits them, and the
// input's property order follows In's fields.
func schemas[In, Out any]() mcp.ToolOption {
	return func(t *mcp.Tool) {
		mcp.WithInputSchema[In]()(t)
		mcp.WithOutputSchema[Out]()(t)

		var in mcp.ToolInputSchema
		if err := json.Unmarshal(t.RawInputSchema, &in); err != nil {
			panic(fmt.Sprintf("tools: input schema of %s: %v", t.Name, err))
		}
		t.RawInputSchema = nil
		tidy(in.Properties)
		if in.Properties == nil {
			in.Properties = map[string]any{}
		}
		if len(in.Required) == 0 {
			in.Required = nil
		}
		t.InputSchema = in

		tidy(t.OutputSchema.Properties)
		if t.OutputSchema.Properties == nil {
			t.OutputSchema.Properties = map[string]any{}
		}
	}
}

// tidy rewrites, in place, every "type": ["null", X] under v to "type": X.
func tidy(v any) {
	switch v := v.(type) {
	case map[string]any:
		if ts, ok := v["type"].([]any); ok && len(ts) == 2 {
			switch {
			case ts[0] == "null":
				v["type"] = ts[1]
			case ts[1] == "null":
				v["type"] = ts[0]
			}
		}
		for _, sub := range v {
			tidy(sub)
		}
	case []any:
		for _, sub := range v {
			tidy(sub)
		}
	}
}
