package nemo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// The current session belongs to the client session; new_session and
// "start a new project" start fresh ones; state can list them.
func TestSessionsPerClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := filepath.Join(t.TempDir(), "a.wav")
	if err := os.WriteFile(p, []byte("media bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := backend.WithClientSession(ctxT(t), "client-a")
	c := backend.WithClientSession(ctxT(t), "client-b")
	upA, err := e.b.Upload(a, backend.UploadRequest{Paths: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.b.State(c, "")
	e.note(err)
	if m := userMsg(t, err); !strings.Contains(m, "No session yet in this connection") {
		t.Fatalf("client b's state: %q", m)
	}
	if st, err := e.b.State(a, ""); err != nil || st.SessionID != upA.SessionID {
		t.Fatalf("client a's state: %+v %v", st, err)
	}
	upNew, err := e.b.Upload(a, backend.UploadRequest{Paths: []string{p}, NewSession: true})
	if err != nil || upNew.SessionID == upA.SessionID {
		t.Fatalf("new_session: %+v %v", upNew, err)
	}
	_, err = e.b.Upload(a, backend.UploadRequest{Paths: []string{p}, NewSession: true, SessionID: upA.SessionID})
	e.note(err)
	userMsg(t, err)
	res, err := e.b.Edit(a, editReq("", "start a new project"))
	if err != nil || res.Action != backend.ActionNewSession || res.SessionID == upNew.SessionID || !strings.Contains(res.Message, upNew.SessionID) {
		t.Fatalf("start a new project: %+v %v", res, err)
	}
	list, err := e.b.ListSessions(a, 10)
	if err != nil || len(list) != 3 || !list[0].Current || list[0].SessionID != res.SessionID {
		t.Fatalf("sessions: %+v %v", list, err)
	}
	e.b.EndClientSession("client-a")
	if _, err := e.b.State(a, ""); e.note(err) == nil {
		t.Fatal("a client that went away kept its current session")
	}
}
