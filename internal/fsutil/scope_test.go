package fsutil

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRootFromURI(t *testing.T) {
	base := canonical(t.TempDir())
	spaced := filepath.Join(base, "my music %")
	os.MkdirAll(spaced, 0o755)
	os.WriteFile(filepath.Join(base, "file.wav"), []byte("x"), 0o644)
	os.Symlink(spaced, filepath.Join(base, "link"))
	enc := (&url.URL{Scheme: "file", Path: spaced}).String()
	if !strings.Contains(enc, "%20") || !strings.Contains(enc, "%25") {
		t.Fatalf("test URI %q is not percent-encoded", enc)
	}
	ok := []struct{ uri, want string }{
		{enc, spaced},
		{"FILE://localhost" + (&url.URL{Path: spaced}).EscapedPath(), spaced},
		{"file://" + filepath.Join(base, "link"), spaced}, // links resolved
		{"file://" + base + "/", base},
	}
	for _, c := range ok {
		got, err := RootFromURI(c.uri)
		if err != nil || got != c.want {
			t.Errorf("RootFromURI(%q) = %q, %v; want %q", c.uri, got, err, c.want)
		}
	}
	bad := []string{
		"http://example.com" + base,
		"file://server" + base,
		"file:relative/dir",
		base,
		"file://" + filepath.Join(base, "missing"),
		"file://" + filepath.Join(base, "file.wav"),
		"file://" + base + "/%zz",
	}
	for _, uri := range bad {
		if got, err := RootFromURI(uri); err == nil {
			t.Errorf("RootFromURI(%q) = %q, want a refusal", uri, got)
		}
	}
}

func TestNarrow(t *testing.T) {
	cases := []struct{ client, bound, want Roots }{
		{Roots{"/a/sub", "/c"}, Roots{"/a"}, Roots{"/a/sub"}},
		{Roots{"/"}, Roots{"/a", "/b"}, Roots{"/a", "/b"}},
		{Roots{"/a"}, Roots{"/a"}, Roots{"/a"}},
		{Roots{"/ab"}, Roots{"/a"}, nil}, // a prefix of the text is not a parent folder
		{Roots{"/c"}, Roots{"/a"}, nil},
		{Roots{"/a", "/a/sub"}, Roots{"/a/sub/x", "/a"}, Roots{"/a"}},
	}
	for _, c := range cases {
		if got := c.client.Narrow(c.bound); !slices.Equal(got, c.want) {
			t.Errorf("%v.Narrow(%v) = %v, want %v", c.client, c.bound, got, c.want)
		}
	}
}

func TestScopeRefusal(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	s := Scope{Roots: ParseRoots(a), Fix: "add it to the client's roots"}
	ctx := WithScope(context.Background(), s)
	got, ok := ScopeFrom(ctx)
	if !ok || !slices.Equal(got.Roots, s.Roots) {
		t.Fatalf("ScopeFrom = %v, %v", got, ok)
	}
	if _, ok := ScopeFrom(context.Background()); ok {
		t.Fatal("a bare context has a scope")
	}
	_, err := s.Check(filepath.Join(b, "x.wav"))
	if !errors.Is(err, ErrOutsideRoots) || !strings.Contains(err.Error(), s.Roots[0]) || !strings.HasSuffix(err.Error(), "; add it to the client's roots") {
		t.Fatalf("refusal %v", err)
	}
	// Through os.Root too (Stat), with the fix put in afterwards.
	_, err = s.Roots.Stat(filepath.Join(b, "x.wav"))
	if err = s.Refix(err); !strings.HasSuffix(err.Error(), "add it to the client's roots") {
		t.Fatalf("Stat refusal %v", err)
	}
	_, err = Scope{Fix: "none shared"}.Check(filepath.Join(a, "x.wav"))
	if !errors.Is(err, ErrOutsideRoots) || !strings.Contains(err.Error(), "no folder may be used; none shared") {
		t.Fatalf("empty scope: %v", err)
	}
}
