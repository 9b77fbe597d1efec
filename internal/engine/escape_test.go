package engine

import (
	"strings"
	"testing"
)

// avGetToken models libavutil's av_get_token: it skips leading whitespace,
// reads up to an unescaped, unquoted byte of term, turns \x into x, drops
// '...' quotes (nothing is special inside them) and strips unescaped
// trailing whitespace. It returns the token and the rest of s.
func avGetToken(s, term string) (tok, rest string) {
	s = strings.TrimLeft(s, tokenSpace)
	var out []byte
	end := 0
	i := 0
	for i < len(s) && strings.IndexByte(term, s[i]) < 0 {
		c := s[i]
		i++
		switch {
		case c == '\\' && i < len(s):
			out = append(out, s[i])
			i++
			end = len(out)
		case c == '\'':
			for i < len(s) && s[i] != '\'' {
				out = append(out, s[i])
				i++
			}
			if i < len(s) {
				i++
				end = len(out)
			}
		default:
			out = append(out, c)
		}
	}
	for len(out) > end && strings.IndexByte(tokenSpace, out[len(out)-1]) >= 0 {
		out = out[:len(out)-1]
	}
	return string(out), s[i:]
}

// unescapeFilterValue undoes EscapeFilterValue the way ffmpeg does when
// the value is the last option of a filter in a graph: the graph level
// reads the filter's arguments up to [ ] , ; and the option level reads
// the value up to :.
func unescapeFilterValue(v string) (string, bool) {
	args, rest := avGetToken("text="+v, "[],;")
	if rest != "" {
		return "", false
	}
	_, val, ok := strings.Cut(args, "=")
	if !ok {
		return "", false
	}
	val, rest = avGetToken(val, ":")
	return val, rest == ""
}

func TestEscapeFilterValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"plain", "plain"},
		{"a:b", `a\\:b`},
		{"it's", `it\\\'s`},
		{`back\slash`, `back\\\\slash`},
		{"a,b;c[d]e", `a\,b\;c\[d\]e`},
		{"50% done", "50% done"},
		{" pad ", `\\ pad\\\ `},
		{"/usr/share/fonts/DejaVu Sans.ttf", "/usr/share/fonts/DejaVu Sans.ttf"},
		{`C:\Fonts\a.ttf`, `C\\:\\\\Fonts\\\\a.ttf`},
		{"nul\x00byte", "nulbyte"},
		{"", ""},
	}
	for _, tt := range tests {
		got := EscapeFilterValue(tt.in)
		if got != tt.want {
			t.Errorf("EscapeFilterValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
		back, ok := unescapeFilterValue(got)
		if want := strings.ReplaceAll(tt.in, "\x00", ""); !ok || back != want {
			t.Errorf("ffmpeg would read %q as %q (complete %v), want %q", got, back, ok, want)
		}
	}
}

// hasUnescaped reports whether s has a byte of specials not preceded by an
// escaping backslash.
func hasUnescaped(s, specials string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++ // skip the escaped byte
			continue
		}
		if strings.IndexByte(specials, s[i]) >= 0 {
			return true
		}
	}
	return false
}

func FuzzEscapeFilterValue(f *testing.F) {
	for _, s := range []string{"", "a", `It's 50% "done": a,b;c [x] \ end`, " x ", "\\", "'", "::", "\t\n", "é ü 日本", "%{pts}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := EscapeFilterValue(s)
		// Graph level: nothing that ends the filter or starts a quote.
		if hasUnescaped(got, `'[],;`) {
			t.Fatalf("EscapeFilterValue(%q) = %q has an unescaped graph special", s, got)
		}
		// Option level, after the graph level's unescaping: nothing that
		// ends the option or starts a quote.
		opt, rest := avGetToken(got, "[],;")
		if rest != "" || hasUnescaped(opt, `':`) {
			t.Fatalf("EscapeFilterValue(%q) = %q has an unescaped option special in %q", s, got, opt)
		}
		back, ok := unescapeFilterValue(got)
		if want := strings.ReplaceAll(s, "\x00", ""); !ok || back != want {
			t.Fatalf("EscapeFilterValue(%q) = %q reads back as %q (complete %v)", s, got, back, ok)
		}
	})
}
