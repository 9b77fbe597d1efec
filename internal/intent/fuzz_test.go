package intent

import (
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
		p := Parse(s)
		if p.Export != nil && p.Export.Format != "" && !formatRe.MatchString(p.Export.Format) {
			t.Fatalf("Parse(%q): format %q", s, p.Export.Format)
		}
		for _, op := range p.Ops {
			checkOp(t, s, op)
		}
		for _, r := range p.Refused {
			if r.Reason == "" {
				t.Fatalf("Parse(%q): refusal without a reason", s)
			}
		}
	})
}

func FuzzRoute(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		switch a := Route(s); a {
		case ActionEdit, ActionExport, ActionCredits, ActionState, ActionUpload, ActionNewSession:
		default:
			t.Fatalf("Route(%q) = %q", s, a)
		}
	})
}
