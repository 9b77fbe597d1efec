package tools

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// ExportStatusInput is the export_status tool's input.
type ExportStatusInput struct {
	JobID       string `json:"job_id" jsonschema:"Job id returned by export."`
	WaitSeconds int    `json:"wait_seconds,omitempty" jsonschema:"Seconds to wait for the job to finish, 0-50, default 45."`
}

func exportStatus(d *deps) Tool {
	def := mcp.NewTool("export_status",
		mcp.WithDescription("Follow an export job started by export: waits up to wait_seconds (default 45) for it to finish and returns its status, "+
			"and when completed the file path and a resource link. Call again while the status is running."),
		schemas[ExportStatusInput, JobOutput](),
		annotations("Export status", true, false, true, false),
	)
	return Tool{Def: def, Handler: typed(d, def, func(ctx context.Context, in ExportStatusInput, raw map[string]json.RawMessage) (*mcp.CallToolResult, error) {
		if strings.TrimSpace(in.JobID) == "" {
			return mcp.NewToolResultError(`Give the job_id that export returned, e.g. {"job_id": "..."}; call state to list a session's export jobs.`), nil
		}
		job, err := d.b.ExportStatus(ctx, in.JobID, waitFor(in.WaitSeconds, raw))
		if err != nil {
			return d.fail(ctx, "export_status", err), nil
		}
		return jobResult(job), nil
	})}
}
