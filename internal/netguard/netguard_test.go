package netguard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	blockedAddrs := []string{
		"127.0.0.1", "127.1.2.3", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "100.64.0.1", "100.127.255.254", "169.254.169.254", "169.254.0.1",
		"192.0.0.192", "192.0.2.1", "198.18.0.1", "198.51.100.7", "203.0.113.9", "224.0.0.1",
		"239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
		"::8.8.8.8", "fc00::1", "fd12:3456::1", "fe80::1", "fe80::1%eth0", "fec0::1", "ff02::1",
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "2002:7f00:1::", "2002:c0a8:101::1",
		"2001:db8::1", "2001::1", "100::1", "::ffff:0.0.0.0", "::ffff:255.255.255.255",
	}
	for _, s := range blockedAddrs {
		if err := Check(netip.MustParseAddr(s)); !errors.Is(err, ErrBlocked) {
			t.Errorf("Check(%s) = %v, want blocked", s, err)
		}
	}
	public := []string{"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.0", "172.32.0.1",
		"::ffff:8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::1"}
	for _, s := range public {
		if err := Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("Check(%s) = %v, want nil", s, err)
		}
	}
	if err := Check(netip.Addr{}); !errors.Is(err, ErrBlocked) {
		t.Errorf("Check(zero) = %v", err)
	}
}

func TestControl(t *testing.T) {
	t.Parallel()
	var o Options
	for _, c := range []struct {
		network, addr string
		ok            bool
	}{
		{"tcp4", "8.8.8.8:443", true},
		{"tcp6", "[2606:4700:4700::1111]:80", true},
		{"tcp4", "127.0.0.1:80", false},
		{"tcp6", "[::ffff:127.0.0.1]:80", false},
		{"tcp6", "[fe80::1%lo]:80", false},
		{"udp4", "8.8.8.8:53", false},
		{"tcp", "localhost:80", false},
		{"tcp", "garbage", false},
	} {
		err := o.Control(c.network, c.addr, nil)
		if (err == nil) != c.ok {
			t.Errorf("Control(%s, %s) = %v, want ok=%v", c.network, c.addr, err, c.ok)
		}
	}
	if err := (Options{AllowPrivate: true}).Control("tcp4", "127.0.0.1:80", nil); err != nil {
		t.Errorf("AllowPrivate: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"https://example.com/a.wav", "http://example.com:8080/x?y=1"} {
		if _, err := CheckURL(raw); err != nil {
			t.Errorf("CheckURL(%q) = %v", raw, err)
		}
	}
	for _, raw := range []string{"ftp://example.com/a.wav", "file:///etc/passwd", "gopher://x", "http://user@example.com/",
		"http://user:pw@example.com/", "http:///a.wav", "//example.com/a", "example.com/a.wav", "http://%zz", ""} {
		if _, err := CheckURL(raw); !errors.Is(err, ErrURL) {
			t.Errorf("CheckURL(%q) = %v, want ErrURL", raw, err)
		}
	}
}

// counter is a loopback server that counts the requests it got.
type counter struct {
	*httptest.Server
	hits atomic.Int64
}

func newCounter(t *testing.T, h http.HandlerFunc) *counter {
	c := &counter{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *counter) addrPort(t *testing.T) netip.AddrPort {
	u, _ := url.Parse(c.URL)
	ap, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func get(c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// TestClientRefusesLoopback: no request reaches a loopback server, by
// any spelling of its address.
func TestClientRefusesLoopback(t *testing.T) {
	t.Parallel()
	srv := newCounter(t, nil)
	port := srv.addrPort(t).Port()
	c := NewClient(Options{})
	for _, host := range []string{"127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "0.0.0.0", "[::1]", "[::]"} {
		u := fmt.Sprintf("http://%s:%d/a.wav", host, port)
		if err := get(c, u); !errors.Is(err, ErrBlocked) {
			t.Errorf("GET %s: %v, want ErrBlocked", u, err)
		}
	}
	// Spellings the resolver may or may not take; none may get through.
	for _, host := range []string{"127.1", "2130706433", "0x7f.1", "017700000001"} {
		if err := get(c, fmt.Sprintf("http://%s:%d/a.wav", host, port)); err == nil {
			t.Errorf("GET via %s succeeded", host)
		}
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests, want 0", n)
	}
	if err := get(NewClient(Options{AllowPrivate: true}), srv.URL); err != nil || srv.hits.Load() != 1 {
		t.Errorf("with AllowPrivate: %v, hits %d", err, srv.hits.Load())
	}
}

// TestRedirects: each hop is checked at connect time; at most
// MaxRedirects are followed; a redirect to a refused URL is refused.
func TestRedirects(t *testing.T) {
	t.Parallel()
	target := newCounter(t, nil)
	var origin *counter
	origin = newCounter(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/loopback":
			http.Redirect(w, r, target.URL+"/a.wav", http.StatusFound)
		case r.URL.Path == "/metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case r.URL.Path == "/userinfo":
			http.Redirect(w, r, "http://user@"+strings.TrimPrefix(origin.URL, "http://")+"/a", http.StatusFound)
		case r.URL.Path == "/file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/hop/"):
			var n int
			fmt.Sscanf(r.URL.Path, "/hop/%d", &n)
			if n == 0 {
				io.WriteString(w, "done")
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
		}
	})
	me := origin.addrPort(t)
	c := NewClient(Options{Permit: func(ap netip.AddrPort) bool { return ap == me }})
	for _, p := range []string{"/loopback", "/metadata"} {
		if err := get(c, origin.URL+p); !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: %v, want ErrBlocked", p, err)
		}
	}
	for _, p := range []string{"/userinfo", "/file", "/hop/6"} {
		if err := get(c, origin.URL+p); !errors.Is(err, ErrURL) {
			t.Errorf("%s: %v, want ErrURL", p, err)
		}
	}
	if err := get(c, origin.URL+"/hop/5"); err != nil {
		t.Errorf("5 redirects: %v", err)
	}
	if n := target.hits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want 0", n)
	}
}

// TestProxyIgnored: HTTP_PROXY does not route a download through a proxy.
func TestProxyIgnored(t *testing.T) {
	proxy := newCounter(t, nil)
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	c := NewClient(Options{AllowPrivate: true})
	_ = get(c, "http://audioedit-test.invalid/a.wav")
	if n := proxy.hits.Load(); n != 0 {
		t.Errorf("the proxy got %d requests, want 0", n)
	}
}

// FuzzCheck: an address and its IPv4-mapped form get the same verdict, and
// nothing Check lets through is loopback, private, link-local, multicast or
// unspecified by the standard library's own reckoning.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "8.8.8.8", "::ffff:10.0.0.1", "fe80::1%eth0", "64:ff9b::7f00:1", "2002:7f00:1::", "::", "169.254.169.254"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return
		}
		verdict := Check(a)
		if verdict == nil {
			u := a.Unmap()
			if u.IsLoopback() || u.IsPrivate() || u.IsLinkLocalUnicast() || u.IsMulticast() || u.IsUnspecified() || !u.IsGlobalUnicast() {
				t.Fatalf("Check(%s) let a non-public address through", a)
			}
		}
		if a.Is4() {
			mapped := netip.AddrFrom16(a.As16())
			if (Check(mapped) == nil) != (verdict == nil) {
				t.Fatalf("Check(%s) = %v but Check(%s) = %v", a, verdict, mapped, Check(mapped))
			}
		}
		ap := netip.AddrPortFrom(a, 80)
		if cerr := (Options{}).Control("tcp", ap.String(), nil); (cerr == nil) != (verdict == nil) {
			t.Fatalf("Control(%s) = %v, Check = %v", ap, cerr, verdict)
		}
	})
}
