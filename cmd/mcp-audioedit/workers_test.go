package main

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlowCallsLeaveWorkersFree: calls that wait (a URL upload from a
// stalled server, an export waiting up to wait_seconds) must not take every
// stdio worker, or a quick state call queues behind them. mcp-go's stdio
// server defaults to 5 workers; six uploads from a server that never sends
// a byte used to hold them all until the stall timeout, and state waited.
// The order is asserted, not a time: state answers while no upload has.
func TestSlowCallsLeaveWorkersFree(t *testing.T) {
	release := make(chan struct{})
	var held atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held.Add(1)
		<-release // headers never come until the test is done
		http.Error(w, "gone", http.StatusGone)
	})}
	go srv.Serve(ln)
	var once sync.Once
	done := func() { once.Do(func() { close(release) }) }
	t.Cleanup(func() { done(); srv.Close() })

	dir := t.TempDir()
	env := append(testEnv(t, dir), "AUDIOEDIT_ALLOW_PRIVATE_URLS=1", "AUDIOEDIT_URL_STALL_TIMEOUT=5m")
	c, _ := stdioClient(t, env)

	const slow = 8
	var returned atomic.Int32
	var wg sync.WaitGroup
	started := make(chan struct{}, slow)
	for range slow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			call(t, c, "upload", map[string]any{"urls": []string{"http://" + ln.Addr().String() + "/a.wav"}, "new_session": true}, nil)
			returned.Add(1)
		}()
	}
	for range slow {
		<-started
	}
	// Wait until the stalled server holds every upload, so the uploads
	// occupy their workers before state is sent.
	deadline := time.Now().Add(2 * time.Minute)
	for held.Load() < slow && returned.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if held.Load() < slow {
		t.Logf("the stalled server holds %d of %d uploads", held.Load(), slow)
	}
	call(t, c, "state", map[string]any{"list_sessions": true}, nil)
	if n := returned.Load(); n != 0 {
		t.Errorf("state answered only after %d of %d stalled uploads returned: slow calls hold every worker", n, slow)
	}
	done()
	wg.Wait()
}
