package attack

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Lure is an HTTP server the suite starts on 127.0.0.1: the only address
// a network attack ever reaches. It counts the connections and requests
// the server under attack makes to it.
type Lure struct {
	URL   string // http://127.0.0.1:port
	Port  int
	Conns atomic.Int64
	Reqs  atomic.Int64
	Sent  atomic.Int64 // body bytes written by handlers that count them
	srv   *http.Server
	stop  chan struct{}
	once  sync.Once
}

// NewLure starts a lure serving h (a 1 s WAV for nil).
func (e *E) NewLure(h http.HandlerFunc) (*Lure, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &Lure{Port: ln.Addr().(*net.TCPAddr).Port, stop: make(chan struct{})}
	l.URL = "http://127.0.0.1:" + strconv.Itoa(l.Port)
	if h == nil {
		wav := ToneWAV(1, 48000, 440)
		h = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "audio/wav")
			w.Header().Set("Content-Length", strconv.Itoa(len(wav)))
			_, _ = w.Write(wav)
		}
	}
	l.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			l.Reqs.Add(1)
			h(w, r)
		}),
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateNew {
				l.Conns.Add(1)
			}
		},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = l.srv.Serve(ln) }()
	e.Defer(l.Close)
	return l, nil
}

// Stopped is closed when the lure closes: handlers that stall wait on it.
func (l *Lure) Stopped() <-chan struct{} { return l.stop }

// Close stops the lure.
func (l *Lure) Close() {
	l.once.Do(func() {
		close(l.stop)
		_ = l.srv.Close()
	})
}

// Defer runs fn when the case ends, after its servers stopped.
func (e *E) Defer(fn func()) {
	e.mu.Lock()
	e.defers = append(e.defers, fn)
	e.mu.Unlock()
}

// Traced reports whether strace can trace the server here: then the
// network cases also prove the server never called connect() for an
// address the guard must refuse.
var traced = sync.OnceValue(func() bool {
	p, err := exec.LookPath("strace")
	if err != nil {
		return false
	}
	return exec.Command(p, "-f", "-qq", "-e", "trace=connect", "-o", os.DevNull, "true").Run() == nil
})

// StartTraced is StartStdio (or StartHTTP on the http transport) under
// strace, which records every connect() the server makes. Without strace
// it is a plain start and trace returns nil.
func (e *E) StartTraced(extra ...string) (c Client, trace func() ([]string, error), err error) {
	if !traced() {
		_, c, err = e.Start(extra...)
		return c, func() ([]string, error) { return nil, nil }, err
	}
	out := filepath.Join(e.SB.Home, fmt.Sprintf("connect-%d.trace", time.Now().UnixNano()))
	e.wrap = []string{"strace", "-f", "-qq", "-e", "trace=connect", "-o", out}
	defer func() { e.wrap = nil }()
	_, c, err = e.Start(extra...)
	return c, func() ([]string, error) { return inetConnects(out) }, err
}

var connectRe = regexp.MustCompile(`connect\(\d+, \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\),.*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")`)

// inetConnects lists the IP connect() calls in an strace file, but DNS
// (port 53).
func inetConnects(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("strace output: %w", err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		m := connectRe.FindStringSubmatch(line)
		if m == nil || m[1] == "53" {
			continue
		}
		out = append(out, m[2]+m[3]+":"+m[1])
	}
	return out, nil
}
