package nemo

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo/nemotest"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// env is a backend wired to a fake, with its logs observed.
type env struct {
	fake *nemotest.Server
	b    *Backend
	st   *store.Store
	logs *observer.ObservedLogs
	core zapcore.Core
	cfg  Config
	errs []error // errors seen, scanned for tokens at cleanup
	mu   sync.Mutex
}

func testConfig(t testing.TB, fake *nemotest.Server) Config {
	return Config{
		APIURL: fake.URL, ConfigDir: t.TempDir(), DataDir: t.TempDir(), ExecPath: "/usr/local/bin/mcp-audioedit",
		PollInterval: 5 * time.Millisecond, RetryWait: 5 * time.Millisecond, StuckAfter: 2 * time.Second,
		OutputDir: t.TempDir(),
	}
}

func openStore(t testing.TB, dir string) *store.Store {
	st, err := store.Open(filepath.Join(dir, "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newEnv(t testing.TB, mod ...func(*Config)) *env {
	fake := nemotest.New(t)
	cfg := testConfig(t, fake)
	for _, m := range mod {
		m(&cfg)
	}
	e := &env{fake: fake, cfg: cfg, st: openStore(t, t.TempDir())}
	e.b, e.logs = e.newBackend(t, e.st)
	t.Cleanup(func() { e.checkNoLeak(t) })
	return e
}

func (e *env) newBackend(t testing.TB, st *store.Store) (*Backend, *observer.ObservedLogs) {
	if e.core == nil { // a second backend logs to the same place
		e.core, e.logs = observer.New(zap.DebugLevel)
	}
	b, err := New(e.cfg, st, zap.New(e.core))
	if err != nil {
		t.Fatal(err)
	}
	return b, e.logs
}

// note records an error for the leak scan and returns it.
func (e *env) note(err error) error {
	if err != nil {
		e.mu.Lock()
		e.errs = append(e.errs, err)
		e.mu.Unlock()
	}
	return err
}

// checkNoLeak fails when any issued token appears in a log entry (message
// or field) or an error seen by the test.
func (e *env) checkNoLeak(t testing.TB) {
	toks := e.fake.Tokens()
	var texts []string
	for _, l := range e.logs.All() {
		texts = append(texts, l.Message, fmt.Sprint(l.ContextMap()))
	}
	e.mu.Lock()
	for _, err := range e.errs {
		texts = append(texts, err.Error())
		if m, ok := backend.UserMessage(err); ok {
			texts = append(texts, m)
		}
	}
	e.mu.Unlock()
	for _, tok := range toks {
		for _, s := range texts {
			if strings.Contains(s, tok) {
				t.Errorf("token leaked into %q", s)
			}
		}
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func userMsg(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	m, ok := backend.UserMessage(err)
	if !ok {
		t.Fatalf("error %v has no user message", err)
	}
	return m
}

func isUser(err error) bool {
	var ue *backend.UserError
	return errors.As(err, &ue)
}
