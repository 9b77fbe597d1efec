package fsutil

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes is the longest file name (one path component) the common
// file systems accept: 255 bytes on ext4, xfs, btrfs, APFS and tmpfs.
const MaxNameBytes = 255

// FileName makes a file name from stem and tail ("-edited-2.mp4"): the
// stem is cleaned by CleanStem and shortened on a rune boundary so the
// whole name fits MaxNameBytes. tail is kept whole; it is ours.
func FileName(stem, tail string) string {
	stem = CleanStem(stem)
	room := MaxNameBytes - len(tail)
	if room < 1 {
		room = 1
	}
	if len(stem) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		stem = strings.TrimRight(stem[:cut], " .")
		if stem == "" {
			stem = "export"
		}
	}
	return stem + tail
}

// CleanStem turns text (a file's title, a URL's last segment) into a safe
// file-name stem: valid UTF-8, no control or bidirectional-override
// characters (newlines included), no path separators, no leading dots
// (hidden files, "..") and no surrounding spaces. An empty result is
// "export".
func CleanStem(s string) string {
	s = strings.ToValidUTF8(s, "_")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\' || r == utf8.RuneError:
			return '_'
		case unicode.IsControl(r), isBidiOrSeparator(r):
			return '_'
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, ".")
	s = strings.TrimSpace(s)
	if s == "" {
		return "export"
	}
	return s
}

// isBidiOrSeparator reports characters that change how a name displays
// (right-to-left overrides can disguise an extension) or break lines.
func isBidiOrSeparator(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	case r == 0x2028 || r == 0x2029 || r == 0x85 || r == 0xFEFF:
		return true
	}
	return false
}
