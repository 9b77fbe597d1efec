package engine

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// TextOverlay is text drawn on the picture from Start to End (output
// seconds; End 0 = to the end).
type TextOverlay struct {
	Text       string
	Start, End float64
	// Style is "title" (large, centred; default), "lower_third" (left,
	// in the lower third, on a dark band) or "caption" (bottom centre, on
	// a dark box).
	Style string
	// Position overrides the style's place: "top", "center" or "bottom".
	Position string
	// Scale multiplies the style's font size; 0 = 1.
	Scale float64
	// Color is a colour name or #rrggbb; "" = white.
	Color string
}

var colorNameRe = regexp.MustCompile(`^(?:#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$`)

// validate refuses overlays ffmpeg could not draw as asked.
func (o TextOverlay) validate() error {
	if strings.TrimSpace(o.Text) == "" {
		return fmt.Errorf("%w: a text overlay has no text", ErrInvalidExport)
	}
	if o.Start < 0 || (o.End != 0 && o.End <= o.Start) {
		return fmt.Errorf("%w: text overlay %.2f-%.2f s is not a time range", ErrInvalidExport, o.Start, o.End)
	}
	if o.Color != "" && !colorNameRe.MatchString(o.Color) {
		return fmt.Errorf("%w: colour %q is not a name or #rrggbb", ErrInvalidExport, o.Color)
	}
	return nil
}

// textFilter is the drawtext filter of one overlay on a w x h picture.
// Every string passes EscapeFilterValue; expansion=none keeps % literal.
func textFilter(o TextOverlay, font string, w, h int) string {
	scale := o.Scale
	if scale <= 0 {
		scale = 1
	}
	var size int
	var x, y, extra string
	switch o.Style {
	case "lower_third":
		size = h / 20
		x, y = fmt.Sprintf("%d", w/20), "h*0.72"
		extra = ":box=1:boxcolor=black@0.55:boxborderw=" + fmt.Sprint(max(h/90, 4))
	case "caption":
		size = h / 24
		x, y = "(w-text_w)/2", "h*0.86-text_h"
		extra = ":box=1:boxcolor=black@0.5:boxborderw=" + fmt.Sprint(max(h/120, 3))
	default:
		size = h / 11
		x, y = "(w-text_w)/2", "(h-text_h)/2"
		extra = ":shadowcolor=black@0.6:shadowx=2:shadowy=2"
	}
	switch o.Position {
	case "top":
		y = "h*0.08"
	case "center":
		y = "(h-text_h)/2"
	case "bottom":
		y = "h*0.9-text_h"
	}
	size = max(int(float64(size)*scale), 12)
	// Keep long lines inside the frame: about 0.6 em a character.
	if n := len([]rune(o.Text)); n > 0 {
		size = max(min(size, int(float64(w)*0.9/(0.6*float64(n)))), 12)
	}
	color := o.Color
	if color == "" {
		color = "white"
	}
	end := "1e9"
	if o.End > 0 {
		end = fnum(o.End)
	}
	return fmt.Sprintf("drawtext=fontfile=%s:expansion=none:text=%s:fontcolor=%s:fontsize=%d:x=%s:y=%s%s:enable='between(t,%s,%s)'",
		EscapeFilterValue(font), EscapeFilterValue(cleanText(o.Text)), EscapeFilterValue(color), size, x, y, extra, fnum(o.Start), end)
}

// cleanText makes overlay text one line: control characters (newlines
// included) become spaces.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// needsCJK reports whether text holds Han, Kana or Hangul characters.
func needsCJK(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return true
		}
	}
	return false
}

var cjkFontOnce struct {
	sync.Once
	path string
}

// cjkFontCandidates are CJK-capable fonts tried before asking fontconfig.
var cjkFontCandidates = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", // Debian/Ubuntu fonts-noto-cjk
	"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",      // Arch
	"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/System/Library/Fonts/PingFang.ttc",
}

// fontFor returns a font file that can draw text: for CJK text a
// CJK-capable font (fontconfig's answer for lang zh), else findFont.
func fontFor(text string) string {
	if !needsCJK(text) {
		return findFont()
	}
	cjkFontOnce.Do(func() {
		for _, p := range cjkFontCandidates {
			if _, err := os.Stat(p); err == nil {
				cjkFontOnce.path = p
				return
			}
		}
		if fc, err := exec.LookPath("fc-match"); err == nil {
			out, err := exec.Command(fc, "-f", "%{file}", "sans:lang=zh-cn").Output()
			if p := strings.TrimSpace(string(out)); err == nil && p != "" {
				if _, err := os.Stat(p); err == nil {
					cjkFontOnce.path = p
				}
			}
		}
	})
	if cjkFontOnce.path != "" {
		return cjkFontOnce.path
	}
	return findFont()
}

// fitFilter sizes a picture to w x h: "crop" fills the frame and cuts the
// overflow (centred), "blur" fits the picture over a blurred, cropped copy
// of itself, anything else fits it with black bars. in and out are the
// graph labels (without brackets).
func fitFilter(fit, in, out string, w, h int) string {
	switch fit {
	case "crop":
		return fmt.Sprintf("[%s]scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d,setsar=1[%s]", in, w, h, w, h, out)
	case "blur":
		bw, bh := max(w/8&^1, 16), max(h/8&^1, 16)
		return fmt.Sprintf("[%s]split=2[%s_bg][%s_fg];"+
			"[%s_bg]scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d,boxblur=6:2,scale=%d:%d,setsar=1[%s_b];"+
			"[%s_fg]scale=%d:%d:force_original_aspect_ratio=decrease,setsar=1[%s_f];"+
			"[%s_b][%s_f]overlay=(W-w)/2:(H-h)/2[%s]",
			in, in, in, in, bw, bh, bw, bh, w, h, in, in, w, h, in, in, in, out)
	}
	return fmt.Sprintf("[%s]%s[%s]", in, scalePad(w, h), out)
}
