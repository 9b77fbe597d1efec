package fsutil

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// DefaultFix ends a refusal of a path outside the configured roots.
const DefaultFix = "move the file there or add its folder to AUDIOEDIT_ROOTS"

// OutsideError is the refusal of a path outside every root: it names the
// path, the folders that may be used and what the user can do (Fix).
type OutsideError struct {
	Path  string
	Roots Roots
	// Fix says what to do; "" means DefaultFix.
	Fix string
}

// Error says which path, which folders and what to do.
func (e *OutsideError) Error() string {
	fix := e.Fix
	if fix == "" {
		fix = DefaultFix
	}
	if len(e.Roots) == 0 {
		return fmt.Sprintf("%v: %s: no folder may be used; %s", ErrOutsideRoots, e.Path, fix)
	}
	return fmt.Sprintf("%v: %s is not under %s; %s", ErrOutsideRoots, e.Path, strings.Join(e.Roots, string(filepath.ListSeparator)), fix)
}

// Unwrap makes errors.Is(err, ErrOutsideRoots) hold.
func (e *OutsideError) Unwrap() error { return ErrOutsideRoots }

// Scope is the folders one MCP client may use when they are not the
// configured roots: the roots the client offered (roots/list), narrowed
// to AUDIOEDIT_ROOTS when the user set it. It travels in the context
// from the tools to the backend, which checks every path a user names
// against it; the server's own folders (output, temp, cache) stay usable.
type Scope struct {
	Roots Roots
	// Fix ends a refusal of a path outside Roots: what the user can do.
	Fix string
}

type scopeKey struct{}

// WithScope returns a context whose paths are checked against s.
func WithScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// ScopeFrom returns the context's scope; ok is false when there is none
// (the configured roots apply).
func ScopeFrom(ctx context.Context) (s Scope, ok bool) {
	s, ok = ctx.Value(scopeKey{}).(Scope)
	return s, ok
}

// Check is Roots.Check against the scope's folders, its refusal ending
// with the scope's Fix.
func (s Scope) Check(path string) (string, error) {
	p, err := s.Roots.Check(path)
	return p, s.Refix(err)
}

// Refix puts the scope's Fix into an outside-roots refusal found in err,
// and returns err.
func (s Scope) Refix(err error) error {
	var oe *OutsideError
	if s.Fix != "" && errors.As(err, &oe) {
		oe.Fix = s.Fix
	}
	return err
}

// RootFromURI turns a root a client offers (a file:// URI) into a folder,
// resolved like a configured root (absolute, links followed). It refuses
// other schemes, remote hosts, relative paths, and what is not an
// existing folder, saying why.
func RootFromURI(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("root %q is not a URI: %v", uri, err)
	}
	if !strings.EqualFold(u.Scheme, "file") {
		return "", fmt.Errorf("root %q is not a file:// URI", uri)
	}
	if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
		return "", fmt.Errorf("root %q names another machine (%s)", uri, u.Host)
	}
	p := u.Path // percent-decoded
	if u.Opaque != "" || p == "" {
		return "", fmt.Errorf("root %q has no absolute path", uri)
	}
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // file:///C:/Music
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("root %q has no absolute path", uri)
	}
	ev, err := filepath.EvalSymlinks(filepath.Clean(p))
	if err != nil {
		return "", fmt.Errorf("root %q cannot be used: %v", uri, err)
	}
	st, err := os.Stat(ev)
	if err != nil {
		return "", fmt.Errorf("root %q cannot be used: %v", uri, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("root %q is not a folder", uri)
	}
	return ev, nil
}

// Holds reports whether path is one of the roots or lies inside one, by
// its text (resolve links first).
func (r Roots) Holds(path string) bool {
	for _, root := range r {
		if path == root || strings.HasPrefix(path, strings.TrimSuffix(root, string(filepath.Separator))+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// Narrow returns the folders of r that lie within the folders of bound,
// and the folders of bound that lie within r: the places both allow. A
// folder of r outside every folder of bound is dropped.
func (r Roots) Narrow(bound Roots) Roots {
	var out Roots
	for _, p := range r {
		if bound.Holds(p) {
			out = append(out, p)
		}
	}
	for _, p := range bound {
		if r.Holds(p) && !out.Holds(p) {
			out = append(out, p)
		}
	}
	// Drop folders inside others kept.
	slices.Sort(out)
	out = slices.Compact(out)
	var min Roots
	for _, p := range out {
		if !min.Holds(p) {
			min = append(min, p)
		}
	}
	return min
}
