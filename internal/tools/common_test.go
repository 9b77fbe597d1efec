package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// call calls a tool; a protocol error fails the test.
func (e *testEnv) call(name string, args map[string]any) *mcp.CallToolResult {
	e.t.Helper()
	res, _, _ := e.callProgress(name, args, "")
	return res
}

// callProgress calls a tool with a progress token (none when token is
// ""), and counts the token's progress notifications that arrived before
// the result and after it (within 200 ms).
func (e *testEnv) callProgress(name string, args map[string]any, token string) (res *mcp.CallToolResult, before, after int) {
	e.t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	if token != "" {
		req.Params.Meta = &mcp.Meta{ProgressToken: token}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := e.c.CallTool(ctx, req)
	if err != nil {
		e.t.Fatalf("%s: protocol error: %v", name, err)
	}
	if token == "" {
		return res, 0, 0
	}
	before = e.progressCount(token)
	time.Sleep(200 * time.Millisecond)
	return res, before, e.progressCount(token) - before
}

func (e *testEnv) progressCount(token string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, note := range e.notes {
		if note.Method == "notifications/progress" && note.Params.AdditionalFields["progressToken"] == token {
			n++
		}
	}
	return n
}

// alive checks the server still answers after a failed call.
func (e *testEnv) alive() {
	e.t.Helper()
	if res := e.call("credits", nil); res.IsError {
		e.t.Fatalf("credits after an error: %s", text(res))
	}
}

// text joins a result's text contents.
func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// decode reads a result's structured content into out.
func decode(t *testing.T, res *mcp.CallToolResult, out any) {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool error: %s", text(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
}

// wantError checks res is an error result whose text contains each of subs.
func wantError(t *testing.T, res *mcp.CallToolResult, subs ...string) {
	t.Helper()
	if !res.IsError {
		t.Fatalf("want an error result, got %s", text(res))
	}
	for _, s := range subs {
		if !strings.Contains(text(res), s) {
			t.Errorf("error %q lacks %q", text(res), s)
		}
	}
}

var media struct {
	once sync.Once
	dir  string
	wav  string
	err  error
}

// mediaDir is the package's shared folder of generated media.
func mediaDir(t *testing.T) string {
	t.Helper()
	noisyWAV(t)
	return media.dir
}

// noisyWAV is a short generated speech recording (~8 s: three phrases with
// pauses) mixed with pink noise at 10 dB SNR, made once per package run.
func noisyWAV(t *testing.T) string {
	t.Helper()
	testmedia.RequireFFmpeg(t)
	testmedia.RequireEspeak(t)
	media.once.Do(func() {
		media.dir, media.err = os.MkdirTemp("", "tools-media-")
		if media.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		speech, _, err := testmedia.Speech(ctx, testmedia.SpeechOptions{
			Phrases: testmedia.DefaultPhrases()[:3], Pauses: []float64{1.5}, LeadIn: 1, Seed: 1,
		})
		if err != nil {
			media.err = err
			return
		}
		noisy := testmedia.Mix(speech, testmedia.Noise(testmedia.Pink, len(speech), 7), 10)
		media.wav = filepath.Join(media.dir, "noisy podcast.wav")
		media.err = testmedia.WriteWAV(media.wav, noisy, testmedia.Rate, 1)
	})
	if media.err != nil {
		t.Fatalf("generate media: %v", media.err)
	}
	return media.wav
}

func TestMain(m *testing.M) {
	code := m.Run()
	if media.dir != "" {
		os.RemoveAll(media.dir)
	}
	os.Exit(code)
}
