package intent

import (
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Clause splitting. Separators are punctuation and connectives in both
// languages; fragments that cannot stand alone are merged back (see
// clauses).
var splitRe = regexp.MustCompile(`\s*(?:;|,|、|&|\band then\b|\bthen\b|\band\b|\bafter that\b|\balso\b|\bbut\b|\bas well as\b|然后|接着|之后再|并且|以及|同时|还有|再|和|跟)\s*`)

var (
	negRe          = regexp.MustCompile(`\b(?:don'?t|do not|never|no need to|without|skip|not)\b|\bno (?:export|render|download)|先别|先不|不要|别|不用|无需|不需要|跳过|不必`)
	fillerRe       = regexp.MustCompile(`\bu+m+s?\b|\bu+h+s?\b|\ber+m+s?\b|\bfiller|\blike words\b|语气词|口头禅|填充词`)
	undoRe         = regexp.MustCompile(`\bundo\b|撤销|撤消|撤回|\brevert\b|\bgo back\b|回退`)
	redoRe         = regexp.MustCompile(`\bredo\b|重做`)
	denoiseRe      = regexp.MustCompile(`\bnois(?:e|es|y)\b|\bdenois(?:e|er|ing)\b|\bde-nois(?:e|ing)\b|\bhiss(?:es|ing|y)?\b|\bstatic\b|\bclean(?:ing|up)?\b|噪|杂音|嘶嘶|清理|净化`)
	silenceRe      = regexp.MustCompile(`\bsilen(?:ce|ces|t)\b|\bpauses?\b|\bgaps?\b|\bdead air\b|\bquiet (?:parts|bits|sections|spots)\b|静音|停顿|沉默|空白|无声|静默|间隙|留白`)
	loudRe         = regexp.MustCompile(`\bnormali[sz](?:e|ing|ation)\b|\bloudness\b|\blufs\b|\blkfs\b|\bloud enough\b|\bebu\b|\br128\b|响度|标准化|归一化|规范化`)
	levelRe        = regexp.MustCompile(`\blevel(?:s|ing)?\b|\beven out\b|电平`)
	volumeRe       = regexp.MustCompile(`\bvolume\b|\b(?:twice|\d+ times) as loud\b|\blouder\b|\bquieter\b|\bsofter\b|\bgain\b|\bboost\b|\bamplif\w*|\battenuat\w*|\bturn (?:it |this |that |everything |the \w+ )?(?:up|down)\b|\bdouble\b|\bhalve\b|音量|大声|小声|声音大|声音小|调大|调小|增益|放大|加倍|翻倍|减半|响一点|大一点|小一点`)
	fadeRe         = regexp.MustCompile(`\bfad(?:e|es|ing)\b|\bfade-?(?:in|out)\b|\bfadein\b|\bfadeout\b|淡入|淡出|渐入|渐出|渐强|渐弱`)
	syncRe         = regexp.MustCompile(`\bsync(?:s|ing|hroni[sz]e|hroni[sz]ing|hroni[sz]ation)?\b|\blip-?sync\b|\balign(?:s|ing|ment)?\b|同步|对齐`)
	cutVerbRe      = regexp.MustCompile(`\b(?:cut|cuts|cutting|remove|removing|delete|deleting|trim|trimming|drop|chop|chop off|erase|lose|get rid of|take out|snip)\b|删|去掉|去除|剪掉|剪去|剪除|裁掉|切掉|砍掉`)
	keepVerbRe     = regexp.MustCompile(`\bkeep\b|\b(?:use only|only use)\b[^;]*\d|只用[^;]*\d|\b(?:trim|shorten|cut|crop|clip|chop) (?:it |this |that |everything |the \w+ )?(?:down )?to\b|\bcrop\b|只保留|保留|只要|截取|剪成|剪到|裁剪到|裁到|缩短到|缩短为|只留`)
	paddingRe      = regexp.MustCompile(`\bpadding\b|\bmargins?\b|\bbuffer\b|\bpad\b|余量|边距|缓冲`)
	exportStrongRe = regexp.MustCompile(`\bexport\w*|\brender\w*|导出|渲染`)
	exportWeakRe   = regexp.MustCompile(`\bdownload\w*|\bsend (?:it|me|over|the|back)\b|\bsave (?:it |this |the \w+ )?as\b|\bconvert\w*|\bgive me the (?:file|video|audio|result|final|output|mp\d)\b|\boutput\b|下载|输出|发给我|发我|保存为|保存成|转成|转为|转换成|转换为`)
	formatRe       = regexp.MustCompile(`\b(mp4|mov|mkv|webm|mp3|wav|m4a|aac)\b`)
	determinerRe   = regexp.MustCompile(`(?:\bthe|\bthis|\bthat|\bmy|\byour|\bthese|\bthose|\bour|\bexisting|\boriginal|\binput|这个|那个|该|原)\s*$`)
	// "send me the mp3", "export the wav": a determiner after an export verb
	// still names the output.
	exportDetRe = regexp.MustCompile(`(?:export\w*|render\w*|download\w*|send|give|save|convert\w*|导出|下载)\s+(?:it\s+|me\s+)?(?:as\s+|to\s+|into\s+)?(?:the|this|that|my|your|an?)\s*$`)
	politeRe    = regexp.MustCompile(`^(?:please|pls|plz|thanks|thank you|thx|so much|very much|a lot|kindly|could you|can you|would you|ok|okay|now|for me|it|the (?:audio|video|file|track|recording|clip)|audio|video|good|great|好的|好|谢谢|请|帮我|麻烦你?|了|吧|一下|[\s'"\-.:]+)*$`)
	contRe      = regexp.MustCompile(`^(?:out|in|end|the end|ending|last|the last|first|the first|the rest|结尾|末尾|最后|结束|开头)\b`)
	digitRe     = regexp.MustCompile(`[0-9]`)
)

// span is a clause: a byte range of the normalized text.
type span struct{ start, end int }

// clauses splits normalized text into clauses. A fragment that names no
// operation, export or format and is short (three words or four Chinese
// characters at most), holds a number, or starts like a continuation ("out",
// "the end", "the last") belongs to its neighbour: "fade in and out",
// "between 1:00 and 2:00", "trim silence at the start and end" and
// "sync audio and video" stay one clause. It is merged into the clause
// before it, or the one after it when it comes first.
func clauses(s string) []span {
	var parts []span
	last := 0
	for _, m := range splitRe.FindAllStringIndex(s, -1) {
		if m[0] > last {
			parts = append(parts, span{last, m[0]})
		}
		last = m[1]
	}
	if last < len(s) {
		parts = append(parts, span{last, len(s)})
	}
	var out []span
	pendingStart := -1
	for _, p := range parts {
		c := s[p.start:p.end]
		if strings.TrimSpace(c) == "" {
			continue
		}
		if pendingStart >= 0 {
			p.start = pendingStart
			pendingStart = -1
		}
		if !standsAlone(c) {
			if len(out) > 0 {
				out[len(out)-1].end = p.end
				continue
			}
			pendingStart = p.start
			continue
		}
		out = append(out, p)
	}
	if pendingStart >= 0 {
		out = append(out, span{pendingStart, len(s)})
	}
	return out
}

// standsAlone reports whether a fragment is its own clause rather than the
// tail of its neighbour.
func standsAlone(c string) bool {
	if hasAnyTrigger(c) || exportStrongRe.MatchString(c) || exportWeakRe.MatchString(c) ||
		formatRe.MatchString(c) || fillerRe.MatchString(c) || undoRe.MatchString(c) || redoRe.MatchString(c) {
		return true
	}
	if (cutVerbRe.MatchString(c) || keepVerbRe.MatchString(c)) && !paddingRe.MatchString(c) {
		return true
	}
	c = strings.TrimSpace(c)
	if digitRe.MatchString(c) || contRe.MatchString(c) || paddingRe.MatchString(c) {
		return false
	}
	han := 0
	for _, r := range c {
		if unicode.Is(unicode.Han, r) {
			han++
		}
	}
	return len(strings.Fields(c)) > 3 || han > 4
}

func hasAnyTrigger(c string) bool {
	for _, t := range triggers {
		if t.re.MatchString(c) {
			return true
		}
	}
	return levelRe.MatchString(c)
}

var twiceRe = regexp.MustCompile(`\btwice\b|\bthrice\b`)

// stepCount reads "undo the last 2 edits", "undo 3 times", "undo twice",
// "撤销两步"; 0 when no count is given. Counts are capped at 100.
func stepCount(c string) int {
	if m := twiceRe.FindString(c); m != "" {
		if m == "twice" {
			return 2
		}
		return 3
	}
	for _, it := range lex(c) {
		if (it.unit == uBare || it.unit == uTimes) && it.val >= 1 && it.val == math.Trunc(it.val) {
			return int(math.Min(it.val, MaxSteps+1))
		}
	}
	return 0
}

var (
	gentleRe       = regexp.MustCompile(`\b(?:gentl[ey]|light|lightly|slight|slightly|subtle|subtly|mild|mildly|a (?:little|bit)|soft|softly|moderate|moderately)\b|轻微|轻度|稍微|轻轻|适度|温和`)
	strongRe       = regexp.MustCompile(`\b(?:strong|strongly|aggressive|aggressively|heavy|heavily|complete|completely|fully|max|maximum|hard|thorough|thoroughly)\b|强力|彻底|强烈|大力|完全|最大|全力`)
	fastRe         = regexp.MustCompile(`\b(?:fast|faster|quick|quickly|rnnoise|lightweight|real-?time)\b|快速|实时`)
	bestRe         = regexp.MustCompile(`\b(?:best|highest|high[\s-]quality|neural|ai|deep[\s-]learning|ml|gtcrn|premium)\b|最好|最佳|高质量|神经网络|人工智能|深度学习`)
	classicRe      = regexp.MustCompile(`\b(?:classic|classical|ffmpeg|afftdn|traditional|spectral|fft)\b|传统|经典`)
	strengthPostRe = regexp.MustCompile(`^\s*(?:strength|强度)`)
	strengthPreRe  = regexp.MustCompile(`(?:strength|强度|amount|wet|mix)\s*(?:of|to|at|=|:|为|到)?\s*$`)
)

func parseDenoise(s string) (Op, string) {
	op := Op{Kind: KindDenoise}
	switch {
	case strongRe.MatchString(s):
		op.Strength = 1
	case gentleRe.MatchString(s):
		op.Strength = 0.5
	}
	for _, it := range lex(s) {
		switch {
		case it.unit == uPct && (it.val <= 0 || it.val > 100):
			return op, "a denoise strength of " + num(it.val) + "% is outside 1-100%"
		case it.unit == uPct:
			op.Strength = it.val / 100
		case it.unit == uBare && it.val > 0 && (strengthPreRe.MatchString(before(s, it.start)) || strengthPostRe.MatchString(after(s, it.end))):
			switch {
			case it.val <= 1:
				op.Strength = it.val
			case it.val <= 100:
				op.Strength = it.val / 100
			default:
				return op, "a denoise strength of " + num(it.val) + " is outside 0-1 (or 1-100%)"
			}
		}
	}
	switch {
	case fastRe.MatchString(s):
		op.Model = "fast"
	case bestRe.MatchString(s):
		op.Model = "best"
	case classicRe.MatchString(s):
		op.Model = "classic"
	}
	return op, ""
}

var (
	shortenRe = regexp.MustCompile(`\bshorten\w*|\btighten\w*|\bcompress\w*|\breduce\b|\bcondense\w*|\bshrink\w*|缩短|压缩|减少|缩减`)
	longRe    = regexp.MustCompile(`\blong(?:er)?\b|长`)
	minPreRe  = regexp.MustCompile(`(?:longer|more|greater|over|exceeding|exceed|exceeds|above|than|least|past|beyond|超过|大于|长于|多于|超出)\s*(?:than\s*)?$`)
	minPostRe = regexp.MustCompile(`^\s*(?:or (?:more|longer)|\+|以上|或更长|及以上|或以上)`)
	marPreRe  = regexp.MustCompile(`(?:\bkeep|\bleave|\bleaving|\bkeeping|\bpadding|\bmargins?|\bpad|\bbuffer|\bwith|保留|留下|留|余量|留出)\s*(?:of\s*)?(?:about\s*|around\s*|only\s*)?$`)
	marPostRe = regexp.MustCompile(`^\s*(?:of\s*)?(?:padding|margins?|buffer|pad|around|on (?:each|either|both) sides?|的?余量|的?边距|的?缓冲)`)
	toPreRe   = regexp.MustCompile(`(?:\bto|\bdown to|\bat|\bof|到|为|成)\s*(?:about\s*|around\s*)?$`)
)

// parseSilence reads a trim-silence clause. Leading and trailing silence is
// part of the operation, so "trim silence at the start and end" is plain
// trim_silence. "shorten (long) pauses" without a length keeps pauses at
// DefaultShortenTo; "remove pauses longer than 2 s" sets MinPause.
func parseSilence(s string) (Op, string) {
	op := Op{Kind: KindTrimSilence}
	shorten := shortenRe.MatchString(s)
	for _, it := range lex(s) {
		pre, post := before(s, it.start), after(s, it.end)
		switch it.unit {
		case uDB, uLUFS:
			a := math.Abs(it.val)
			if a == 0 || a > 120 {
				return op, "a silence threshold of " + num(-a) + " dB is outside -120..-1 dBFS"
			}
			op.ThresholdDB = -a
		case uBare, uTime:
			v := it.val
			if it.unit == uBare && it.signed && v < 0 {
				if a := -v; a <= 120 {
					op.ThresholdDB = -a
					continue
				}
				return op, "a silence threshold of " + num(v) + " dB is outside -120..-1 dBFS"
			}
			if v <= 0 || v > MaxPause {
				return op, "a pause length of " + num(v) + " s is outside 0-60 s"
			}
			switch {
			case minPreRe.MatchString(pre) || minPostRe.MatchString(post):
				op.MinPause = v
			case marPreRe.MatchString(pre) || marPostRe.MatchString(post):
				op.Margin = v
			case shorten && toPreRe.MatchString(pre):
				op.ShortenTo = v
			case shorten && op.ShortenTo == 0 && !longRe.MatchString(post):
				op.ShortenTo = v
			default:
				op.MinPause = v
			}
		}
	}
	if shorten && op.ShortenTo == 0 {
		op.ShortenTo = DefaultShortenTo
	}
	if op.ShortenTo > 0 && op.MinPause > 0 && op.ShortenTo >= op.MinPause {
		return op, "pauses longer than " + num(op.MinPause) + " s cannot be shortened to " + num(op.ShortenTo) + " s"
	}
	return op, ""
}

var (
	peakPreRe  = regexp.MustCompile(`(?:peak|peaks|ceiling|limit|峰值)\D{0,12}$`)
	peakPostRe = regexp.MustCompile(`^\s*(?:true\s*)?(?:peak|ceiling|峰值)`)
	atPreRe    = regexp.MustCompile(`(?:\bto|\bat|\bof|\bis|到|为|成|至)\s*(?:about\s*|around\s*)?$`)
	presets    = []struct {
		re   *regexp.Regexp
		lufs float64
	}{
		{regexp.MustCompile(`\batsc\b|\ba/85\b|\ba85\b`), -24},
		{regexp.MustCompile(`\bbroadcast\w*|\bebu\b|\br128\b|\btv\b|\btelevision\b|广播|电视`), -23},
		{regexp.MustCompile(`\bspotify\b|\byoutube\b|\bstreaming\b|\bapple music\b|\btidal\b|\bdeezer\b|\bamazon music\b|\btiktok\b|流媒体|抖音|b站|油管`), -14},
		{regexp.MustCompile(`\bpodcasts?\b|播客`), -16},
	}
)

// parseLoudness reads a loudness clause: "-16 LUFS", "16 LUFS" (a positive
// target is read as negative), "normalize to -16", "peak -1 dB", "-1 dBTP",
// and presets by name when no number is given. Targets outside -70..-5 and
// peaks outside -20..0 are ignored (the default applies).
func parseLoudness(s string) (Op, string) {
	op := Op{Kind: KindLoudness}
	bad := ""
	setTarget := func(v float64) {
		if a := math.Abs(v); a >= -MaxLUFS && a <= -MinLUFS {
			op.TargetLUFS = -a
		} else if bad == "" {
			bad = "a loudness target of " + num(-a) + " LUFS is outside " + num(MinLUFS) + ".." + num(MaxLUFS) + " LUFS"
		}
	}
	setPeak := func(v float64) {
		if a := math.Abs(v); a > 0 && a <= -MinPeak && v <= 0 {
			op.TruePeak = -a
		} else if bad == "" {
			bad = "a true-peak ceiling of " + num(v) + " dBTP is outside -20..0 dBTP"
		}
	}
	for _, it := range lex(s) {
		pre, post := before(s, it.start), after(s, it.end)
		switch it.unit {
		case uLUFS:
			setTarget(it.val)
		case uDBTP:
			v := it.val
			if !it.signed {
				v = -v
			}
			setPeak(v)
		case uDB, uBare:
			switch {
			case peakPreRe.MatchString(pre) || peakPostRe.MatchString(post):
				v := it.val
				if !it.signed {
					v = -v
				}
				setPeak(v)
			case op.TargetLUFS == 0 && (it.unit == uDB || it.signed || atPreRe.MatchString(pre)):
				setTarget(it.val)
			}
		}
	}
	if op.TargetLUFS == 0 {
		for _, p := range presets {
			if p.re.MatchString(s) {
				op.TargetLUFS = p.lufs
				break
			}
		}
	}
	return op, bad
}

var (
	downRe   = regexp.MustCompile(`\b(?:down|quieter|softer|lower|reduce|decrease|attenuate|attenuation|cut|drop|less|halve|half)\b|降低|调低|调小|减小|减少|小声|降|小一点|轻一点|减半|声音小`)
	upRe     = regexp.MustCompile(`\b(?:up|louder|boost|increase|raise|amplify|amplification|more|double|twice)\b|提高|调高|调大|增大|加大|大声|增加|提升|放大|加倍|翻倍|大一点|响一点|声音大`)
	doubleRe = regexp.MustCompile(`\bdouble\b|\btwice as loud\b|加倍|翻倍`)
	halveRe  = regexp.MustCompile(`\bhalve\b|\bhalf\b|减半`)
	pctToRe  = regexp.MustCompile(`(?:\bto|\bat|到|为)\s*$`)
)

// parseVolume reads a gain change. Direction comes from the sign or from
// words (louder/up/提高 vs quieter/down/降低); "double" is +6 dB, "halve" -6 dB,
// "by 50%" and "2x" convert to dB; a direction without an amount is
// ±DefaultGainDB. A clause with neither amount nor direction ("adjust the
// volume") yields no op. Gains are clamped to ±60 dB.
func parseVolume(s string) (Op, bool, string) {
	up, down := upRe.FindStringIndex(s), downRe.FindStringIndex(s)
	dir := 0.0
	switch {
	case up != nil && (down == nil || up[0] < down[0]):
		dir = 1
	case down != nil:
		dir = -1
	}
	g, found := 0.0, false
	for _, it := range lex(s) {
		switch it.unit {
		case uDB:
			g, found = it.val, true
			if !it.signed && dir < 0 {
				g = -it.val
			}
		case uPct:
			switch {
			case pctToRe.MatchString(before(s, it.start)) && it.val <= 0:
				return Op{}, false, "a volume of 0% is silence: say \"mute 1:00-1:05\" to silence a part"
			case pctToRe.MatchString(before(s, it.start)):
				g, found = 20*math.Log10(it.val/100), true
			case dir < 0 && it.val >= 100:
				return Op{}, false, "lowering by " + num(it.val) + "% is silence: say \"mute 1:00-1:05\" to silence a part"
			case dir < 0 && it.val > 0 && it.val < 100:
				g, found = 20*math.Log10(1-it.val/100), true
			case dir >= 0 && it.val > 0:
				g, found = 20*math.Log10(1+it.val/100), true
			}
		case uTimes:
			if it.val > 0 {
				f := it.val
				if f == 1 { // "提高一倍", "1x louder": one more time as loud, i.e. double
					f = 2
				}
				g, found = 20*math.Log10(f), true
				if dir < 0 {
					g = -g
				}
			}
		}
		if found {
			break
		}
	}
	if !found {
		switch {
		case doubleRe.MatchString(s):
			g = 6
		case halveRe.MatchString(s):
			g = -6
		case dir != 0:
			g = dir * DefaultGainDB
		}
	}
	if math.IsNaN(g) || math.Abs(g) > MaxGain {
		return Op{}, false, "a gain of " + num(g) + " dB is outside ±60 dB"
	}
	g = math.Round(g*100) / 100
	if g == 0 {
		return Op{}, false, ""
	}
	return Op{Kind: KindVolume, GainDB: g}, true, ""
}

var (
	fadeInRe    = regexp.MustCompile(`\bfade[\s-]*in\b|\bfade (?:the \w+ |it |this |that |everything )in\b|\bfadein\b|淡入|渐入|渐强`)
	fadeOutRe   = regexp.MustCompile(`\bfade[\s-]*out\b|\bfade (?:the \w+ |it |this |that |everything )out\b|\bfadeout\b|淡出|渐出|渐弱`)
	bareOutRe   = regexp.MustCompile(`\bout\b`)
	bareInRe    = regexp.MustCompile(`(?:\band|&|,)\s*in\b`)
	fadeStartRe = regexp.MustCompile(`\b(?:beginning|start|intro|opening)\b|开头|片头`)
	fadeEndRe   = regexp.MustCompile(`\b(?:end|ending|outro)\b|结尾|末尾|片尾`)
)

// parseFade reads fade lengths. Each length goes to the nearest fade
// direction said before it ("fade in 2 s"), else the next one after it
// ("2 second fade in"); one length with both directions applies to both
// ("fade in and out 2 s"). A direction without a length gets DefaultFade;
// "fade" with no direction ("add fades") means both.
func parseFade(s string) (Op, string) {
	type marker struct {
		pos int
		in  bool
	}
	var ms []marker
	for _, l := range fadeInRe.FindAllStringIndex(s, -1) {
		ms = append(ms, marker{l[0], true})
	}
	for _, l := range fadeOutRe.FindAllStringIndex(s, -1) {
		ms = append(ms, marker{l[0], false})
	}
	if len(ms) > 0 {
		first := len(s)
		hasIn, hasOut := false, false
		for _, m := range ms {
			first = min(first, m.pos)
			hasIn = hasIn || m.in
			hasOut = hasOut || !m.in
		}
		if hasIn {
			for _, l := range bareOutRe.FindAllStringIndex(s, -1) {
				if l[0] > first && !fadeOutRe.MatchString(s[max(0, l[0]-6):l[1]]) {
					ms = append(ms, marker{l[0], false})
				}
			}
		}
		if hasOut {
			for _, l := range bareInRe.FindAllStringIndex(s, -1) {
				if l[0] > first {
					ms = append(ms, marker{l[1] - 2, true})
				}
			}
		}
	} else {
		if l := fadeStartRe.FindStringIndex(s); l != nil {
			ms = append(ms, marker{l[0], true})
		}
		if l := fadeEndRe.FindStringIndex(s); l != nil {
			ms = append(ms, marker{l[0], false})
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].pos < ms[j].pos })
	var durs []item
	for _, it := range lex(s) {
		if it.timeLike() {
			if it.val <= 0 || it.val > MaxFade {
				return Op{Kind: KindFade}, "a fade of " + num(it.val) + " s is outside 0-600 s"
			}
			durs = append(durs, it)
		}
	}
	op := Op{Kind: KindFade}
	hasIn, hasOut := false, false
	for _, m := range ms {
		hasIn = hasIn || m.in
		hasOut = hasOut || !m.in
	}
	if !hasIn && !hasOut {
		hasIn, hasOut = true, true
	}
	switch {
	case len(durs) == 1 && (len(ms) == 0 || (hasIn && hasOut)):
		op.FadeIn, op.FadeOut = durs[0].val, durs[0].val
	default:
		for _, d := range durs {
			var pick *marker
			for i := range ms {
				if ms[i].pos < d.start {
					pick = &ms[i]
				}
			}
			if pick == nil {
				for i := range ms {
					if ms[i].pos >= d.end {
						pick = &ms[i]
						break
					}
				}
			}
			if pick == nil {
				continue
			}
			if pick.in && op.FadeIn == 0 {
				op.FadeIn = d.val
			} else if !pick.in && op.FadeOut == 0 {
				op.FadeOut = d.val
			}
		}
	}
	if hasIn && op.FadeIn == 0 {
		op.FadeIn = DefaultFade
	}
	if hasOut && op.FadeOut == 0 {
		op.FadeOut = DefaultFade
	}
	return op, ""
}

var (
	rangeSepRe  = regexp.MustCompile(`^\s*(?:-|to|until|till|through|thru|and|到|至)\s*(?:the\s*)?$`)
	firstPreRe  = regexp.MustCompile(`(?:\bfirst|\bopening|\bbeginning|\bstart|\bintro|前|开头|片头)\s*(?:的)?\s*$`)
	lastPreRe   = regexp.MustCompile(`(?:\blast|\bfinal|\bending|\bend|\boutro|最后|末尾|结尾|后|末|片尾)\s*(?:的)?\s*$`)
	startPostRe = regexp.MustCompile(`^\s*(?:(?:from|off|at|of|in)\s+)?(?:the\s+)?(?:very\s+)?(?:start|beginning|front|opening|intro)\b|^\s*的?(?:开头|片头)`)
	endPostRe   = regexp.MustCompile(`^\s*(?:(?:from|off|at|of|in)\s+)?(?:the\s+)?(?:very\s+)?(?:end|ending|outro|tail)\b|^\s*的?(?:结尾|末尾|片尾)`)
	fromPreRe   = regexp.MustCompile(`(?:\bfrom|\bafter|\bstarting (?:at|from)|\bsince|\bbeyond|\bpast|从)\s*$`)
	fromPostRe  = regexp.MustCompile(`^\s*(?:onwards?\b|on\b|and (?:after|later|beyond)\b|以后|之后|后|开始|往后)`)
	untilPreRe  = regexp.MustCompile(`(?:\bbefore|\buntil|\btill|\bup to|\bup until)\s*$`)
	untilPostRe = regexp.MustCompile(`^\s*(?:之前|以前|前)`)
)

// findRanges reads the time ranges of a cut or keep clause: "first 10 s"
// (0..10), "last 5 s" (-5..0), "1:00 to 1:30", "from 2:00" (to the end),
// "before 0:10", and for keep also "to 30 s" (0..30) or a bare length.
// A bare number is seconds, or takes the unit of the other end of its range
// ("between 1 and 2 minutes").
func findRanges(c string, keep bool) ([]Op, []span) {
	var its []item
	for _, it := range lex(c) {
		if it.timeLike() && it.val >= 0 {
			its = append(its, it)
		}
	}
	var ops []Op
	var used []span
	var cur span
	add := func(a, b float64) {
		used = append(used, cur)
		if a == 0 && b == 0 || (a >= 0 && b > 0 && b <= a) {
			return
		}
		ops = append(ops, Op{Start: a, End: b})
	}
	for i := 0; i < len(its); i++ {
		it := its[i]
		cur = span{it.start, it.end}
		if i+1 < len(its) && rangeSepRe.MatchString(c[it.end:its[i+1].start]) && (keep || !minPreRe.MatchString(before(c, it.start))) {
			cur.end = its[i+1].end
			a, b := it.val, its[i+1].val
			if it.unit == uBare && its[i+1].mult > 0 {
				a *= its[i+1].mult
			}
			if a > b {
				a, b = b, a
			}
			add(a, b)
			i++
			continue
		}
		pre, post, v := before(c, it.start), after(c, it.end), it.val
		switch {
		case firstPreRe.MatchString(pre) || startPostRe.MatchString(post):
			add(0, v)
		case lastPreRe.MatchString(pre) || endPostRe.MatchString(post):
			add(-v, 0)
		case fromPreRe.MatchString(pre) || fromPostRe.MatchString(post):
			add(v, 0)
		case untilPreRe.MatchString(pre) || untilPostRe.MatchString(post):
			add(0, v)
		case keep && (toPreRe.MatchString(pre) || it.unit == uTime):
			add(0, v)
		}
	}
	return ops, used
}

// mergeOps joins neighbouring ops of the same kind whose fields do not
// clash: "fade in 2 s and fade out 3 s" is one fade; "remove noise and hum"
// is one denoise. Cut, keep, volume, undo and redo are never merged.
func mergeOps(ops []Op) []Op {
	var out []Op
	for _, op := range ops {
		if n := len(out); n > 0 && out[n-1].Kind == op.Kind {
			switch op.Kind {
			case KindDenoise, KindTrimSilence, KindLoudness, KindFade, KindSync:
				if m, ok := mergeOp(out[n-1], op); ok {
					out[n-1] = m
					continue
				}
			}
		}
		out = append(out, op)
	}
	return out
}

func mergeOp(a, b Op) (Op, bool) {
	ok := true
	f := func(x, y float64) float64 {
		if x != 0 && y != 0 && x != y {
			ok = false
		}
		if x == 0 {
			return y
		}
		return x
	}
	if a.Model != "" && b.Model != "" && a.Model != b.Model {
		return a, false
	}
	if a.Model == "" {
		a.Model = b.Model
	}
	a.Strength = f(a.Strength, b.Strength)
	a.ThresholdDB = f(a.ThresholdDB, b.ThresholdDB)
	a.MinPause = f(a.MinPause, b.MinPause)
	a.Margin = f(a.Margin, b.Margin)
	a.ShortenTo = f(a.ShortenTo, b.ShortenTo)
	a.TargetLUFS = f(a.TargetLUFS, b.TargetLUFS)
	a.TruePeak = f(a.TruePeak, b.TruePeak)
	a.FadeIn = f(a.FadeIn, b.FadeIn)
	a.FadeOut = f(a.FadeOut, b.FadeOut)
	return a, ok
}

// findFormat returns the last export format named in s, skipping ones that
// describe the input ("the wav", "this mp4", "原mp4").
func findFormat(s string) string {
	f := ""
	for _, m := range formatRe.FindAllStringSubmatchIndex(s, -1) {
		if pre := before(s, m[0]); determinerRe.MatchString(pre) && !exportDetRe.MatchString(pre) {
			continue
		}
		f = s[m[2]:m[3]]
	}
	return f
}
