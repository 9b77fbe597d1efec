package tools

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// rootsClient is a client's side of roots/list: the folders it offers,
// counted requests, and a mode where it never answers.
type rootsClient struct {
	mu      sync.Mutex
	folders []string
	asked   int
	mute    bool
}

func (r *rootsClient) set(folders ...string) {
	r.mu.Lock()
	r.folders = folders
	r.mu.Unlock()
}

func (r *rootsClient) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asked
}

func (r *rootsClient) ListRoots(ctx context.Context, _ mcp.ListRootsRequest) (*mcp.ListRootsResult, error) {
	r.mu.Lock()
	r.asked++
	mute, folders := r.mute, r.folders
	r.mu.Unlock()
	if mute {
		<-ctx.Done() // never answers: only the server's timeout ends this
		return nil, ctx.Err()
	}
	res := &mcp.ListRootsResult{Roots: []mcp.Root{}}
	for _, f := range folders {
		res.Roots = append(res.Roots, mcp.Root{URI: (&url.URL{Scheme: "file", Path: filepath.ToSlash(f)}).String(), Name: filepath.Base(f)})
	}
	return res, nil
}

// toneIn writes a 1 s tone at dir/name (dir made) and returns its path.
func toneIn(t *testing.T, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, testmedia.Rate)
	for i := range x {
		x[i] = 0.2 * float32(i%100) / 100
	}
	p := filepath.Join(dir, name)
	if err := testmedia.WriteWAV(p, x, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	return p
}

// newRootsEnv is a test server whose configured roots are its folder and
// the media folder (bound: as if the user set AUDIOEDIT_ROOTS), and a
// client offering rc's roots (none: a client without roots).
func newRootsEnv(t *testing.T, bound bool, rc *rootsClient) *testEnv {
	t.Helper()
	s, dir := newTestServerOpts(t, "", func(o *Options) { o.RootsBound, o.RootsTimeout = bound, 200*time.Millisecond })
	if rc == nil {
		return connect(t, s, dir, mcp.LATEST_PROTOCOL_VERSION)
	}
	return connect(t, s, dir, mcp.LATEST_PROTOCOL_VERSION, client.WithRootsHandler(rc))
}

func (e *testEnv) upload(path string) *mcp.CallToolResult {
	e.t.Helper()
	return e.call("upload", map[string]any{"paths": []string{path}, "new_session": true})
}

func wantOK(t *testing.T, res *mcp.CallToolResult) {
	t.Helper()
	if res.IsError {
		t.Fatalf("want success, got %s", text(res))
	}
}

// TestClientRoots: a client offering folder A (inside AUDIOEDIT_ROOTS)
// may use A only: a file of B, also inside AUDIOEDIT_ROOTS, is refused,
// and so is an export into B, each naming A; the export folder of the
// server stays usable.
func TestClientRoots(t *testing.T) {
	rc := &rootsClient{}
	e := newRootsEnv(t, true, rc)
	a, b := filepath.Join(e.dir, "A"), filepath.Join(e.dir, "B")
	inA, inB := toneIn(t, a, "a.wav"), toneIn(t, b, "b.wav")
	a = fsutil.ParseRoots(a)[0]
	rc.set(a)

	wantOK(t, e.upload(inA))
	wantError(t, e.upload(inB), inB, "is not under "+a+";", "client's roots")
	wantError(t, e.call("export", map[string]any{"output_path": filepath.Join(b, "out.wav"), "wait_seconds": 60}), "is not under "+a+";")
	if _, err := os.Stat(filepath.Join(b, "out.wav")); !os.IsNotExist(err) {
		t.Fatalf("refused export wrote a file: %v", err)
	}
	var job JobOutput
	decode(t, e.call("export", map[string]any{"output_path": filepath.Join(a, "out.wav"), "wait_seconds": 60}), &job)
	if job.Status != "completed" {
		t.Fatalf("export into A: %+v", job)
	}
	if rc.count() != 1 {
		t.Errorf("roots/list asked %d times, want once for all calls", rc.count())
	}
}

// TestClientRootsNarrowed: with AUDIOEDIT_ROOTS = the server's folder, a
// client offering A/sub and a folder C outside it gets A/sub only.
func TestClientRootsNarrowed(t *testing.T) {
	rc := &rootsClient{}
	e := newRootsEnv(t, true, rc)
	sub := filepath.Join(e.dir, "A", "sub")
	inSub, inA := toneIn(t, sub, "s.wav"), toneIn(t, filepath.Join(e.dir, "A"), "a.wav")
	c := t.TempDir() // outside the configured roots
	inC := toneIn(t, c, "c.wav")
	sub = fsutil.ParseRoots(sub)[0]
	rc.set(sub, c)

	wantOK(t, e.upload(inSub))
	for _, p := range []string{inA, inC} {
		res := e.upload(p)
		wantError(t, res, "is not under "+sub+";", "AUDIOEDIT_ROOTS")
	}
	// A client whose roots all lie outside AUDIOEDIT_ROOTS may use none.
	rc.set(c)
	if err := e.c.RootListChanges(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.upload(inSub), "no folder may be used", c, "all lie outside AUDIOEDIT_ROOTS")
	wantError(t, e.upload(inC), "no folder may be used")
}

// TestClientRootsUnbound: AUDIOEDIT_ROOTS not set: the client's roots are
// the folders, even outside the default ones.
func TestClientRootsUnbound(t *testing.T) {
	rc := &rootsClient{}
	e := newRootsEnv(t, false, rc)
	c := fsutil.ParseRoots(t.TempDir())[0]
	inC, inDir := toneIn(t, c, "c.wav"), toneIn(t, e.dir, "d.wav")
	rc.set(c)
	wantOK(t, e.upload(inC))
	wantError(t, e.upload(inDir), "is not under "+c+";", "client's roots")
	var job JobOutput
	decode(t, e.call("export", map[string]any{"output_path": filepath.Join(c, "out.wav"), "wait_seconds": 60}), &job)
	if st, err := os.Stat(filepath.Join(c, "out.wav")); job.Status != "completed" || err != nil || st.Size() < 40000 {
		t.Fatalf("export into the client's root: %+v %v", job, err)
	}
}

// TestClientRootsChanged: after notifications/roots/list_changed the next
// call uses the new roots.
func TestClientRootsChanged(t *testing.T) {
	rc := &rootsClient{}
	e := newRootsEnv(t, true, rc)
	a, b := filepath.Join(e.dir, "A"), filepath.Join(e.dir, "B")
	inA, inB := toneIn(t, a, "a.wav"), toneIn(t, b, "b.wav")
	rc.set(fsutil.ParseRoots(a)[0])
	wantOK(t, e.upload(inA))
	wantError(t, e.upload(inB), "client's roots")

	rc.set(fsutil.ParseRoots(b)[0])
	if err := e.c.RootListChanges(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantOK(t, e.upload(inB))
	wantError(t, e.upload(inA), "client's roots")
	if rc.count() != 2 {
		t.Errorf("roots/list asked %d times, want 2 (once, then after the change)", rc.count())
	}
}

// TestClientRootsNoAnswer: a client that declares roots but never answers
// roots/list gets the configured roots once the server's wait ends, and
// is not asked again on every call.
func TestClientRootsNoAnswer(t *testing.T) {
	rc := &rootsClient{mute: true}
	e := newRootsEnv(t, true, rc)
	in := toneIn(t, filepath.Join(e.dir, "B"), "b.wav")
	wantOK(t, e.upload(in))
	wantOK(t, e.upload(in))
	wantError(t, e.upload("/etc/hosts"), "AUDIOEDIT_ROOTS")
	if rc.count() != 1 {
		t.Errorf("roots/list asked %d times, want once", rc.count())
	}
}

// TestClientWithoutRoots: a client without the roots capability is never
// asked and keeps the configured roots.
func TestClientWithoutRoots(t *testing.T) {
	e := newRootsEnv(t, true, nil)
	in := toneIn(t, filepath.Join(e.dir, "B"), "b.wav")
	wantOK(t, e.upload(in))
	wantError(t, e.upload("/etc/hosts"), "add its folder to AUDIOEDIT_ROOTS")
}

// TestClientRootsHTTP: over streamable HTTP each MCP session has its own
// roots, and one client's list_changed re-asks that client only.
func TestClientRootsHTTP(t *testing.T) {
	s, dir := newTestServerOpts(t, "", func(o *Options) { o.RootsBound = true })
	hs := httptest.NewServer(server.NewStreamableHTTPServer(s))
	t.Cleanup(hs.Close) // after the clients' own cleanups close their streams
	a, b := filepath.Join(dir, "A"), filepath.Join(dir, "B")
	inA, inB := toneIn(t, a, "a.wav"), toneIn(t, b, "b.wav")
	ra, rb := &rootsClient{}, &rootsClient{}
	ra.set(fsutil.ParseRoots(a)[0])
	rb.set(fsutil.ParseRoots(b)[0])
	ea, eb := connectHTTP(t, hs.URL+"/mcp", ra), connectHTTP(t, hs.URL+"/mcp", rb)
	wantOK(t, ea.upload(inA))
	wantOK(t, eb.upload(inB))
	wantError(t, ea.upload(inB), "client's roots")
	wantError(t, eb.upload(inA), "client's roots")

	ra.set(fsutil.ParseRoots(b)[0])
	if err := ea.c.RootListChanges(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantOK(t, ea.upload(inB))
	wantError(t, eb.upload(inA), "client's roots")
	if ra.count() != 2 || rb.count() != 1 {
		t.Errorf("roots/list asked %d and %d times, want 2 (changed) and 1", ra.count(), rb.count())
	}
}

// connectHTTP is a real MCP client over streamable HTTP offering rc's roots.
func connectHTTP(t *testing.T, url string, rc *rootsClient) *testEnv {
	t.Helper()
	// Requests from the server (roots/list) travel on the GET stream.
	tr, err := transport.NewStreamableHTTP(url, transport.WithContinuousListening())
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithRootsHandler(rc))
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = "2025-11-25"
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &testEnv{t: t, c: c}
}
