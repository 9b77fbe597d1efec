package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// mediaFiles lists what a test left in the backend's media folder.
func mediaFiles(t *testing.T, b *Backend) []string {
	t.Helper()
	ents, err := os.ReadDir(b.mediaDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestURLUploadRefusesPrivateAddresses: by default no request reaches a
// loopback server, whatever the spelling, and nothing is written.
func TestURLUploadRefusesPrivateAddresses(t *testing.T) {
	b, _ := newBackend(t)
	srvURL, hits := testmedia.ServeWAV(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srvURL, "http://"))
	ctx := context.Background()
	for _, host := range []string{"127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "0.0.0.0", "[::1]", "user@127.0.0.1", "user:pw@localhost"} {
		u := fmt.Sprintf("http://%s:%s/tone.wav", host, port)
		_, err := b.Upload(ctx, backend.UploadRequest{URLs: []string{u}})
		if err == nil {
			t.Errorf("upload %s succeeded", u)
			continue
		}
		msg := userMsg(t, err)
		if strings.Contains(msg, "pw") {
			t.Errorf("message shows the password: %s", msg)
		}
	}
	for _, u := range []string{"ftp://127.0.0.1/a.wav", "file:///etc/passwd", "http://169.254.169.254/latest/meta-data/"} {
		if _, err := b.Upload(ctx, backend.UploadRequest{URLs: []string{u}}); err == nil {
			t.Errorf("upload %s succeeded", u)
		} else {
			userMsg(t, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests, want 0", n)
	}
	if f := mediaFiles(t, b); len(f) != 0 {
		t.Errorf("files written: %v", f)
	}
}

func fetchOpts(f FetchOptions) func(*Options) { return func(o *Options) { o.Fetch = f } }

// TestURLUploadAllowPrivate: with the setting on, a loopback download
// works, and the media it adds plays.
func TestURLUploadAllowPrivate(t *testing.T) {
	b, _ := newBackend(t, fetchOpts(FetchOptions{AllowPrivate: true}))
	srvURL, hits := testmedia.ServeWAV(t)
	res, err := b.Upload(context.Background(), backend.UploadRequest{URLs: []string{srvURL + "/tone.wav?sig=secret"}})
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 || len(res.Files) != 1 || res.Files[0].Name != "tone.wav" || res.Files[0].DurationS < 0.99 || res.Files[0].DurationS > 1.01 {
		t.Errorf("hits %d, files %+v", hits.Load(), res.Files)
	}
}

// TestURLUploadRedirectToLoopback: a server we may reach (Permit) that
// redirects to loopback or to the metadata address gets nothing fetched.
func TestURLUploadRedirectToLoopback(t *testing.T) {
	targetURL, hits := testmedia.ServeWAV(t)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/meta.wav":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/local.wav":
			http.Redirect(w, r, "http://localhost:"+targetURL[strings.LastIndex(targetURL, ":")+1:]+"/tone.wav", http.StatusFound)
		default:
			http.Redirect(w, r, targetURL+"/tone.wav", http.StatusFound)
		}
	}))
	defer origin.Close()
	me := origin.Listener.Addr().String()
	b, _ := newBackend(t, fetchOpts(FetchOptions{Permit: func(ap netip.AddrPort) bool { return ap.String() == me }}))
	for _, p := range []string{"/a.wav", "/local.wav", "/meta.wav"} {
		_, err := b.Upload(context.Background(), backend.UploadRequest{URLs: []string{origin.URL + p}})
		if msg := userMsg(t, err); !strings.Contains(msg, "non-public address") {
			t.Errorf("%s: %s", p, msg)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the redirect target got %d requests", hits.Load())
	}
}

// TestURLUploadLimits: a stalled server, a slow endless one, an endless
// one and one announcing too much are all cut off, and leave no file.
func TestURLUploadLimits(t *testing.T) {
	release := make(chan struct{})
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := w.(http.Flusher)
		chunk := make([]byte, 32<<10)
		switch r.URL.Path {
		case "/stall.wav": // headers and a few bytes, then nothing
			w.Write([]byte("RIFF"))
			f.Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/headers.wav": // not even headers
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/trickle.wav": // a byte at a time, forever
			for r.Context().Err() == nil {
				if _, err := w.Write([]byte{0}); err != nil {
					return
				}
				f.Flush()
				select {
				case <-release:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		case "/endless.wav":
			for {
				n, err := w.Write(chunk)
				sent.Add(int64(n))
				if err != nil {
					return
				}
			}
		case "/big.wav":
			w.Header().Set("Content-Length", "2000000")
			w.Write(chunk)
		}
	}))
	defer srv.Close()
	defer close(release)
	const max = 1 << 20
	b, _ := newBackend(t, fetchOpts(FetchOptions{AllowPrivate: true, MaxBytes: max, StallTimeout: 300 * time.Millisecond, Timeout: 2 * time.Second}))
	ctx := context.Background()
	var netMsgs []string
	for _, p := range []string{"/stall.wav", "/headers.wav", "/trickle.wav"} {
		_, err := b.Upload(ctx, backend.UploadRequest{URLs: []string{srv.URL + p}})
		msg := userMsg(t, err)
		netMsgs = append(netMsgs, strings.ReplaceAll(msg, srv.URL+p, "URL"))
		if !strings.HasPrefix(msg, "could not download") {
			t.Errorf("%s: %s", p, msg)
		}
	}
	for _, m := range netMsgs[1:] {
		if m != netMsgs[0] {
			t.Errorf("network failures read differently:\n%s\n%s", netMsgs[0], m)
		}
	}
	for _, p := range []string{"/endless.wav", "/big.wav"} {
		_, err := b.Upload(ctx, backend.UploadRequest{URLs: []string{srv.URL + p}})
		if msg := userMsg(t, err); !strings.Contains(msg, "over the 1 MB limit") {
			t.Errorf("%s: %s", p, msg)
		}
	}
	// The endless response was read no further than the cap, plus what
	// sat in socket buffers.
	if s := sent.Load(); s > 64<<20 {
		t.Errorf("the endless server sent %d bytes", s)
	}
	if f := mediaFiles(t, b); len(f) != 0 {
		t.Errorf("files left: %v", f)
	}
}

// TestURLUploadOneNetworkMessage: a closed port, a port that accepts and
// hangs up, and a name that does not resolve give the same message.
func TestURLUploadOneNetworkMessage(t *testing.T) {
	b, _ := newBackend(t, fetchOpts(FetchOptions{AllowPrivate: true}))
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	go func() {
		for {
			c, err := open.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var msgs []string
	for _, host := range []string{closedAddr, open.Addr().String(), "audioedit-test.invalid"} {
		u := "http://" + host + "/a.wav"
		_, err := b.Upload(context.Background(), backend.UploadRequest{URLs: []string{u}})
		msgs = append(msgs, strings.ReplaceAll(userMsg(t, err), u, "URL"))
	}
	for _, m := range msgs[1:] {
		if m != msgs[0] {
			t.Errorf("messages differ:\n%s\n%s", msgs[0], m)
		}
	}
	if !strings.HasPrefix(msgs[0], "could not download URL:") {
		t.Errorf("message: %s", msgs[0])
	}
}
