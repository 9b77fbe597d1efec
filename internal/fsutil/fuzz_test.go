package fsutil

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzPaths checks the name and path rules on any text: a file name is
// valid UTF-8, fits 255 bytes, keeps its tail, has no separator, control
// character or leading dot; a path accepted by Check or rootFor lies
// inside a root, and a relative part never climbs out.
func FuzzPaths(f *testing.F) {
	for _, s := range []string{"song", "../../etc/passwd", "\xff\xfe", "a\nb", strings.Repeat("中", 90), "/r/../x", "/r/a/../../x", "/r", "/rx/a", "~/x", ".hidden", "\u202Egpj.exe"} {
		f.Add(s)
	}
	roots := Roots{"/r", "/r/deep"}
	f.Fuzz(func(t *testing.T, s string) {
		n := FileName(s, "-edited-3.mp4")
		if len(n) > MaxNameBytes || !utf8.ValidString(n) || !strings.HasSuffix(n, "-edited-3.mp4") {
			t.Fatalf("FileName(%q) = %q", s, n)
		}
		if strings.ContainsAny(n, "/\\") || strings.HasPrefix(n, ".") || n != filepath.Base(n) {
			t.Fatalf("FileName(%q) = %q is not one plain name", s, n)
		}
		for _, r := range n {
			if r < ' ' || r == 0x7f || isBidiOrSeparator(r) {
				t.Fatalf("FileName(%q) = %q holds %U", s, n, r)
			}
		}
		root, rel, err := roots.rootFor(s)
		if err == nil {
			if rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
				t.Fatalf("rootFor(%q) = %q, %q climbs out", s, root, rel)
			}
			if filepath.Join(root, rel) != filepath.Clean(s) {
				t.Fatalf("rootFor(%q) = %q + %q", s, root, rel)
			}
		}
		// Check resolves against the real file system; with a root that
		// does not exist only paths inside it, by text, may pass.
		if p, err := roots.Check(s); err == nil {
			if p != "/r" && !strings.HasPrefix(p, "/r/") {
				t.Fatalf("Check(%q) = %q, outside the roots", s, p)
			}
		}
	})
}
