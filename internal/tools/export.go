package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// Export waits: clients time a call out at about 60 s, so a call waits at
// most MaxWaitSeconds and a job still running is followed with
// export_status.
const (
	// DefaultWaitSeconds is how long export and export_status wait when
	// wait_seconds is absent.
	DefaultWaitSeconds = 45
	// MaxWaitSeconds is the longest wait a call accepts.
	MaxWaitSeconds = 50
)

// ExportInput is the export tool's input.
type ExportInput struct {
	SessionID   string `json:"session_id,omitempty" jsonschema:"Session to render. Omit to use the current session."`
	Format      string `json:"format,omitempty" jsonschema:"Output format, default mp4. Audio only: mp3 wav m4a aac.,enum=mp4,enum=mov,enum=mkv,enum=webm,enum=mp3,enum=wav,enum=m4a,enum=aac"`
	Quality     string `json:"quality,omitempty" jsonschema:"Encoding quality, default high.,enum=high,enum=medium,enum=low"`
	Resolution  string `json:"resolution,omitempty" jsonschema:"Video size: 1080p (default; a vertical video stays vertical, 1080x1920), 720p, 480p, 1440p, 4k, an aspect ratio reframed by centre crop: 9:16 (1080x1920), 1:1 (1080x1080), 4:5 (1080x1350), 16:9 (1920x1080); vertical, square, or WIDTHxHEIGHT such as 1080x1920."`
	OutputPath  string `json:"output_path,omitempty" jsonschema:"Absolute path of the file to write, or of a folder to write a new numbered file into. Omit to write into the server's output folder."`
	Overwrite   bool   `json:"overwrite,omitempty" jsonschema:"Replace an existing file at output_path. Default false: an existing file is never replaced."`
	File        string `json:"file,omitempty" jsonschema:"Render one media file of the session (id or name) instead of the whole timeline."`
	WaitSeconds int    `json:"wait_seconds,omitempty" jsonschema:"Seconds to wait for the render, 0-50, default 45. A job still running returns its job_id for export_status."`
}

// JobOutput is an export job, the output of export and export_status.
type JobOutput struct {
	JobID         string             `json:"job_id" jsonschema:"Job id, for export_status."`
	SessionID     string             `json:"session_id,omitempty" jsonschema:"Session rendered."`
	Status        string             `json:"status" jsonschema:"queued, running, completed, failed or cancelled."`
	QueuePosition int                `json:"queue_position,omitempty" jsonschema:"While queued: place in the render queue (1 = next)."`
	Progress      float64            `json:"progress" jsonschema:"Percent done, 0-100."`
	Format        string             `json:"format,omitempty" jsonschema:"Output format."`
	Path          string             `json:"path,omitempty" jsonschema:"Path of the finished file."`
	DurationS     float64            `json:"duration_s,omitempty" jsonschema:"Duration of the output in seconds."`
	SizeBytes     int64              `json:"size_bytes,omitempty" jsonschema:"Size of the output in bytes."`
	URL           string             `json:"url,omitempty" jsonschema:"Download URL (cloud backend)."`
	Link          string             `json:"link,omitempty" jsonschema:"Link that opens the session in a browser (cloud backend)."`
	Report        map[string]float64 `json:"report,omitempty" jsonschema:"Measured figures of the output: loudness (LUFS), true peak (dBTP), noise floor..."`
	Notes         []string           `json:"notes,omitempty" jsonschema:"Caveats about the render."`
	Message       string             `json:"message,omitempty" jsonschema:"Status message."`
	Error         string             `json:"error,omitempty" jsonschema:"Why the job failed."`
}

func export(d *deps) Tool {
	def := mcp.NewTool("export",
		mcp.WithDescription("Render the session's timeline to a file: mp4 by default (1080p), or mov mkv webm, or audio only mp3 wav m4a aac. "+
			"Waits up to wait_seconds (default 45); a render still running returns a job_id: call export_status with it until completed. "+
			"The result gives the file path and a resource link."),
		schemas[ExportInput, JobOutput](),
		annotations("Export", d.caps.Export),
		mcp.WithTaskSupport(mcp.TaskSupportOptional), // tasks.go
	)
	return Tool{Def: def, Handler: typed(d, def, func(ctx context.Context, in ExportInput, raw map[string]json.RawMessage) (res *mcp.CallToolResult, _ error) {
		if inTask(ctx) { // a task runs to the end, detached from its request: tasks.go
			tctx, release := exportTasks.claim(ctx)
			defer func() { release(res) }()
			ctx = tctx
		}
		req := backend.ExportRequest{
			SessionID: in.SessionID, Format: strings.ToLower(in.Format), Quality: strings.ToLower(in.Quality),
			Resolution: in.Resolution, File: in.File, Wait: waitFor(in.WaitSeconds, raw), Overwrite: in.Overwrite,
		}
		if in.OutputPath != "" {
			abs, bad := d.checkPath(ctx, in.OutputPath)
			if bad != nil {
				return bad, nil
			}
			req.OutputPath = abs
		}
		if inTask(ctx) {
			req.Wait = 0
		}
		job, err := d.b.Export(ctx, req)
		if err == nil && inTask(ctx) {
			job, err = d.followJob(ctx, job)
		}
		if err != nil {
			return d.fail(ctx, "export", err), nil
		}
		return jobResult(job), nil
	})}
}

// waitFor is the wait a call asked for: wait_seconds clamped to
// 0..MaxWaitSeconds, DefaultWaitSeconds when absent.
func waitFor(seconds int, raw map[string]json.RawMessage) time.Duration {
	if _, ok := raw["wait_seconds"]; !ok {
		seconds = DefaultWaitSeconds
	}
	seconds = min(max(seconds, 0), MaxWaitSeconds)
	return time.Duration(seconds) * time.Second
}

// jobOutput converts a backend.Job.
func jobOutput(j *backend.Job) JobOutput {
	return JobOutput{
		JobID: j.ID, SessionID: j.SessionID, Status: j.Status, QueuePosition: j.QueuePosition, Progress: j.Progress, Format: j.Format,
		Path: j.Path, DurationS: j.DurationS, SizeBytes: j.SizeBytes, URL: j.URL, Link: j.Link,
		Report: j.Report, Notes: j.Notes, Message: j.Message, Error: j.Error,
	}
}

// jobResult is the tool result for a job: a running job says to call
// export_status; a completed one carries a resource link to the file; a
// failed or cancelled one is an error result that still carries the job.
func jobResult(j *backend.Job) *mcp.CallToolResult {
	out := jobOutput(j)
	switch out.Status {
	case backend.JobCompleted:
		var text string
		var links []mcp.Content
		switch {
		case out.Path != "":
			text = fmt.Sprintf("Export completed: %s (%s, %.1f s, %s).", out.Path, out.Format, out.DurationS, humanBytes(out.SizeBytes))
			links = append(links, mcp.NewResourceLink(fileURI(out.Path), filepath.Base(out.Path), "Exported "+out.Format, mimeType(out.Path, out.Format)))
		case out.URL != "":
			text = fmt.Sprintf("Export completed: download it from %s.", out.URL)
			links = append(links, mcp.NewResourceLink(out.URL, "export."+out.Format, "Exported "+out.Format, mimeType(out.URL, out.Format)))
		default:
			text = "Export completed."
		}
		if lufs, ok := out.Report["loudness_lufs"]; ok {
			text += fmt.Sprintf(" Loudness %.1f LUFS.", lufs)
		}
		if len(out.Notes) > 0 {
			text += " Note: " + strings.Join(out.Notes, " ")
		}
		return result(text, out, links...)
	case backend.JobFailed, backend.JobCancelled:
		reason := out.Error
		if reason == "" {
			reason = out.Message
		}
		text := fmt.Sprintf("Export %s %s", out.JobID, out.Status)
		if reason != "" {
			text += ": " + reason
		}
		text += ". Check the session with state, then call export again."
		res := result(text, out)
		res.IsError = true
		return res
	default:
		state := fmt.Sprintf("%s (%.0f%%)", out.Status, out.Progress)
		if out.Status == backend.JobQueued && out.QueuePosition > 0 {
			state = fmt.Sprintf("queued, number %d in line for a render slot", out.QueuePosition)
		}
		text := fmt.Sprintf("Export %s is still %s and runs in the background. Call export_status with job_id %q to wait for it.", out.JobID, state, out.JobID)
		return result(text, out)
	}
}

// fileURI is the file:// URI of an absolute path.
func fileURI(p string) string {
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: C:/x -> /C:/x
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// mimeTypes maps output formats to MIME types.
var mimeTypes = map[string]string{
	"mp4": "video/mp4", "mov": "video/quicktime", "mkv": "video/x-matroska", "webm": "video/webm",
	"mp3": "audio/mpeg", "wav": "audio/wav", "m4a": "audio/mp4", "aac": "audio/aac",
}

// mimeType is the MIME type of a file by its extension, else by format.
func mimeType(name, format string) string {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
	if m, ok := mimeTypes[ext]; ok {
		return m
	}
	if m, ok := mimeTypes[strings.ToLower(format)]; ok {
		return m
	}
	return "application/octet-stream"
}

// humanBytes formats n as B, KB, MB or GB (powers of 1000).
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), 0
	for f >= unit && i < 3 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", f, []string{"B", "KB", "MB", "GB"}[i])
}
