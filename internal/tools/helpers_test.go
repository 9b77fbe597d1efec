package tools

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap/zaptest"

	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/local"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// testEnv is a real MCP client talking in-process to a real server with
// the real local backend; its roots are a temp folder and the shared
// media folder.
type testEnv struct {
	t   *testing.T
	c   *client.Client
	dir string // a root the test may write to

	mu    sync.Mutex
	notes []mcp.JSONRPCNotification
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvWith(t, mcp.LATEST_PROTOCOL_VERSION, "")
}

// newTestEnvProtocol is newTestEnv with a client speaking version.
func newTestEnvProtocol(t *testing.T, version string) *testEnv {
	t.Helper()
	return newTestEnvWith(t, version, "")
}

// newTestEnvData is newTestEnv with the database in data.
func newTestEnvData(t *testing.T, data string) *testEnv {
	t.Helper()
	return newTestEnvWith(t, mcp.LATEST_PROTOCOL_VERSION, data)
}

// newTestEnvWith is newTestEnv with a client speaking version and the
// database in data ("" means a folder of the test's own).
func newTestEnvWith(t *testing.T, version, data string) *testEnv {
	t.Helper()
	s, dir := newTestServerData(t, data)
	return connect(t, s, dir, version)
}

// connect is a real MCP client, in-process, with opts, speaking version
// to s, whose writable root is dir.
func connect(t *testing.T, s *server.MCPServer, dir, version string, opts ...client.ClientOption) *testEnv {
	t.Helper()
	c, err := client.NewInProcessClientWithOptions(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, c: c, dir: dir}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		e.mu.Lock()
		e.notes = append(e.notes, n)
		e.mu.Unlock()
	})
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = version
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-test", Version: "0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return e
}

// newTestServer is a real MCP server on the real local backend, with a
// temp folder as data, output and root (beside the shared media folder).
func newTestServer(t *testing.T) (*server.MCPServer, string) {
	t.Helper()
	return newTestServerData(t, "")
}

// newTestServerData is newTestServer with the database in data ("" means
// the temp folder's data/).
func newTestServerData(t *testing.T, data string) (*server.MCPServer, string) {
	t.Helper()
	return newTestServerOpts(t, data, nil)
}

// newTestServerOpts is newTestServerData with the tools' options changed
// by mod (nil: none).
func newTestServerOpts(t *testing.T, data string, mod func(*Options)) (*server.MCPServer, string) {
	t.Helper()
	testmedia.RequireFFmpeg(t)
	dir := t.TempDir()
	log := zaptest.NewLogger(t)
	if data == "" {
		data = filepath.Join(dir, "data")
	}
	st, err := store.Open(filepath.Join(data, "audioedit.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Options{TempDir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "exports")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	roots := fsutil.ParseRoots(dir + string(filepath.ListSeparator) + mediaDir(t))
	b, err := local.New(local.Options{Store: st, Engine: eng, OutputDir: out, TempDir: dir, Logger: log, Roots: roots,
		Protected: []string{data}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Close()
		st.Close()
	})
	opts := Options{Roots: roots, Version: "test", Logger: log, Folders: []string{data, out, dir}}
	if mod != nil {
		mod(&opts)
	}
	return NewServer(b, opts), dir
}
