package neural

import (
	"bytes"
	"context"
	"os"
	"sync"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// modelsDir finds the models folder for tests where the binary finds it
// with no settings: DefaultDir (env AUDIOEDIT_MODELS_DIR, else
// ~/.cache/mcp-audioedit/models, where `make models` installs). Missing
// models fail the test under CI (which installs them) and skip it elsewhere.
func modelsDir(t testing.TB) string {
	t.Helper()
	dir := DefaultDir()
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
