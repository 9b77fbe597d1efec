package intent

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxInput bounds the bytes of text (4 KiB) Parse and Route look at; instructions are
// a sentence or two, and the bound keeps the work per call small.
const maxInput = 4 << 10

// mediaExt is the alternation of file extensions that make a word a file name.
const mediaExt = `wav|mp3|mp4|m4a|m4v|aac|flac|ogg|oga|opus|mov|mkv|webm|avi|aiff|aif|wma|wmv|mpeg|mpg|3gp|ts`

var (
	quotedFileRe = regexp.MustCompile(`(?i)["'“”‘’「」『』]([^"'“”‘’「」『』\n]{1,200}?\.(?:` + mediaExt + `))["'“”‘’「」『』]`)
	bareFileRe   = regexp.MustCompile(`(?i)[^\s"'“”‘’「」『』,，;；:：()（）<>\[\]、。]{1,200}\.(?:` + mediaExt + `)\b`)
	// "file 2", "file #2", "#2 file"; "the second file", "2nd file"; "第二个文件", "文件2".
	fileNumRe    = regexp.MustCompile(`(?i)\b(?:file|clip|recording)\s*(?:no\.?\s*|number\s*|#\s*)?(\d{1,3})\b`)
	fileOrdRe    = regexp.MustCompile(`(?i)\b(?:the\s+)?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d{1,3}(?:st|nd|rd|th))\s+(?:file|clip|recording)\b`)
	zhFileOrdRe  = regexp.MustCompile(`第\s*([0-9零一二两三四五六七八九十]{1,4})\s*个?\s*(?:文件|音频|视频|素材|录音)`)
	zhFileNumRe  = regexp.MustCompile(`(?:文件|音频文件|素材)\s*#?\s*([0-9]{1,3})`)
	ordinalWords = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
)

// zhFilePrefix are one-character words that often touch a Chinese file name
// without a space ("对采访.wav降噪"); they are not part of the name.
const zhFilePrefix = "对把将给从在用让帮只"

// extractTarget finds the file an instruction names and returns it with the
// text that remains once every file name is blanked out. The first name wins;
// later ones are removed too so their extensions never read as formats.
// Known names (the session's files) are found before the bare-name rule.
func extractTarget(s string, known ...string) (target, rest string) {
	blank := func(loc []int, sub int) {
		if target == "" {
			target = s[loc[2*sub]:loc[2*sub+1]]
		}
		s = s[:loc[0]] + " " + s[loc[1]:]
	}
	for {
		loc := quotedFileRe.FindStringSubmatchIndex(s)
		if loc == nil {
			break
		}
		blank(loc, 1)
	}
	for _, name := range byLength(known) {
		for {
			loc := findWhole(s, name)
			if loc == nil {
				break
			}
			blank(loc, 0)
		}
	}
	for {
		loc := bareFileRe.FindStringIndex(s)
		if loc == nil {
			break
		}
		name := s[loc[0]:loc[1]]
		for {
			r, size := utf8.DecodeRuneInString(name)
			if size == len(name) || !strings.ContainsRune(zhFilePrefix, r) {
				break
			}
			name = name[size:]
		}
		prefix := s[loc[0] : loc[1]-len(name)] // "只用" of "只用bed.mp3" stays in the text
		name = strings.TrimLeft(name, "-–—~")
		if target == "" {
			target = name
		}
		s = s[:loc[0]] + prefix + " " + s[loc[1]:]
	}
	if target != "" {
		return target, s
	}
	var loc []int
	if loc = fileNumRe.FindStringSubmatchIndex(s); loc != nil {
		target = "#" + strings.TrimLeft(s[loc[2]:loc[3]], "0")
	} else if loc = fileOrdRe.FindStringSubmatchIndex(s); loc != nil {
		w := strings.ToLower(s[loc[2]:loc[3]])
		n, ok := ordinalWords[w]
		if !ok {
			n, _ = strconv.Atoi(strings.TrimRight(w, "stndrh"))
		}
		target = "#" + strconv.Itoa(n)
	} else if loc = zhFileOrdRe.FindStringSubmatchIndex(s); loc != nil {
		target = "#" + strconv.Itoa(zhNumber(s[loc[2]:loc[3]]))
	} else if loc = zhFileNumRe.FindStringSubmatchIndex(s); loc != nil {
		target = "#" + strings.TrimLeft(s[loc[2]:loc[3]], "0")
	} else {
		return "", s
	}
	if target == "#" || target == "#0" {
		target = ""
		return "", s
	}
	return target, s[:loc[0]] + " " + s[loc[1]:]
}

// foldRune maps full-width forms, dashes, quotes and sentence ends to the
// plain characters the rules are written in.
func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		r -= 0xFEE0
	case r == 0x3000: // ideographic space
		return ' '
	case r == '−' || r == '–' || r == '—' || r == '‐' || r == '‑' || r == '～' || r == '〜':
		return '-'
	case r == '’' || r == '‘' || r == '`':
		return '\''
	case r == '“' || r == '”':
		return '"'
	case r == '。' || r == '！' || r == '？' || r == '!' || r == '?':
		return ';'
	case r == '〇':
		return '零'
	case unicode.IsSpace(r):
		return ' '
	}
	switch r {
	case '!', '?':
		return ';'
	case '~':
		return '-'
	case '`':
		return '\''
	}
	return r
}

var (
	spaceRe     = regexp.MustCompile(`\s+`)
	sentenceRe  = regexp.MustCompile(`\.(\s|$)`)
	tensRe      = regexp.MustCompile(`\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](one|two|three|four|five|six|seven|eight|nine)\b)?`)
	unitsWordRe = regexp.MustCompile(`\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)\b`)
	halfRe      = regexp.MustCompile(`\b(?:half an? |half )(second|sec|minute|min|hour)\b`)
	aUnitRe     = regexp.MustCompile(`\b(?:a|an) (second|minute|hour)\b( (?:file|clip|pass|time|take|version|track|recording|copy|one)\b)?`)
	coupleRe    = regexp.MustCompile(`\ba couple (?:of )?`)
	// "the first second", "the last minute": one unit, not an ordinal.
	edgeUnitRe = regexp.MustCompile(`\b(first|last|final|opening|closing) (second|minute)\b`)
	signWordRe = regexp.MustCompile(`\b(minus|negative|plus|positive)\s*(\d)`)
	zhNumRe    = regexp.MustCompile(`([零一二两三四五六七八九十百千]+)(个)?(毫秒|秒|分钟|分|小时|钟头|步|次|倍|分贝|遍|db|%)`)
	zhHalfRe   = regexp.MustCompile(`半(个)?(秒|分钟|小时|钟头)`)
	zhOrdRe    = regexp.MustCompile(`第([零一二两三四五六七八九十百]+)`)
	zhPctRe    = regexp.MustCompile(`百分之([0-9]+|[零一二两三四五六七八九十百]+)`)
)

var wordNums = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
	"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

// normalize lower-cases s, folds full-width and typographic characters,
// writes number words (English and Chinese) as digits, turns "minus 16" into
// "-16" and sentence ends into ";", and collapses white space.
func normalize(s string) string {
	s = strings.ToLower(s)
	s = strings.Map(foldRune, s)
	s = sentenceRe.ReplaceAllString(s, ";$1")
	s = halfRe.ReplaceAllString(s, "0.5 $1")
	s = aUnitRe.ReplaceAllStringFunc(s, func(m string) string {
		if strings.Count(m, " ") > 1 { // "a second file": an ordinal, leave it
			return m
		}
		return "1" + m[strings.IndexByte(m, ' '):]
	})
	s = coupleRe.ReplaceAllString(s, "2 ")
	s = edgeUnitRe.ReplaceAllString(s, "$1 1 $2")
	s = tensRe.ReplaceAllStringFunc(s, func(m string) string {
		f := strings.FieldsFunc(m, func(r rune) bool { return r == ' ' || r == '-' })
		n := 0
		for _, w := range f {
			n += wordNums[w]
		}
		return strconv.Itoa(n)
	})
	s = unitsWordRe.ReplaceAllStringFunc(s, func(m string) string { return strconv.Itoa(wordNums[m]) })
	s = signWordRe.ReplaceAllStringFunc(s, func(m string) string {
		sign := "-"
		if m[0] == 'p' {
			sign = "+"
		}
		return sign + m[len(m)-1:]
	})
	s = zhHalfRe.ReplaceAllString(s, "0.5$2")
	s = zhPctRe.ReplaceAllStringFunc(s, func(m string) string {
		return strconv.Itoa(zhNumber(strings.TrimPrefix(m, "百分之"))) + "%"
	})
	s = replaceZhNumbers(s)
	s = spaceRe.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

// replaceZhNumbers writes Chinese numerals that count something (seconds,
// steps, times, dB...) or follow 第 as digits. "十分" is only a number when
// minutes follow it (十分钟), never in "十分安静" (very quiet).
func replaceZhNumbers(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range zhNumRe.FindAllStringSubmatchIndex(s, -1) {
		unit := s[m[6]:m[7]]
		if unit == "分" {
			next, _ := utf8.DecodeRuneInString(s[m[7]:])
			if !(next == '半' || next == '秒' || (next >= '0' && next <= '9') || strings.ContainsRune("零一二两三四五六七八九十", next)) {
				continue
			}
		}
		b.WriteString(s[last:m[2]])
		b.WriteString(strconv.Itoa(zhNumber(s[m[2]:m[3]])))
		last = m[3]
	}
	b.WriteString(s[last:])
	return zhOrdRe.ReplaceAllStringFunc(b.String(), func(m string) string {
		return "第" + strconv.Itoa(zhNumber(strings.TrimPrefix(m, "第")))
	})
}

// zhNumber reads a small Chinese (or Arabic) numeral: 五 5, 十五 15, 二十 20,
// 一百零五 105, 两 2. Unknown characters are skipped.
func zhNumber(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	total, cur := 0, 0
	for _, r := range s {
		switch r {
		case '零':
			cur = 0
		case '一':
			cur = 1
		case '二', '两':
			cur = 2
		case '三':
			cur = 3
		case '四':
			cur = 4
		case '五':
			cur = 5
		case '六':
			cur = 6
		case '七':
			cur = 7
		case '八':
			cur = 8
		case '九':
			cur = 9
		case '十', '百', '千':
			u := map[rune]int{'十': 10, '百': 100, '千': 1000}[r]
			if cur == 0 {
				cur = 1
			}
			total += cur * u
			cur = 0
		}
	}
	return total + cur
}

// byLength returns the media names among names, longest first, so
// "bed.mp3" never matches inside "old bed.mp3" when both are known.
func byLength(names []string) []string {
	var out []string
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" && len(n) <= 255 && mediaFileRe.MatchString(n) {
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// findWhole finds name in s, ignoring case, where it stands as a whole name:
// not continued by a letter or digit, nor preceded by one of the characters
// a Latin file name is made of. Chinese text may touch it on either side.
func findWhole(s, name string) []int {
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(name))
	for _, loc := range re.FindAllStringIndex(s, -1) {
		before, _ := utf8.DecodeLastRuneInString(s[:loc[0]])
		after, _ := utf8.DecodeRuneInString(s[loc[1]:])
		if loc[0] > 0 && before < utf8.RuneSelf && isNameByte(byte(before)) {
			continue
		}
		if loc[1] < len(s) && after < utf8.RuneSelf && (isAlnum(byte(after)) || after == '_' || after == '-') {
			continue
		}
		if after == '.' { // "bed.mp3.wav" is another name; "bed.mp3." ends a sentence
			if next, _ := utf8.DecodeRuneInString(s[loc[1]+1:]); next < utf8.RuneSelf && isAlnum(byte(next)) {
				continue
			}
		}
		return loc
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isNameByte(c byte) bool { return isAlnum(c) || strings.IndexByte("._-~/\\", c) >= 0 }

// prepare is the shared front end of Parse and Route: it bounds and repairs
// the text, takes out the target file, and normalizes what is left.
func prepare(text string, names []string) (target, norm string) {
	if len(text) > maxInput {
		text = text[:maxInput]
	}
	text = strings.ToValidUTF8(text, " ")
	target, rest := extractTarget(text, names...)
	return target, normalize(rest)
}
