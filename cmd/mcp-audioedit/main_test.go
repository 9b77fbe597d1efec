package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/local"
	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo/nemotest"
	"github.com/mcp-audioedit/mcp-audioedit/internal/tools"
)

// testEnv points every setting at a temp folder.
func testEnv(t *testing.T, dir string) []string {
	return []string{
		"HOME=" + dir,
		"PATH=" + os.Getenv("PATH"),
		"AUDIOEDIT_DATA_DIR=" + filepath.Join(dir, "data"),
		"AUDIOEDIT_OUTPUT_DIR=" + filepath.Join(dir, "out"),
		"AUDIOEDIT_MODELS_DIR=" + filepath.Join(dir, "models"),
		"AUDIOEDIT_ROOTS=" + dir,
		"AUDIOEDIT_LOG_LEVEL=debug",
	}
}

func setEnv(t *testing.T, env []string) {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

var binary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildBinary builds the command once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "mcp-audioedit-bin-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "mcp-audioedit")
		binary.out, binary.err = exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
	})
	if binary.err != nil {
		t.Fatalf("go build: %v\n%s", binary.err, binary.out)
	}
	return binary.path
}

// proc is the binary serving stdio, driven as a client process drives it.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	lines  chan string
	all    []string
	id     int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startProc(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(buildBinary(t), args...)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, stdin: stdin, stderr: &syncBuffer{}, lines: make(chan string, 100)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	return p
}

// send writes a request (or a notification) and returns the request's result.
func (p *proc) send(method string, params any, notify bool) map[string]any {
	t := p.t
	t.Helper()
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		msg["params"] = params
	}
	if !notify {
		p.id++
		msg["id"] = p.id
	}
	b, _ := json.Marshal(msg)
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		t.Fatalf("write %s: %v", method, err)
	}
	if notify {
		return nil
	}
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("stdout closed before the answer to %s; stderr:\n%s", method, p.stderr.String())
			}
			p.all = append(p.all, line)
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("stdout line is not JSON: %q", line)
			}
			if v, ok := m["id"].(float64); ok && int(v) == p.id {
				if m["error"] != nil {
					t.Fatalf("%s: %v", method, m["error"])
				}
				return m["result"].(map[string]any)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("no answer to %s; stderr:\n%s", method, p.stderr.String())
		}
	}
}

func (p *proc) initialize() map[string]any {
	p.t.Helper()
	return p.initializeAs("stdio-test")
}

// initializeAs initializes with clientInfo.name set to name.
func (p *proc) initializeAs(name string) map[string]any {
	p.t.Helper()
	res := p.send("initialize", map[string]any{
		"protocolVersion": "2025-06-18",
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": name, "version": "0"},
	}, false)
	p.send("notifications/initialized", nil, true)
	return res
}

// close closes stdin, waits for a clean exit and checks every stdout line
// was JSON-RPC.
func (p *proc) close() {
	t := p.t
	t.Helper()
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v; stderr:\n%s", err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not exit when stdin closed")
	}
	for line := range p.lines {
		p.all = append(p.all, line)
	}
	for _, line := range p.all {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil || m["jsonrpc"] != "2.0" {
			t.Errorf("stdout carries a non-JSON-RPC line: %q", line)
		}
	}
}

// TestStdioBinary builds the binary, starts it, and speaks JSON-RPC over
// its stdin and stdout as a client process does: stdout must carry only
// JSON-RPC, the logs go to stderr.
func TestStdioBinary(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	p := startProc(t, testEnv(t, t.TempDir()), "stdio")
	init := p.initialize()
	if info := init["serverInfo"].(map[string]any); info["name"] != "mcp-audioedit" {
		t.Errorf("serverInfo = %v", info)
	}
	if !strings.Contains(fmt.Sprint(init["instructions"]), "export_status") {
		t.Errorf("instructions = %v", init["instructions"])
	}
	list := p.send("tools/list", map[string]any{}, false)
	var got []string
	for _, tl := range list["tools"].([]any) {
		got = append(got, tl.(map[string]any)["name"].(string))
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "credits,edit,export,export_status,preview,state,upload" {
		t.Errorf("tools = %v", got)
	}
	res := p.send("tools/call", map[string]any{"name": "credits", "arguments": map[string]any{}}, false)
	if res["isError"] == true {
		t.Fatalf("credits: %v", res)
	}
	if sc := res["structuredContent"].(map[string]any); sc["unlimited"] != true {
		t.Errorf("credits = %v", sc)
	}
	p.close()
	if !strings.Contains(p.stderr.String(), `"serving"`) || !strings.Contains(p.stderr.String(), `"tool call"`) {
		t.Errorf("stderr lacks the logs:\n%s", p.stderr.String())
	}
}

// TestStdioBinaryNemo runs the binary with the cloud backend against the
// fake NemoVideo API: the wiring from environment to backend.
func TestStdioBinaryNemo(t *testing.T) {
	fake := nemotest.New(t)
	dir := t.TempDir()
	env := append(testEnv(t, dir), "AUDIOEDIT_BACKEND=nemo", "NEMO_API_URL="+fake.URL, "NEMO_POLL_INTERVAL=1s")
	p := startProc(t, env)
	p.initializeAs("claude-code")
	res := p.send("tools/call", map[string]any{"name": "credits", "arguments": map[string]any{}}, false)
	if res["isError"] == true {
		t.Fatalf("credits: %v\nstderr:\n%s", res, p.stderr.String())
	}
	// X-Skill-Platform follows the client's name from initialize.
	for _, r := range fake.Requests() {
		if got := r.Header.Get("X-Skill-Platform"); got != "claude_code" {
			t.Errorf("%s %s: X-Skill-Platform %q, want claude_code", r.Method, r.Path, got)
		}
	}
	sc := res["structuredContent"].(map[string]any)
	if sc["available"] != 100.0 || sc["unlimited"] == true {
		t.Errorf("credits = %v", sc)
	}
	p.close()
	// The client id is shared with NemoVideo's skills: <user config dir>/nemovideo.
	if _, err := os.Stat(filepath.Join(dir, ".config", "nemovideo", "client_id")); err != nil {
		t.Errorf("client id not kept in the user config dir: %v", err)
	}
	// The skills declare that folder free of credentials: no token there.
	if _, err := os.Stat(filepath.Join(dir, ".config", "nemovideo", "token.json")); err == nil {
		t.Error("the anonymous token was written to the skills' shared folder")
	}
	for _, tok := range fake.Tokens() {
		if strings.Contains(p.stderr.String(), tok) {
			t.Errorf("the token reached the log:\n%s", p.stderr.String())
		}
	}
}

func TestRunSubcommands(t *testing.T) {
	dir := t.TempDir()
	setEnv(t, testEnv(t, dir))
	tests := []struct {
		name    string
		args    []string
		env     []string
		want    string
		wantErr string
	}{
		{name: "version", args: []string{"version"}, want: "mcp-audioedit "},
		{name: "tools-doc", args: []string{"tools-doc"}, want: tools.Markdown(tools.All(nil, tools.Options{Roots: fsutil.Roots{}, Capabilities: &local.Hints}))},
		{name: "doctor", args: []string{"doctor"}, want: "ffmpeg:"},
		{name: "doctor without ffmpeg", args: []string{"doctor"}, env: []string{"AUDIOEDIT_FFMPEG=/nonexistent/ffmpeg"}, want: "missing", wantErr: "install ffmpeg"},
		{name: "doctor nemo without ffmpeg", args: []string{"-backend", "nemo", "doctor"}, env: []string{"AUDIOEDIT_FFMPEG=/nonexistent/ffmpeg"}, want: "anonymous"},
		{name: "unknown", args: []string{"serve"}, wantErr: "unknown command"},
		{name: "bad config", args: []string{"-backend", "cloud"}, wantErr: "AUDIOEDIT_BACKEND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			var out, errOut bytes.Buffer
			err := run(tt.args, &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("run(%v) error = %v, want %q", tt.args, err, tt.wantErr)
				}
			} else if err != nil {
				t.Errorf("run(%v): %v", tt.args, err)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("run(%v) printed %q, want it to contain %q", tt.args, out.String(), tt.want)
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}
