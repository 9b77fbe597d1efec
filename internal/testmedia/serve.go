package testmedia

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// ServeWAV serves one second of silence as a WAV at <url>/tone.wav on
// 127.0.0.1 (any path serves it) for URL upload tests, and counts the
// requests it gets. The server stops when the test ends.
func ServeWAV(t testing.TB) (url string, hits *atomic.Int64) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tone.wav")
	if err := WriteWAV(p, make([]float32, Rate), Rate, 1); err != nil {
		t.Fatal(err)
	}
	hits = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.ServeFile(w, r, p)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, hits
}
