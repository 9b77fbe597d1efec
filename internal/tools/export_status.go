package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// ExportStatusInput is the export_status tool's input.
type ExportStatusInput struct {
	JobID       string `json:"job_id" jsonschema:"Job id returned by export."`
	WaitSeconds int    `json:"wait_seconds,omitempty" jsonschema:"Seconds to wait for the job to finish, 0-50, default 45."`
	Cancel      bool   `json:"cancel,omitempty" jsonschema:"Stop the render (its partial file is removed) and return the cancelled job. Cancelling this call itself never stops the render."`
}

func exportStatus(d *deps) Tool {
	def := mcp.NewTool("export_status",
		mcp.WithDescription("Follow an export job started by export: waits up to wait_seconds (default 45) for it to finish and returns its status, "+
			"and when completed the file path and a resource link. Call again while the status is queued or running. cancel: true stops the render."),
		schemas[ExportStatusInput, JobOutput](),
		annotations("Export status", d.caps.ExportStatus),
	)
	return Tool{Def: def, Handler: typed(d, def, func(ctx context.Context, in ExportStatusInput, raw map[string]json.RawMessage) (*mcp.CallToolResult, error) {
		if strings.TrimSpace(in.JobID) == "" {
			return mcp.NewToolResultError(`Give the job_id that export returned, e.g. {"job_id": "..."}; call state to list a session's export jobs.`), nil
		}
		if in.Cancel {
			c, ok := d.b.(backend.JobCanceller)
			if !ok {
				return mcp.NewToolResultError("this backend cannot cancel a render: follow it with export_status without cancel"), nil
			}
			job, err := d.b.ExportStatus(ctx, in.JobID, 0)
			if err == nil && !job.Done() {
				job, err = c.CancelJob(ctx, in.JobID)
				if err == nil && job.Status == backend.JobCancelled {
					return result(fmt.Sprintf("Cancelled export %s: the render is stopped and nothing was written. Call export to render again.", job.ID), jobOutput(job)), nil
				}
			}
			if err != nil {
				return d.fail(ctx, "export_status", err), nil
			}
			// It ended before the cancel came: say so first.
			res := jobResult(job)
			res.Content[0] = mcp.NewTextContent(fmt.Sprintf("Export %s had already ended (%s), so nothing was cancelled. ", job.ID, job.Status) + text0(res))
			return res, nil
		}
		job, err := d.b.ExportStatus(ctx, in.JobID, waitFor(in.WaitSeconds, raw))
		if err != nil {
			return d.fail(ctx, "export_status", err), nil
		}
		return jobResult(job), nil
	})}
}

// text0 is the first text of a result.
func text0(res *mcp.CallToolResult) string {
	if len(res.Content) > 0 {
		if t, ok := res.Content[0].(mcp.TextContent); ok {
			return t.Text
		}
	}
	return ""
}
