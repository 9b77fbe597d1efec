package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
)

// TestClientScope: a client's scope in the context (its MCP roots) is
// what upload, instructions, export and the render itself are checked
// against, narrower or wider than the configured roots; the output folder
// stays usable.
func TestClientScope(t *testing.T) {
	a := fsutil.ParseRoots(t.TempDir())[0] // the configured root
	other := fsutil.ParseRoots(t.TempDir())[0]
	b, _ := newBackend(t, func(o *Options) { o.Roots = fsutil.Roots{a} })
	sub := filepath.Join(a, "sub")
	os.MkdirAll(sub, 0o755)
	inA, inSub, inOther := filepath.Join(a, "a.wav"), filepath.Join(sub, "s.wav"), filepath.Join(other, "o.wav")
	for _, p := range []string{inA, inSub, inOther} {
		tone(t, p)
	}
	const fix = "add its folder to the client's roots"
	narrow := fsutil.WithScope(context.Background(), fsutil.Scope{Roots: fsutil.Roots{sub}, Fix: fix})
	wide := fsutil.WithScope(context.Background(), fsutil.Scope{Roots: fsutil.Roots{other}})

	// Narrower: a file of the configured root outside the scope is refused,
	// naming the scope's folder and its advice.
	_, err := b.Upload(narrow, backend.UploadRequest{Paths: []string{inA}})
	if msg := userMsg(t, err); !strings.Contains(msg, sub) || !strings.Contains(msg, fix) {
		t.Fatalf("upload outside the scope: %s", msg)
	}
	res, err := b.Upload(narrow, backend.UploadRequest{Paths: []string{inSub}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Edit(narrow, backend.EditRequest{SessionID: res.SessionID, Instruction: "add " + inA + " as background music"})
	if msg := userMsg(t, err); !strings.Contains(msg, sub) {
		t.Fatalf("music outside the scope: %s", msg)
	}
	_, err = b.Export(narrow, backend.ExportRequest{SessionID: res.SessionID, Format: "wav", OutputPath: filepath.Join(a, "out.wav"), Wait: 1 << 40})
	if msg := userMsg(t, err); !strings.Contains(msg, sub) || !strings.Contains(msg, fix) {
		t.Fatalf("export outside the scope: %s", msg)
	}
	if _, err := os.Stat(filepath.Join(a, "out.wav")); !os.IsNotExist(err) {
		t.Fatalf("refused export wrote its file: %v", err)
	}
	j, err := b.Export(narrow, backend.ExportRequest{SessionID: res.SessionID, Format: "wav", Wait: 1 << 40})
	if err != nil || j.Status != backend.JobCompleted {
		t.Fatalf("export to the output folder under a scope: %+v %v", j, err)
	}

	// Wider: a folder outside the configured roots, offered by the client,
	// is read (upload and render) and written.
	if _, err := b.Upload(context.Background(), backend.UploadRequest{Paths: []string{inOther}}); err == nil {
		t.Fatal("without a scope a file outside the configured roots was accepted")
	}
	res, err = b.Upload(wide, backend.UploadRequest{Paths: []string{inOther}, NewSession: true})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(other, "out.wav")
	j, err = b.Export(wide, backend.ExportRequest{SessionID: res.SessionID, Format: "wav", OutputPath: out, Wait: 1 << 40})
	if err != nil || j.Status != backend.JobCompleted {
		t.Fatalf("export inside a wide scope: %+v %v", j, err)
	}
	if st, err := os.Stat(out); err != nil || st.Size() < 40000 {
		t.Fatalf("export in the scope: %v %v", st, err)
	}

	// The render opens its inputs through the caller's scope: once the
	// client's roots no longer hold the input, the render is refused.
	j, err = b.Export(narrow, backend.ExportRequest{SessionID: res.SessionID, Format: "wav", Wait: 1 << 40})
	if err == nil && j.Status == backend.JobCompleted {
		t.Fatalf("render read %s outside the caller's roots", inOther)
	}
	if got := j.Error; err == nil && (!strings.Contains(got, inOther) || !strings.Contains(got, fix)) {
		t.Fatalf("render refusal: %q", got)
	}
}
