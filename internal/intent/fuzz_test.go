package intent

import (
	"errors"
	"math"
	"testing"
)

var fuzzSeeds = []string{
	"remove background noise, trim silence, and sync audio to video",
	"edit a 3-minute podcast recording with background noise into a 1080p MP4",
	"cleaning and syncing audio tracks in videos for content creators",
	"去除背景噪音，删除静音，然后把响度标准化到-16 LUFS",
	"shorten pauses longer than 1 second to 0.5 s",
	"cut 01:02:03 to 99:99:99.999",
	"keep only 1:00-2:30 and fade in and out 2 s",
	"make it louder by 99999999999999999999999999 dB",
	"denoise at 1e308% strength",
	"删除一分三十秒到两分钟",
	"undo 99999999999 times",
	"normalize to -9999999 LUFS peak 1e400 dBTP",
	"对\"采访.wav\"降噪 第十个文件",
	"\xff\xfe invalid utf8 淡入\x80",
	"volume to 0%",
	"-",
	"export",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil && !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrNoOps) {
			t.Fatalf("Parse(%q): unexpected error %v", s, err)
		}
		if err == nil && len(p.Ops) == 0 {
			t.Fatalf("Parse(%q): no ops and no error", s)
		}
		if p.Format != "" && !formatRe.MatchString(p.Format) {
			t.Fatalf("Parse(%q): format %q", s, p.Format)
		}
		for _, op := range p.Ops {
			if !op.Kind.Valid() {
				t.Fatalf("Parse(%q): invalid kind %q", s, op.Kind)
			}
			for _, v := range []float64{op.Strength, op.ThresholdDB, op.MinPause, op.Margin, op.ShortenTo,
				op.TargetLUFS, op.TruePeak, op.Start, op.End, op.FadeIn, op.FadeOut, op.GainDB} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("Parse(%q): non-finite value in %+v", s, op)
				}
			}
			if op.Strength < 0 || op.Strength > 1 {
				t.Fatalf("Parse(%q): strength %v out of 0..1", s, op.Strength)
			}
			if op.TargetLUFS > 0 || op.TruePeak > 0 || op.Count < 0 || op.FadeIn < 0 || op.FadeOut < 0 {
				t.Fatalf("Parse(%q): bad sign in %+v", s, op)
			}
			if (op.Kind == KindCut || op.Kind == KindKeep) && op.End != 0 && op.End <= op.Start {
				t.Fatalf("Parse(%q): empty range %+v", s, op)
			}
			_ = op.Describe()
		}
	})
}

func FuzzRoute(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		switch a := Route(s); a {
		case ActionEdit, ActionExport, ActionCredits, ActionState, ActionUpload:
		default:
			t.Fatalf("Route(%q) = %q", s, a)
		}
	})
}
