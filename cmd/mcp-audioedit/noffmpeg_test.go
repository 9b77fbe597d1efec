package main

import (
	"strings"
	"testing"
)

// TestStdioBinaryWithoutFFmpeg: with ffmpeg missing the server still
// completes the MCP handshake; every media tool answers with an error
// naming the install command, and the tools that need no ffmpeg work.
func TestStdioBinaryWithoutFFmpeg(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, append(testEnv(t, dir), "AUDIOEDIT_FFMPEG="+dir+"/missing/ffmpeg", "AUDIOEDIT_FFPROBE="+dir+"/missing/ffprobe"))
	p.initialize()
	list := p.send("tools/list", map[string]any{}, false)
	if n := len(list["tools"].([]any)); n < 6 {
		t.Errorf("tools/list gave %d tools", n)
	}
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"upload", map[string]any{"paths": []string{dir + "/a.wav"}}},
		{"edit", map[string]any{"instruction": "remove background noise"}},
		{"export", map[string]any{}},
	} {
		res, text := p.callTool(c.tool, c.args)
		if res["isError"] != true || !strings.Contains(text, "sudo apt-get install ffmpeg") || !strings.Contains(text, "brew install ffmpeg") {
			t.Errorf("%s: %v", c.tool, res)
		}
	}
	if res, text := p.callTool("credits", map[string]any{}); res["isError"] == true {
		t.Errorf("credits: %s", text)
	}
	if _, text := p.callTool("state", map[string]any{}); strings.Contains(text, "ffmpeg") {
		t.Errorf("state blames ffmpeg: %s", text)
	}
	p.close()
}
