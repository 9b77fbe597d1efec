package tools

import (
	"testing"
)

func TestExportStatusErrors(t *testing.T) {
	e := newTestEnv(t)
	wantError(t, e.call("export_status", map[string]any{"job_id": "no-such-job", "wait_seconds": 0}))
	e.alive()
	wantError(t, e.call("export_status", map[string]any{"job_id": " "}), "job_id")
	e.alive()
	wantError(t, e.call("export_status", map[string]any{}))
	e.alive()
}
