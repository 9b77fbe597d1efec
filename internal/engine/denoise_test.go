package engine

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAfftdnDelay(t *testing.T) {
	t.Parallel()
	// Measured with an impulse through ffmpeg 5.1's afftdn.
	for rate, want := range map[int]int{48000: 1200, 44100: 1102, 22050: 550, 16000: 400, 8000: 200, 11025: 274, 32000: 800, 96000: 2400} {
		if got := afftdnDelay(rate); got != want {
			t.Errorf("afftdnDelay(%d) = %d, want %d", rate, got, want)
		}
	}
}

func TestDecodeArgs(t *testing.T) {
	t.Parallel()
	plan := classicPlan{NR: 25, NF: -31, ProfileStart: 2.5, ProfileLen: 1}
	loud := classicPlan{NR: 25, NF: -26, PreGainDB: -4}
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"plain", decodeArgs("in.mp4", 44100, false, nil), []string{
			"-hide_banner", "-nostdin", "-y", "-v", "error", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:in.mp4",
			"-filter_complex", "[0:a:0]aresample=44100,aformat=sample_fmts=flt[out]",
			"-map", "[out]", "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"}},
		{"profiled mono", decodeArgs("in.wav", 48000, true, &plan), []string{
			"-hide_banner", "-nostdin", "-y", "-v", "error",
			"-ss", "2.500", "-t", "1.200", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:in.wav", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:in.wav",
			"-filter_complex",
			"[0:a:0]aresample=48000,aformat=sample_fmts=flt:channel_layouts=mono,atrim=end_sample=48000[p];" +
				"[1:a:0]aresample=48000,aformat=sample_fmts=flt:channel_layouts=mono[m];" +
				"[p][m]concat=n=2:v=0:a=1,asetpts=N/SR/TB,apad=pad_len=1200," +
				"asendcmd=c='0-0.950 [enter] afftdn@dn sn start\\, [leave] afftdn@dn sn stop'," +
				"afftdn@dn=nr=25:nf=-31,atrim=start_sample=49200,asetpts=N/SR/TB[out]",
			"-map", "[out]", "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"}},
		{"loud noise", decodeArgs("in.wav", 16000, false, &loud), []string{
			"-hide_banner", "-nostdin", "-y", "-v", "error", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:in.wav",
			"-filter_complex",
			"[0:a:0]aresample=16000,aformat=sample_fmts=flt,apad=pad_len=400,volume=-4dB," +
				"afftdn@dn=nr=25:nf=-26,volume=4dB,atrim=start_sample=400,asetpts=N/SR/TB[out]",
			"-map", "[out]", "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"}},
		{"channel", channelArgs("in.mov", 1), []string{
			"-hide_banner", "-nostdin", "-y", "-v", "error", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:in.mov", "-map", "0:a:0", "-vn", "-sn", "-dn",
			"-af", "pan=mono|c0=c1,aresample=48000,aformat=sample_fmts=flt",
			"-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"}},
		{"analyze", analyzeArgs("a b.mp3", 44100), []string{
			"-hide_banner", "-nostdin", "-y", "-v", "error", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:a b.mp3", "-map", "0:a:0", "-vn", "-sn", "-dn",
			"-ac", "1", "-ar", "44100", "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"}},
	}
	for _, tc := range tests {
		if d := cmp.Diff(tc.want, tc.got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}

func TestResolveModel(t *testing.T) {
	t.Parallel()
	both := []string{"rnnoise", "gtcrn"}
	tests := []struct {
		req       string
		avail     []string
		want      string
		wantNote  bool
		wantError bool
	}{
		{"", both, "gtcrn", false, false},
		{"", []string{"rnnoise"}, "rnnoise", false, false},
		{"", nil, "", true, false},
		{"classic", both, "", false, false},
		{"fast", both, "rnnoise", false, false},
		{"best", both, "gtcrn", false, false},
		{"Best", []string{"rnnoise"}, "", true, false},
		{"gtcrn", nil, "", true, false},
		{"deepfilter", both, "", false, true},
	}
	for _, tc := range tests {
		got, note, err := resolveModel(tc.req, tc.avail)
		if got != tc.want || (note != "") != tc.wantNote || (err != nil) != tc.wantError {
			t.Errorf("resolveModel(%q, %v) = %q, %q, %v", tc.req, tc.avail, got, note, err)
		}
		if tc.wantNote && !strings.Contains(note, "mcp-audioedit models install") {
			t.Errorf("note %q lacks the install command", note)
		}
	}
}
