package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/tools"
)

// freeAddr returns a 127.0.0.1 address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`

var httpClient = &http.Client{Timeout: 60 * time.Second}

// mcpRequest is a POST of body to url as an MCP client sends it, with
// the given headers (pairs).
func mcpRequest(t *testing.T, url string, body io.Reader, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// post sends one JSON-RPC message to url with the given headers (pairs).
func post(t *testing.T, url, body string, headers ...string) *http.Response {
	t.Helper()
	resp, err := httpClient.Do(mcpRequest(t, url, strings.NewReader(body), headers...))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// waitHTTP waits until the server at addr accepts connections.
func waitHTTP(t *testing.T, addr string, stderr *syncBuffer) {
	t.Helper()
	for range 300 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the http server did not start; stderr:\n%s", stderr.String())
}

// TestHTTPBinary runs `mcp-audioedit http` and attacks it over real HTTP:
// foreign origins, forged session ids, missing or wrong tokens, oversized
// bodies; the token never reaches the log.
func TestHTTPBinary(t *testing.T) {
	const token = "tok-8f1d2c3b4a596877"
	addr := freeAddr(t)
	url := "http://" + addr + "/mcp"
	cmd := exec.Command(buildBinary(t), "http")
	cmd.Env = append(testEnv(t, t.TempDir()), "AUDIOEDIT_HTTP_ADDR="+addr, "AUDIOEDIT_HTTP_TOKEN="+token,
		"AUDIOEDIT_HTTP_ALLOWED_ORIGINS=https://app.example")
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitHTTP(t, addr, stderr)
	auth := "Bearer " + token

	for _, c := range []struct {
		name    string
		body    string
		headers []string
		want    int
	}{
		{"no token", initBody, nil, http.StatusUnauthorized},
		{"wrong token", initBody, []string{"Authorization", "Bearer nope"}, http.StatusUnauthorized},
		{"token as basic", initBody, []string{"Authorization", "Basic " + token}, http.StatusUnauthorized},
		{"foreign origin", initBody, []string{"Authorization", auth, "Origin", "http://evil.example"}, http.StatusForbidden},
		{"null origin", initBody, []string{"Authorization", auth, "Origin", "null"}, http.StatusForbidden},
		{"lookalike origin", initBody, []string{"Authorization", auth, "Origin", "http://localhost.evil.example"}, http.StatusForbidden},
		{"no origin", initBody, []string{"Authorization", auth}, http.StatusOK},
		{"loopback origin", initBody, []string{"Authorization", auth, "Origin", "http://localhost:5173"}, http.StatusOK},
		{"loopback ip origin", initBody, []string{"Authorization", auth, "Origin", "http://127.0.0.1:3000"}, http.StatusOK},
		{"listed origin", initBody, []string{"Authorization", auth, "Origin", "https://app.example"}, http.StatusOK},
		{"forged session", `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
			[]string{"Authorization", auth, "Mcp-Session-Id", "mcp-session-3f1c8b8e-8d1a-4c39-9f5e-2a4b6c8d0e1f"}, http.StatusNotFound},
		{"too large", `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"pad":"` + strings.Repeat("x", 5<<20) + `"}}`,
			[]string{"Authorization", auth}, http.StatusRequestEntityTooLarge},
	} {
		if got := post(t, url, c.body, c.headers...).StatusCode; got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}

	// A real session works; an unknown one still does not.
	resp := post(t, url, initBody, "Authorization", auth)
	sid := resp.Header.Get("Mcp-Session-Id")
	if sid == "" {
		t.Fatalf("initialize gave no session id: %v", resp.Header)
	}
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	if got := post(t, url, list, "Authorization", auth, "Mcp-Session-Id", sid).StatusCode; got != http.StatusOK {
		t.Errorf("tools/list in the real session: %d", got)
	}

	// DNS rebinding: a loopback connection naming another host is refused.
	req0 := mcpRequest(t, url, strings.NewReader(initBody), "Authorization", auth)
	req0.Host = "evil.example"
	if r, err := httpClient.Do(req0); err != nil {
		t.Errorf("rebinding: %v", err)
	} else if r.Body.Close(); r.StatusCode != http.StatusForbidden {
		t.Errorf("Host: evil.example: status %d, want 403", r.StatusCode)
	}

	// A body without Content-Length over the limit is cut off too.
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"jsonrpc":"2.0","id":4,"method":"ping","params":{"pad":"`))
		pw.Write(bytes.Repeat([]byte("x"), 5<<20))
		pw.Close()
	}()
	if r, err := httpClient.Do(mcpRequest(t, url, pr, "Authorization", auth)); err != nil {
		t.Errorf("chunked body: %v", err)
	} else if r.Body.Close(); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body: status %d, want 413", r.StatusCode)
	}

	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if strings.Contains(stderr.String(), token) {
		t.Errorf("the token reached the log")
	}
}

// TestHTTPRefusesOpenAddressWithoutToken: listening on every interface
// without a token is refused before anything starts.
func TestHTTPRefusesOpenAddressWithoutToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:8765"} {
		// Old code served here forever: the context ends that.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, buildBinary(t), "http")
		cmd.Env = append(testEnv(t, t.TempDir()), "AUDIOEDIT_HTTP_ADDR="+addr)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "AUDIOEDIT_HTTP_TOKEN") {
			t.Errorf("%s: err %v, output:\n%s", addr, err, out)
		}
	}
}

// TestHTTPHalfSentRequestDropped: a client that sends part of its headers
// and stops is disconnected (ReadHeaderTimeout), so half-sent requests
// cannot hold descriptors forever.
func TestHTTPHalfSentRequestDropped(t *testing.T) {
	s := tools.NewServer(nil, tools.Options{})
	srv := newHTTPServer(newHTTPHandler(s, httpOptions{}), httpOptions{ReadHeaderTimeout: 200 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	if srv.ReadHeaderTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Errorf("server limits unset: %+v", srv)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server kept a half-sent request open (read %q)", b)
	}
}

func TestCheckListen(t *testing.T) {
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8765", "", true}, {"localhost:8765", "", true}, {"[::1]:8765", "", true}, {"127.0.0.2:1", "", true},
		{"0.0.0.0:8765", "", false}, {":8765", "", false}, {"[::]:8765", "", false}, {"192.168.1.5:8765", "", false},
		{"example.com:80", "", false}, {"0.0.0.0:8765", "secret", true},
	} {
		if err := checkListen(c.addr, c.token); (err == nil) != c.ok {
			t.Errorf("checkListen(%q, token %v) = %v", c.addr, c.token != "", err)
		}
	}
}
