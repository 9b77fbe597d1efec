package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo/nemotest"
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

// TestStdioBinaryAnnotations: tools/list carries the serving backend's
// hints: with nemo every tool is open-world and state is not read-only.
func TestStdioBinaryAnnotations(t *testing.T) {
	fake := nemotest.New(t)
	p := startProc(t, append(testEnv(t, t.TempDir()), "AUDIOEDIT_BACKEND=nemo", "NEMO_API_URL="+fake.URL))
	p.initialize()
	list := p.send("tools/list", map[string]any{}, false)
	for _, tl := range list["tools"].([]any) {
		m := tl.(map[string]any)
		a, _ := m["annotations"].(map[string]any)
		if a["openWorldHint"] != true {
			t.Errorf("nemo %s: annotations %v", m["name"], a)
		}
		if m["name"] == "state" && a["readOnlyHint"] != false {
			t.Errorf("nemo state claims read-only: %v", a)
		}
	}
	p.close()
}
