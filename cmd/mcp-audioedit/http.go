package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"
)

// HTTP limits. Bodies carry JSON-RPC messages (paths and instructions,
// never media), so 4 MiB is far above any real call.
const (
	maxHTTPBody       = 4 << 20
	readHeaderTimeout = 10 * time.Second
	readBodyTimeout   = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

// httpOptions are the http subcommand's settings.
type httpOptions struct {
	// Addr is where to listen (AUDIOEDIT_HTTP_ADDR).
	Addr string
	// Token, when set, is required as "Authorization: Bearer <token>".
	Token string
	// AllowedOrigins are browser origins accepted besides loopback ones.
	AllowedOrigins []string
	// ReadHeaderTimeout overrides readHeaderTimeout (tests); 0 keeps it.
	ReadHeaderTimeout time.Duration
}

// checkListen refuses a non-loopback listen address without a token:
// anyone on the network could then drive the tools, which read and write
// files in the roots.
func checkListen(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || token != "" || isLoopbackHost(host) {
		return nil // a malformed address is the config's to report
	}
	return fmt.Errorf("refusing to serve HTTP on %s without a token: anyone who can reach that address could read and write your files through the tools. "+
		"Set AUDIOEDIT_HTTP_TOKEN to a long random secret (clients then send Authorization: Bearer <token>), or listen on a loopback address such as 127.0.0.1:8765 (AUDIOEDIT_HTTP_ADDR)", addr)
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}

// newHTTPHandler is the MCP endpoint at /mcp behind the guard.
func newHTTPHandler(s *server.MCPServer, o httpOptions) http.Handler {
	opts := []server.StreamableHTTPOption{
		// Stateful: session ids are random and remembered, so a forged
		// but well-formed Mcp-Session-Id gets 404 (the default manager
		// only checks the format).
		server.WithStateful(true),
	}
	if len(o.AllowedOrigins) > 0 {
		opts = append(opts, server.WithStreamableHTTPCORS(server.WithCORSAllowedOrigins(o.AllowedOrigins...)))
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", guard(server.NewStreamableHTTPServer(s, opts...), o))
	return mux
}

// newHTTPServer is an http.Server with timeouts and size limits: a client
// that sends headers slowly is dropped after ReadHeaderTimeout, an idle
// keep-alive connection after idleTimeout. There is no write timeout:
// exports wait and stream progress for minutes.
func newHTTPServer(h http.Handler, o httpOptions) *http.Server {
	rht := o.ReadHeaderTimeout
	if rht <= 0 {
		rht = readHeaderTimeout
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: rht,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// guard checks a request before MCP sees it: the Origin (the MCP spec
// requires it against DNS rebinding and cross-site calls from browsers),
// the bearer token, and the body size.
func guard(next http.Handler, o httpOptions) http.Handler {
	allowed := map[string]bool{}
	for _, a := range o.AllowedOrigins {
		allowed[strings.ToLower(a)] = true
	}
	want := sha256.Sum256([]byte(o.Token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !originAllowed(origin, allowed) {
			http.Error(w, "Forbidden: this origin may not call the server; add it to AUDIOEDIT_HTTP_ALLOWED_ORIGINS to allow it", http.StatusForbidden)
			return
		}
		// A CORS preflight carries no credentials; an allowed origin's
		// preflight goes through to the CORS handler.
		if o.Token != "" && r.Method != http.MethodOptions {
			got, ok := bearer(r.Header.Get("Authorization"))
			sum := sha256.Sum256([]byte(got)) // equal lengths: the compare leaks nothing
			if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="mcp-audioedit"`)
				http.Error(w, "Unauthorized: send Authorization: Bearer <the server's AUDIOEDIT_HTTP_TOKEN>", http.StatusUnauthorized)
				return
			}
		}
		if r.Method == http.MethodPost && r.Body != nil {
			if r.ContentLength > maxHTTPBody {
				tooLarge(w)
				return
			}
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Now().Add(readBodyTimeout))
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHTTPBody))
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				tooLarge(w)
				return
			case err != nil:
				http.Error(w, "Bad Request: the body could not be read in time", http.StatusBadRequest)
				return
			}
			_ = rc.SetReadDeadline(time.Time{})
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	http.Error(w, fmt.Sprintf("Request Entity Too Large: a request body may be %d MiB at most; pass file paths, never file contents", maxHTTPBody>>20), http.StatusRequestEntityTooLarge)
}

// bearer returns the token of an "Authorization: Bearer <token>" value.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// originAllowed accepts an http(s) origin on a loopback host, or one
// listed (lowercase, without a trailing slash).
func originAllowed(origin string, allowed map[string]bool) bool {
	if allowed[strings.ToLower(strings.TrimSuffix(origin, "/"))] {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || (u.Path != "" && u.Path != "/") {
		return false
	}
	return isLoopbackHost(u.Hostname())
}

// serveHTTP serves MCP over streamable HTTP on o.Addr (path /mcp) until
// ctx ends.
func serveHTTP(ctx context.Context, s *server.MCPServer, o httpOptions, log *zap.Logger) error {
	if err := checkListen(o.Addr, o.Token); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("serve http on %s (AUDIOEDIT_HTTP_ADDR): %w", o.Addr, err)
	}
	srv := newHTTPServer(newHTTPHandler(s, o), o)
	srv.ErrorLog = zap.NewStdLog(log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", zap.String("url", "http://"+ln.Addr().String()+"/mcp"),
		zap.Bool("token_required", o.Token != ""), zap.Strings("allowed_origins", o.AllowedOrigins))
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve http on %s (AUDIOEDIT_HTTP_ADDR): %w", o.Addr, err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
