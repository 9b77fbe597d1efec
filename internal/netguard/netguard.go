// Package netguard keeps URL downloads on the public internet. Its HTTP
// client checks every address it connects to, at connect time, after DNS
// resolution (so a name that resolves, or later re-resolves, to a private
// address is refused), and refuses loopback, private, CGNAT, link-local
// (the cloud metadata address 169.254.169.254 among them), unspecified,
// multicast, broadcast, reserved and documentation ranges, in IPv4 and
// IPv6, including IPv4 addresses embedded in IPv6 (mapped ::ffff:a.b.c.d
// checked as IPv4, the deprecated compatible ::a.b.c.d refused whole,
// NAT64 and 6to4 checked by the IPv4 address they carry). Redirects are followed at most MaxRedirects times and each
// hop is checked again; proxy environment variables are ignored, since a
// proxy would connect on our behalf to addresses we never see.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrBlocked is returned (wrapped) for a connection to a non-public
// address; no packet is sent to it.
var ErrBlocked = errors.New("address is not on the public internet")

// ErrURL is returned (wrapped) for a URL the client will not fetch: a
// scheme other than http or https, user info, no host.
var ErrURL = errors.New("URL not allowed")

// MaxRedirects is how many redirects the client follows.
const MaxRedirects = 5

// blocked are the ranges never connected to.
var blocked = prefixes(
	// IPv4
	"0.0.0.0/8",       // "this network"; 0.0.0.0 reaches the local host
	"10.0.0.0/8",      // private (RFC 1918)
	"100.64.0.0/10",   // carrier-grade NAT (RFC 6598)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata (169.254.169.254)
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments (incl. 192.0.0.192 metadata on some clouds)
	"192.0.2.0/24",    // documentation
	"192.88.99.0/24",  // 6to4 relay anycast
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, and 255.255.255.255 broadcast
	// IPv6
	"::/96",          // unspecified, loopback, IPv4-compatible ::a.b.c.d (deprecated)
	"64:ff9b:1::/48", // local-use NAT64 (RFC 8215): embeds any address, refused whole
	"100::/64",       // discard
	"2001::/23",      // IETF protocol assignments (Teredo 2001::/32 among them)
	"2001:db8::/32",  // documentation
	"3fff::/20",      // documentation
	"5f00::/16",      // segment routing SIDs
	"fc00::/7",       // unique local (ULA)
	"fe80::/10",      // link-local
	"fec0::/10",      // site-local (deprecated)
	"ff00::/8",       // multicast
)

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Check returns nil when a is a public unicast address, else an error
// wrapping ErrBlocked.
func Check(a netip.Addr) error {
	if !a.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrBlocked)
	}
	a = a.WithZone("")
	if a.Is4In6() {
		return Check(a.Unmap())
	}
	if v4, ok := embedded(a); ok {
		if err := Check(v4); err != nil {
			return fmt.Errorf("%s embeds %s: %w", a, v4, err)
		}
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return fmt.Errorf("%w: %s is in %s", ErrBlocked, a, p)
		}
	}
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return fmt.Errorf("%w: %s is not global unicast", ErrBlocked, a)
	}
	return nil
}

// embedded returns the IPv4 address an IPv6 translation address carries:
// NAT64 (64:ff9b::a.b.c.d) or 6to4 (2002:aabb:ccdd::).
func embedded(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// CheckURL parses raw and refuses what the client will not fetch: a
// scheme other than http or https, user info (user@host), no host. The
// error wraps ErrURL and says what to give instead.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: not a URL", ErrURL)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w: only http and https URLs can be fetched", ErrURL)
	case u.User != nil:
		return nil, fmt.Errorf("%w: URLs with a user name or password (user@host) are refused", ErrURL)
	case u.Hostname() == "":
		return nil, fmt.Errorf("%w: the URL has no host", ErrURL)
	}
	return u, nil
}

// Options configures a guarded client.
type Options struct {
	// AllowPrivate lifts the address check (tests, trusted networks).
	AllowPrivate bool
	// Permit, when set, lets an address through that the check would
	// refuse; tests use it to admit one loopback server and no other.
	Permit func(netip.AddrPort) bool
	// DialTimeout bounds one connection attempt; 0 means 30 s.
	DialTimeout time.Duration
}

// Control is a net.Dialer Control hook: it refuses a connection to a
// non-public address before it is made, unless allowed by opts.
func (o Options) Control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %s", ErrBlocked, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address", ErrBlocked)
	}
	if o.AllowPrivate || (o.Permit != nil && o.Permit(ap)) {
		return nil
	}
	return Check(ap.Addr())
}

// NewClient returns an HTTP client that connects only to public
// addresses (see Check), never through a proxy, follows at most
// MaxRedirects redirects, each checked with CheckURL, and has no overall
// timeout: callers bound each request with its context.
func NewClient(o Options) *http.Client {
	dt := o.DialTimeout
	if dt <= 0 {
		dt = 30 * time.Second
	}
	d := &net.Dialer{Timeout: dt, KeepAlive: 30 * time.Second, Control: o.Control}
	t := &http.Transport{
		Proxy:                  nil, // HTTP_PROXY & co. are ignored on purpose
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    dt,
		ResponseHeaderTimeout:  dt,
		MaxIdleConns:           8,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrURL, MaxRedirects)
			}
			if _, err := CheckURL(req.URL.String()); err != nil {
				return fmt.Errorf("redirect: %w", err)
			}
			return nil
		},
	}
}
