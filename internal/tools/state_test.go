package tools

import (
	"strings"
	"testing"
)

func TestStateErrors(t *testing.T) {
	e := newTestEnv(t)
	wantError(t, e.call("state", map[string]any{"session_id": "no-such-session"}))
	e.alive()
}

// TestState is covered in the workflow (export_test.go); this checks a
// fresh upload's state.
func TestState(t *testing.T) {
	e := newTestEnv(t)
	var up UploadOutput
	decode(t, e.call("upload", map[string]any{"paths": []string{noisyWAV(t)}}), &up)
	res := e.call("state", nil)
	var st StateOutput
	decode(t, res, &st)
	if st.SessionID != up.SessionID || len(st.Media) != 1 || len(st.History) != 0 {
		t.Errorf("state = %+v", st)
	}
	if !strings.Contains(text(res), st.Summary) || st.Summary == "" {
		t.Errorf("text %q lacks the summary %q", text(res), st.Summary)
	}
}
