package intent

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Multitrack operations: a music bed under the voice, text on the picture,
// and the picture's aspect ratio. They are parsed before the single-track
// kinds, so that "add bed.mp3 as background music at 20%" is a music bed
// rather than a gain on the voice, and "crop to a 1:1 square" a reframe
// rather than "keep 0:00-1:01".
const (
	KindMusic   Kind = "music"   // "add bed.mp3 as background music at 20%", "no ducking" / 添加背景音乐，音量35%
	KindTitle   Kind = "title"   // "add a title 'Urban Dreams' for the first 3 seconds", lower thirds, captions / 标题
	KindReframe Kind = "reframe" // "make it vertical", "crop to 1:1", "9:16 with black bars", "blurred background" / 竖屏
	// KindPosition places a track on the timeline: "start the music at
	// 0:05" (Op.At), "put mic.wav 2 seconds later" (Op.Shift) / 背景音乐从0:05开始,
	// 把mic.wav往后移2秒. Op.Track "music" names the music bed; else the
	// plan's Target names the file.
	KindPosition Kind = "position"
)

func init() {
	Kinds = append(Kinds, KindMusic, KindTitle, KindReframe, KindPosition)
}

// Defaults of the multitrack kinds.
const (
	// DefaultMusicLevelDB is a music bed's loudness against the voice's
	// when no level is said: 20% (-14 dB).
	DefaultMusicLevelDB = -14.0
	// DefaultDuckDB is how much deeper the music sits under speech.
	DefaultDuckDB = 10.0
	// DefaultMusicFade is the fade at each end of a music bed, seconds.
	DefaultMusicFade = 2.0
	// DefaultTitleLen is how long a title shows when no time is said.
	DefaultTitleLen = 3.0
)

// Aspects are the aspect ratios Reframe accepts and the output size of each.
var Aspects = map[string][2]int{
	"9:16": {1080, 1920},
	"1:1":  {1080, 1080},
	"4:5":  {1080, 1350},
	"16:9": {1920, 1080},
}

// MusicSpec is a music bed (KindMusic). Zero values are the defaults.
type MusicSpec struct {
	// File names the music: a session file or a path; "" = the session's
	// file named or described as music.
	File string `json:"file,omitempty"`
	// LevelDB is the music's loudness relative to the voice's (20% = -14
	// dB); 0 = DefaultMusicLevelDB.
	LevelDB float64 `json:"level_db,omitempty"`
	// NoDuck turns ducking off ("no ducking").
	NoDuck bool `json:"no_duck,omitempty"`
	// DuckDB is how much deeper the music sits under speech; 0 = DefaultDuckDB.
	DuckDB float64 `json:"duck_db,omitempty"`
	// Fade is the fade length at both ends in seconds; 0 = DefaultMusicFade.
	Fade float64 `json:"fade_s,omitempty"`
}

// TitleSpec is text drawn on the picture (KindTitle), shown from Op.Start
// to Op.End (End 0 = to the end).
type TitleSpec struct {
	Text string `json:"text"`
	// Style is "title" (large, centred), "lower_third" or "caption" (bottom).
	Style string `json:"style"`
	// Position overrides the style's place: top, center, bottom; "" = the style's.
	Position string `json:"position,omitempty"`
	// Scale multiplies the style's font size ("small" 0.7, "large" 1.4); 0 = 1.
	Scale float64 `json:"scale,omitempty"`
	// Color is a colour name or #rrggbb; "" = white.
	Color string `json:"color,omitempty"`
}

// FrameSpec is an aspect-ratio change (KindReframe).
type FrameSpec struct {
	// Aspect is as said ("9:16"); Aspects lists the valid ones.
	Aspect string `json:"aspect"`
	// Fit is "crop" (centre crop, default), "pad" (black bars) or "blur"
	// (a blurred copy of the picture behind it).
	Fit string `json:"fit"`
}

var (
	musicRe     = regexp.MustCompile(`\bbackground (?:music|track|song|tune)s?\b|\bbgm\b|\bmusic\b|\bsoundtrack\b|\bbacking track\b|\bas (?:the |a )?(?:background|bed)\b|\bmusic bed\b|背景音乐|配乐|音乐|背景乐`)
	musicNegRe  = regexp.MustCompile(`(?:\bwithout|\bno|\bremove|\bdelete|\bdrop|\bdon'?t (?:add|use|want)|\bnot|不要|别|去掉|删除|无)\s*(?:the |any |a )?(?:background )?(?:music|bgm|soundtrack|背景音乐|配乐|音乐)`)
	duckRe      = regexp.MustCompile(`\bduck(?:s|ed|ing)?\b|\bsidechain\w*|\b(?:lower|quieter|dip|down|softer|drop)\b.{0,30}\b(?:when|while|under|during|whenever)\b.{0,20}\b(?:speech|talk\w*|speak\w*|voice|someone|people|dialog\w*)|说话时.{0,8}(?:降低|减小|变小|压低|调低)|自动降低|自动压低|闪避|避让`)
	noDuckRe    = regexp.MustCompile(`\bno duck\w*|\bwithout duck\w*|\bdon'?t duck\b|\bdo not duck\b|\bnot duck\w*|\bnever duck\w*|\bduck\w* off\b|不要?(?:自动)?(?:降低|压低|闪避|避让)|不(?:用|需要)(?:自动)?(?:降低|闪避)`)
	musicFadeRe = regexp.MustCompile(`\bfad\w*|淡入|淡出`)
	lineUpRe    = regexp.MustCompile(`\bline(?:s|d)? (?:\w+ )?up\b|\blining (?:\w+ )?up\b|\bmatch (?:the )?(?:recorder|recording|mic|microphone|audio|sound|external audio)\w* (?:to|with) (?:the )?(?:camera|video|picture|footage)\b|对齐|对准`)

	aspectRe    = regexp.MustCompile(`(?:^|[^\d.:])(\d{1,2})\s*[:x×/比]\s*(\d{1,2})(?:$|[^\d.:])`)
	verticalRe  = regexp.MustCompile(`\bvertical\w*|\bportrait\b|竖屏|竖版|竖向|竖的`)
	squareRe    = regexp.MustCompile(`\bsquare\b|正方形|方形|方屏`)
	wideRe      = regexp.MustCompile(`\bhorizontal\w*|\blandscape\b|\bwidescreen\b|横屏|横版|横向`)
	frameVerbRe = regexp.MustCompile(`\bcrop\w*|\breframe\w*|\baspect\b|\bratio\b|\bformat\b|\bmake (?:it|this|the \w+)\b|\bconvert\w*|\bturn (?:it|this)\b|\bvertical\w*|\bportrait\b|\bsquare\b|\blandscape\b|\bwidescreen\b|\bfor (?:tiktok|reels|shorts|instagram|ig|youtube)\b|画幅|比例|裁剪|裁成|改成|转成|做成|变成|改为|竖屏|横屏|方形`)
	padRe       = regexp.MustCompile(`\bblack bars?\b|\bbars\b|\bletterbox\w*|\bpillarbox\w*|\bpad(?:ded|ding)?\b|\bfit\b|\bno crop\w*|\bwithout crop\w*|\bdon'?t crop\b|黑边|留黑|不裁剪`)
	blurRe      = regexp.MustCompile(`\bblur\w*|模糊`)

	titleRe      = regexp.MustCompile(`\btitles?\b|\blower[\s-]?thirds?\b|\bcaptions?\b|\bsubtitles?\b|\btext\b|\boverlay\b|\bheadline\b|\bbanner\b|\bsays?\b|\bsaying\b|\breading\b|标题|字幕|文字|文本|大字`)
	lowerThirdRe = regexp.MustCompile(`\blower[\s-]?thirds?\b|下三分之一|名字条|人名条`)
	captionRe    = regexp.MustCompile(`\bcaptions?\b|\bsubtitles?\b|字幕`)
	topRe        = regexp.MustCompile(`\btop\b|\bupper\b|顶部|上方|顶端`)
	bottomRe     = regexp.MustCompile(`\bbottom\b|底部|下方|底端`)
	centerRe     = regexp.MustCompile(`\bcent(?:er|re|ered|red)\b|\bmiddle\b|中间|居中|中央`)
	smallRe      = regexp.MustCompile(`\bsmall(?:er)?\b|\btiny\b|小字|小号`)
	largeRe      = regexp.MustCompile(`\b(?:large|larger|big|bigger|huge)\b|大字|大号`)
	colorRe      = regexp.MustCompile(`#[0-9a-f]{6}\b|\b(?:white|black|red|yellow|green|blue|orange|pink|purple|gray|grey|gold|cyan|magenta)\b|白色|黑色|红色|黄色|绿色|蓝色|橙色|粉色|紫色|灰色|金色`)
	forRe        = regexp.MustCompile(`(?:\bfor|持续|显示)\s*(?:the\s+)?(?:first\s+)?$`)
	atRe         = regexp.MustCompile(`(?:\bat|\bfrom|\bstarting at|在|从)\s*$`)
	// quoteRe finds quoted text that may be a title: '...', "...", “...”,
	// ‘...’, 「...」, 『...』, opened at the start, after a space or a colon.
	quoteRe     = regexp.MustCompile(`(^|[\s:：(（=,，]|\p{Han})(?:"([^"\n]{1,200})"|'([^'\n]{1,200})'|“([^”\n]{1,200})”|‘([^’\n]{1,200})’|「([^」\n]{1,200})」|『([^』\n]{1,200})』)`)
	quoteEndRe  = regexp.MustCompile(`^(?:$|[\s.,;:!?，。；：！？)）]|\p{Han})`)
	mediaFileRe = regexp.MustCompile(`(?i)\.(?:` + mediaExt + `)$`)
	placeRe     = regexp.MustCompile(`qqtext([a-z])`)
)

var zhColors = map[string]string{"白色": "white", "黑色": "black", "红色": "red", "黄色": "yellow", "绿色": "green",
	"蓝色": "blue", "橙色": "orange", "粉色": "pink", "紫色": "purple", "灰色": "gray", "金色": "gold"}

// takeQuotes replaces the quoted texts of an instruction that speaks of a
// title or text by placeholders ("qqtexta"...), so that the words inside
// are neither lower-cased nor read as edits; quoted file names stay.
func takeQuotes(text string) (string, []string) {
	if !titleRe.MatchString(strings.ToLower(text)) {
		return text, nil
	}
	var quotes []string
	var b strings.Builder
	last := 0
	for _, m := range quoteRe.FindAllStringSubmatchIndex(text, -1) {
		if len(quotes) >= 26 || !quoteEndRe.MatchString(text[m[1]:]) {
			continue
		}
		var q string
		for g := 2; g < len(m)/2; g++ {
			if m[2*g] >= 0 {
				q = text[m[2*g]:m[2*g+1]]
			}
		}
		if mediaFileRe.MatchString(strings.TrimSpace(q)) || strings.TrimSpace(q) == "" {
			continue
		}
		b.WriteString(text[last:m[3]])
		b.WriteString(" qqtext" + string(rune('a'+len(quotes))) + " ")
		quotes = append(quotes, q)
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String(), quotes
}

var (
	// posVerbRe moves a track by an amount ("put/move/shift/delay X 2 s
	// later"); startVerbRe starts one at a time ("start the music at 0:05").
	posVerbRe   = regexp.MustCompile(`\b(?:put|place|move|shift|push|delay|slide|nudge|offset|start|begin)\w*\b|往后|向后|延后|推后|推迟|延迟|往前|向前|提前|挪|移`)
	startVerbRe = regexp.MustCompile(`\b(?:start|starts|starting|begin|begins|beginning|come in|comes in|coming in|bring in|kick in|kicks in|enter|enters|put|place|move)\b|开始|进入|响起|出现`)
	// addMusicRe adds the music in the same clause that places it ("add
	// bed.mp3 as background music starting at 0:05").
	addMusicRe = regexp.MustCompile(`\badd\w*|\buse\b|\bas (?:the |a )?(?:background|bed|bgm)|添加|加上|加入|配上|加`)
	// musicTimeWhy refuses a time said about the music that says neither
	// where it starts nor which part of the file plays.
	musicTimeWhy = `the music plays under the whole programme: say where it starts ("start the music at 0:05") or which part of the file to use ("use only 0:10-0:40 of bed.mp3")`
	laterRe      = regexp.MustCompile(`\blater\b|\bback\b|\bdelay\w*|往后|向后|延后|推后|推迟|延迟|晚`)
	earlierRe    = regexp.MustCompile(`\bearlier\b|\bsooner\b|\bforward\b|往前|向前|提前|早`)
	atTimeRe     = regexp.MustCompile(`(?:\bat|\bfrom|\bto|从|在)\s*$`)
)

// parsePosition reads a clause that places a track on the timeline; ok is
// false when it does not. A move without an amount is refused (reason).
func parsePosition(c string) (op Op, reason string, ok bool) {
	music := musicRe.MatchString(c) && !musicNegRe.MatchString(c)
	later, earlier := laterRe.MatchString(c), earlierRe.MatchString(c)
	rel := posVerbRe.MatchString(c) && later != earlier
	abs := music && startVerbRe.MatchString(c)
	if !rel && !abs || hasAnyTrigger(c) || cutVerbRe.MatchString(c) {
		return Op{}, "", false
	}
	op = Op{Kind: KindPosition}
	if music {
		op.Track = "music"
	}
	its := lex(c)
	for i, it := range its {
		if !it.timeLike() || it.val < 0 {
			continue
		}
		if i+1 < len(its) && rangeSepRe.MatchString(c[it.end:its[i+1].start]) {
			return Op{}, "", false // a range: where it plays, or which part? parseMusic refuses it
		}
		switch {
		case rel:
			op.Shift = it.val
			if earlier {
				op.Shift = -it.val
			}
		case atTimeRe.MatchString(before(c, it.start)):
			at := it.val
			op.At = &at
		default:
			continue
		}
		return op, "", true
	}
	if rel {
		return Op{}, `say by how much, e.g. "put mic.wav 2 seconds later" or "start the music at 0:05"`, true
	}
	return Op{}, "", false
}

// parseMultitrack reads a clause as a music bed, a title, a reframe or a
// track's place; nil when it is none of them, and a reason when it is one
// but cannot be applied exactly.
func parseMultitrack(c string) ([]Op, string) {
	if placeRe.MatchString(c) && titleRe.MatchString(c) {
		return []Op{parseTitle(c)}, ""
	}
	if op, why, ok := parsePosition(c); ok {
		if why != "" {
			return nil, why
		}
		if op.Track == "music" && addMusicRe.MatchString(c) {
			m, _, _ := parseMusic(c, false)
			return []Op{m, op}, ""
		}
		return []Op{op}, ""
	}
	if op, why, ok := parseMusic(c, true); ok {
		return []Op{op}, why
	}
	if op, ok := parseReframe(c); ok {
		return []Op{op}, ""
	}
	if lineUpRe.MatchString(c) && !negRe.MatchString(c) {
		return []Op{{Kind: KindSync}}, ""
	}
	return nil, ""
}

// parseMusic reads a music bed clause; with strict, a time it does not
// read (a fade's length) is refused (reason) rather than dropped.
func parseMusic(c string, strict bool) (Op, string, bool) {
	if !musicRe.MatchString(c) && !(duckRe.MatchString(c) || noDuckRe.MatchString(c)) {
		return Op{}, "", false
	}
	if musicNegRe.MatchString(c) || uploadRe.MatchString(c) {
		return Op{}, "", false
	}
	unread := false
	m := &MusicSpec{}
	if noDuckRe.MatchString(c) {
		m.NoDuck = true
	}
	for _, it := range lex(c) {
		pre := before(c, it.start)
		switch it.unit {
		case uPct:
			if it.val > 0 && it.val <= 200 {
				m.LevelDB = math.Round(20*math.Log10(it.val/100)*100) / 100
				if m.LevelDB == 0 {
					m.LevelDB = -0.001 // 100%: as loud as the voice, not "default"
				}
			}
		case uDB:
			if duckRe.MatchString(pre) || strings.Contains(pre, "duck") {
				m.DuckDB = math.Abs(it.val)
			} else if a := math.Abs(it.val); a > 0 && a <= 60 {
				m.LevelDB = -a
				if it.signed && it.val > 0 {
					m.LevelDB = a
				}
			}
		case uTime, uBare:
			if (musicFadeRe.MatchString(pre) || musicFadeRe.MatchString(after(c, it.end))) && !atTimeRe.MatchString(pre) {
				if it.val > 0 && it.val <= 30 {
					m.Fade = it.val
				}
				continue
			}
			unread = true
		}
	}
	if strict && unread {
		return Op{}, musicTimeWhy, true
	}
	return Op{Kind: KindMusic, Music: m}, "", true
}

// isMusicModifier reports whether a clause only adjusts the music said in
// the clause before it: "音量35%", "duck it under speech", "no ducking".
func isMusicModifier(c string) bool {
	if duckRe.MatchString(c) || noDuckRe.MatchString(c) {
		return true
	}
	if denoiseRe.MatchString(c) || silenceRe.MatchString(c) || loudRe.MatchString(c) || fadeRe.MatchString(c) || syncRe.MatchString(c) {
		return false
	}
	for _, it := range lex(c) {
		if it.unit == uPct || it.unit == uDB {
			return volumeRe.MatchString(c) || len(strings.Fields(c)) <= 3
		}
	}
	return false
}

// joinMusicClauses merges into a music clause the clauses after it that
// only adjust the music ("添加背景音乐，音量35%").
func joinMusicClauses(s string, sps []span) []span {
	var out []span
	for _, sp := range sps {
		if n := len(out); n > 0 && musicRe.MatchString(s[out[n-1].start:out[n-1].end]) && isMusicModifier(s[sp.start:sp.end]) {
			out[n-1].end = sp.end
			continue
		}
		out = append(out, sp)
	}
	return out
}

func parseReframe(c string) (Op, bool) {
	aspect := ""
	if m := aspectRe.FindStringSubmatch(c); m != nil {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		pair := strconv.Itoa(a) + ":" + strconv.Itoa(b)
		_, known := Aspects[pair]
		// A known ratio needs a word about the picture or nothing else in
		// the clause ("9:16"); any other needs a reframing word, so that
		// "cut 1:10 to 1:25" stays a cut.
		switch {
		case a == 0 || b == 0:
		case frameVerbRe.MatchString(c), known && (padRe.MatchString(c) || blurRe.MatchString(c) || len(lex(c)) == 1):
			aspect = pair
		}
	}
	switch {
	case aspect != "":
	case verticalRe.MatchString(c):
		aspect = "9:16"
	case squareRe.MatchString(c):
		aspect = "1:1"
	case wideRe.MatchString(c):
		aspect = "16:9"
	default:
		return Op{}, false
	}
	f := &FrameSpec{Aspect: aspect, Fit: "crop"}
	switch {
	case blurRe.MatchString(c):
		f.Fit = "blur"
	case padRe.MatchString(c):
		f.Fit = "pad"
	}
	return Op{Kind: KindReframe, Frame: f}, true
}

func parseTitle(c string) Op {
	t := &TitleSpec{Text: placeRe.FindString(c), Style: "title"}
	switch {
	case lowerThirdRe.MatchString(c):
		t.Style = "lower_third"
	case captionRe.MatchString(c):
		t.Style = "caption"
	}
	switch {
	case topRe.MatchString(c):
		t.Position = "top"
	case bottomRe.MatchString(c):
		t.Position = "bottom"
	case centerRe.MatchString(c):
		t.Position = "center"
	}
	switch {
	case smallRe.MatchString(c):
		t.Scale = 0.7
	case largeRe.MatchString(c):
		t.Scale = 1.4
	}
	if m := colorRe.FindString(c); m != "" {
		if zh, ok := zhColors[m]; ok {
			m = zh
		}
		t.Color = m
	}
	op := Op{Kind: KindTitle, Title: t}
	// Times: "for the first 3 s", "at 1:00 for 5 s", "from 0:10 to 0:15".
	rest := placeRe.ReplaceAllString(c, " ")
	var at, dur float64 = -1, -1
	for _, it := range lex(rest) {
		if !it.timeLike() || it.val < 0 {
			continue
		}
		pre := before(rest, it.start)
		switch {
		case forRe.MatchString(pre):
			dur = it.val
		case atRe.MatchString(pre) && at < 0:
			at = it.val
		}
	}
	switch {
	case at >= 0 && dur > 0:
		op.Start, op.End = at, at+dur
	case dur > 0:
		op.Start, op.End = 0, dur
	default:
		if rs, _ := findRanges(rest, false); len(rs) > 0 {
			op.Start, op.End = rs[0].Start, rs[0].End
		} else if at >= 0 {
			op.Start, op.End = at, at+DefaultTitleLen
		} else {
			op.End = DefaultTitleLen
		}
	}
	return op
}

// finishMultitrack puts the quoted texts back into titles and moves the
// file an instruction names into its music bed ("add bed.mp3 as
// background music": bed.mp3 is the music, not the file to edit).
func finishMultitrack(p *Plan, quotes []string) {
	for i, op := range p.Ops {
		switch {
		case op.Kind == KindTitle && op.Title != nil:
			t := *op.Title
			if m := placeRe.FindStringSubmatch(t.Text); m != nil && int(m[1][0]-'a') < len(quotes) {
				t.Text = quotes[m[1][0]-'a']
			}
			p.Ops[i].Title = &t
		case op.Kind == KindMusic && op.Music != nil && p.Target != "" && op.Music.File == "":
			m := *op.Music
			m.File, p.Target = p.Target, ""
			p.Ops[i].Music = &m
		}
	}
	// Modifiers said alone in their own clause join the music op.
	var out []Op
	for _, op := range p.Ops {
		if n := len(out); n > 0 && op.Kind == KindMusic && out[n-1].Kind == KindMusic {
			a, b := *out[n-1].Music, *op.Music
			a.NoDuck = a.NoDuck || b.NoDuck
			if b.LevelDB != 0 {
				a.LevelDB = b.LevelDB
			}
			if b.DuckDB != 0 {
				a.DuckDB = b.DuckDB
			}
			if b.Fade != 0 {
				a.Fade = b.Fade
			}
			if a.File == "" {
				a.File = b.File
			}
			out[n-1].Music = &a
			continue
		}
		out = append(out, op)
	}
	p.Ops = out
}

// describeMultitrack describes the multitrack kinds; ok is false for others.
func describeMultitrack(o Op) (string, bool) {
	switch o.Kind {
	case KindMusic:
		m := MusicSpec{}
		if o.Music != nil {
			m = *o.Music
		}
		s := "add background music"
		if m.File != "" {
			s += " " + m.File
		}
		lvl := m.LevelDB
		if lvl == 0 {
			lvl = DefaultMusicLevelDB
		}
		s += " at " + num(math.Round(math.Pow(10, lvl/20)*100)) + "% (" + signed(math.Round(lvl*10)/10) + " dB against the voice)"
		if m.NoDuck {
			s += ", no ducking"
		} else {
			d := m.DuckDB
			if d == 0 {
				d = DefaultDuckDB
			}
			s += ", ducked " + num(d) + " dB under speech"
		}
		return s, true
	case KindTitle:
		if o.Title == nil {
			return "add a title", true
		}
		what := map[string]string{"title": "title", "lower_third": "lower third", "caption": "caption"}[o.Title.Style]
		if what == "" {
			what = "text"
		}
		return "add a " + what + " " + strconv.Quote(o.Title.Text) + " " + describeRange(o.Start, o.End), true
	case KindPosition:
		what := "the track"
		if o.Track == "music" {
			what = "the music"
		}
		switch {
		case o.Shift > 0:
			return "move " + what + " " + num(o.Shift) + " s later on the timeline", true
		case o.Shift < 0:
			return "move " + what + " " + num(-o.Shift) + " s earlier on the timeline", true
		}
		at := 0.0
		if o.At != nil {
			at = *o.At
		}
		return "start " + what + " at " + clock(at) + " on the timeline", true
	case KindReframe:
		if o.Frame == nil {
			return "reframe", true
		}
		how := map[string]string{"crop": "centre crop", "pad": "black bars", "blur": "blurred background"}[o.Frame.Fit]
		return "reframe to " + o.Frame.Aspect + " (" + how + ")", true
	}
	return "", false
}

// multitrackCapabilities are the Capabilities lines of the multitrack kinds.
var multitrackCapabilities = []string{
	`background music: "add bed.mp3 as background music at 20%", "no ducking" / "添加背景音乐，音量35%"`,
	`titles: "add a title 'Urban Dreams' for the first 3 seconds", "lower third 'Jane Doe' at 0:10" / "添加标题「城市之梦」"`,
	`reframe: "make it vertical", "crop to 1:1", "9:16 with black bars", "4:5 with a blurred background" / "改成竖屏"`,
	`place a track on the timeline: "start the music at 0:05", "put mic.wav 2 seconds later" / "背景音乐从0:05开始"`,
}
