package attack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// allowPrivate lifts the URL guard, for the cases that attack the download
// itself through a lure on 127.0.0.1.
const allowPrivate = "AUDIOEDIT_ALLOW_PRIVATE_URLS=1"

// ssrfCases: URL uploads that reach private addresses (item 4). The guard
// is on. Loopback forms aim at a lure that must see no connection; the
// other private forms have no listener, and under strace the server must
// not even call connect() for them.
func ssrfCases() []Case {
	var out []Case
	loop := func(id string, form string, transports ...string) {
		c := Case{Name: "ssrf/" + id, Category: CatSSRF, Item: "item 4", Run: func(e *E) error {
			l, err := e.NewLure(nil)
			if err != nil {
				return err
			}
			c, trace, err := e.StartTraced()
			if err != nil {
				return err
			}
			u := strings.ReplaceAll(form, "PORT", strconv.Itoa(l.Port))
			r, err := e.Tool(c, "upload", map[string]any{"urls": []string{u}})
			rerr := refused("upload of "+u, r, err)
			if n := l.Conns.Load(); n > 0 {
				return fmt.Errorf("upload of %s reached the loopback listener (%d connections, %d requests)", u, n, l.Reqs.Load())
			}
			if rerr != nil {
				return rerr
			}
			return noConnect(trace, u)
		}}
		if len(transports) > 0 {
			out = append(out, both(c)...)
		} else {
			out = append(out, stdio(c)...)
		}
	}
	loop("127.0.0.1", "http://127.0.0.1:PORT/a.wav", "both")
	loop("localhost", "http://localhost:PORT/a.wav", "both")
	loop("localhost-upper-trailing-dot", "HTTP://LOCALHOST.:PORT/a.wav")
	loop("0.0.0.0", "http://0.0.0.0:PORT/a.wav")
	loop("ipv6-loopback", "http://[::1]:PORT/a.wav")
	loop("ipv6-unspecified", "http://[::]:PORT/a.wav")
	loop("ipv4-mapped", "http://[::ffff:127.0.0.1]:PORT/a.wav")
	loop("ipv4-mapped-hex", "http://[0:0:0:0:0:ffff:7f00:1]:PORT/a.wav")
	loop("userinfo", "http://user:pass@127.0.0.1:PORT/a.wav")
	loop("userinfo-confusion", "http://example.com@127.0.0.1:PORT/a.wav")
	loop("short-127.1", "http://127.1:PORT/a.wav")
	loop("decimal", "http://2130706433:PORT/a.wav")
	loop("hex", "http://0x7f000001:PORT/a.wav")
	loop("octal", "http://0177.0.0.1:PORT/a.wav")
	loop("127.x-range", "http://127.8.9.10:PORT/a.wav")
	loop("https-loopback", "https://127.0.0.1:PORT/a.wav")

	priv := func(id, u string) {
		out = append(out, stdio(Case{Name: "ssrf/" + id, Category: CatSSRF, Item: "item 4", Run: func(e *E) error {
			c, trace, err := e.StartTraced()
			if err != nil {
				return err
			}
			r, err := e.Tool(c, "upload", map[string]any{"urls": []string{u}})
			if err := refused("upload of "+u, r, err); err != nil {
				return err
			}
			return noConnect(trace, u)
		}})...)
	}
	priv("metadata-169.254.169.254", "http://169.254.169.254/latest/meta-data/iam/a.wav")
	priv("metadata-ipv4-mapped", "http://[::ffff:169.254.169.254]/latest/meta-data/a.wav")
	priv("metadata-alibaba-100.100.100.200", "http://100.100.100.200/latest/meta-data/a.wav")
	priv("private-10", "http://10.0.0.1/a.wav")
	priv("private-172.16", "http://172.16.0.1/a.wav")
	priv("private-192.168", "http://192.168.1.1/a.wav")
	priv("cgnat-100.64", "http://100.64.0.1/a.wav")
	priv("link-local-ipv6", "http://[fe80::1]/a.wav")
	priv("ula-fd00", "http://[fd00::1]/a.wav")
	priv("multicast", "http://224.0.0.1/a.wav")
	priv("broadcast", "http://255.255.255.255/a.wav")

	out = append(out, stdio(Case{Name: "ssrf/proxy-env-ignored", Category: CatSSRF, Item: "item 4", Run: func(e *E) error {
		l, err := e.NewLure(nil)
		if err != nil {
			return err
		}
		c, trace, err := e.StartTraced("HTTP_PROXY="+l.URL, "HTTPS_PROXY="+l.URL, "http_proxy="+l.URL, "https_proxy="+l.URL, "ALL_PROXY="+l.URL, "NO_PROXY=")
		if err != nil {
			return err
		}
		for _, u := range []string{"http://169.254.169.254/latest/meta-data/a.wav", "http://public.example/a.wav"} {
			r, err := e.Tool(c, "upload", map[string]any{"urls": []string{u}})
			if n := l.Conns.Load(); n > 0 {
				return fmt.Errorf("upload of %s went through HTTP_PROXY (%d requests to it): %s", u, l.Reqs.Load(), tail(errText(r, err), 200))
			}
		}
		return noConnect(trace, "the proxy")
	}})...)
	out = append(out, stdio(Case{Name: "ssrf/port-oracle", Category: CatSSRF, Item: "item 4", Run: func(e *E) error {
		l, err := e.NewLure(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })
		if err != nil {
			return err
		}
		closed, err := freePort()
		if err != nil {
			return err
		}
		_, c, err := e.Start()
		if err != nil {
			return err
		}
		texts := map[string]string{}
		for _, port := range []int{l.Port, closed} {
			u := fmt.Sprintf("http://127.0.0.1:%d/a.wav", port)
			r, err := e.Tool(c, "upload", map[string]any{"urls": []string{u}})
			texts[strconv.Itoa(port)] = strings.ReplaceAll(errText(r, err), strconv.Itoa(port), "PORT")
		}
		if a, b := texts[strconv.Itoa(l.Port)], texts[strconv.Itoa(closed)]; a != b {
			return fmt.Errorf("errors tell an open port from a closed one:\n open: %s\n closed: %s", tail(a, 200), tail(b, 200))
		}
		return nil
	}})...)
	return out
}

// noConnect fails when the traced server called connect() for an IP.
func noConnect(trace func() ([]string, error), what string) error {
	conns, err := trace()
	if err != nil {
		return err
	}
	if len(conns) > 0 {
		return fmt.Errorf("for %s the server connected to %s before refusing", what, strings.Join(conns, ", "))
	}
	return nil
}

// urlCases: the download itself, against a lure, guard lifted (item 4).
func urlCases() []Case {
	var out []Case
	dl := func(id string, slow bool, h func(l **Lure) http.HandlerFunc, check func(e *E, l *Lure, r *ToolResult, err error) error) {
		out = append(out, stdio(Case{Name: "url/" + id, Category: CatURL, Item: "item 4", Slow: slow, Run: func(e *E) error {
			var lp *Lure
			l, err := e.NewLure(h(&lp))
			if err != nil {
				return err
			}
			lp = l
			// A short stall timeout: the suite waits 2 s, not the default 30 s.
			_, c, err := e.Start(allowPrivate, "AUDIOEDIT_URL_STALL_TIMEOUT=2s")
			if err != nil {
				return err
			}
			r, err := e.Tool(c, "upload", map[string]any{"urls": []string{l.URL + "/a.wav"}})
			if cerr := check(e, l, r, err); cerr != nil {
				return cerr
			}
			if left := files(e.SB.Cache); len(left) > 0 {
				return fmt.Errorf("a refused download left %s", strings.Join(left, ", "))
			}
			return nil
		}})...)
	}
	isRefused := func(e *E, l *Lure, r *ToolResult, err error) error { return refused("the download", r, err) }
	stall := func(l **Lure) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000000")
			_, _ = w.Write(ToneWAV(0.01, 48000, 440))
			w.(http.Flusher).Flush()
			<-(*l).Stopped()
		}
	}
	dl("stall-mid-body", true, stall, isRefused)
	dl("stall-before-headers", true, func(l **Lure) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { <-(*l).Stopped() }
	}, isRefused)
	zeros := make([]byte, 1<<20)
	stream := func(l *Lure, w http.ResponseWriter, limit int64) {
		for sent := int64(0); limit <= 0 || sent < limit; sent += int64(len(zeros)) {
			if _, err := w.Write(zeros); err != nil {
				return
			}
			l.Sent.Add(int64(len(zeros)))
		}
	}
	dl("content-length-over-cap", false, func(l **Lure) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "600000000")
			stream(*l, w, 600000000)
		}
	}, func(e *E, l *Lure, r *ToolResult, err error) error {
		if err := refused("a 600 MB download", r, err); err != nil {
			return err
		}
		if n := l.Sent.Load(); n > 64<<20 {
			return fmt.Errorf("a download announced as 600 MB was read for %d MB before it was refused", n>>20)
		}
		return nil
	})
	dl("endless", true, func(l **Lure) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { stream(*l, w, 0) }
	}, func(e *E, l *Lure, r *ToolResult, err error) error {
		if err := refused("an endless download", r, err); err != nil {
			return err
		}
		// The cap is 500 MiB; socket buffers and the server's own read
		// buffers let some more leave the lure (534 MiB measured).
		if n := l.Sent.Load(); n > 600<<20 {
			return fmt.Errorf("an endless download was read for %d MB before it was refused", n>>20)
		}
		return nil
	})
	dl("truncated", false, func(l **Lure) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000000")
			_, _ = w.Write(ToneWAV(0.5, 48000, 440))
		}
	}, isRefused)
	dl("redirect-loop", false, func(l **Lure) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/again"+strconv.Itoa(int((*l).Reqs.Load()))+".wav", http.StatusFound)
		}
	}, func(e *E, l *Lure, r *ToolResult, err error) error {
		if err := refused("an endless redirect", r, err); err != nil {
			return err
		}
		if n := l.Reqs.Load(); n > 6 {
			return fmt.Errorf("the download followed %d redirects (at most 5)", n-1)
		}
		return nil
	})
	return out
}

// urlNameCases: names that come from URLs (item 12), guard lifted.
func urlNameCases() []Case {
	var out []Case
	for _, p := range []struct{ id, path string }{{"url-percent-ff-fe", "/%FF%FE"}, {"url-newline", "/a%0Ab%0D.wav"}, {"url-dotdot", "/..%2F..%2F..%2Foutside%2Fx.wav"}} {
		out = append(out, stdio(Case{Name: "names/" + p.id, Category: CatNames, Item: "item 12", Run: func(e *E) error {
			l, err := e.NewLure(nil)
			if err != nil {
				return err
			}
			_, c, err := e.Start(allowPrivate)
			if err != nil {
				return err
			}
			r, err := e.MustTool(c, "upload", map[string]any{"urls": []string{l.URL + p.path}})
			if err != nil {
				return err
			}
			fs, _ := r.Structured["files"].([]any)
			for _, f := range fs {
				m, _ := f.(map[string]any)
				if path, _ := m["path"].(string); path != "" {
					if err := e.checkName(path); err != nil {
						return fmt.Errorf("upload: %w", err)
					}
				}
			}
			r, err = e.Tool(c, "export", map[string]any{"format": "wav"})
			if err != nil {
				return err
			}
			_, err = e.checkOutput(r, "wav", 1)
			return err
		}})...)
	}
	return out
}

// raw sends one HTTP request to the server's /mcp with the given headers
// and body and returns the status and body.
func (e *E) raw(s *Server, h map[string]string, body io.Reader) (int, string, error) {
	ctx, cancel := context.WithTimeout(e.Ctx, CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, body)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e.Saw(string(b))
	return resp.StatusCode, string(b), nil
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"attack","version":"0"}}}`

// httpCases: abuse of the streamable HTTP transport (item 5).
func httpCases() []Case {
	var out []Case
	h := func(id string, slow bool, run func(e *E) error) {
		out = append(out, Case{Name: "http/" + id, Category: CatHTTP, Item: "item 5", Transport: "http", Slow: slow, Run: run})
	}
	for _, o := range []struct{ id, origin string }{
		{"origin-evil", "http://evil.example"}, {"origin-null", "null"},
		{"origin-lookalike", "http://127.0.0.1.evil.example"}, {"origin-localhost-suffix", "http://localhost.evil.example:8765"},
	} {
		h(o.id, false, func(e *E) error {
			s, _, err := e.StartHTTP()
			if err != nil {
				return err
			}
			code, body, err := e.raw(s, map[string]string{"Origin": o.origin}, strings.NewReader(initBody))
			if err != nil {
				return err
			}
			if code != http.StatusForbidden {
				return fmt.Errorf("Origin %s got HTTP %d (want 403): %s", o.origin, code, tail(body, 150))
			}
			return nil
		})
	}
	h("forged-session-id", false, func(e *E) error {
		s, c, err := e.StartHTTP()
		if err != nil {
			return err
		}
		for _, sid := range []string{"mcp-session-123e4567-e89b-12d3-a456-426614174000", c.Session + "x", strings.ToUpper(c.Session)} {
			code, body, err := e.raw(s, map[string]string{"Mcp-Session-Id": sid},
				strings.NewReader(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"state","arguments":{}}}`))
			if err != nil {
				return err
			}
			if code != http.StatusNotFound {
				return fmt.Errorf("a forged Mcp-Session-Id %q got HTTP %d (want 404): %s", sid, code, tail(body, 150))
			}
		}
		return nil
	})
	h("token", false, func(e *E) error {
		tok := "tok-" + e.SB.Secret[7:]
		s, err := e.Launch([]string{"AUDIOEDIT_HTTP_TOKEN=" + tok}, "http")
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(e.Ctx, 30*time.Second)
		defer cancel()
		if err := s.waitHTTP(ctx); err != nil {
			return err
		}
		for _, a := range []string{"", "Bearer wrong", "Bearer " + tok + "x", "Basic " + tok, "bearer"} {
			hd := map[string]string{}
			if a != "" {
				hd["Authorization"] = a
			}
			code, body, err := e.raw(s, hd, strings.NewReader(initBody))
			if err != nil {
				return err
			}
			if code != http.StatusUnauthorized {
				return fmt.Errorf("Authorization %q got HTTP %d (want 401): %s", a, code, tail(body, 150))
			}
		}
		code, body, err := e.raw(s, map[string]string{"Authorization": "Bearer " + tok}, strings.NewReader(initBody))
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("the right token got HTTP %d (%v): %s", code, err, tail(body, 150))
		}
		if strings.Contains(s.Stderr(), tok) {
			return errors.New("the token appears in the server log")
		}
		return nil
	})
	h("bind-all-without-token", false, func(e *E) error {
		port, err := freePort()
		if err != nil {
			return err
		}
		s, err := e.Launch([]string{fmt.Sprintf("AUDIOEDIT_HTTP_ADDR=0.0.0.0:%d", port)}, "http")
		if err != nil {
			return err
		}
		select {
		case <-s.Exited():
		case <-time.After(10 * time.Second):
			s.stop()
			return fmt.Errorf("the server listens on 0.0.0.0:%d without a token", port)
		}
		if s.ExitErr() == nil || !strings.Contains(strings.ToLower(s.Stderr()), "token") {
			return fmt.Errorf("the server refused 0.0.0.0 without saying to set a token: exit %v: %s", s.ExitErr(), tail(s.Stderr(), 300))
		}
		return nil
	})
	h("body-5MiB", false, func(e *E) error {
		s, c, err := e.StartHTTP()
		if err != nil {
			return err
		}
		body := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"edit","arguments":{"instruction":"` + strings.Repeat("x", 5<<20) + `"}}}`
		code, resp, err := e.raw(s, map[string]string{"Mcp-Session-Id": c.Session}, strings.NewReader(body))
		if err != nil {
			return fmt.Errorf("a 5 MiB body: %v", err)
		}
		if code != http.StatusRequestEntityTooLarge {
			return fmt.Errorf("a 5 MiB body got HTTP %d (want 413): %s", code, tail(resp, 150))
		}
		return nil
	})
	h("body-300MB", true, func(e *E) error {
		s, c, err := e.StartHTTP()
		if err != nil {
			return err
		}
		body := io.MultiReader(strings.NewReader(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"edit","arguments":{"instruction":"`),
			io.LimitReader(repeatReader('x'), 300<<20), strings.NewReader(`"}}}`))
		code, _, err := e.raw(s, map[string]string{"Mcp-Session-Id": c.Session}, body)
		peak := s.PeakRSS()
		if peak > 256<<20 {
			return fmt.Errorf("a 300 MB body took the server's peak RSS to %d MB", peak>>20)
		}
		if err == nil && code != http.StatusRequestEntityTooLarge {
			return fmt.Errorf("a 300 MB body got HTTP %d (want 413)", code)
		}
		return alive(e, s)
	})
	h("half-open-1000", true, func(e *E) error {
		s, _, err := e.StartHTTP()
		if err != nil {
			return err
		}
		const n = 1000
		conns := make([]net.Conn, 0, n)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for range n {
			c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
			if err != nil {
				return fmt.Errorf("dial after %d half-open requests: %v", len(conns), err)
			}
			conns = append(conns, c)
			_, _ = c.Write([]byte("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"))
		}
		if err := alive(e, s); err != nil {
			return fmt.Errorf("with %d half-sent requests open: %w", n, err)
		}
		// The server must drop them (ReadHeaderTimeout); wait a minute at most.
		deadline := time.Now().Add(60 * time.Second)
		open := 0
		for _, c := range conns {
			_ = c.SetReadDeadline(deadline)
			if _, err := c.Read(make([]byte, 1)); err != nil && isTimeout(err) {
				open++
			}
			if time.Now().After(deadline) {
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			}
		}
		if open > 0 {
			return fmt.Errorf("%d of %d half-sent requests were still held after a minute", open, n)
		}
		return nil
	})
	h("json-depth", false, func(e *E) error {
		s, c, err := e.StartHTTP()
		if err != nil {
			return err
		}
		_, _, _ = e.raw(s, map[string]string{"Mcp-Session-Id": c.Session}, io.LimitReader(repeatReader('['), 1<<20))
		return alive(e, s)
	})
	h("batch-flood", false, func(e *E) error {
		s, c, err := e.StartHTTP()
		if err != nil {
			return err
		}
		var b bytes.Buffer
		b.WriteString("[")
		for i := range 2000 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"credits","arguments":{}}}`, i+10)
		}
		b.WriteString("]")
		_, _, _ = e.raw(s, map[string]string{"Mcp-Session-Id": c.Session}, &b)
		return alive(e, s)
	})
	return out
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// alive checks the http server still serves a fresh client.
func alive(e *E, s *Server) error {
	select {
	case <-s.Exited():
		return fmt.Errorf("the server died: %v\n%s", s.ExitErr(), tail(s.Stderr(), 1000))
	default:
	}
	c, err := e.NewHTTPSession(s, nil)
	if err != nil {
		return fmt.Errorf("the server no longer serves: %w", err)
	}
	if _, err := e.MustTool(c, "credits", nil); err != nil {
		return fmt.Errorf("the server no longer serves: %w", err)
	}
	return nil
}
