package neural

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// modelsDir finds the models folder for tests: env AUDIOEDIT_MODELS_DIR,
// else <module root>/.models. Missing models fail the test under CI (which
// installs them with `make models`) and skip it elsewhere.
func modelsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("AUDIOEDIT_MODELS_DIR")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, ".models")
				break
			}
			if filepath.Dir(d) == d {
				t.Fatal("go.mod not found above " + wd)
			}
		}
	}
	if got := Available(dir); len(got) != len(manifest) {
		msg := "neural models not installed in " + dir + ": run `make models` (or set AUDIOEDIT_MODELS_DIR)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

var (
	sharedPoolOnce sync.Once
	sharedPool     *Pool
)

// pool returns one Pool shared by the tests (compiling once).
func pool(t testing.TB) *Pool {
	dir := modelsDir(t)
	sharedPoolOnce.Do(func() { sharedPool = NewPool(dir) })
	return sharedPool
}

// denoise runs p.Denoise on x and returns the output samples.
func denoise(t testing.TB, p *Pool, model string, strength float64, x []float32) []float32 {
	t.Helper()
	var out bytes.Buffer
	if err := p.Denoise(context.Background(), model, strength, bytes.NewReader(testmedia.F32Bytes(x)), &out); err != nil {
		t.Fatalf("Denoise(%s): %v", model, err)
	}
	return testmedia.F32FromBytes(out.Bytes())
}
