package intent

import (
	"errors"
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
)

// Kinds lists every Kind in a fixed order (the order Capabilities uses).
var Kinds = []Kind{
	KindDenoise, KindTrimSilence, KindLoudness, KindCut, KindKeep,
	KindFade, KindVolume, KindSync, KindUndo, KindRedo,
}

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
	// multitrack kinds (multitrack.go); Title also uses Start/End.
	Music *MusicSpec `json:"music,omitempty"`
	Title *TitleSpec `json:"title,omitempty"`
	Frame *FrameSpec `json:"frame,omitempty"`
}

// Plan is what Parse found in one instruction.
type Plan struct {
	Ops        []Op     `json:"ops"`
	Target     string   `json:"target,omitempty"`      // file the instruction names ("interview.wav"); "file 2"/"the second file" -> "#2"
	ThenExport bool     `json:"then_export,omitempty"` // "... and export it as mp3"
	Format     string   `json:"format,omitempty"`      // export format named in the text (mp4 mov mkv webm mp3 wav m4a aac), if any
	Unparsed   []string `json:"unparsed,omitempty"`    // clauses that matched nothing (normalized: lower case, half-width)
}

// ErrEmpty is returned by Parse for empty or whitespace-only text.
var ErrEmpty = errors.New("intent: empty instruction")

// ErrNoOps is returned by Parse when the text names no operation it knows;
// callers should show Capabilities.
var ErrNoOps = errors.New("intent: no edit operation recognized")

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
	}, multitrackCapabilities...)
}

// Describe returns a one-line human description of the op, such as
// "remove background noise (strength 0.5)" or "cut 0:10-0:25".
func (o Op) Describe() string {
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
		if o.ShortenTo > 0 {
			s = "shorten pauses"
		} else {
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
