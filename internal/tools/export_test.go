package tools

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestWorkflow runs the agent's workflow through a real client and server
// and the real local backend: upload a noisy recording, edit it, read the
// state, export to mp3 and mp4 with progress, follow a job.
func TestWorkflow(t *testing.T) {
	e := newTestEnv(t)

	var up UploadOutput
	decode(t, e.call("upload", map[string]any{"paths": []string{noisyWAV(t)}}), &up)

	res := e.call("edit", map[string]any{"instruction": "remove background noise, trim silence and normalize to -16 LUFS"})
	var ed EditOutput
	decode(t, res, &ed)
	if ed.SessionID != up.SessionID || ed.Action != "edit" || len(ed.Applied) == 0 {
		t.Fatalf("edit = %+v", ed)
	}
	t.Logf("edit: %s", text(res))

	res = e.call("state", map[string]any{"session_id": up.SessionID})
	var st StateOutput
	decode(t, res, &st)
	if !strings.HasPrefix(st.Summary, "Timeline") || !strings.Contains(text(res), st.Summary) {
		t.Errorf("state summary = %q, text %q", st.Summary, text(res))
	}
	if len(st.History) != 1 || st.History[0].Instruction == "" || st.Draft == nil {
		t.Errorf("state = %+v", st)
	}

	for _, tc := range []struct{ format, mime string }{{"mp3", "audio/mpeg"}, {"mp4", "video/mp4"}} {
		t.Run(tc.format, func(t *testing.T) {
			res, before, after := e.callProgress("export", map[string]any{"format": tc.format}, "export-"+tc.format)
			job := completed(t, res)
			t.Logf("export %s: progress notifications: %d before the result, %d after; %s", tc.format, before, after, text(res))
			if before == 0 || after != 0 {
				t.Errorf("progress: %d before the result, %d after; want some before and none after", before, after)
			}
			if filepath.Ext(job.Path) != "."+tc.format {
				t.Errorf("path = %s", job.Path)
			}
			link := resourceLink(t, res)
			u, err := url.Parse(link.URI)
			if err != nil || u.Scheme != "file" || u.Path != filepath.ToSlash(job.Path) || link.MIMEType != tc.mime {
				t.Errorf("resource link = %+v", link)
			}
			if lufs, ok := job.Report["loudness_lufs"]; ok && (lufs < -18 || lufs > -14) {
				t.Errorf("loudness %.1f LUFS, want about -16", lufs)
			}
		})
	}

	// A long export: wait 0 s returns the running job, export_status follows it.
	res = e.call("export", map[string]any{"format": "wav", "wait_seconds": 0, "output_path": filepath.Join(e.dir, "clean.wav")})
	var job JobOutput
	decode(t, res, &job)
	if job.JobID == "" {
		t.Fatalf("export = %+v", job)
	}
	if !job.done() && !strings.Contains(text(res), "export_status") {
		t.Errorf("running export text %q does not mention export_status", text(res))
	}
	for i := 0; !job.done() && i < 10; i++ {
		decode(t, e.call("export_status", map[string]any{"job_id": job.JobID, "wait_seconds": 10}), &job)
	}
	if job.Status != "completed" || job.Path != filepath.Join(e.dir, "clean.wav") {
		t.Fatalf("job = %+v", job)
	}
	// Following a finished job is idempotent.
	again := completed(t, e.call("export_status", map[string]any{"job_id": job.JobID}))
	if again.Path != job.Path {
		t.Errorf("export_status again = %+v", again)
	}
}

func (j JobOutput) done() bool {
	return j.Status == "completed" || j.Status == "failed" || j.Status == "cancelled"
}

// completed decodes a completed job and checks its file.
func completed(t *testing.T, res *mcp.CallToolResult) JobOutput {
	t.Helper()
	var job JobOutput
	decode(t, res, &job)
	if job.Status != "completed" {
		t.Fatalf("job = %+v", job)
	}
	fi, err := os.Stat(job.Path)
	if err != nil || fi.Size() == 0 || job.SizeBytes != fi.Size() {
		t.Errorf("output %s: %v (size %d, reported %d)", job.Path, err, sizeOf(fi), job.SizeBytes)
	}
	return job
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}

func resourceLink(t *testing.T, res *mcp.CallToolResult) mcp.ResourceLink {
	t.Helper()
	for _, c := range res.Content {
		b, _ := json.Marshal(c)
		var l mcp.ResourceLink
		if json.Unmarshal(b, &l) == nil && l.Type == "resource_link" {
			return l
		}
	}
	t.Fatalf("no resource link in %s", text(res))
	return mcp.ResourceLink{}
}

func TestExportErrors(t *testing.T) {
	e := newTestEnv(t)
	// Nothing uploaded yet.
	wantError(t, e.call("export", map[string]any{"wait_seconds": 0}))
	e.alive()

	var up UploadOutput
	decode(t, e.call("upload", map[string]any{"paths": []string{noisyWAV(t)}}), &up)
	wantError(t, e.call("export", map[string]any{"output_path": "/etc/out.mp3"}), "AUDIOEDIT_ROOTS")
	e.alive()
	wantError(t, e.call("export", map[string]any{"format": "exe"}))
	e.alive()
}

func TestWaitFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		seconds int
		raw     map[string]json.RawMessage
		want    time.Duration
	}{
		{0, nil, DefaultWaitSeconds * time.Second},
		{0, map[string]json.RawMessage{"wait_seconds": json.RawMessage("0")}, 0},
		{10, map[string]json.RawMessage{"wait_seconds": json.RawMessage("10")}, 10 * time.Second},
		{600, map[string]json.RawMessage{"wait_seconds": json.RawMessage("600")}, MaxWaitSeconds * time.Second},
		{-5, map[string]json.RawMessage{"wait_seconds": json.RawMessage("-5")}, 0},
	}
	for _, tt := range tests {
		if got := waitFor(tt.seconds, tt.raw); got != tt.want {
			t.Errorf("waitFor(%d, %v) = %v, want %v", tt.seconds, tt.raw, got, tt.want)
		}
	}
}

func TestFileURIAndMime(t *testing.T) {
	t.Parallel()
	if got := fileURI("/tmp/a b/c.mp4"); got != "file:///tmp/a%20b/c.mp4" {
		t.Errorf("fileURI = %s", got)
	}
	for name, want := range map[string]string{"x.MP3": "audio/mpeg", "x.m4a": "audio/mp4", "x.mov": "video/quicktime", "x": "application/octet-stream"} {
		if got := mimeType(name, ""); got != want {
			t.Errorf("mimeType(%s) = %s, want %s", name, got, want)
		}
	}
	if got := humanBytes(1234567); got != "1.2 MB" {
		t.Errorf("humanBytes = %s", got)
	}
}
