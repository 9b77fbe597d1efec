package tools

import (
	"testing"
)

func TestEditErrors(t *testing.T) {
	e := newTestEnv(t)
	var up UploadOutput
	decode(t, e.call("upload", map[string]any{"paths": []string{noisyWAV(t)}}), &up)

	for _, instr := range []string{"", "   "} {
		wantError(t, e.call("edit", map[string]any{"instruction": instr}), "remove background noise")
		e.alive()
	}
	wantError(t, e.call("edit", map[string]any{}))
	e.alive()
	wantError(t, e.call("edit", map[string]any{"instruction": "trim silence", "session_id": "no-such-session"}))
	e.alive()
}
