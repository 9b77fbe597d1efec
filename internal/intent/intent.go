package intent

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Action is where a user's text is routed.
type Action string

// The actions Route returns.
const (
	ActionEdit    Action = "edit"    // everything else -> edit operations (or, for the cloud backend, the SSE agent)
	ActionExport  Action = "export"  // "export" / "导出" / "download" / "send me the video" / "render"...
	ActionCredits Action = "credits" // "credits" / "积分" / "balance" / "余额"
	ActionState   Action = "state"   // "status" / "状态" / "show tracks" / "show the timeline"...
	ActionUpload  Action = "upload"  // "upload" / "上传"
	// ActionNewSession: "start a new project", "new session", 新建项目.
	ActionNewSession Action = "new_session"
)

// Kind names one edit operation.
type Kind string

// The operation kinds Parse can produce.
const (
	KindDenoise     Kind = "denoise"      // remove background noise / hum / hiss; 降噪 / 去除背景噪音 / 去噪
	KindTrimSilence Kind = "trim_silence" // trim/remove/cut/shorten silence or pauses; 去除静音 / 删除停顿 / 缩短停顿
	KindLoudness    Kind = "loudness"     // normalize loudness / level / "make it -16 LUFS" / 响度标准化 / 音量标准化
	KindCut         Kind = "cut"          // remove a time range: "cut 0:10 to 0:25", "remove the first 5 seconds", 删除前5秒
	KindKeep        Kind = "keep"         // keep only a range: "keep only 1:00-2:30", "trim to the first 30 seconds", 只保留
	KindFade        Kind = "fade"         // "fade in 2s", "fade out 3 seconds", "fade in and out", 淡入 / 淡出
	KindVolume      Kind = "volume"       // "make it louder by 3 dB", "turn it down 6dB", "double the volume", "音量提高3分贝"
	KindSync        Kind = "sync"         // "sync audio to video" / "align the audio with the video" / 音画同步 / 同步音频
	KindUndo        Kind = "undo"         // "undo", "undo the last 2 edits", 撤销
	KindRedo        Kind = "redo"         // "redo", 重做
	KindSpeed       Kind = "speed"        // "speed up 1.5x", "slow down to 0.8x", 加速1.5倍 (pitch kept)
	KindChannels    Kind = "channels"     // "convert to mono", "make it stereo", 转成单声道
	KindBalance     Kind = "balance"      // "pan 30% left", "balance left and right", 左右声道平衡
	KindHum         Kind = "hum"          // "remove the hum", 去除嗡嗡声 / 电流声 (notch at the detected 50/60 Hz)
	KindEQ          Kind = "eq"           // presets: high-pass 80 Hz, warmer, brighter, de-ess, bass boost
	KindLevel       Kind = "level"        // "make both speakers equally loud", 让两个人音量一致
	KindMute        Kind = "mute"         // "mute 1:00-1:05", 静音1:00到1:05
	KindBleep       Kind = "bleep"        // "bleep 0:42-0:43", 哔掉
	KindBreaths     Kind = "breaths"      // "remove breaths", 去除呼吸声
)

// Kinds lists every Kind in a fixed order (the order Capabilities uses).
var Kinds = []Kind{
	KindDenoise, KindTrimSilence, KindLoudness, KindCut, KindKeep,
	KindFade, KindVolume, KindSync, KindUndo, KindRedo,
	KindSpeed, KindChannels, KindBalance, KindHum, KindEQ, KindLevel, KindMute, KindBleep, KindBreaths,
}

// EQ presets (Op.Preset).
const (
	EQHighPass = "highpass" // high-pass at 80 Hz: rumble, handling noise
	EQWarmer   = "warmer"   // +3 dB low shelf at 200 Hz, -2 dB high shelf at 8 kHz
	EQBrighter = "brighter" // +3 dB high shelf at 5 kHz
	EQDeEss    = "deess"    // de-esser on 5-9 kHz sibilance
	EQBass     = "bass"     // +6 dB low shelf at 100 Hz (Op.GainDB when given)
)

// Limits on values; a value outside is refused, never replaced.
const (
	MinSpeed, MaxSpeed = 0.5, 2.0
	MinLUFS, MaxLUFS   = -60.0, -5.0
	MinPeak, MaxPeak   = -20.0, 0.0
	MaxGain            = 60.0
	MaxFade            = 600.0
	MaxPause           = 60.0
	MaxSteps           = 100
)

// Valid reports whether k is one of the kinds in Kinds.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// Defaults Parse fills in where the user named an operation but no number,
// and where a zero value would mean "do nothing" rather than "default".
const (
	// DefaultFade is the fade length in seconds for "fade in", "fade out",
	// "fade in and out" or "add fades" said without a length.
	DefaultFade = 1.0
	// DefaultGainDB is the gain for "louder" (+) or "quieter" (-) said
	// without an amount.
	DefaultGainDB = 3.0
	// DefaultShortenTo is the pause length in seconds for "shorten
	// (long) pauses" said without a length.
	DefaultShortenTo = 0.5
	// DefaultTargetLUFS is the loudness an engine should use when
	// Op.TargetLUFS is 0; Describe shows it.
	DefaultTargetLUFS = -16.0
)

// Op is one edit operation. Zero values mean "use the engine's default" unless a comment says otherwise.
type Op struct {
	Kind Kind `json:"kind"`
	// denoise
	Strength float64 `json:"strength,omitempty"` // 0..1 dry/wet; "gently"/"light"/"轻微" 0.5, "strongly"/"aggressive"/"强力" 1.0; 0 = default
	Model    string  `json:"model,omitempty"`    // "" default, "fast" (rnnoise), "best" (gtcrn), "classic" (afftdn)
	// trim_silence
	ThresholdDB float64 `json:"threshold_db,omitempty"` // absolute dBFS threshold if the user gave one ("below -40 dB"); 0 = relative to measured noise floor
	MinPause    float64 `json:"min_pause_s,omitempty"`  // only pauses longer than this ("pauses longer than 1 second"); 0 = default
	Margin      float64 `json:"margin_s,omitempty"`     // keep this much around speech ("keep 0.3 s padding"); 0 = default
	ShortenTo   float64 `json:"shorten_to_s,omitempty"` // "shorten pauses to 0.5 s" -> 0.5 (pauses kept at this length); 0 = remove pauses (keeping margins)
	// loudness
	TargetLUFS float64 `json:"target_lufs,omitempty"`  // negative number; presets: podcast -16, streaming -14, broadcast -23, ATSC -24; 0 = default (-16)
	TruePeak   float64 `json:"true_peak_db,omitempty"` // dBTP ceiling if given ("peak -1 dB"); 0 = default
	// cut / keep: seconds. Start < 0 means relative to the end ("last 5 seconds" -> Start -5, End 0). End == 0 means "to the end".
	Start float64 `json:"start_s,omitempty"`
	End   float64 `json:"end_s,omitempty"`
	// fade: seconds; 0 = no fade on that side. A fade named without a length gets DefaultFade.
	FadeIn  float64 `json:"fade_in_s,omitempty"`
	FadeOut float64 `json:"fade_out_s,omitempty"`
	// volume: dB, never 0 in a parsed op ("louder" alone is +DefaultGainDB).
	GainDB float64 `json:"gain_db,omitempty"`
	// undo / redo
	Count int `json:"count,omitempty"` // 0 or 1 = one step
	// trim_silence: Edges "start", "end" or "both" trims only leading
	// and/or trailing silence; FirstOnly removes only the first pause of
	// the range ("the pause after 2:00").
	Edges     string `json:"edges,omitempty"`
	FirstOnly bool   `json:"first_only,omitempty"`
	// speed: tempo factor (0.5..2), pitch kept.
	Factor float64 `json:"factor,omitempty"`
	// channels: 1 mono, 2 stereo.
	Channels int `json:"channels,omitempty"`
	// balance: Pan -1 (left) .. +1 (right); Equalize levels the two
	// channels against each other instead.
	Pan      float64 `json:"pan,omitempty"`
	Equalize bool    `json:"equalize,omitempty"`
	// hum: mains frequency if the user said it (50 or 60); 0 = detect.
	MainsHz float64 `json:"mains_hz,omitempty"`
	// eq: one of the EQ presets; GainDB holds the bass boost if given,
	// FreqHz the high-pass corner if given (default 80).
	Preset string  `json:"preset,omitempty"`
	FreqHz float64 `json:"freq_hz,omitempty"`
	// multitrack kinds (multitrack.go); Title also uses Start/End.
	Music *MusicSpec `json:"music,omitempty"`
	Title *TitleSpec `json:"title,omitempty"`
	Frame *FrameSpec `json:"frame,omitempty"`
	// position: At is the track's start on the timeline (seconds), Shift
	// moves it (+ later, - earlier); Track "music" names the music bed,
	// else the plan's Target the file.
	At    *float64 `json:"at_s,omitempty"`
	Shift float64  `json:"shift_s,omitempty"`
	Track string   `json:"track,omitempty"`
}

// Ranged reports whether the op applies to a time range only (Start/End
// in timeline time, as for cut) rather than the whole recording.
func (o Op) Ranged() bool {
	switch o.Kind {
	case KindCut, KindKeep:
		return true
	}
	return o.Start != 0 || o.End != 0
}

// Plan is everything one instruction asks for: where it goes (Action),
// the operations to record, the export to start, and the clauses refused
// with the reason. Every clause ends in exactly one of these (see Clauses).
type Plan struct {
	Action Action `json:"action"`
	Ops    []Op   `json:"ops,omitempty"`
	// Export is the export the text asks for ("... and export as mp3"); nil
	// when none, or when the text said not to (NoExport).
	Export *ExportRequest `json:"export,omitempty"`
	// NoExport: the text said not to export or render ("don't export yet").
	NoExport bool `json:"no_export,omitempty"`
	// Refused lists the clauses not applied, with why.
	Refused []Refusal `json:"refused,omitempty"`
	// Held: a refused clause qualifies the others ("... but only where he
	// speaks"), so no operation and no export may be applied.
	Held bool `json:"held,omitempty"`
	// Target is the file the instruction names ("interview.wav"); "file
	// 2"/"the second file" -> "#2".
	Target string `json:"target,omitempty"`
	// Clauses is how each clause ended, in order.
	Clauses []Clause `json:"-"`
}

// ExportRequest is an export asked for in the text.
type ExportRequest struct {
	Format     string `json:"format,omitempty"`     // mp4 mov mkv webm mp3 wav m4a aac; "" = default
	File       string `json:"file,omitempty"`       // the file named (Plan.Target)
	Resolution string `json:"resolution,omitempty"` // "1080p", "720p", "4k", "1080x1920"
	// Each: "process each file separately" / 分别处理每个文件: one render
	// per file of the session, as file= does, nothing combined.
	Each bool `json:"each,omitempty"`
}

// Refusal is a clause not applied.
type Refusal struct {
	Clause string `json:"clause"`
	Reason string `json:"reason"`
	// Independent: the clause names its own operation, so the rest of the
	// instruction stands without it.
	Independent bool `json:"independent"`
}

// Outcome is how one clause ended.
type Outcome string

// The outcomes of a clause.
const (
	OutOps      Outcome = "ops"       // one or more operations
	OutExport   Outcome = "export"    // an export request (or its format/resolution)
	OutNoExport Outcome = "no_export" // "don't export", 不要导出
	OutDeclined Outcome = "declined"  // a negated operation: "don't normalize", "without music"
	OutCommand  Outcome = "command"   // status, credits, upload, new session
	OutPolite   Outcome = "polite"    // "please", "thanks"
	OutRefused  Outcome = "refused"   // in Plan.Refused
)

// Clause is one clause of the text and how it ended.
type Clause struct {
	Text    string  `json:"text"`
	Outcome Outcome `json:"outcome"`
}

// Applicable returns the ops to apply: none when Held.
func (p Plan) Applicable() []Op {
	if p.Held {
		return nil
	}
	return p.Ops
}

// ExportToStart returns the export to start, or nil: none when held or
// when any clause was refused (a render missing part of what was asked is
// not started; the caller says so).
func (p Plan) ExportToStart() *ExportRequest {
	if p.Held || len(p.Refused) > 0 || p.NoExport {
		return nil
	}
	return p.Export
}

// RefusalLine is the sentence a result's first line starts with when
// clauses were refused: "I did not apply: 'boost the bass' (no EQ yet)."
// It is "" when nothing was refused.
func (p Plan) RefusalLine() string {
	if len(p.Refused) == 0 {
		return ""
	}
	var parts []string
	for _, r := range p.Refused {
		parts = append(parts, fmt.Sprintf("'%s' (%s)", r.Clause, r.Reason))
	}
	s := "I did not apply: " + strings.Join(parts, "; ") + "."
	switch {
	case p.Held && len(p.Ops) > 0:
		s += " It qualifies the rest, so nothing else was applied either."
	case len(p.Ops) > 0:
		s += " The rest stands alone and was applied."
	}
	if p.Export != nil && !p.NoExport {
		s += " Not exported, since part of the instruction was refused."
	}
	return s
}

// Capabilities returns a short human list of what can be said, one line per
// kind with an English and a Chinese example, in the order of Kinds.
func Capabilities() []string {
	return append([]string{
		`remove background noise: "remove background noise", "denoise gently" / "去除背景噪音"`,
		`trim silence: "trim silence", "shorten pauses longer than 1 s to 0.5 s" / "删除静音"`,
		`normalize loudness: "normalize to -16 LUFS", "loud enough for Spotify" / "响度标准化到-16 LUFS"`,
		`cut a range: "cut 0:10 to 0:25", "remove the first 5 seconds" / "删除前5秒"`,
		`keep only a range: "keep only 1:00-2:30", "trim to 30 seconds" / "只保留1:00到2:30"`,
		`fade: "fade in 2 s", "fade in and out" / "淡入2秒，淡出3秒"`,
		`change volume: "make it louder by 3 dB", "turn it down 6 dB" / "音量提高3分贝"`,
		`sync audio to video: "sync audio to video" / "音画同步"`,
		`undo: "undo", "undo the last 2 edits" / "撤销"`,
		`redo: "redo" / "重做"`,
		`change speed, pitch kept (0.5-2x): "speed up 1.25x", "speed up 1:00-2:00 by 1.5x" / "加速1.5倍"`,
		`mono or stereo: "convert to mono" / "转成单声道"`,
		`left/right balance: "balance the left and right channels", "pan 30% left" / "左右声道平衡"`,
		`remove mains hum (50/60 Hz detected): "remove the hum" / "去除电流声"`,
		`EQ presets: "high-pass at 80 Hz", "make it warmer", "brighter", "de-ess", "boost the bass" / "增强低音"`,
		`level speakers: "make both speakers equally loud" / "让两个人的音量一致"`,
		`mute a range: "mute 1:00-1:05" / "静音1:00到1:05"`,
		`bleep a range: "bleep 0:42-0:43" / "哔掉0:42到0:43"`,
		`lower breaths between phrases (detected, -20 dB, timing kept): "remove breaths" / "去除呼吸声"`,
	}, multitrackCapabilities...)
}

// Describe returns a one-line human description of the op, such as
// "remove background noise (strength 0.5)" or "cut 0:10-0:25".
func (o Op) Describe() string {
	s := o.describe()
	if o.Ranged() && rangedKinds[o.Kind] {
		s += " " + rangeWords(o.Start, o.End)
	}
	return s
}

func rangeWords(start, end float64) string {
	switch {
	case start < 0 && end == 0:
		return "in the last " + num(-start) + " s"
	case end == 0:
		return "from " + clock(start) + " to the end"
	default:
		return "at " + clock(start) + "-" + clock(end)
	}
}

func (o Op) describe() string {
	switch o.Kind {
	case KindDenoise:
		var opts []string
		if o.Strength > 0 {
			opts = append(opts, "strength "+num(o.Strength))
		}
		if o.Model != "" {
			opts = append(opts, o.Model+" model")
		}
		s := "remove background noise"
		if len(opts) > 0 {
			s += " (" + strings.Join(opts, ", ") + ")"
		}
		return s
	case KindTrimSilence:
		var s string
		switch {
		case o.Edges == "both":
			return "trim the silence at the start and the end"
		case o.Edges == "start":
			return "trim the silence at the start"
		case o.Edges == "end":
			return "trim the silence at the end"
		case o.FirstOnly && o.ShortenTo > 0:
			s = "shorten the first pause"
		case o.FirstOnly:
			s = "remove the first pause"
		case o.ShortenTo > 0:
			s = "shorten pauses"
		default:
			s = "remove silences"
		}
		if o.MinPause > 0 {
			s += " longer than " + num(o.MinPause) + " s"
		}
		if o.ShortenTo > 0 {
			s += " to " + num(o.ShortenTo) + " s"
		}
		if o.Margin > 0 {
			s += ", keeping " + num(o.Margin) + " s around speech"
		}
		if o.ThresholdDB != 0 {
			s += ", threshold " + num(o.ThresholdDB) + " dBFS"
		}
		return s
	case KindLoudness:
		t := o.TargetLUFS
		s := "normalize loudness to " + num(t) + " LUFS"
		if t == 0 {
			s = "normalize loudness to " + num(DefaultTargetLUFS) + " LUFS (default)"
		}
		if o.TruePeak != 0 {
			s += ", peak " + num(o.TruePeak) + " dBTP"
		}
		return s
	case KindCut, KindKeep:
		verb := "cut "
		if o.Kind == KindKeep {
			verb = "keep only "
		}
		return verb + describeRange(o.Start, o.End)
	case KindFade:
		var parts []string
		if o.FadeIn > 0 {
			parts = append(parts, "fade in "+num(o.FadeIn)+" s")
		}
		if o.FadeOut > 0 {
			parts = append(parts, "fade out "+num(o.FadeOut)+" s")
		}
		if len(parts) == 0 {
			return "fade (no length)"
		}
		return strings.Join(parts, ", ")
	case KindVolume:
		return "change volume by " + signed(o.GainDB) + " dB"
	case KindSync:
		return "sync audio to video"
	case KindSpeed:
		return "change speed to " + num(o.Factor) + "x (pitch kept)"
	case KindChannels:
		if o.Channels == 1 {
			return "convert to mono"
		}
		return "convert to stereo"
	case KindBalance:
		switch {
		case o.Equalize:
			return "balance the left and right channels"
		case o.Pan < 0:
			return "pan " + num(-o.Pan*100) + "% left"
		default:
			return "pan " + num(o.Pan*100) + "% right"
		}
	case KindHum:
		if o.MainsHz > 0 {
			return "remove " + num(o.MainsHz) + " Hz hum and its harmonics"
		}
		return "remove mains hum (50/60 Hz detected) and its harmonics"
	case KindEQ:
		switch o.Preset {
		case EQHighPass:
			f := o.FreqHz
			if f == 0 {
				f = 80
			}
			return "high-pass filter at " + num(f) + " Hz"
		case EQWarmer:
			return "EQ: warmer"
		case EQBrighter:
			return "EQ: brighter"
		case EQDeEss:
			return "de-ess"
		case EQBass:
			g := o.GainDB
			if g == 0 {
				g = 6
			}
			return "boost the bass by " + num(g) + " dB"
		}
		return "EQ " + o.Preset
	case KindLevel:
		return "level the speakers to one loudness"
	case KindMute:
		return "mute"
	case KindBleep:
		return "bleep"
	case KindBreaths:
		return "remove breaths between phrases"
	case KindUndo, KindRedo:
		n := o.Count
		if n < 1 {
			n = 1
		}
		unit := " steps"
		if n == 1 {
			unit = " step"
		}
		return string(o.Kind) + " " + strconv.Itoa(n) + unit
	}
	if s, ok := describeMultitrack(o); ok {
		return s
	}
	return fmt.Sprintf("unknown operation %q", string(o.Kind))
}

func describeRange(start, end float64) string {
	switch {
	case start < 0 && end == 0:
		return "the last " + num(-start) + " s"
	case start == 0 && end > 0:
		return clock(0) + "-" + clock(end)
	case end == 0:
		return "from " + clock(start) + " to the end"
	default:
		return clock(start) + "-" + clock(end)
	}
}

// num formats v with at most 3 decimals and no trailing zeros.
func num(v float64) string {
	v = math.Round(v*1000) / 1000
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func signed(v float64) string {
	if v > 0 {
		return "+" + num(v)
	}
	return num(v)
}

// clock formats seconds as m:ss or h:mm:ss, with decimals only when needed.
func clock(sec float64) string {
	neg := sec < 0
	if neg {
		sec = -sec
	}
	sec = math.Round(sec*1000) / 1000
	whole := int64(sec)
	frac := sec - float64(whole)
	h, m, s := whole/3600, whole/60%60, whole%60
	var out string
	if h > 0 {
		out = fmt.Sprintf("%d:%02d:%02d", h, m, s)
	} else {
		out = fmt.Sprintf("%d:%02d", m, s)
	}
	if frac > 0.0005 {
		f := strconv.FormatFloat(frac, 'f', 3, 64) // "0.500"
		out += strings.TrimRight(f[1:], "0")
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Compact is a stable one-line form of the plan, used by the table test
// and the benchmark's coverage table: "action=edit ops=[denoise;
// loudness target_lufs=-16] export{format=mp3}" with refusals as
// refused['clause': reason].
func (p Plan) Compact() string {
	var b strings.Builder
	b.WriteString("action=" + string(p.Action))
	if p.Target != "" {
		b.WriteString(" target=" + p.Target)
	}
	if len(p.Ops) > 0 {
		var ops []string
		for _, o := range p.Ops {
			ops = append(ops, o.compact())
		}
		b.WriteString(" ops=[" + strings.Join(ops, "; ") + "]")
	}
	if e := p.Export; e != nil {
		var f []string
		for _, kv := range [][2]string{{"format", e.Format}, {"file", e.File}, {"res", e.Resolution}} {
			if kv[1] != "" {
				f = append(f, kv[0]+"="+kv[1])
			}
		}
		if e.Each {
			f = append(f, "each")
		}
		b.WriteString(" export{" + strings.Join(f, ",") + "}")
	}
	if p.NoExport {
		b.WriteString(" no_export")
	}
	for _, r := range p.Refused {
		dep := ""
		if !r.Independent {
			dep = " dependent"
		}
		fmt.Fprintf(&b, " refused['%s'%s: %s]", r.Clause, dep, r.Reason)
	}
	if p.Held {
		b.WriteString(" held")
	}
	return b.String()
}

// compact writes an op as its kind and its non-zero fields, in JSON order;
// nested objects as name{field=value,...}.
func (o Op) compact() string {
	raw, _ := json.Marshal(o)
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return string(o.Kind)
	}
	parts := []string{string(o.Kind)}
	for _, kv := range compactFields(dec) {
		if !strings.HasPrefix(kv, "kind=") {
			parts = append(parts, kv)
		}
	}
	return strings.Join(parts, " ")
}

// compactFields reads the fields of the object whose '{' dec has just
// read, up to its '}'.
func compactFields(dec *json.Decoder) []string {
	var out []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return out
		}
		v, err := dec.Token()
		if err != nil {
			return out
		}
		if d, ok := v.(json.Delim); ok && d == '{' {
			out = append(out, fmt.Sprintf("%v{%s}", k, strings.Join(compactFields(dec), ",")))
			continue
		}
		out = append(out, fmt.Sprintf("%v=%v", k, v))
	}
	_, _ = dec.Token() // '}'
	return out
}
