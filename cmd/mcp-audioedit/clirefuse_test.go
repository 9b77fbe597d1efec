package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// TestEditCLIRefusedClause: an instruction with a refused clause must not
// turn into a partial render written silently. The CLI says what it did not
// apply and why, writes nothing, and exits non-zero.
func TestEditCLIRefusedClause(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "tone.wav")
	tone := make([]float32, 2*testmedia.Rate)
	for i := range tone {
		tone[i] = 0.1
		if i%100 < 50 {
			tone[i] = -0.1
		}
	}
	if err := testmedia.WriteWAV(in, tone, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.wav")
	stdout, stderr, code := runBinary(t, testEnv(t, dir), "edit", in, "-i", "remove noise, make the outro quieter", "-o", out)
	if code == 0 {
		t.Errorf("exit 0 for an instruction with a refused clause\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if !strings.Contains(stderr, "I did not apply: 'make the outro quieter'") {
		t.Errorf("stderr does not say what was not applied:\n%s", stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written from a partly refused instruction", out)
	}
}
