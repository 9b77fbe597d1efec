package intent

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMultitrack(t *testing.T) {
	t.Parallel()
	music := func(m MusicSpec) Op { return Op{Kind: KindMusic, Music: &m} }
	title := func(text, style string, s, e float64) Op {
		return Op{Kind: KindTitle, Title: &TitleSpec{Text: text, Style: style}, Start: s, End: e}
	}
	frame := func(a, fit string) Op { return Op{Kind: KindReframe, Frame: &FrameSpec{Aspect: a, Fit: fit}} }
	tests := []struct {
		in   string
		want Plan
	}{
		// Music beds: a percent is the level against the voice, never a gain on it.
		{"add bed.mp3 as background music at 20%", Plan{Ops: ops(music(MusicSpec{File: "bed.mp3", LevelDB: -13.98}))}},
		{"add /data/music/lofi.mp3 as background music", Plan{Ops: ops(music(MusicSpec{File: "/data/music/lofi.mp3"}))}},
		{"add background music", Plan{Ops: ops(music(MusicSpec{}))}},
		{"add background music at -18 dB, no ducking", Plan{Ops: ops(music(MusicSpec{LevelDB: -18, NoDuck: true}))}},
		{"add music.mp3 as bgm with 3 second fades", Plan{Ops: ops(music(MusicSpec{File: "music.mp3", Fade: 3}))}},
		{"添加背景音乐，音量35%", Plan{Ops: ops(music(MusicSpec{LevelDB: -9.12}))}},
		{"背景音乐音量调到30%并在说话时自动降低", Plan{Ops: ops(music(MusicSpec{LevelDB: -10.46}))}},
		{"add the music and duck it 12 dB under speech", Plan{Ops: ops(music(MusicSpec{DuckDB: 12}))}},
		{"denoise, then add bed.mp3 as background music", Plan{Ops: ops(Op{Kind: KindDenoise}, music(MusicSpec{File: "bed.mp3"}))}},
		{"no ducking", Plan{Ops: ops(music(MusicSpec{NoDuck: true}))}},

		// Titles keep their case and punctuation; "and" inside a title does not split it.
		{"add a title 'Urban Dreams' for the first 3 seconds", Plan{Ops: ops(title("Urban Dreams", "title", 0, 3))}},
		{`add a title "Rock, Paper and Scissors: 100%"`, Plan{Ops: ops(title("Rock, Paper and Scissors: 100%", "title", 0, 3))}},
		{"add a lower third 'Jane Doe, CEO' at 0:10 for 5 seconds", Plan{Ops: ops(title("Jane Doe, CEO", "lower_third", 10, 15))}},
		{"add a caption 'Hello' from 0:05 to 0:08", Plan{Ops: ops(title("Hello", "caption", 5, 8))}},
		{"添加标题「城市之梦」", Plan{Ops: ops(title("城市之梦", "title", 0, 3))}},

		// Reframing.
		{"crop to a 1:1 square for Instagram", Plan{Ops: ops(frame("1:1", "crop"))}},
		{"make it vertical", Plan{Ops: ops(frame("9:16", "crop"))}},
		{"reframe to 9:16 with black bars", Plan{Ops: ops(frame("9:16", "pad"))}},
		{"4:5 with a blurred background", Plan{Ops: ops(frame("4:5", "blur"))}},
		{"letterbox it to 16:9", Plan{Ops: ops(frame("16:9", "pad"))}},
		{"改成竖屏", Plan{Ops: ops(frame("9:16", "crop"))}},
		{"change the aspect ratio to 3:2", Plan{Ops: ops(frame("3:2", "crop"))}},

		// Sync phrasings.
		{"line up the audio", Plan{Ops: ops(Op{Kind: KindSync})}},
		{"match the recorder to the camera", Plan{Ops: ops(Op{Kind: KindSync})}},
		{"对齐音频和视频", Plan{Ops: ops(Op{Kind: KindSync})}},

		// Not multitrack: times stay cuts, music negated is not a bed.
		{"cut 1:10 to 1:25", Plan{Ops: ops(Op{Kind: KindCut, Start: 70, End: 85})}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p := Parse(tc.in)
			if len(p.Refused) > 0 {
				t.Fatalf("Parse(%q): %s", tc.in, p.Compact())
			}
			got := Plan{Ops: p.Ops}
			for _, op := range got.Ops {
				if op.Music != nil { // dB to 2 decimals
					op.Music.LevelDB = math.Round(op.Music.LevelDB*100) / 100
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

func TestMultitrackNotParsed(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"add subtitles", "remove the music", "add a title"} {
		p := Parse(in)
		for _, op := range p.Ops {
			if op.Kind == KindMusic || op.Kind == KindTitle {
				t.Errorf("Parse(%q) = %s: want no music or title op", in, p.Compact())
			}
		}
	}
}

func TestMultitrackDescribe(t *testing.T) {
	t.Parallel()
	p := Parse("add bed.mp3 as background music at 20%")
	if got, want := p.Ops[0].Describe(), "add background music bed.mp3 at 20% (-14 dB against the voice), ducked 10 dB under speech"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	if r := Route("add a title 'Export Day'"); r != ActionEdit {
		t.Errorf("Route of a title saying export = %s, want edit", r)
	}
}
