package draft

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSummarySeedExample(t *testing.T) {
	raw := `{"t":[
	 {"tt":0,"sg":[{"st":0,"d":10000,"m":{"title":"city timelapse"}}]},
	 {"tt":1,"m":{"role":"bgm"},"sg":[{"s":0,"e":10000,"m":{"name":"Lo-fi","volume":0.35}}]},
	 {"tt":7,"sg":[{"start":"0","duration":3000.0,"m":{"text":"Urban Dreams"}}]}],"d":10000}`
	d, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := `Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)`
	if got := d.Summary(); got != want {
		t.Errorf("Summary:\n got %s\nwant %s", got, want)
	}
	if !d.Exportable() {
		t.Error("Exportable = false, want true")
	}
}

func TestSummaryLocalFX(t *testing.T) {
	d := &Draft{Tracks: []Track{{Type: TypeAudio, Meta: map[string]any{"name": "interview.wav", "fx": []string{"denoised", "-16 LUFS"}},
		Segments: []Segment{{Start: 0, Duration: 182000}}}}}
	want := "Timeline (1 track): 1. Audio: interview.wav (0-182s, denoised, -16 LUFS)"
	if got := d.Summary(); got != want {
		t.Errorf("got %s want %s", got, want)
	}
	// Round trip through JSON keeps the shape (fx becomes []any).
	b, _ := json.Marshal(d)
	d2, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := d2.Summary(); got != want {
		t.Errorf("after round trip got %s want %s", got, want)
	}
}

func TestParseEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{"empty", ``, "Timeline (0 tracks): empty. Upload a file to start.", false},
		{"null", `null`, "Timeline (0 tracks): empty. Upload a file to start.", false},
		{"not json", `{`, "", true},
		{"long keys", `{"tracks":[{"type":1,"segments":[{"start":1500,"end":4000,"meta":{"name":"a.wav"}}]}]}`, "Timeline (1 track): 1. Audio: a.wav (1.5-4s)", false},
		{"garbage values", `{"t":[{"tt":"x","sg":[1,{"st":"NaN"}]},"y"]}`, "Timeline (1 track): 1. Video: untitled (0-0s)", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && d.Summary() != tc.want {
				t.Errorf("got %q want %q", d.Summary(), tc.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	before := &Draft{Tracks: []Track{
		{Type: TypeVideo, Segments: []Segment{{Start: 0, Duration: 10000, Meta: map[string]any{"title": "clip"}}}},
		{Type: TypeText, Segments: []Segment{{Start: 0, Duration: 3000, Meta: map[string]any{"text": "Hi"}}}},
	}}
	after := &Draft{Tracks: []Track{
		{Type: TypeVideo, Segments: []Segment{{Start: 0, Duration: 8000, Meta: map[string]any{"title": "clip"}}}},
		{Type: TypeAudio, Meta: map[string]any{"role": "bgm"}, Segments: []Segment{{Start: 0, Duration: 10000, Meta: map[string]any{"name": "Lo-fi", "volume": 0.35}}}},
	}}
	want := []string{
		"Changed Video: clip (0-10s) -> clip (0-8s)",
		"Added bgm track: Lo-fi (0-10s, 35%)",
		`Removed title track: "Hi" (0-3s)`,
	}
	if diff := cmp.Diff(want, Diff(before, after)); diff != "" {
		t.Errorf("Diff mismatch (-want +got):\n%s", diff)
	}
	if got := Diff(after, after); len(got) != 0 {
		t.Errorf("Diff of equal drafts = %v, want none", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`{"t":[{"tt":0,"sg":[{"st":0,"d":10}]}]}`)
	f.Add(`{"tracks":[{"segments":[{"s":"1","e":2e3}]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse([]byte(s))
		if err != nil {
			return
		}
		_ = d.Summary()
		_ = Diff(d, &Draft{})
	})
}
