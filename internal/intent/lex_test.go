package intent

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDurations checks time parsing through the value of the first
// time-like item lex finds in normalized text.
func TestDurations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want float64
		ok   bool
	}{
		{"m:ss", "1:30", 90, true},
		{"hh:mm:ss", "01:02:03", 3723, true},
		{"m:ss.f", "0:10.5", 10.5, true},
		{"s suffix", "90s", 90, true},
		{"seconds", "90 seconds", 90, true},
		{"decimal s", "1.5 s", 1.5, true},
		{"leading dot", ".5 s", 0.5, true},
		{"minutes", "2 minutes", 120, true},
		{"min s", "1 min 20 s", 80, true},
		{"minute and seconds", "1 minute and 20 seconds", 80, true},
		{"1m20s", "1m20s", 80, true},
		{"h m s", "1h2m3s", 3723, true},
		{"ms", "500 ms", 0.5, true},
		{"s and ms", "1 s 500 ms", 1.5, true},
		{"hyphen adjective", "3-minute", 180, true},
		{"word number", "two seconds", 2, true},
		{"twenty five", "twenty-five seconds", 25, true},
		{"half a second", "half a second", 0.5, true},
		{"a minute", "for a minute", 60, true},
		{"couple", "a couple of seconds", 2, true},
		{"zh 5秒", "5秒", 5, true},
		{"zh 1分30秒", "1分30秒", 90, true},
		{"zh 半秒", "半秒", 0.5, true},
		{"zh 五秒", "五秒", 5, true},
		{"zh 十五秒", "十五秒", 15, true},
		{"zh 两分钟", "两分钟", 120, true},
		{"zh 一分半", "一分半", 90, true},
		{"zh 一分三十秒", "一分三十秒", 90, true},
		{"zh 二十秒", "二十秒", 20, true},
		{"zh 毫秒", "300毫秒", 0.3, true},
		{"zh fullwidth", "１：３０", 90, true},
		{"bare", "25", 25, true},
		{"not mp3", "mp3", 0, false},
		{"not 1080p", "1080p", 0, false},
		{"not db", "3 db", 0, false},
		{"huge", "9999999999999999999999999999 s", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got float64
			ok := false
			for _, it := range lex(normalize(tc.in)) {
				if it.timeLike() {
					got, ok = it.val, true
					break
				}
			}
			if ok != tc.ok || got != tc.want {
				t.Errorf("duration of %q = %v (found %v), want %v (found %v)", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestLexUnits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []unit
		vals []float64
	}{
		{"lufs", "-16 lufs", []unit{uLUFS}, []float64{-16}},
		{"lufs no space", "-16lufs", []unit{uLUFS}, []float64{-16}},
		{"db lufs", "-16 db lufs", []unit{uLUFS}, []float64{-16}},
		{"minus words", "minus 16 lufs", []unit{uLUFS}, []float64{-16}},
		{"dbtp", "-1 dbtp", []unit{uDBTP}, []float64{-1}},
		{"db", "+3 db", []unit{uDB}, []float64{3}},
		{"分贝", "3分贝", []unit{uDB}, []float64{3}},
		{"percent", "50%", []unit{uPct}, []float64{50}},
		{"times", "2x", []unit{uTimes}, []float64{2}},
		{"range dash is not a sign", "10-25", []unit{uBare, uBare}, []float64{10, 25}},
		{"other", "1080p 48 khz", []unit{uOther, uOther}, []float64{1080, 48}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var us []unit
			var vs []float64
			for _, it := range lex(normalize(tc.in)) {
				us = append(us, it.unit)
				vs = append(vs, it.val)
			}
			if diff := cmp.Diff(tc.want, us); diff != "" {
				t.Errorf("units of %q (-want +got):\n%s", tc.in, diff)
			}
			if diff := cmp.Diff(tc.vals, vs); diff != "" {
				t.Errorf("values of %q (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestExtractTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"bare", "denoise interview.wav now", "interview.wav"},
		{"quoted with space", `denoise "my talk.mp3"`, "my talk.mp3"},
		{"path", "denoise /tmp/a-b_c.MOV", "/tmp/a-b_c.MOV"},
		{"zh prefix", "把采访.m4a降噪", "采访.m4a"},
		{"first wins", "denoise a.wav and b.wav", "a.wav"},
		{"file 3", "trim silence on file #3", "#3"},
		{"2nd file", "sync the 2nd file", "#2"},
		{"third clip", "denoise the third clip", "#3"},
		{"zh 第三个", "第三个文件降噪", "#3"},
		{"zh 文件2", "文件2降噪", "#2"},
		{"none", "denoise the audio", ""},
		{"file 0 is nothing", "file 0", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _ := extractTarget(tc.in)
			if got != tc.want {
				t.Errorf("extractTarget(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		op   Op
		want string
	}{
		{"denoise", Op{Kind: KindDenoise}, "remove background noise"},
		{"denoise strength", Op{Kind: KindDenoise, Strength: 0.5}, "remove background noise (strength 0.5)"},
		{"denoise model", Op{Kind: KindDenoise, Strength: 1, Model: "best"}, "remove background noise (strength 1, best model)"},
		{"trim", Op{Kind: KindTrimSilence}, "remove silences"},
		{"shorten", Op{Kind: KindTrimSilence, MinPause: 1, ShortenTo: 0.5}, "shorten pauses longer than 1 s to 0.5 s"},
		{"trim all", Op{Kind: KindTrimSilence, MinPause: 2, Margin: 0.2, ThresholdDB: -40}, "remove silences longer than 2 s, keeping 0.2 s around speech, threshold -40 dBFS"},
		{"loudness", Op{Kind: KindLoudness, TargetLUFS: -16, TruePeak: -1.5}, "normalize loudness to -16 LUFS, peak -1.5 dBTP"},
		{"loudness default", Op{Kind: KindLoudness}, "normalize loudness to -16 LUFS (default)"},
		{"cut", Op{Kind: KindCut, Start: 10, End: 25}, "cut 0:10-0:25"},
		{"cut first", Op{Kind: KindCut, End: 5}, "cut 0:00-0:05"},
		{"cut last", Op{Kind: KindCut, Start: -5}, "cut the last 5 s"},
		{"cut from", Op{Kind: KindCut, Start: 120}, "cut from 2:00 to the end"},
		{"keep hours", Op{Kind: KindKeep, Start: 3723, End: 3900.5}, "keep only 1:02:03-1:05:00.5"},
		{"fade", Op{Kind: KindFade, FadeIn: 2, FadeOut: 3}, "fade in 2 s, fade out 3 s"},
		{"volume", Op{Kind: KindVolume, GainDB: 3}, "change volume by +3 dB"},
		{"volume down", Op{Kind: KindVolume, GainDB: -6}, "change volume by -6 dB"},
		{"sync", Op{Kind: KindSync}, "sync audio to video"},
		{"undo", Op{Kind: KindUndo}, "undo 1 step"},
		{"redo 2", Op{Kind: KindRedo, Count: 2}, "redo 2 steps"},
		{"unknown", Op{Kind: "x"}, `unknown operation "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.op.Describe(); got != tc.want {
				t.Errorf("Describe() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	caps := Capabilities()
	if len(caps) != len(Kinds) {
		t.Fatalf("Capabilities() has %d lines, want one per kind (%d)", len(caps), len(Kinds))
	}
	for i, line := range caps {
		ex := line[strings.Index(line, ":")+1:]
		en, zh, ok := strings.Cut(ex, " / ")
		if !ok {
			t.Errorf("line %d %q: want English / Chinese examples", i, line)
			continue
		}
		// Every example must parse to the kind its line is about.
		for _, q := range append(quoted(en), quoted(zh)...) {
			p := Parse(q)
			if len(p.Refused) > 0 || len(p.Ops) == 0 || p.Ops[0].Kind != Kinds[i] {
				t.Errorf("example %q of %s parses to %s", q, Kinds[i], p.Compact())
			}
		}
	}
}

func quoted(s string) []string {
	var out []string
	parts := strings.Split(s, `"`)
	for i := 1; i < len(parts); i += 2 {
		out = append(out, parts[i])
	}
	return out
}
