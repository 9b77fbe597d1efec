package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// encEngine returns an Engine for the export tests, skipping (or failing
// under CI) when ffmpeg is absent.
func encEngine(t *testing.T) *Engine {
	t.Helper()
	testmedia.RequireFFmpeg(t)
	e, err := New(Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// encFFmpeg runs ffmpeg with args and returns its stdout.
func encFFmpeg(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(testmedia.FFmpeg(), append([]string{"-hide_banner", "-nostdin", "-v", "error", "-y"}, args...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg %q: %v: %s", args, err, stderr.String())
	}
	return out.Bytes()
}

// encProbe probes path with the engine.
func encProbe(t *testing.T, e *Engine, path string) *MediaInfo {
	t.Helper()
	mi, err := e.Probe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return mi
}

// encStreamDurations returns the durations of the first video and audio
// streams as ffprobe reports them (0 when absent).
func encStreamDurations(t *testing.T, e *Engine, path string) (video, audio float64) {
	t.Helper()
	out, err := exec.Command(e.FFprobe(), "-v", "error", "-show_entries", "stream=codec_type,duration",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		typ, d, _ := strings.Cut(line, ",")
		f, _ := strconv.ParseFloat(d, 64)
		switch {
		case typ == "video" && video == 0:
			video = f
		case typ == "audio" && audio == 0:
			audio = f
		}
	}
	return video, audio
}

// encSpeech writes a few seconds of espeak speech as a float WAV and
// returns its path, samples and probe.
func encSpeech(t *testing.T, e *Engine, dir string) (string, []float32, *MediaInfo) {
	t.Helper()
	testmedia.RequireEspeak(t)
	x, _, err := testmedia.Speech(context.Background(), testmedia.SpeechOptions{
		Phrases: []string{"Welcome back to the podcast.", "Six thick thistle sticks."},
		Pauses:  []float64{0.4},
		LeadIn:  0.3,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "speech.wav")
	if err := testmedia.WriteWAV(p, x, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	return p, x, encProbe(t, e, p)
}

// encTone writes d seconds of a 440 Hz tone (mono, 48 kHz float WAV).
func encTone(t *testing.T, e *Engine, dir, name string, d float64) (string, *MediaInfo) {
	t.Helper()
	p := filepath.Join(dir, name)
	encFFmpeg(t, "-f", "lavfi", "-i", fmt.Sprintf("sine=f=440:r=48000:d=%g", d), "-c:a", "pcm_f32le", p)
	return p, encProbe(t, e, p)
}

// encColors are the colours of encColorVideo's seconds, in order.
var encColors = [][3]float64{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {0, 255, 255}, {255, 0, 255}}

// encColorVideo writes an H.264/AAC MP4 at w x h, 25 fps, whose colour
// changes every second (encColors), with a 440 Hz tone as its audio.
func encColorVideo(t *testing.T, e *Engine, dir string, w, h int) (string, *MediaInfo) {
	t.Helper()
	names := []string{"red", "lime", "blue", "yellow", "cyan", "magenta"}
	var g strings.Builder
	for i, n := range names {
		fmt.Fprintf(&g, "color=c=%s:s=%dx%d:r=25:d=1[c%d];", n, w, h, i)
	}
	for i := range names {
		fmt.Fprintf(&g, "[c%d]", i)
	}
	fmt.Fprintf(&g, "concat=n=%d:v=1:a=0,format=yuv420p[v];sine=f=440:r=48000:d=%d[a]", len(names), len(names))
	p := filepath.Join(dir, "colors.mp4")
	encFFmpeg(t, "-filter_complex", g.String(), "-map", "[v]", "-map", "[a]",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-b:a", "96k", "-aac_coder", "fast", p)
	return p, encProbe(t, e, p)
}

// encFrameColors decodes the video of path to one average RGB colour per
// frame and returns, per frame, the index of the nearest of encColors.
func encFrameColors(t *testing.T, path string) []int {
	t.Helper()
	raw := encFFmpeg(t, "-i", path, "-map", "0:v:0", "-vf", "crop=iw/2:ih/2,scale=1:1:flags=area",
		"-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1")
	var idx []int
	for i := 0; i+3 <= len(raw); i += 3 {
		best, bd := -1, math.Inf(1)
		for k, c := range encColors {
			d := math.Pow(float64(raw[i])-c[0], 2) + math.Pow(float64(raw[i+1])-c[1], 2) + math.Pow(float64(raw[i+2])-c[2], 2)
			if d < bd {
				best, bd = k, d
			}
		}
		idx = append(idx, best)
	}
	return idx
}

func TestEncodeAudioToMP4(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	wav, x, ai := encSpeech(t, e, dir)
	out := filepath.Join(dir, "out.mp4")
	var fracs []float64
	res, err := e.Encode(context.Background(), EncodeOptions{
		AudioPath:  wav,
		Title:      "Episode 12: It's 50% \"done\"",
		OutputPath: out,
		Progress:   func(f float64) { fracs = append(fracs, f) },
	})
	if err != nil {
		t.Fatal(err)
	}
	mi := res.Info
	if mi.VideoCodec != "h264" || mi.AudioCodec != "aac" || mi.Width != 1920 || mi.Height != 1080 || mi.Format != "mp4" {
		t.Errorf("output: %+v, want h264/aac 1920x1080 mp4", mi)
	}
	if res.VideoCopied {
		t.Error("VideoCopied for a still frame")
	}
	vd, ad := encStreamDurations(t, e, out)
	t.Logf("audio in %.3f s; out format %.3f, video %.3f, audio %.3f s, %d bytes", ai.Duration, res.Duration, vd, ad, res.Size)
	for name, d := range map[string]float64{"format": res.Duration, "video": vd, "audio": ad} {
		if math.Abs(d-ai.Duration) > 0.1 {
			t.Errorf("%s duration %.3f, want %.3f ± 0.1", name, d, ai.Duration)
		}
	}
	y, err := testmedia.ReadPCM(context.Background(), "", out, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	sdr, lag := testmedia.SISDR(x, y, testmedia.Rate/20)
	t.Logf("SI-SDR %.1f dB (lag %d samples)", sdr, lag)
	if sdr < 15 {
		t.Errorf("SI-SDR %.1f dB, want > 15", sdr)
	}
	encCheckProgress(t, fracs)
	// Keyframes at most stillGOP/2 s apart, for seeking.
	pk, err := exec.Command(e.FFprobe(), "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time,flags",
		"-of", "csv=p=0", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	var keys []float64
	for _, line := range strings.Split(strings.TrimSpace(string(pk)), "\n") {
		ts, flags, _ := strings.Cut(line, ",")
		if strings.Contains(flags, "K") {
			f, _ := strconv.ParseFloat(ts, 64)
			keys = append(keys, f)
		}
	}
	keys = append(keys, ai.Duration)
	for i := 1; i < len(keys); i++ {
		if keys[i]-keys[i-1] > float64(stillGOP)*stillStep+0.01 {
			t.Errorf("keyframes at %v: a gap over %g s", keys, float64(stillGOP)*stillStep)
			break
		}
	}
	if d := os.Getenv("ENC_KEEP"); d != "" {
		encFFmpeg(t, "-i", out, "-frames:v", "1", filepath.Join(d, "still.png"))
	}
}

// encCheckProgress checks that progress was monotonic and ended at 1.
func encCheckProgress(t *testing.T, fracs []float64) {
	t.Helper()
	if len(fracs) == 0 || fracs[len(fracs)-1] != 1 {
		t.Errorf("progress %v does not end at 1", fracs)
		return
	}
	for i := 1; i < len(fracs); i++ {
		if fracs[i] < fracs[i-1] || fracs[i] < 0 || fracs[i] > 1 {
			t.Errorf("progress not monotonic in [0,1]: %v", fracs)
			return
		}
	}
}

// Probe results the argv tests plan against (no files needed).
var (
	encWAV   = &MediaInfo{Path: "/in/a.wav", Format: "wav", Kind: "audio", Duration: 10.3, HasAudio: true, AudioCodec: "pcm_f32le", SampleRate: 48000, Channels: 1}
	encWAV96 = &MediaInfo{Path: "/in/hi.wav", Format: "wav", Kind: "audio", Duration: 10, HasAudio: true, AudioCodec: "pcm_s24le", SampleRate: 96000, Channels: 2}
	encMP4   = &MediaInfo{Path: "/in/v.mp4", Format: "mp4", Kind: "video", Duration: 60, HasAudio: true, HasVideo: true, AudioCodec: "aac", SampleRate: 48000, Channels: 2, VideoCodec: "h264", Width: 1920, Height: 1080, FPS: 25}
	encMP4hd = &MediaInfo{Path: "/in/s.mp4", Format: "mp4", Kind: "video", Duration: 60, HasAudio: true, HasVideo: true, AudioCodec: "aac", SampleRate: 44100, Channels: 2, VideoCodec: "h264", Width: 1280, Height: 720, FPS: 30}
	encPNG   = &MediaInfo{Path: "/in/cover.png", Format: "png", Kind: "image", HasVideo: true, VideoCodec: "png", Width: 1000, Height: 1000}
)

func TestEncodeArgs(t *testing.T) {
	t.Parallel()
	head := []string{"-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats", "-progress", "pipe:1"}
	tests := []struct {
		name      string
		opts      EncodeOptions
		audio     *MediaInfo
		font      string
		wantMode  encodeMode
		want      []string
		wantStill []string
	}{
		{
			name:     "wav high is 24-bit",
			opts:     EncodeOptions{AudioPath: "/in/a.wav", Format: "wav"},
			audio:    encWAV,
			wantMode: modeAudio,
			want: []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/a.wav", "-vn", "-map", "0:a:0", "-c:a", "pcm_s24le",
				"-map_metadata", "-1", "-map_chapters", "-1", "-f", "wav", "file:/out/x"},
		},
		{
			name:     "mp3 low from a 96 kHz source resamples",
			opts:     EncodeOptions{AudioPath: "/in/hi.wav", Format: "MP3", Quality: "low", Title: "Ep 1"},
			audio:    encWAV96,
			wantMode: modeAudio,
			want: []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/hi.wav", "-vn", "-map", "0:a:0", "-c:a", "libmp3lame", "-q:a", "5", "-ar", "48000",
				"-map_metadata", "-1", "-map_chapters", "-1", "-metadata", "title=Ep 1", "-f", "mp3", "file:/out/x"},
		},
		{
			name:     "m4a medium stereo",
			opts:     EncodeOptions{AudioPath: "/in/hi.wav", Format: "m4a", Quality: "medium"},
			audio:    encWAV96,
			wantMode: modeAudio,
			want: []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/hi.wav", "-vn", "-map", "0:a:0", "-c:a", "aac", "-b:a", "160k", "-aac_coder", "fast",
				"-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "ipod", "file:/out/x"},
		},
		{
			name:     "audio only to mp4 is a still",
			opts:     EncodeOptions{AudioPath: "/in/a.wav", Title: "It's: a, b"},
			audio:    encWAV,
			font:     "/f/Sans.ttf",
			wantMode: modeStill,
			want: []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/work/still.png", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/a.wav",
				"-filter_complex", "[0:v]format=yuv420p,loop=loop=-1:size=1:start=0,trim=end_frame=22,setpts='min(N*0.5,10.240000)/TB'[v]",
				"-map", "[v]", "-fps_mode", "vfr", "-r", "25",
				"-c:v", "libx264", "-preset", "superfast", "-crf", "18", "-tune", "stillimage", "-g", "8",
				"-map", "1:a:0", "-c:a", "aac", "-b:a", "96k", "-aac_coder", "fast",
				"-map_metadata", "-1", "-map_chapters", "-1", "-metadata", "title=It's: a, b", "-movflags", "+faststart", "-f", "mp4", "file:/out/x"},
			wantStill: []string{"-hide_banner", "-nostdin", "-y", "-v", "error", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/a.wav", "-filter_complex",
				"color=c=0x111827:s=1920x1080:d=1,format=rgb24[bg];" +
					"[0:a]aresample=8000,aformat=channel_layouts=mono,showwavespic=s=1612x388:colors=0x60a5fa:scale=sqrt:filter=peak[w];" +
					"[bg][w]overlay=x=(W-w)/2:y=518:format=rgb," +
					`drawtext=fontfile=/f/Sans.ttf:expansion=none:text=It\\\'s\\: a\, b:fontcolor=white:fontsize=77:x=(w-text_w)/2:y=237[out]`,
				"-map", "[out]", "-frames:v", "1", "-update", "1", "-c:v", "png", "-f", "image2", "file:/work/still.png"},
		},
		{
			name:     "image and audio to webm",
			opts:     EncodeOptions{Source: encPNG, AudioPath: "/in/a.wav", Format: "webm", Width: 640, Height: 360},
			audio:    encWAV,
			wantMode: modeStill,
			want: []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/work/still.png", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/a.wav",
				"-filter_complex", "[0:v]format=yuv420p,loop=loop=-1:size=1:start=0,trim=end_frame=22,setpts='min(N*0.5,10.240000)/TB'[v]",
				"-map", "[v]", "-fps_mode", "vfr", "-r", "25",
				"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-crf", "31", "-b:v", "0", "-g", "8",
				"-map", "1:a:0", "-c:a", "libopus", "-b:a", "64k",
				"-map_metadata", "-1", "-map_chapters", "-1", "-f", "webm", "file:/out/x"},
			wantStill: []string{"-hide_banner", "-nostdin", "-y", "-v", "error", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/cover.png", "-filter_complex",
				"[0:v]scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=rgb24[out]",
				"-map", "[out]", "-frames:v", "1", "-update", "1", "-c:v", "png", "-f", "image2", "file:/work/still.png"},
		},
		{
			name:     "video at target size with new audio is copied",
			opts:     EncodeOptions{Source: encMP4, AudioPath: "/in/a.wav"},
			audio:    encWAV,
			wantMode: modeCopy,
			want: []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/v.mp4", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/a.wav", "-map", "0:v:0", "-c:v", "copy",
				"-map", "1:a:0", "-c:a", "aac", "-b:a", "96k", "-aac_coder", "fast",
				"-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "mp4", "file:/out/x"},
		},
		{
			name:     "video remux keeps its own aac audio",
			opts:     EncodeOptions{Source: encMP4, Format: "mkv"},
			audio:    encMP4,
			wantMode: modeCopy,
			want: []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/v.mp4", "-map", "0:v:0", "-c:v", "copy", "-map", "0:a:0", "-c:a", "copy",
				"-map_metadata", "-1", "-map_chapters", "-1", "-f", "matroska", "file:/out/x"},
		},
		{
			name:     "h264 into webm is re-encoded",
			opts:     EncodeOptions{Source: encMP4, AudioPath: "/in/a.wav", Format: "webm", Quality: "low"},
			audio:    encWAV,
			wantMode: modeVideo,
			want: []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/v.mp4", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/a.wav",
				"-filter_complex", "[0:v]scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p[v]",
				"-map", "[v]", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-crf", "42", "-b:v", "0",
				"-map", "1:a:0", "-c:a", "libopus", "-b:a", "32k",
				"-map_metadata", "-1", "-map_chapters", "-1", "-f", "webm", "file:/out/x"},
		},
		{
			name:     "720p with cuts and processed audio",
			opts:     EncodeOptions{Source: encMP4hd, AudioPath: "/in/a.wav", VideoKeep: []Range{{0, 2}, {3.5, 5}}},
			audio:    encWAV,
			wantMode: modeVideo,
			want: []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/s.mp4", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/a.wav",
				"-filter_complex", "[0:v]select='if(lt(t,3.483333),between(t,-0.016667,1.983333),between(t,3.483333,4.983333))',setpts=N/FRAME_RATE/TB," +
					"scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p[v]",
				"-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
				"-map", "1:a:0", "-c:a", "aac", "-b:a", "96k", "-aac_coder", "fast",
				"-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "mp4", "file:/out/x"},
		},
		{
			name:     "cuts applied to the source's own audio",
			opts:     EncodeOptions{Source: encMP4, VideoKeep: []Range{{1, 2}}, Format: "mov", Quality: "medium"},
			audio:    encMP4,
			wantMode: modeVideo,
			want: []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/v.mp4",
				"-filter_complex", "[0:v]select='between(t,0.980000,1.980000)',setpts=N/FRAME_RATE/TB," +
					"scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p[v];" +
					"[0:a]asetnsamples=n=1920:p=0,aselect='between(t,0.980000,1.980000)',asetpts=N/SR/TB[a]",
				"-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "22",
				"-map", "[a]", "-c:a", "aac", "-b:a", "160k", "-aac_coder", "fast",
				"-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "mov", "file:/out/x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planEncode(tt.opts, tt.audio, tt.font)
			if err != nil {
				t.Fatal(err)
			}
			if p.mode != tt.wantMode {
				t.Errorf("mode %d, want %d", p.mode, tt.wantMode)
			}
			got := encodeArgs(p, "/work/still.png", "", "/out/x")
			if diff := cmp.Diff(append(append([]string(nil), head...), tt.want...), got); diff != "" {
				t.Errorf("encode argv (-want +got):\n%s", diff)
			}
			if tt.wantStill != nil {
				if diff := cmp.Diff(tt.wantStill, stillArgs(p, "/work/still.png")); diff != "" {
					t.Errorf("still argv (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestEncodeArgsFilterScript(t *testing.T) {
	t.Parallel()
	p, err := planEncode(EncodeOptions{Source: encMP4, AudioPath: "/in/a.wav", VideoKeep: []Range{{0, 1}}}, encWAV, "")
	if err != nil {
		t.Fatal(err)
	}
	got := encodeArgs(p, "", "/work/graph.txt", "/out/x")
	want := []string{"-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats", "-progress", "pipe:1",
		"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/v.mp4", "-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:/in/a.wav", "-filter_complex_script", "/work/graph.txt",
		"-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
		"-map", "1:a:0", "-c:a", "aac", "-b:a", "96k", "-aac_coder", "fast",
		"-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "mp4", "file:/out/x"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
}

func TestPlanEncodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  EncodeOptions
		audio *MediaInfo
	}{
		{"unknown format", EncodeOptions{AudioPath: "/a.wav", Format: "avi"}, encWAV},
		{"unknown quality", EncodeOptions{AudioPath: "/a.wav", Quality: "ultra"}, encWAV},
		{"audio format without audio", EncodeOptions{Source: &MediaInfo{Path: "/v.mp4", Kind: "video", HasVideo: true, Width: 64, Height: 64}, Format: "mp3"}, nil},
		{"image without audio", EncodeOptions{Source: encPNG}, nil},
		{"odd size too small", EncodeOptions{AudioPath: "/a.wav", Width: 8, Height: 8}, encWAV},
		{"size too large", EncodeOptions{AudioPath: "/a.wav", Width: 10000}, encWAV},
		{"empty keep", EncodeOptions{Source: encMP4, VideoKeep: []Range{}}, encMP4},
		{"reversed range", EncodeOptions{Source: encMP4, VideoKeep: []Range{{2, 1}}}, encMP4},
		{"overlapping ranges", EncodeOptions{Source: encMP4, VideoKeep: []Range{{0, 2}, {1, 3}}}, encMP4},
		{"cuts on an audio-only source's still", EncodeOptions{Source: encWAV, VideoKeep: []Range{{0, 1}}}, encWAV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := planEncode(tt.opts, tt.audio, ""); !errors.Is(err, ErrInvalidExport) {
				t.Errorf("err = %v, want ErrInvalidExport", err)
			}
		})
	}
}

func TestOutputSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		w, h   int
		aspect float64
		ww, wh int
	}{
		{0, 0, 0, 1920, 1080},
		{0, 0, 4.0 / 3, 1920, 1080},
		{1280, 0, 0, 1280, 720},
		{0, 720, 4.0 / 3, 960, 720},
		{641, 361, 0, 642, 362},
		{1080, 0, 9.0 / 16, 1080, 1920},
	}
	for _, tt := range tests {
		w, h, err := outputSize(tt.w, tt.h, tt.aspect)
		if err != nil || w != tt.ww || h != tt.wh {
			t.Errorf("outputSize(%d, %d, %.3f) = %d, %d, %v; want %d, %d", tt.w, tt.h, tt.aspect, w, h, err, tt.ww, tt.wh)
		}
	}
}

func TestStillFrames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    float64
		n    int
		last float64
	}{
		{10.3, 22, 10.24},
		{10, 21, 9.96},
		{0.5, 2, 0.44},
		{0.04, 1, 0},
		{180, 361, 179.96},
	}
	for _, tt := range tests {
		n, last := stillFrames(tt.d)
		if n != tt.n || math.Abs(last-tt.last) > 1e-9 {
			t.Errorf("stillFrames(%g) = %d, %g; want %d, %g", tt.d, n, last, tt.n, tt.last)
		}
		// Regular frames every stillStep, then the last; none after it.
		if n > 1 && float64(n-2)*stillStep >= last {
			t.Errorf("stillFrames(%g): frame %d at %g is not before the last at %g", tt.d, n-2, float64(n-2)*stillStep, last)
		}
	}
}

func TestPlanEncodeWholeKeepCopies(t *testing.T) {
	t.Parallel()
	p, err := planEncode(EncodeOptions{Source: encMP4, AudioPath: "/in/a.wav", VideoKeep: []Range{{0, 60}}}, encWAV, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.mode != modeCopy || p.keep != nil {
		t.Errorf("mode %d keep %v: a keep list over the whole video should copy", p.mode, p.keep)
	}
}

// encVideoPacketHashes returns the MD5 of each packet of the first video
// stream of path (ffmpeg's framemd5 muxer over a stream copy).
func encVideoPacketHashes(t *testing.T, path string) []string {
	t.Helper()
	out := encFFmpeg(t, "-i", path, "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "pipe:1")
	var hs []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		hs = append(hs, strings.TrimSpace(f[len(f)-1]))
	}
	return hs
}

func TestEncodeCopiesVideo(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	src, si := encColorVideo(t, e, dir, 320, 240)
	// The new audio is a 660 Hz tone; the source's is 440 Hz.
	wav := filepath.Join(dir, "new.wav")
	encFFmpeg(t, "-f", "lavfi", "-i", fmt.Sprintf("sine=f=660:r=48000:d=%g", si.Duration), "-c:a", "pcm_f32le", wav)
	out := filepath.Join(dir, "out.mp4")
	res, err := e.Encode(context.Background(), EncodeOptions{
		AudioPath: wav, Source: si, Width: 320, Height: 240, OutputPath: out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.VideoCopied {
		t.Error("VideoCopied false for a same-size h264 source into mp4")
	}
	in, got := encVideoPacketHashes(t, src), encVideoPacketHashes(t, out)
	if len(in) == 0 || !slicesEqual(in, got) {
		t.Errorf("video packets differ: %d in, %d out", len(in), len(got))
	}
	// The new audio is there, not the source's.
	x, err := testmedia.ReadPCM(context.Background(), "", wav, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	y, err := testmedia.ReadPCM(context.Background(), "", out, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sdr, _ := testmedia.SISDR(x, y, testmedia.Rate/20); sdr < 15 {
		t.Errorf("audio SI-SDR %.1f dB against the new audio, want > 15", sdr)
	}
	old, err := testmedia.ReadPCM(context.Background(), "", src, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sdr, _ := testmedia.SISDR(old, y, testmedia.Rate/20); sdr > 0 {
		t.Errorf("audio SI-SDR %.1f dB against the source's audio: the old audio is still there", sdr)
	}
	if !res.Info.HasAudio || res.Info.AudioCodec != "aac" {
		t.Errorf("output audio: %+v", res.Info)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEncodeCuts(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	_, si := encColorVideo(t, e, dir, 160, 120)
	// Seconds 0, 2 and 4 (part) kept; 1, 3 and 5 cut. Ranges on 25 fps frames.
	keep := []Range{{0.2, 1}, {2, 3}, {4, 4.6}}
	want := []int{0, 2, 4}
	wantFrames := []int{20, 25, 15}
	for _, withAudio := range []bool{false, true} {
		t.Run(fmt.Sprintf("processed_audio=%v", withAudio), func(t *testing.T) {
			opts := EncodeOptions{Source: si, VideoKeep: keep, Width: 160, Height: 120, OutputPath: filepath.Join(dir, fmt.Sprintf("cut%v.mp4", withAudio))}
			if withAudio {
				opts.AudioPath, _ = encTone(t, e, dir, "cut.wav", keptDuration(keep))
			}
			res, err := e.Encode(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.VideoCopied {
				t.Error("VideoCopied with cuts")
			}
			vd, ad := encStreamDurations(t, e, opts.OutputPath)
			t.Logf("format %.3f video %.3f audio %.3f (want %.3f)", res.Duration, vd, ad, keptDuration(keep))
			frame := 1 / 25.0
			if math.Abs(vd-keptDuration(keep)) > frame+1e-3 || math.Abs(ad-vd) > frame+1e-3 {
				t.Errorf("video %.3f s, audio %.3f s; want both %.3f within a frame", vd, ad, keptDuration(keep))
			}
			colors := encFrameColors(t, opts.OutputPath)
			var runs []int
			var counts []int
			for i, c := range colors {
				if i == 0 || c != colors[i-1] {
					runs = append(runs, c)
					counts = append(counts, 0)
				}
				counts[len(counts)-1]++
			}
			if fmt.Sprint(runs) != fmt.Sprint(want) || fmt.Sprint(counts) != fmt.Sprint(wantFrames) {
				t.Errorf("colour runs %v with %v frames, want %v with %v", runs, counts, want, wantFrames)
			}
		})
	}
}

func TestEncodeCutsFilterScript(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	_, si := encColorVideo(t, e, dir, 64, 48)
	// 75 ranges of 1 frame kept out of every 2: a graph over the argv
	// limit, so it goes through -filter_complex_script.
	var keep []Range
	for i := 0; i < 75; i++ {
		s := float64(2*i) / 25
		keep = append(keep, Range{s, s + 1.0/25})
	}
	p, err := planEncode(EncodeOptions{Source: si, VideoKeep: keep}, si, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.graph()) <= maxInlineGraph {
		t.Fatalf("graph of %d bytes is not over the %d limit", len(p.graph()), maxInlineGraph)
	}
	out := filepath.Join(dir, "many.mkv")
	res, err := e.Encode(context.Background(), EncodeOptions{Source: si, VideoKeep: keep, Width: 64, Height: 48, Format: "mkv", OutputPath: out})
	if err != nil {
		t.Fatal(err)
	}
	colors := encFrameColors(t, out)
	if len(colors) != 75 {
		t.Errorf("%d frames, want 75: %v", len(colors), colors)
	}
	for i, c := range colors {
		if c != i*2/25 {
			t.Errorf("frame %d has colour %d, want %d", i, c, i*2/25)
			break
		}
	}
	// Matroska keeps no stream durations: measure the decoded audio.
	y, err := testmedia.ReadPCM(context.Background(), "", out, 48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	ad := float64(len(y)) / 48000
	t.Logf("format %.3f, %d frames, audio %.3f s", res.Duration, len(colors), ad)
	if math.Abs(ad-3) > 0.041 {
		t.Errorf("audio %.3f s, want 3 within a frame", ad)
	}
}

func TestEncodeScalesAndPads(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	t.Run("720p to default 1080p", func(t *testing.T) {
		src := filepath.Join(dir, "720.mp4")
		encFFmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25:d=1", "-f", "lavfi", "-i", "sine=d=1",
			"-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", src)
		res, err := e.Encode(context.Background(), EncodeOptions{Source: encProbe(t, e, src), OutputPath: filepath.Join(dir, "1080.mp4")})
		if err != nil {
			t.Fatal(err)
		}
		if res.VideoCopied || res.Info.Width != 1920 || res.Info.Height != 1080 || res.Info.VideoCodec != "h264" {
			t.Errorf("copied %v, %dx%d %s; want re-encoded 1920x1080 h264", res.VideoCopied, res.Info.Width, res.Info.Height, res.Info.VideoCodec)
		}
	})
	t.Run("4:3 is pillarboxed", func(t *testing.T) {
		_, si := encColorVideo(t, e, dir, 160, 120)
		out := filepath.Join(dir, "wide.mp4")
		res, err := e.Encode(context.Background(), EncodeOptions{Source: si, Width: 320, Height: 180, OutputPath: out})
		if err != nil {
			t.Fatal(err)
		}
		if res.Info.Width != 320 || res.Info.Height != 180 {
			t.Fatalf("%dx%d, want 320x180", res.Info.Width, res.Info.Height)
		}
		// First frame: red picture 240 wide in the middle, black bars of 40.
		raw := encFFmpeg(t, "-i", out, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1")
		px := func(x, y int) [3]byte {
			i := (y*320 + x) * 3
			return [3]byte{raw[i], raw[i+1], raw[i+2]}
		}
		for _, x := range []int{5, 30, 290, 314} {
			if p := px(x, 90); p[0] > 20 || p[1] > 20 || p[2] > 20 {
				t.Errorf("pixel (%d,90) = %v, want black bar", x, p)
			}
		}
		if p := px(160, 90); p[0] < 200 || p[1] > 60 {
			t.Errorf("centre pixel = %v, want red", p)
		}
	})
}

func TestEncodeAudioFormats(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	// A 44.1 kHz stereo source: kept at 44.1 kHz by every codec.
	src := filepath.Join(dir, "st.wav")
	encFFmpeg(t, "-f", "lavfi", "-i", "sine=f=440:r=44100:d=2", "-f", "lavfi", "-i", "sine=f=660:r=44100:d=2",
		"-filter_complex", "[0:a][1:a]join=inputs=2:channel_layout=stereo[a]", "-map", "[a]", "-c:a", "pcm_f32le", src)
	x, err := testmedia.ReadPCM(context.Background(), "", src, 44100, 2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		format, quality, codec string
		minSDR                 float64
	}{
		{"wav", "high", "pcm_s24le", 60},
		{"wav", "low", "pcm_s16le", 60},
		{"mp3", "", "mp3", 15},
		{"m4a", "", "aac", 15},
		{"aac", "low", "aac", 10},
		{"mkv", "", "aac", 15}, // a video format from audio: still frame
	}
	for _, tt := range tests {
		t.Run(tt.format+"_"+tt.quality, func(t *testing.T) {
			out := filepath.Join(dir, "out_"+tt.quality+"."+tt.format)
			res, err := e.Encode(context.Background(), EncodeOptions{AudioPath: src, Format: tt.format, Quality: tt.quality, Width: 320, Height: 180, OutputPath: out})
			if err != nil {
				t.Fatal(err)
			}
			mi := res.Info
			if mi.Format != tt.format || mi.AudioCodec != tt.codec || mi.SampleRate != 44100 || mi.Channels != 2 {
				t.Errorf("got %s %s %d Hz %d ch, want %s %s 44100 Hz 2 ch", mi.Format, mi.AudioCodec, mi.SampleRate, mi.Channels, tt.format, tt.codec)
			}
			if math.Abs(res.Duration-2) > 0.1 {
				t.Errorf("duration %.3f, want 2", res.Duration)
			}
			if (tt.format == "mkv") != mi.HasVideo {
				t.Errorf("HasVideo %v", mi.HasVideo)
			}
			y, err := testmedia.ReadPCM(context.Background(), "", out, 44100, 2)
			if err != nil {
				t.Fatal(err)
			}
			sdr, lag := testmedia.SISDR(x, y, 4410)
			t.Logf("%s: %d bytes, SI-SDR %.1f dB, lag %d", tt.format, res.Size, sdr, lag)
			if sdr < tt.minSDR {
				t.Errorf("SI-SDR %.1f dB, want >= %g", sdr, tt.minSDR)
			}
		})
	}
}

func TestEncodeWebMStill(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	wav, ai := encTone(t, e, dir, "t.wav", 3.3)
	img := filepath.Join(dir, "cover.jpg")
	encFFmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=200x200", "-frames:v", "1", img)
	res, err := e.Encode(context.Background(), EncodeOptions{Source: encProbe(t, e, img), AudioPath: wav, Format: "webm", Width: 320, Height: 180, OutputPath: filepath.Join(dir, "o.webm")})
	if err != nil {
		t.Fatal(err)
	}
	mi := res.Info
	if mi.Format != "webm" || mi.VideoCodec != "vp9" || mi.AudioCodec != "opus" || mi.Width != 320 || mi.Height != 180 {
		t.Errorf("got %+v", mi)
	}
	if math.Abs(res.Duration-ai.Duration) > 0.1 {
		t.Errorf("duration %.3f, want %.3f", res.Duration, ai.Duration)
	}
}

func TestEncodeNastyTitle(t *testing.T) {
	e := encEngine(t)
	if findFont() == "" {
		t.Skip("no font file: the title is not drawn")
	}
	dir := t.TempDir()
	wav, _ := encTone(t, e, dir, "t.wav", 1)
	title := `It's 50% "done": a,b;c [x] \ end %{pts} ''`
	res, err := e.Encode(context.Background(), EncodeOptions{AudioPath: wav, Title: title, Width: 640, Height: 360, OutputPath: filepath.Join(dir, "o.mp4")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Info.Width != 640 {
		t.Errorf("width %d", res.Info.Width)
	}
}

func TestEncodeRefusesInputAsOutput(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	wav, ai := encTone(t, e, dir, "t.wav", 1)
	before, _ := os.ReadFile(wav)
	link := filepath.Join(dir, "link.wav")
	if err := os.Link(wav, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{wav, link, filepath.Join(dir, ".", "t.wav")} {
		_, err := e.Encode(context.Background(), EncodeOptions{AudioPath: wav, Source: ai, Format: "wav", OutputPath: out})
		if !errors.Is(err, ErrInvalidExport) {
			t.Errorf("output %s: err = %v, want ErrInvalidExport", out, err)
		}
	}
	after, _ := os.ReadFile(wav)
	if !bytes.Equal(before, after) {
		t.Error("the input changed")
	}
}

func TestEncodeCancel(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "long.mp4")
	encFFmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=20", "-c:v", "libx264", "-preset", "ultrafast", src)
	ctx, cancel := context.WithCancel(context.Background())
	out := filepath.Join(dir, "out.mp4")
	_, err := e.Encode(ctx, EncodeOptions{Source: encProbe(t, e, src), OutputPath: out, Quality: "high",
		Progress: func(f float64) {
			if f > 0 {
				cancel()
			}
		}})
	cancel()
	var ee *Error
	if !errors.As(err, &ee) || ee.SafeReason() != "cancelled" {
		t.Fatalf("err = %v, want a cancelled *Error", err)
	}
	ents, _ := os.ReadDir(dir)
	for _, en := range ents {
		if en.Name() != "long.mp4" {
			t.Errorf("left behind: %s", en.Name())
		}
	}
}

func TestEncodeFailureIsError(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.wav")
	if err := os.WriteFile(bad, []byte("RIFF not really"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The audio probe fails: ErrUnsupported, nothing written.
	_, err := e.Encode(context.Background(), EncodeOptions{AudioPath: bad, Format: "wav", OutputPath: filepath.Join(dir, "o.wav")})
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("err = %v, want ErrUnsupported", err)
	}
	// ffmpeg itself fails (a source whose file vanished): *Error, no temp left.
	wav, ai := encTone(t, e, dir, "gone.wav", 1)
	os.Remove(wav)
	_, err = e.Encode(context.Background(), EncodeOptions{Source: ai, Format: "mp3", OutputPath: filepath.Join(dir, "o.mp3")})
	var ee *Error
	if !errors.As(err, &ee) || ee.SafeReason() == "" {
		t.Errorf("err = %v, want *Error with a reason", err)
	} else {
		t.Logf("reason: %s", ee.SafeReason())
	}
	ents, _ := os.ReadDir(dir)
	for _, en := range ents {
		if en.Name() != "bad.wav" {
			t.Errorf("left behind: %s", en.Name())
		}
	}
}

func TestSelectExpr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		keep []Range
		want string
	}{
		{[]Range{{1, 2}}, "between(t,0.900000,1.900000)"},
		{[]Range{{1, 2}, {3, 4}, {5, 6}}, "if(lt(t,2.900000),between(t,0.900000,1.900000),if(lt(t,4.900000),between(t,2.900000,3.900000),between(t,4.900000,5.900000)))"},
	}
	for _, tt := range tests {
		if got := selectExpr(tt.keep, 0.1); got != tt.want {
			t.Errorf("selectExpr(%v) = %s, want %s", tt.keep, got, tt.want)
		}
	}
}

// TestEncodeMeasure prints the export speeds quoted in the docs. It is
// slow (minutes of media), so it runs only when ENC_MEASURE is set.
func TestEncodeMeasure(t *testing.T) {
	if os.Getenv("ENC_MEASURE") == "" {
		t.Skip("set ENC_MEASURE=1 to measure export speeds")
	}
	e := encEngine(t)
	dir := t.TempDir()
	testmedia.RequireEspeak(t)
	const secs = 180
	x, _, err := testmedia.Speech(context.Background(), testmedia.SpeechOptions{TargetSeconds: secs})
	if err != nil {
		t.Fatal(err)
	}
	x = x[:secs*testmedia.Rate]
	wav := filepath.Join(dir, "speech.wav")
	if err := testmedia.WriteWAV(wav, x, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if d := os.Getenv("ENC_KEEP"); d != "" {
		encFFmpeg(t, "-i", wav, "-c", "copy", filepath.Join(d, "speech180.wav"))
	}
	// childCPU is the CPU time (user+system) used by finished children:
	// on a shared machine it says more than the wall time.
	childCPU := func() float64 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	timeIt := func(name string, opts EncodeOptions) *Output {
		start, cpu0 := time.Now(), childCPU()
		res, err := e.Encode(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		el, cpu := time.Since(start).Seconds(), childCPU()-cpu0
		t.Logf("%s: %.2f s wall (%.1fx real time), %.2f CPU-s (%.1fx real time per core), %d bytes, copied %v",
			name, el, res.Duration/el, cpu, res.Duration/cpu, res.Size, res.VideoCopied)
		return res
	}
	timeIt("audio -> 1080p mp4 (still)", EncodeOptions{AudioPath: wav, Title: "Episode 12", OutputPath: filepath.Join(dir, "still.mp4")})
	timeIt("audio -> 1080p webm (still)", EncodeOptions{AudioPath: wav, Title: "Episode 12", Format: "webm", OutputPath: filepath.Join(dir, "still.webm")})
	timeIt("audio -> mp3", EncodeOptions{AudioPath: wav, Format: "mp3", OutputPath: filepath.Join(dir, "a.mp3")})
	if os.Getenv("ENC_MEASURE") == "audio" {
		return
	}
	// A 1080p30 H.264 source of realistic bitrate: 20 s encoded, looped
	// 9 times by stream copy (cheap), with the speech as its AAC audio.
	part := filepath.Join(dir, "part.mp4")
	src := filepath.Join(dir, "src.mp4")
	start := time.Now()
	encFFmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30:d=20", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", part)
	encFFmpeg(t, "-stream_loop", "8", "-i", part, "-i", wav, "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "96k", "-t", strconv.Itoa(secs), src)
	t.Logf("made the 1080p30 source in %.1f s", time.Since(start).Seconds())
	si := encProbe(t, e, src)
	t.Logf("source: %d bytes, %.0f kb/s", si.Size, float64(si.BitRate)/1000)
	timeIt("1080p video + new audio (copy)", EncodeOptions{Source: si, AudioPath: wav, OutputPath: filepath.Join(dir, "copy.mp4")})
	start = time.Now()
	off, conf, err := e.Align(context.Background(), wav, src, 0)
	t.Logf("align 3 min vs 3 min: offset %.5f confidence %.1f err %v in %.2f s", off, conf, err, time.Since(start).Seconds())
}

func TestKeepOutside(t *testing.T) {
	t.Parallel()
	tests := []struct {
		keep []Range
		dur  float64
		want float64
	}{
		{[]Range{{0, 1}, {2, 3}}, 5, 0},
		{[]Range{{-0.5, 1}, {4, 6}}, 5, 1.5},
		{[]Range{{6, 7}}, 5, 1},
		{[]Range{{-2, -1}}, 5, 1},
		{[]Range{{0, 9}}, 0, 0},
	}
	for _, tt := range tests {
		if got := keepOutside(tt.keep, tt.dur); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("keepOutside(%v, %g) = %g, want %g", tt.keep, tt.dur, got, tt.want)
		}
	}
}

func TestEncodeCutsPastEnd(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	_, si := encColorVideo(t, e, dir, 64, 48)
	keep := []Range{{4, 7}} // the video ends at 6: its last frame is held
	wav, _ := encTone(t, e, dir, "a.wav", 3)
	out := filepath.Join(dir, "o.mp4")
	if _, err := e.Encode(context.Background(), EncodeOptions{Source: si, AudioPath: wav, VideoKeep: keep, Width: 64, Height: 48, OutputPath: out}); err != nil {
		t.Fatal(err)
	}
	vd, ad := encStreamDurations(t, e, out)
	colors := encFrameColors(t, out)
	t.Logf("video %.3f audio %.3f, %d frames", vd, ad, len(colors))
	if math.Abs(vd-3) > 0.041 || math.Abs(ad-3) > 0.041 {
		t.Errorf("video %.3f s audio %.3f s, want 3", vd, ad)
	}
	if len(colors) == 0 || colors[0] != 4 || colors[len(colors)-1] != 5 {
		t.Errorf("colours run from %v to %v, want 4 to 5", colors[:1], colors[len(colors)-1:])
	}
}

func TestEncodeCutsSourceAudio(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	_, si := encColorVideo(t, e, dir, 64, 48)
	out := filepath.Join(dir, "cut.wav")
	res, err := e.Encode(context.Background(), EncodeOptions{Source: si, VideoKeep: []Range{{1, 2}, {3, 3.52}}, Format: "wav", OutputPath: out})
	if err != nil {
		t.Fatal(err)
	}
	y, err := testmedia.ReadPCM(context.Background(), "", out, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Whole 25 fps frames of 1920 samples: exactly 1.52 s.
	if len(y) != 72960 || res.Info.HasVideo {
		t.Errorf("%d samples (%.4f s), video %v; want 72960 audio only", len(y), float64(len(y))/48000, res.Info.HasVideo)
	}
}

func TestEncodeAudioSourceUntouched(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "a.m4a")
	encFFmpeg(t, "-f", "lavfi", "-i", "sine=f=440:r=44100:d=2.5", "-c:a", "aac", "-b:a", "64k", src)
	si := encProbe(t, e, src)
	out := filepath.Join(dir, "o.mp4")
	res, err := e.Encode(context.Background(), EncodeOptions{Source: si, Width: 320, Height: 180, OutputPath: out})
	if err != nil {
		t.Fatal(err)
	}
	// The AAC track is copied (same packets), under a still picture.
	hash := func(p string) string {
		return string(encFFmpeg(t, "-i", p, "-map", "0:a:0", "-c", "copy", "-f", "md5", "pipe:1"))
	}
	if hash(src) != hash(out) || !res.Info.HasVideo || math.Abs(res.Duration-si.Duration) > 0.1 {
		t.Errorf("audio copied %v, video %v, duration %.3f (source %.3f)", hash(src) == hash(out), res.Info.HasVideo, res.Duration, si.Duration)
	}
}
