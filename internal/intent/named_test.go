package intent

import (
	"reflect"
	"testing"
)

// A session's own file names are found even when Chinese text touches them
// with no space ("添加背景音乐bed.mp3"): the text before the name is the
// instruction, not part of the name.
func TestParseNamedTouchingNames(t *testing.T) {
	t.Parallel()
	names := []string{"voice.wav", "bed.mp3", "采访.wav"}
	tests := []struct{ touching, spaced string }{
		{"添加背景音乐bed.mp3，音量20%", "添加背景音乐 bed.mp3，音量20%"},
		{"给voice.wav降噪", "给 voice.wav 降噪"},
		{"把voice.wav的音量调高3dB", "把 voice.wav 的音量调高3dB"},
		{"去除采访.wav的背景噪音", "去除 采访.wav 的背景噪音"},
		{"对采访.wav降噪", "对 采访.wav 降噪"},
	}
	for _, tc := range tests {
		got, want := ParseNamed(tc.touching, names), Parse(tc.spaced)
		if len(want.Ops) == 0 {
			t.Fatalf("Parse(%q) has no operations: %+v", tc.spaced, want)
		}
		got.Clauses, want.Clauses = nil, nil
		for i := range got.Refused {
			got.Refused[i].Clause = ""
		}
		for i := range want.Refused {
			want.Refused[i].Clause = ""
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseNamed(%q) = %+v\nwant (as Parse(%q)) %+v", tc.touching, got, tc.spaced, want)
		}
	}
}

// A known name is matched only as a whole name: "mybed.mp3" is not bed.mp3,
// and a name the session does not have falls back to the plain rules.
func TestParseNamedWholeNames(t *testing.T) {
	t.Parallel()
	names := []string{"bed.mp3"}
	if p := ParseNamed("denoise mybed.mp3", names); p.Target != "mybed.mp3" {
		t.Errorf("target = %q, want mybed.mp3", p.Target)
	}
	if p := ParseNamed("denoise bed.mp3.wav", names); p.Target != "bed.mp3.wav" {
		t.Errorf("target = %q, want bed.mp3.wav", p.Target)
	}
	if p := ParseNamed("denoise BED.MP3", names); p.Target != "BED.MP3" {
		t.Errorf("target = %q, want BED.MP3", p.Target)
	}
	if p := ParseNamed("给other.wav降噪", names); p.Target != "other.wav" {
		t.Errorf("target = %q, want other.wav", p.Target)
	}
}
