package intent

import (
	"math"
	"regexp"
	"sort"
	"strings"
)

// trigger is a word that names an operation kind.
type trigger struct {
	kind Kind
	re   *regexp.Regexp
}

var (
	speedRe    = regexp.MustCompile(`\bspeed(?:s|ing)? (?:it |this |that |everything |the \w+ )?up\b|\bspeed\b|\bslow(?:s|ing)? (?:it |this |that |everything |the \w+ )?down\b|\btempo\b|\bplayback (?:rate|speed)\b|\bfaster\b|\bslower\b|加速|减速|变速|倍速|放慢|加快|速度|快放|慢放`)
	channelsRe = regexp.MustCompile(`\bmono\b|\bstereo\b|单声道|立体声|双声道`)
	balanceRe  = regexp.MustCompile(`\bbalance (?:the )?(?:left|right|channels?|l and r|l/r|stereo)\b|\bpan(?:ned|ning)?\b|左右声道平衡|左右平衡|声道平衡|左右声道一样|平衡左右|偏左|偏右|声像`)
	humRe      = regexp.MustCompile(`\bhum\b|\bhumming\b|\bmains\b|\bbuzz(?:es|ing|y)?\b|\bground loop\b|嗡嗡|电流声|交流声|哼声`)
	eqRe       = regexp.MustCompile(`\bhi(?:gh)?[\s-]?pass\b|\blow[\s-]?cut\b|\bhpf\b|\brumble\b|\bwarm(?:er|th)?\b|\bbright(?:er|en|ness)?\b|\bcrisp(?:er)?\b|\bde-?ess(?:er|ing)?\b|\bsibilan\w*|\bbass\b|\blow end\b|高通|低切|隆隆|温暖|暖一点|更暖|明亮|亮一点|更亮|清脆|齿音|低音`)
	levelerRe  = regexp.MustCompile(`\bequally loud\b|\bequal (?:loudness|volume|level)s?\b|\bsame (?:loudness|volume|level)\b|\bas loud as\b|\bleveler\b|\bleveller\b|\bauto[\s-]?level\w*|\b(?:both|all|two) (?:speakers|voices|people|hosts)\b|\bspeakers?\b.*\b(?:loud|level|volume)|音量一致|一样大|一样响|音量统一|响度一致|音量均衡|音量平衡|两个人.*音量|说话人.*音量`)
	muteRe     = regexp.MustCompile(`\bmute\b|\bmuted?\b|\bsilence (?:out )?(?:it |this |that |the audio |the part )?(?:from |between |at )?\d|把.{0,24}静音|静音\s*\d|设为静音|消音`)
	bleepRe    = regexp.MustCompile(`\bbleep\w*|\bbeep (?:out|over)\b|\bcensor\w*|哔|打码`)
	breathsRe  = regexp.MustCompile(`\bbreath(?:s|ing)?\b|\bbreathe\b|\binhal(?:e|es|ing)\b|呼吸声|换气声|吸气声|呼吸`)
	triggers   = []trigger{
		{KindDenoise, denoiseRe}, {KindTrimSilence, silenceRe}, {KindLoudness, loudRe}, {KindVolume, volumeRe},
		{KindFade, fadeRe}, {KindSync, syncRe}, {KindSpeed, speedRe}, {KindChannels, channelsRe},
		{KindBalance, balanceRe}, {KindHum, humRe}, {KindEQ, eqRe}, {KindLevel, levelerRe},
		{KindMute, muteRe}, {KindBleep, bleepRe}, {KindBreaths, breathsRe},
	}
	// yields: a kind found together with one of these is dropped: "boost
	// the bass" is EQ not volume, "mute 1:00-1:05" is not trim_silence.
	yields = map[Kind][]Kind{
		KindVolume:      {KindDenoise, KindLoudness, KindEQ, KindLevel, KindHum, KindSpeed, KindBalance, KindMute, KindBleep},
		KindTrimSilence: {KindMute, KindBreaths},
		KindLoudness:    {KindLevel},
		KindDenoise:     {KindBreaths, KindHum},
		KindSync:        {KindLevel},
		KindSpeed:       {KindDenoise},
	}
)

// unsupported are requests this package recognizes but no engine here
// renders: the clause is refused with the reason.
var unsupported = []struct {
	re     *regexp.Regexp
	reason string
}{
	{fillerRe, "removing filler words (um, uh) needs speech recognition, which is not available here; cut them by time instead, e.g. \"cut 0:42.1-0:42.6\""},
	{regexp.MustCompile(`\bjingle\b|\bsound effects?\b|\bsfx\b|音效`), "adding jingles or sound effects is not available (a music bed is: \"add bed.mp3 as background music\")"},
	{regexp.MustCompile(`\bcrop\w*|\bsquare\b|\baspect\b|\breframe\w*|\bresiz\w*|\brotat\w*|\bflip\b|\bvertical\b|\bportrait\b|\b\d+:\d+ (?:ratio|aspect|format|square)|\b(?:9|16|4|1):(?:16|9|3|1)\b|裁剪画面|画面比例|正方形|方形|竖屏|横屏|旋转`), "rotating, flipping or resizing the picture is not available; reframing to 9:16, 1:1, 4:5 or 16:9 is (\"make it vertical\")"},
	{regexp.MustCompile(`\bsubtitles?\b|\bcaptions?\b|\btranscri\w*|\btranslat\w*|\bdub\w*|字幕|翻译|配音|转写|转录`), "subtitles, transcripts, translation and dubbing need speech recognition, which is not available here"},
	{regexp.MustCompile(`\bpitch\b|\bvoice changer\b|\bchipmunk\b|\bdeeper voice\b|音调|变声`), "changing the pitch is not available (speed changes keep the pitch)"},
	{regexp.MustCompile(`\bre-?verb\w*|\becho\w*|\broom sound\b|混响|回声`), "removing echo or reverb is not available"},
	{regexp.MustCompile(`\btitles?\b|\btext overlay\b|\blogo\b|\bwatermark\b|\bintro card\b|标题|水印|文字`), "give the text in quotes, e.g. add a title 'Urban Dreams' (logos and watermarks are not available)"},
	{regexp.MustCompile(`\bcompress(?:or|ion)\b|\blimiter\b|\bgate\b|\bnoise gate\b|压缩器|限幅`), "a compressor, limiter or gate on its own is not available (loudness normalization limits peaks)"},
	{regexp.MustCompile(`\btreble\b|\bmids?\b|\bmidrange\b|\bequali[sz]\w*|\beq\b|高音|中频|均衡器`), "only these EQ presets exist: high-pass 80 Hz, warmer, brighter, de-ess, bass boost"},
}

var (
	// scopeRe: words that limit an operation to part of the recording;
	// unless a range was read, the clause cannot be applied exactly.
	scopeRe = regexp.MustCompile(`\bexcept\b|\bbut not\b|\bafter\b|\bbefore\b|\bbetween\b|\bduring\b|\bwhen(?:ever)?\b|\bwhile\b|\bwhere\b|\buntil\b|\b(?:first|last|second|final|opening|closing) (?:\d|part|half|bit|section|segment|question|answer|sentence|word|speaker|minute|chapter)|\bhalf\b|\bintro\b|\boutro\b|\bmiddle\b|\bparts?\b|\bsections?\b|\bsegments?\b|\bquestions?\b|\banswers?\b|\bspeaker\b|\bguest\b|\bhost\b|\binterviewer\b|\bsentences?\b|\bwords?\b|\bchapters?\b|\bthe (?:beginning|start|end|ending)\b|\bat the (?:beginning|start|end)\b|只对|仅对|之后|以后|之前|以前|除了|中间|部分|一段|那段|这段|段落|开头|结尾|片头|片尾|前半|后半|问题|嘉宾|主持人|说话的时候|的时候`)
	// edge words for "trim the silence at the start and the end".
	edgeStartRe = regexp.MustCompile(`\b(?:start|beginning|leading|front|head|intro)\b|开头|前面|片头|头部`)
	edgeEndRe   = regexp.MustCompile(`\b(?:end|ending|trailing|tail|outro)\b|结尾|末尾|后面|片尾|尾部`)
	// "the pause after 2:00": one pause.
	onePauseRe = regexp.MustCompile(`\b(?:the|that|this|a|one) (?:\w+ )?(?:pause|gap|silence)\b|那个停顿|那段静音|这个停顿`)
	// joinEdgesRe keeps "start and end" / 开头和结尾 in one clause.
	joinEdgesRe = regexp.MustCompile(`\b(start|beginning) and (the )?(end|ending)\b|(开头)(?:和|与|跟|及)(结尾|末尾)`)
	resRe       = regexp.MustCompile(`\b(2160p|1440p|1080p|720p|480p|360p|4k|2k|\d{3,4}\s*x\s*\d{3,4})\b`)
	newSessRe   = regexp.MustCompile(`\bnew (?:project|session)\b|\bstart (?:over|fresh|afresh|a new one)\b|\bfresh (?:project|session|start)\b|新建项目|新项目|新会话|新建会话|新的会话|新的项目|重新开始`)
	// knownRe: nouns a negation may decline even when no kind names them.
	knownRe = regexp.MustCompile(`\bmusic\b|\bsubtitles?\b|\bcaptions?\b|\bfilters?\b|\beffects?\b|\bchanges?\b|\bedits?\b|\banything else\b|音乐|字幕|特效|其他`)
	// dependentRe: refused text that points back at another clause.
	dependentRe = regexp.MustCompile(`^(?:but|only|just|except|and|also|though|however|still|as well|too)\b|^(?:但|只|仅|除了|不过)`)
	hzRe        = regexp.MustCompile(`(\d+(?:\.\d+)?)\s*(?:hz\b|赫兹)`)
	rightRe     = regexp.MustCompile(`\bright\b|右`)
	leftRe      = regexp.MustCompile(`\bleft\b|左`)
	hardRe      = regexp.MustCompile(`\bhard\b|\bfully\b|\bcompletely\b|完全`)
	equalizeRe  = regexp.MustCompile(`\bbalance\b|\beven\b|\bequal\w*|\bsame\b|平衡|一样|一致`)
	slowRe      = regexp.MustCompile(`\bslow\w*|减速|放慢|慢放|慢`)
	// sequenceRe: "after denoising", "before exporting" order the steps,
	// they do not limit a range.
	sequenceRe  = regexp.MustCompile(`\b(?:after|before|while|when) (?:\w+ing|that|this|it|you \w+)\b`)
	timesPostRe = regexp.MustCompile(`^\s*(?:倍|速)`)
	panRe       = regexp.MustCompile(`\bpan`)
	fastWordRe  = regexp.MustCompile(`\bspeed(?:s|ing)? (?:it |this |that |everything |the \w+ )?up\b|\bfaster\b|加速|加快|快放|快`)
)

// rangedKinds may take a time range; the others apply to the whole file.
var rangedKinds = map[Kind]bool{
	KindDenoise: true, KindTrimSilence: true, KindVolume: true, KindSpeed: true, KindMute: true, KindBleep: true,
}

// Parse reads one instruction into a Plan: its action, operations, export
// request and refused clauses (see the package doc for the rules).
func Parse(text string) Plan { return ParseNamed(text, nil) }

// ParseNamed is Parse for a session whose files are called names: a name
// the session has is found wherever it stands, even touched by Chinese text
// with no space ("添加背景音乐bed.mp3"), where the plain rules would read the
// characters before it as part of the name.
func ParseNamed(text string, names []string) Plan {
	text, quotes := takeQuotes(text)
	target, s := prepare(text, names)
	p := Plan{Action: ActionEdit, Target: target}
	s = joinEdgesRe.ReplaceAllStringFunc(s, func(m string) string {
		return strings.NewReplacer(" and ", " plus ", "和", "与", "跟", "与", "及", "与").Replace(m)
	})
	if s == "" {
		if target != "" && !strings.HasPrefix(target, "#") {
			p.Action = ActionUpload // the text is only a file name or path
		}
		return p
	}
	format := findFormat(s)
	var first Action
	route := true
	for _, sp := range joinMusicClauses(s, clauses(s)) {
		c := strings.TrimSpace(s[sp.start:sp.end])
		r := parseClause(c)
		out := Clause{Text: c, Outcome: r.outcome}
		p.Clauses = append(p.Clauses, out)
		switch r.outcome {
		case OutOps:
			p.Ops = append(p.Ops, r.ops...)
			route = false
		case OutRefused:
			p.Refused = append(p.Refused, Refusal{Clause: c, Reason: r.reason, Independent: r.independent})
			route = false
		case OutNoExport:
			p.NoExport = true
			route = false
		case OutDeclined:
			route = false
		}
		if r.export {
			if p.Export == nil {
				p.Export = &ExportRequest{}
			}
			if r.resolution != "" {
				p.Export.Resolution = r.resolution
			}
			p.Export.Each = p.Export.Each || r.each
		}
		if r.outcome != OutOps && r.outcome != OutRefused && editWordRe.MatchString(c) && !r.export {
			route = false
		}
		if a := r.command; a != "" {
			if tooLong(c) {
				route = false
			}
			if first == "" {
				first = a
			}
		}
	}
	if format != "" && !p.NoExport {
		if p.Export == nil {
			p.Export = &ExportRequest{}
		}
		p.Export.Format = format
	}
	if p.NoExport {
		p.Export = nil
	}
	if p.Export != nil {
		p.Export.File = target
	}
	p.Ops = mergeOps(p.Ops)
	finishMultitrack(&p, quotes)
	if p.Export != nil {
		p.Export.File = p.Target
	}
	for _, r := range p.Refused {
		if !r.Independent {
			p.Held = true
		}
	}
	switch {
	case route && first != "":
		p.Action = first
	case route && first == "" && p.Export != nil && len(p.Ops) == 0:
		p.Action = ActionExport // "as mp3", "1080p mp4"
	}
	if p.Action == ActionExport && p.Export == nil {
		p.Export = &ExportRequest{File: target}
	}
	return p
}

// Route classifies text: Parse(text).Action.
func Route(text string) Action { return Parse(text).Action }

// clauseResult is what one clause contributed.
type clauseResult struct {
	outcome     Outcome
	ops         []Op
	export      bool
	resolution  string
	command     Action
	reason      string
	independent bool
	each        bool // "process each file separately"
}

// vagueRe is a comparative change ("quieter than before", "shorter"),
// partRe a part of the programme named without times ("the intro").
var (
	vagueRe     = regexp.MustCompile(`\b(?:quieter|louder|softer|lower|higher|shorter|longer)\b|\bturn(?:ed)? (?:it |the music )?(?:down|up)\b|调低|调高|小一点|大一点|更短|更长`)
	partRe      = regexp.MustCompile(`\b(?:intro|outro|opening|ending)\b|片头|片尾|开头|结尾`)
	hasNumberRe = regexp.MustCompile(`[0-9０-９]|百分之|[一二三四五六七八九十两半]|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|half|quarter)\b`)
)

func refuse(reason string, independent bool) clauseResult {
	return clauseResult{outcome: OutRefused, reason: reason, independent: independent}
}

// eachRe asks for one render per file: "process each file separately",
// "export every clip on its own", "handle the files one by one",
// 分别处理每个文件, 每个文件单独导出. It is read before the negation split,
// as 分别 holds 别.
var eachRe = regexp.MustCompile(`(?:\b(?:process|export|render|handle|edit|treat|do|save|output|clean)\w*\s+)?(?:\b(?:each|every)\s+(?:single\s+)?|\b(?:all\s+)?(?:the\s+|of the\s+)?)(?:files?|clips?|recordings?|videos?|tracks?|ones?)\s+(?:separately|individually|independently|on (?:its|their) own|by (?:itself|themselves)|(?:one|1) (?:by|at a) (?:one|1|time))\b|(?:分别|逐个|单独|各自|分开)(?:处理|导出|渲染|输出)(?:每个|各个|所有)?(?:文件|素材|音频|视频)?|(?:每个|各个|所有)(?:文件|素材|音频|视频)(?:都)?(?:分别|单独|各自|逐个|分开)(?:处理|导出|渲染|输出)?`)

// parseClause turns one normalized clause into its outcome.
func parseClause(c string) clauseResult {
	if politeRe.MatchString(c) {
		return clauseResult{outcome: OutPolite}
	}
	if loc := eachRe.FindStringIndex(c); loc != nil {
		// One render per file, with whatever else the clause says.
		r := clauseResult{outcome: OutExport}
		if rest := strings.TrimSpace(c[:loc[0]] + " " + c[loc[1]:]); rest != "" && !politeRe.MatchString(rest) {
			r = parseClause(rest)
			if r.outcome == OutPolite || r.outcome == OutCommand {
				r = clauseResult{outcome: OutExport}
			}
		}
		if r.outcome == OutRefused || r.outcome == OutNoExport {
			return r
		}
		r.export, r.each = true, true
		return r
	}
	head, tail := c, ""
	if loc := negRe.FindStringIndex(c); loc != nil {
		head, tail = c[:loc[0]], c[loc[0]:]
	}
	var r clauseResult
	if vagueRe.MatchString(head) && !hasNumberRe.MatchString(strings.NewReplacer("一点", "", "一下", "").Replace(head)) {
		// "the outro music is quieter than before", "the intro is
		// shorter": a change with no amount and no times would be a guess.
		if musicRe.MatchString(head) {
			return refuse("say the music's level, e.g. \"music at 20%\" or \"music at -18 dB\"", true)
		}
		if partRe.MatchString(head) {
			return refuse("no time range given: say which part and how, e.g. \"cut 0:05-0:12\"", true)
		}
	}
	ops, why := parseMultitrack(c)
	if why != "" {
		return refuse(why, true)
	}
	if len(ops) > 0 {
		return clauseResult{outcome: OutOps, ops: ops, export: exportStrongRe.MatchString(head)}
	}
	if res := resRe.FindString(head); res != "" {
		r.resolution = strings.ReplaceAll(res, " ", "")
	}
	if undoRe.MatchString(head) || redoRe.MatchString(head) {
		k := KindUndo
		if !undoRe.MatchString(head) {
			k = KindRedo
		}
		n := stepCount(head)
		if n > MaxSteps {
			return refuse("at most 100 steps can be undone or redone at once", true)
		}
		r.outcome, r.ops = OutOps, []Op{{Kind: k, Count: n}}
		return r
	}
	if a := command(head); a == ActionUpload || a == ActionState || a == ActionCredits {
		if !hasAnyTrigger(head) && !cutVerbRe.MatchString(head) {
			r.outcome, r.command = OutCommand, a
			return r
		}
	}
	for _, u := range unsupported {
		if u.re.MatchString(head) {
			return refuse(u.reason, true)
		}
	}
	ops, reason, named := parseOps(head)
	if reason != "" {
		return refuse(reason, named || !dependentRe.MatchString(c))
	}
	r.ops = ops
	exportHead := exportStrongRe.MatchString(head) || (len(ops) == 0 && exportWeakRe.MatchString(head)) || findFormat(head) != "" || r.resolution != ""
	exportTail := tail != "" && (exportStrongRe.MatchString(tail) || exportWeakRe.MatchString(tail))
	switch {
	case len(ops) > 0:
		r.outcome = OutOps
	case exportTail && !exportHead:
		r.outcome = OutNoExport
		return r
	}
	if exportHead {
		r.export = true
		if r.outcome == "" {
			r.outcome = OutExport
			r.command = command(head)
		}
	}
	if r.outcome != "" {
		return r
	}
	if a := command(head); a != "" {
		r.outcome, r.command = OutCommand, a
		return r
	}
	if newSessRe.MatchString(head) {
		r.outcome, r.command = OutCommand, ActionNewSession
		return r
	}
	if tail != "" {
		if hasAnyTrigger(tail) || knownRe.MatchString(tail) || cutVerbRe.MatchString(tail) || fillerRe.MatchString(tail) {
			r.outcome = OutDeclined
			return r
		}
		return refuse("I could not tell what to leave out or avoid: say the edit itself, with times if it applies to a part", false)
	}
	if politeRe.MatchString(head) {
		return clauseResult{outcome: OutPolite}
	}
	if cutVerbRe.MatchString(head) || keepVerbRe.MatchString(head) {
		return refuse("no time range given: say which part, e.g. \"cut 0:10-0:25\" or \"remove the first 5 seconds\"", true)
	}
	return refuse("not understood", !dependentRe.MatchString(c) && !scopeRe.MatchString(c) || hasAnyTrigger(c))
}

// parseOps reads the operations of the part of a clause before any
// negation. named reports whether the text names an operation (so a
// refusal of it is independent of the rest).
func parseOps(c string) (ops []Op, reason string, named bool) {
	found := map[Kind]int{}
	for _, t := range triggers {
		if loc := t.re.FindStringIndex(c); loc != nil {
			found[t.kind] = loc[0]
		}
	}
	if len(found) == 0 {
		if loc := levelRe.FindStringIndex(c); loc != nil {
			found[KindLoudness] = loc[0]
		}
	}
	for k, over := range yields {
		for _, o := range over {
			if _, ok := found[o]; ok {
				delete(found, k)
			}
		}
	}
	if len(found) == 0 {
		keep := keepVerbRe.MatchString(c) && !paddingRe.MatchString(c)
		if !keep && !cutVerbRe.MatchString(c) {
			return nil, "", false
		}
		k := KindCut
		if keep {
			k = KindKeep
		}
		rs, _ := findRanges(c, keep)
		for _, rg := range rs {
			rg.Kind = k
			ops = append(ops, rg)
		}
		if len(ops) == 0 {
			return nil, "no time range given: say which part, e.g. \"cut 0:10-0:25\" or \"remove the first 5 seconds\"", true
		}
		return ops, "", true
	}
	ts := make([]trig, 0, len(found))
	for k, p := range found {
		ts = append(ts, trig{k, p})
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].pos < ts[j].pos })
	for i, t := range ts {
		from, to := t.pos, len(c)
		if i == 0 {
			from = 0
		}
		if i+1 < len(ts) {
			to = ts[i+1].pos
		}
		seg := c[from:to]
		if len(ts) == 1 {
			seg = c
		}
		op, ok, why := parseRanged(t.kind, seg)
		if why != "" {
			return nil, why, true
		}
		if ok {
			ops = append(ops, op)
		}
	}
	if len(ops) == 0 {
		return nil, "not enough to go on: say how much, e.g. \"make it louder by 3 dB\"", true
	}
	return ops, "", true
}

// trig is where a kind's trigger word starts in a clause.
type trig struct {
	kind Kind
	pos  int
}

// parseRanged reads the time range of a clause for kinds that take one,
// then the kind's own parameters from the rest.
func parseRanged(k Kind, s string) (Op, bool, string) {
	var rg *Op
	rest := s
	if k != KindFade && k != KindSync {
		rs, used := findRanges(s, false)
		if len(rs) > 1 {
			return Op{}, false, "one range at a time, please: give each range its own instruction"
		}
		if len(rs) == 1 {
			rg = &rs[0]
		}
		b := []byte(s)
		for _, u := range used {
			for i := u.start; i < u.end; i++ {
				b[i] = ' '
			}
		}
		rest = string(b)
	}
	op, ok, why := parseKind(k, rest)
	if why != "" || !ok {
		return op, ok, why
	}
	if k == KindTrimSilence {
		hasStart, hasEnd := edgeStartRe.MatchString(s), edgeEndRe.MatchString(s)
		if rg == nil && (hasStart || hasEnd) {
			switch {
			case hasStart && hasEnd:
				op.Edges = "both"
			case hasStart:
				op.Edges = "start"
			default:
				op.Edges = "end"
			}
			if op.ShortenTo > 0 || op.MinPause > 0 {
				return op, false, "only the leading and trailing silence can be trimmed at the edges: leave out pause lengths there"
			}
			return op, true, ""
		}
		if rg != nil && rg.Start > 0 && rg.End == 0 && onePauseRe.MatchString(s) {
			op.FirstOnly = true
		}
	}
	if rg != nil {
		if !rangedKinds[k] {
			return op, false, Op{Kind: k}.describe() + " applies to the whole recording; it cannot be limited to a range"
		}
		op.Start, op.End = rg.Start, rg.End
		return op, true, ""
	}
	switch k {
	case KindMute, KindBleep:
		return op, false, "say which part, with a start and an end, e.g. \"" + string(k) + " 1:00-1:05\""
	case KindFade, KindSync, KindUndo, KindRedo:
		return op, true, ""
	}
	if loc := scopeRe.FindStringIndex(sequenceRe.ReplaceAllString(s, "")); loc != nil {
		s = sequenceRe.ReplaceAllString(s, "")
		return op, false, "I could not tell which part '" + strings.TrimSpace(s[loc[0]:min(len(s), loc[1]+16)]) + "' means: give times, e.g. 0:10-0:20"
	}
	return op, true, ""
}

func parseKind(k Kind, s string) (Op, bool, string) {
	switch k {
	case KindDenoise:
		op, why := parseDenoise(s)
		return op, true, why
	case KindTrimSilence:
		op, why := parseSilence(s)
		return op, true, why
	case KindLoudness:
		op, why := parseLoudness(s)
		return op, true, why
	case KindVolume:
		return parseVolume(s)
	case KindFade:
		op, why := parseFade(s)
		return op, true, why
	case KindSync:
		return Op{Kind: KindSync}, true, ""
	case KindSpeed:
		return parseSpeed(s)
	case KindChannels:
		return parseChannels(s)
	case KindBalance:
		return parseBalance(s)
	case KindHum:
		return parseHum(s)
	case KindEQ:
		return parseEQ(s)
	case KindLevel, KindMute, KindBleep, KindBreaths:
		return Op{Kind: k}, true, ""
	}
	return Op{}, false, ""
}

// parseSpeed reads a tempo factor: "1.5x", "by 50%", "to 80%", "2倍".
// Slowing down by Nx is 1/N. A speed change without an amount is refused.
func parseSpeed(s string) (Op, bool, string) {
	slow := slowRe.MatchString(s) && !fastWordRe.MatchString(s)
	f := 0.0
	for _, it := range lex(s) {
		switch it.unit {
		case uTimes:
			f = it.val
			if slow && f > 1 {
				f = 1 / f
			}
		case uPct:
			switch {
			case pctToRe.MatchString(before(s, it.start)):
				f = it.val / 100
			case slow:
				f = 1 - it.val/100
			default:
				f = 1 + it.val/100
			}
		case uBare:
			if pctToRe.MatchString(before(s, it.start)) || timesPostRe.MatchString(after(s, it.end)) {
				f = it.val
			}
		}
		if f != 0 {
			break
		}
	}
	if f == 0 {
		return Op{}, false, "say how much, e.g. \"speed up 1.25x\" or \"slow down to 0.8x\""
	}
	f = math.Round(f*1000) / 1000
	if f < MinSpeed || f > MaxSpeed {
		return Op{}, false, "a speed of " + num(f) + "x is outside 0.5-2x"
	}
	if f == 1 {
		return Op{}, false, "a speed of 1x changes nothing"
	}
	if (slow && f > 1) || (!slow && fastWordRe.MatchString(s) && f < 1) {
		return Op{}, false, "the direction and the amount disagree (" + num(f) + "x)"
	}
	return Op{Kind: KindSpeed, Factor: f}, true, ""
}

var (
	monoRe   = regexp.MustCompile(`\bmono\b|单声道`)
	stereoRe = regexp.MustCompile(`\bstereo\b|立体声|双声道`)
)

// parseChannels: the last of mono/stereo named is the target ("convert
// stereo to mono" is mono).
func parseChannels(s string) (Op, bool, string) {
	m, st := monoRe.FindAllStringIndex(s, -1), stereoRe.FindAllStringIndex(s, -1)
	last := func(l [][]int) int {
		if len(l) == 0 {
			return -1
		}
		return l[len(l)-1][0]
	}
	if last(m) > last(st) {
		return Op{Kind: KindChannels, Channels: 1}, true, ""
	}
	return Op{Kind: KindChannels, Channels: 2}, true, ""
}

// parseBalance: "balance left and right" levels the channels; "pan 30%
// left" moves the image; "pan hard left" is -1. A pan without an amount
// is refused.
func parseBalance(s string) (Op, bool, string) {
	l, rt := leftRe.FindStringIndex(s), rightRe.FindStringIndex(s)
	if equalizeRe.MatchString(s) && !panRe.MatchString(s) {
		return Op{Kind: KindBalance, Equalize: true}, true, ""
	}
	dir := 0.0
	switch {
	case l != nil && (rt == nil || l[0] < rt[0]):
		dir = -1
	case rt != nil:
		dir = 1
	}
	if dir == 0 {
		return Op{}, false, "say which side and how far, e.g. \"pan 30% left\""
	}
	amt := 0.0
	if hardRe.MatchString(s) {
		amt = 1
	}
	for _, it := range lex(s) {
		if it.unit == uPct {
			if it.val <= 0 || it.val > 100 {
				return Op{}, false, "a pan of " + num(it.val) + "% is outside 1-100%"
			}
			amt = it.val / 100
		}
	}
	if amt == 0 {
		return Op{}, false, "say how far, e.g. \"pan 30% left\" or \"pan hard left\""
	}
	return Op{Kind: KindBalance, Pan: dir * amt}, true, ""
}

// parseHum: "60 Hz hum" fixes the mains frequency; otherwise it is
// detected. Only 50 and 60 Hz are mains.
func parseHum(s string) (Op, bool, string) {
	op := Op{Kind: KindHum}
	if m := hzRe.FindStringSubmatch(s); m != nil {
		v, _ := parseNum(m[1])
		if v != 50 && v != 60 {
			return op, false, "mains hum is at 50 or 60 Hz, not " + num(v) + " Hz"
		}
		op.MainsHz = v
	}
	return op, true, ""
}

var (
	hpRe     = regexp.MustCompile(`\bhi(?:gh)?[\s-]?pass\b|\blow[\s-]?cut\b|\bhpf\b|\brumble\b|高通|低切|隆隆`)
	warmRe   = regexp.MustCompile(`\bwarm(?:er|th)?\b|温暖|暖一点|更暖`)
	brightRe = regexp.MustCompile(`\bbright(?:er|en|ness)?\b|\bcrisp(?:er)?\b|明亮|亮一点|更亮|清脆`)
	deessRe  = regexp.MustCompile(`\bde-?ess(?:er|ing)?\b|\bsibilan\w*|齿音`)
	bassRe   = regexp.MustCompile(`\bbass\b|\blow end\b|低音`)
)

// parseEQ reads one preset. High-pass takes a corner of 20-300 Hz (80 by
// default); bass takes a gain of -12..+12 dB (+6 by default, -6 for
// "less/cut/reduce the bass").
func parseEQ(s string) (Op, bool, string) {
	op := Op{Kind: KindEQ}
	switch {
	case hpRe.MatchString(s):
		op.Preset = EQHighPass
		if m := hzRe.FindStringSubmatch(s); m != nil {
			v, _ := parseNum(m[1])
			if v < 20 || v > 300 {
				return op, false, "a high-pass at " + num(v) + " Hz is outside 20-300 Hz"
			}
			if v != 80 {
				op.FreqHz = v
			}
		}
	case deessRe.MatchString(s):
		op.Preset = EQDeEss
	case bassRe.MatchString(s):
		op.Preset = EQBass
		down := downRe.MatchString(s) && !upRe.MatchString(s)
		for _, it := range lex(s) {
			if it.unit == uDB {
				g := it.val
				if !it.signed && down {
					g = -g
				}
				if math.Abs(g) > 12 || g == 0 {
					return op, false, "a bass change of " + num(g) + " dB is outside ±12 dB"
				}
				op.GainDB = g
			}
		}
		if op.GainDB == 0 && down {
			op.GainDB = -6
		}
	case warmRe.MatchString(s):
		op.Preset = EQWarmer
	case brightRe.MatchString(s):
		op.Preset = EQBrighter
	}
	if op.Preset == "" {
		return op, false, ""
	}
	return op, true, ""
}
