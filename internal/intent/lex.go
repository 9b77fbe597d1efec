package intent

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// unit is what a number in the text measures.
type unit int

const (
	uBare  unit = iota // a plain number: seconds where a time is expected
	uTime              // a duration or clock time, value in seconds
	uDB                // dB or dBFS
	uDBTP              // dBTP (true peak)
	uLUFS              // LUFS / LKFS / dB LUFS
	uPct               // percent
	uTimes             // "2x", "3 times", "两倍", "3次", "2步"
	uOther             // 1080p, 48 kHz, 320 kbps...: ignored
)

// item is one number found in a clause, with its byte span.
type item struct {
	start, end int
	val        float64
	unit       unit
	mult       float64 // seconds per unit of the last time unit (60 for "2 minutes"); 0 for clocks and bare numbers
	signed     bool    // the text carried an explicit + or -
}

// timeLike reports whether the item can stand for a point or length in time.
func (it item) timeLike() bool { return it.unit == uTime || it.unit == uBare }

var (
	clockRe = regexp.MustCompile(`^(\d{1,3}):(\d{1,2}(?:\.\d+)?)(?::(\d{1,2}(?:\.\d+)?))?`)
	numRe   = regexp.MustCompile(`^(?:\d+(?:\.\d+)?|\.\d+)`)
	lufsRe  = regexp.MustCompile(`^[\s-]*(?:db\s*-?\s*lufs|lufs|lkfs|lu\b)`)
	dbtpRe  = regexp.MustCompile(`^[\s-]*(?:dbtp|db\s*tp\b|db\s*true[\s-]*peak)`)
	dbRe    = regexp.MustCompile(`^[\s-]*(?:dbfs|db\b|decibels?\b|分贝)`)
	pctRe   = regexp.MustCompile(`^\s*(?:%|percent\b|per cent\b)`)
	timesRe = regexp.MustCompile(`^\s*(?:x\b|times\b|倍|次|步|遍|steps?\b|edits?\b|changes?\b|actions?\b)`)
	otherRe = regexp.MustCompile(`^[\s-]*(?:p\b|k\b|khz\b|hz\b|fps\b|kbps\b|kb\b|mb\b|gb\b|bits?\b|ch\b|channels?\b|nd\b|rd\b|st\b|th\b|am\b|pm\b)`)
	joinRe  = regexp.MustCompile(`^[\s,]*(?:and\s+)?`)
)

// timeUnits in matching order: longer spellings first.
var timeUnits = []struct {
	word string
	mult float64
}{
	{"milliseconds", 0.001}, {"millisecond", 0.001}, {"msecs", 0.001}, {"msec", 0.001}, {"ms", 0.001}, {"毫秒", 0.001},
	{"hours", 3600}, {"hour", 3600}, {"hrs", 3600}, {"hr", 3600}, {"个小时", 3600}, {"小时", 3600}, {"个钟头", 3600}, {"钟头", 3600}, {"h", 3600},
	{"minutes", 60}, {"minute", 60}, {"mins", 60}, {"min", 60}, {"分钟", 60}, {"分半", 60}, {"分", 60}, {"m", 60},
	{"seconds", 1}, {"second", 1}, {"secs", 1}, {"sec", 1}, {"秒钟", 1}, {"秒", 1}, {"s", 1},
}

// timeUnitAt matches a time unit at the start of s (after spaces or a hyphen,
// as in "3-minute"). English units must end at a non-letter.
func timeUnitAt(s string) (n int, mult float64, half bool, ok bool) {
	skip := len(s) - len(strings.TrimLeft(s, " -"))
	if skip > 2 {
		return 0, 0, false, false
	}
	t := s[skip:]
	for _, u := range timeUnits {
		if !strings.HasPrefix(t, u.word) {
			continue
		}
		rest := t[len(u.word):]
		if u.word[0] < utf8.RuneSelf && rest != "" && rest[0] >= 'a' && rest[0] <= 'z' {
			continue
		}
		return skip + len(u.word), u.mult, u.word == "分半", true
	}
	return 0, 0, false, false
}

func parseNum(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || v > 1e6 {
		return 0, false
	}
	return v, true
}

// lex finds the numbers in a normalized clause: clock times (1:30,
// 01:02:03), durations with units, possibly compound ("1 min 20 s",
// "1分30秒", "1m20s"), and numbers tagged dB, dBTP, LUFS, %, times.
func lex(s string) []item {
	var items []item
	for i := 0; i < len(s); {
		c := s[i]
		if !(c >= '0' && c <= '9') && !(c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9') {
			i++
			continue
		}
		if i > 0 && (s[i-1] >= '0' && s[i-1] <= '9' || s[i-1] == '.' || s[i-1] == ':' || (s[i-1] >= 'a' && s[i-1] <= 'z')) {
			// inside a word such as "mp3" or "r128": not a number
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			i = j
			continue
		}
		start := i
		signed, neg := false, false
		if i > 0 && (s[i-1] == '-' || s[i-1] == '+') {
			prevNum := len(items) > 0 && strings.TrimSpace(s[items[len(items)-1].end:i-1]) == ""
			if !prevNum {
				signed, neg = true, s[i-1] == '-'
				start = i - 1
			}
		}
		if m := clockRe.FindStringSubmatch(after(s, i)); m != nil {
			a, _ := parseNum(m[1])
			b, okb := parseNum(m[2])
			v := a*60 + b
			if m[3] != "" {
				c, _ := parseNum(m[3])
				v = a*3600 + b*60 + c
			}
			if okb {
				items = append(items, item{start: i, end: i + len(m[0]), val: v, unit: uTime})
			}
			i += len(m[0])
			continue
		}
		m := numRe.FindString(after(s, i))
		v, ok := parseNum(m)
		end := i + len(m)
		if !ok {
			i = end
			continue
		}
		rest := after(s, end)
		it := item{start: start, val: v, signed: signed}
		if neg {
			it.val = -v
		}
		switch {
		case lufsRe.MatchString(rest):
			it.unit, it.end = uLUFS, end+len(lufsRe.FindString(rest))
		case dbtpRe.MatchString(rest):
			it.unit, it.end = uDBTP, end+len(dbtpRe.FindString(rest))
		case dbRe.MatchString(rest):
			it.unit, it.end = uDB, end+len(dbRe.FindString(rest))
		case pctRe.MatchString(rest):
			it.unit, it.end = uPct, end+len(pctRe.FindString(rest))
		case otherRe.MatchString(rest):
			it.unit, it.end = uOther, end+len(otherRe.FindString(rest))
		default:
			if n, mult, half, ok := timeUnitAt(rest); ok && !neg {
				it.unit, it.val, it.mult, it.end = uTime, v*mult, mult, end+n
				if half {
					it.val += 30
				}
				it = compound(s, it)
			} else if timesRe.MatchString(rest) {
				it.unit, it.end = uTimes, end+len(timesRe.FindString(rest))
			} else {
				it.unit, it.end = uBare, end
			}
		}
		items = append(items, it)
		i = it.end
	}
	return items
}

// compound extends a duration with following smaller units: "1 min 20 s",
// "1 minute and 20 seconds", "1h2m3s", "1分30秒", "1 s 500 ms".
func compound(s string, it item) item {
	for {
		rest := after(s, it.end)
		j := len(joinRe.FindString(rest))
		m := numRe.FindString(rest[j:])
		if m == "" {
			return it
		}
		v, ok := parseNum(m)
		if !ok {
			return it
		}
		n, mult, half, ok := timeUnitAt(rest[j+len(m):])
		if !ok || mult >= it.mult {
			return it
		}
		it.val += v * mult
		if half {
			it.val += 30
		}
		it.mult = mult
		it.end += j + len(m) + n
	}
}

// ctxLen bounds the context read around a number, so rules stay linear in
// the length of a clause.
const ctxLen = 40

// before returns up to ctxLen bytes of s ending at i, starting on a rune.
func before(s string, i int) string {
	j := max(0, i-ctxLen)
	for j < i && !utf8.RuneStart(s[j]) {
		j++
	}
	return s[j:i]
}

// after returns up to ctxLen bytes of s starting at i, ending on a rune.
func after(s string, i int) string {
	j := min(len(s), i+ctxLen)
	for j > i && j < len(s) && !utf8.RuneStart(s[j]) {
		j--
	}
	return s[i:j]
}
