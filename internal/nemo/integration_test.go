//go:build integration

package nemo

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// TestIntegration runs against the real API when NEMO_TOKEN is set:
// credits, a session, an edit and the state. It spends a few credits and
// starts no render. Run: NEMO_TOKEN=... go test -tags integration -run Integration ./internal/nemo
func TestIntegration(t *testing.T) {
	tok := os.Getenv("NEMO_TOKEN")
	if tok == "" {
		t.Skip("NEMO_TOKEN not set")
	}
	cfg := Config{APIURL: os.Getenv("NEMO_API_URL"), Token: tok, ConfigDir: t.TempDir(), DataDir: t.TempDir(), OutputDir: t.TempDir(), PollInterval: 10 * time.Second}
	b, err := New(cfg, openStore(t, t.TempDir()), zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cr, err := b.Credits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("credits: %+v", cr)
	res, err := b.Edit(ctx, backend.EditRequest{Instruction: "Create a 5 second title card that says Hello"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("edit: %+v", res)
	st, err := b.State(ctx, res.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("state: %s", st.Summary)
}
