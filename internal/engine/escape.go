package engine

import "strings"

// Characters that are special at the two levels of ffmpeg's filtergraph
// syntax (see "Notes on filtergraph escaping" in ffmpeg-filters(1)):
// inside one filter's argument list (key=value:key=value) and in the
// graph description that holds the filters (a,b;[x]c).
const (
	optionSpecials = `\':`
	graphSpecials  = `\'[],;`
	// tokenSpace is what av_get_token strips from both ends of a token
	// unless it is escaped.
	tokenSpace = " \n\t\r"
)

// EscapeFilterValue escapes text for use as an option value inside an
// ffmpeg filtergraph written on the command line or in a filter script:
// drawtext's text=, and file paths given to fontfile=, textfile= or
// movie=. It applies both levels of ffmpeg's escaping, the filter's
// option level (\ ' :) and the graph level (\ ' [ ] , ;), and escapes
// leading and trailing whitespace so that it survives. NUL bytes, which
// cannot reach ffmpeg through argv, are dropped. drawtext still expands
// %{...} sequences unless the filter is given expansion=none.
func EscapeFilterValue(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	return escapeLevel(escapeLevel(s, optionSpecials), graphSpecials)
}

// escapeLevel backslash-escapes every byte of s found in specials, and
// whitespace at either end of s, for one level of av_get_token parsing.
func escapeLevel(s, specials string) string {
	// Leading and trailing whitespace spans (byte offsets).
	lead := len(s) - len(strings.TrimLeft(s, tokenSpace))
	trail := len(strings.TrimRight(s, tokenSpace))
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte(specials, c) >= 0 || i < lead || i >= trail {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}
