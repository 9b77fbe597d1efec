package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

var raceBinary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildServer builds the server binary, with the race detector when this
// test runs under it.
func buildServer(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return buildBinary(t)
	}
	raceBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "mcp-audioedit-race-")
		if err != nil {
			raceBinary.err = err
			return
		}
		raceBinary.path = filepath.Join(dir, "mcp-audioedit")
		raceBinary.out, raceBinary.err = exec.Command("go", "build", "-race", "-o", raceBinary.path, ".").CombinedOutput()
	})
	if raceBinary.err != nil {
		t.Fatalf("go build -race: %v\n%s", raceBinary.err, raceBinary.out)
	}
	return raceBinary.path
}

// stdioClient starts the binary serving stdio and connects an MCP client,
// which may call tools in parallel as agents do.
func stdioClient(t *testing.T, env []string) (*client.Client, *syncBuffer) {
	t.Helper()
	tr := transport.NewStdio(buildServer(t), env, "stdio")
	c := client.NewClient(tr)
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	go io.Copy(stderr, tr.Stderr())
	t.Cleanup(func() { c.Close() })
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = "2025-06-18"
	init.Params.ClientInfo = mcp.Implementation{Name: "parallel-test", Version: "0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return c, stderr
}

// call calls a tool and returns whether it failed, its first text and its
// structured content decoded into out (when not nil).
func call(t *testing.T, c *client.Client, name string, args map[string]any, out any) (bool, string) {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return true, err.Error()
	}
	text := ""
	if len(res.Content) > 0 {
		if tc, ok := res.Content[0].(mcp.TextContent); ok {
			text = tc.Text
		}
	}
	if out != nil && res.StructuredContent != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Errorf("%s: structured content: %v", name, err)
		}
	}
	return res.IsError, text
}

type jobOut struct {
	JobID     string  `json:"job_id"`
	Status    string  `json:"status"`
	Path      string  `json:"path"`
	DurationS float64 `json:"duration_s"`
}

// TestParallelCallsStdio drives the real binary over stdio with the
// parallel calls agents make: conflicting edits, many exports at once,
// uploads into new sessions at once. Under -race the server is built with
// the race detector and its stderr is checked for reports.
func TestParallelCallsStdio(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	dir := t.TempDir()
	three := filepath.Join(dir, "three.wav")
	tone := make([]float32, 3*testmedia.Rate)
	for i := range tone {
		tone[i] = float32(0.1 * math.Sin(2*math.Pi*440*float64(i)/testmedia.Rate))
	}
	if err := testmedia.WriteWAV(three, tone, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	c, stderr := stdioClient(t, testEnv(t, dir))
	var up struct {
		SessionID string `json:"session_id"`
	}
	if failed, text := call(t, c, "upload", map[string]any{"paths": []string{three}}, &up); failed {
		t.Fatalf("upload: %s", text)
	}

	// Two cuts that each fit the 3 s file but not both: one applies, the
	// other is refused, and the session stays usable.
	var wg sync.WaitGroup
	failed := make([]bool, 2)
	texts := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			failed[i], texts[i] = call(t, c, "edit", map[string]any{"instruction": "cut the first 2 seconds"}, nil)
		}(i)
	}
	wg.Wait()
	if failed[0] == failed[1] {
		t.Fatalf("two conflicting parallel cuts: failed=%v, texts %q; want exactly one applied", failed, texts)
	}
	var st struct {
		Summary string `json:"summary"`
		History []any  `json:"history"`
	}
	if bad, text := call(t, c, "state", nil, &st); bad || len(st.History) != 1 || !strings.Contains(st.Summary, "(0-1s)") {
		t.Fatalf("state after the conflicting cuts: %s", text)
	}

	// Twenty exports at once, no output_path: twenty distinct valid files.
	const exports = 20
	jobs := make([]jobOut, exports)
	for i := range exports {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if bad, text := call(t, c, "export", map[string]any{"format": "wav", "wait_seconds": 50}, &jobs[i]); bad {
				t.Errorf("export %d: %s", i, text)
			}
			for jobs[i].Status == "queued" || jobs[i].Status == "running" {
				if bad, text := call(t, c, "export_status", map[string]any{"job_id": jobs[i].JobID, "wait_seconds": 50}, &jobs[i]); bad {
					t.Errorf("export_status %d: %s", i, text)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	paths := map[string]bool{}
	for i, j := range jobs {
		if j.Status != "completed" {
			t.Errorf("export %d: %+v", i, j)
			continue
		}
		paths[j.Path] = true
		out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", j.Path).Output()
		var d float64
		if _, serr := fmt.Sscan(string(bytes.TrimSpace(out)), &d); err != nil || serr != nil || math.Abs(d-1) > 0.05 {
			t.Errorf("export %d: %s probes as %q (%v), want 1 s", i, j.Path, out, err)
		}
	}
	if len(paths) != exports {
		t.Errorf("%d exports wrote %d distinct files", exports, len(paths))
	}

	// Eight uploads into new sessions at once.
	const uploads = 8
	sessions := make([]string, uploads)
	for i := range uploads {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var u struct {
				SessionID string `json:"session_id"`
			}
			if bad, text := call(t, c, "upload", map[string]any{"paths": []string{three}, "new_session": true}, &u); bad {
				t.Errorf("upload %d: %s", i, text)
			}
			sessions[i] = u.SessionID
		}(i)
	}
	wg.Wait()
	seen := map[string]bool{up.SessionID: true}
	for _, s := range sessions {
		if s == "" || seen[s] {
			t.Errorf("upload into a new session gave %q; sessions %v", s, sessions)
		}
		seen[s] = true
	}
	c.Close()
	log := stderr.String()
	if strings.Contains(log, "database is locked") || strings.Contains(log, "DATA RACE") {
		t.Errorf("server log:\n%s", log)
	}
}
