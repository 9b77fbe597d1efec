package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// callTool calls a tool and returns its result and first text.
func (p *proc) callTool(name string, args map[string]any) (map[string]any, string) {
	p.t.Helper()
	res := p.send("tools/call", map[string]any{"name": name, "arguments": args}, false)
	text := ""
	if c, ok := res["content"].([]any); ok && len(c) > 0 {
		text = fmt.Sprint(c[0].(map[string]any)["text"])
	}
	return res, text
}

// TestStdioBinaryURLGuard: URL uploads refuse a loopback server unless
// AUDIOEDIT_ALLOW_PRIVATE_URLS=1, set in the environment, reaches the backend.
func TestStdioBinaryURLGuard(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	dir := t.TempDir()
	srvURL, hits := testmedia.ServeWAV(t)
	args := map[string]any{"urls": []string{srvURL + "/tone.wav"}}

	p := startProc(t, testEnv(t, dir))
	p.initialize()
	res, text := p.callTool("upload", args)
	if res["isError"] != true || !strings.Contains(text, "non-public address") {
		t.Errorf("default: %v", res)
	}
	p.close()
	if hits.Load() != 0 {
		t.Errorf("the loopback server got %d requests", hits.Load())
	}

	p = startProc(t, append(testEnv(t, dir), "AUDIOEDIT_ALLOW_PRIVATE_URLS=1"))
	p.initialize()
	if res, text := p.callTool("upload", args); res["isError"] == true {
		t.Errorf("with AUDIOEDIT_ALLOW_PRIVATE_URLS=1: %s", text)
	}
	p.close()
	if hits.Load() != 1 {
		t.Errorf("the loopback server got %d requests, want 1", hits.Load())
	}
}
