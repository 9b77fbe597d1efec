package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpload(t *testing.T) {
	e := newTestEnv(t)
	wav := noisyWAV(t)

	var out UploadOutput
	decode(t, e.call("upload", map[string]any{"paths": []string{wav}}), &out)
	if out.SessionID == "" || len(out.Files) != 1 {
		t.Fatalf("upload = %+v", out)
	}
	f := out.Files[0]
	if f.Kind != "audio" || f.DurationS < 5 || f.SampleRate != 48000 || f.Channels != 1 || f.ID == "" {
		t.Errorf("file = %+v", f)
	}

	// A second upload to the same session adds to it.
	var again UploadOutput
	decode(t, e.call("upload", map[string]any{"paths": []string{wav}, "session_id": out.SessionID}), &again)
	if again.SessionID != out.SessionID {
		t.Errorf("session = %s, want %s", again.SessionID, out.SessionID)
	}

	// A lone string where a list is due is taken as a list of one.
	var one UploadOutput
	decode(t, e.call("upload", map[string]any{"paths": wav}), &one)
	if len(one.Files) != 1 {
		t.Errorf("upload with a string path = %+v", one)
	}
}

func TestUploadErrors(t *testing.T) {
	e := newTestEnv(t)
	corrupt := filepath.Join(e.dir, "corrupt.wav")
	if err := os.WriteFile(corrupt, []byte("RIFF\x00\x00this is not audio at all"+strings.Repeat("x", 4000)), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := "/etc/hosts"
	if r := filepath.VolumeName(os.TempDir()); r != "" {
		outside = r + `\Windows\win.ini`
	}
	tests := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"outside roots", map[string]any{"paths": []string{outside}}, []string{"AUDIOEDIT_ROOTS"}},
		{"nothing", map[string]any{}, []string{"paths"}},
		{"corrupt file", map[string]any{"paths": []string{corrupt}}, nil},
		{"missing file", map[string]any{"paths": []string{filepath.Join(e.dir, "nope.wav")}}, nil},
		{"not a url", map[string]any{"urls": []string{"file:///etc/passwd"}}, []string{"http"}},
		{"unknown argument", map[string]any{"path": "/x"}, []string{`Unknown argument "path"`, "paths"}},
		{"wrong type", map[string]any{"paths": []any{1}}, []string{"array of strings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.call("upload", tt.args)
			wantError(t, res, tt.want...)
			if strings.Contains(text(res), "internal error") {
				t.Errorf("a fixable error was reported as internal: %s", text(res))
			}
			e.alive()
		})
	}
}
