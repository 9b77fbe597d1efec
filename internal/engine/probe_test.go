package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestProbeFormats(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	tone := []string{"-f", "lavfi", "-i", "sine=f=440:r=44100:d=1"}
	pic := []string{"-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=1"}
	tests := []struct {
		name    string
		args    []string // ffmpeg arguments before the output path
		format  string
		kind    string
		acodec  string
		vcodec  string
		w, h    int
		hasAud  bool
		wantDur bool
	}{
		{"a.wav", append(tone, "-c:a", "pcm_s16le"), "wav", "audio", "pcm_s16le", "", 0, 0, true, true},
		{"a.mp3", append(tone, "-c:a", "libmp3lame"), "mp3", "audio", "mp3", "", 0, 0, true, true},
		{"a.m4a", append(tone, "-c:a", "aac"), "m4a", "audio", "aac", "", 0, 0, true, true},
		{"a.aac", append(tone, "-c:a", "aac", "-f", "adts"), "aac", "audio", "aac", "", 0, 0, true, true},
		{"v.mp4", append(append(pic, tone...), "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"), "mp4", "video", "aac", "h264", 64, 48, true, true},
		{"v.mov", append(pic, "-c:v", "libx264", "-preset", "ultrafast"), "mov", "video", "", "h264", 64, 48, false, true},
		{"v.mkv", append(append(pic, tone...), "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libopus"), "mkv", "video", "opus", "h264", 64, 48, true, true},
		{"v.webm", append(append(pic, tone...), "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"), "webm", "video", "opus", "vp9", 64, 48, true, true},
		{"v.avi", append(pic, "-c:v", "mjpeg"), "avi", "video", "", "mjpeg", 64, 48, false, true},
		{"i.png", append(pic, "-frames:v", "1"), "png", "image", "", "png", 64, 48, false, false},
		{"i.jpg", append(pic, "-frames:v", "1"), "jpg", "image", "", "mjpeg", 64, 48, false, false},
		{"i.gif", append(pic, "-frames:v", "1"), "gif", "image", "", "gif", 64, 48, false, false},
		{"i.webp", append(pic, "-frames:v", "1", "-c:v", "libwebp"), "webp", "image", "", "webp", 64, 48, false, false},
		// A video container named .m4a is still an m4a; an audio-only mp4 is an mp4.
		{"audio-only.mp4", append(tone, "-c:a", "aac"), "mp4", "audio", "aac", "", 0, 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			encFFmpeg(t, append(append([]string(nil), tt.args...), p)...)
			mi, err := e.Probe(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if mi.Format != tt.format || mi.Kind != tt.kind || mi.AudioCodec != tt.acodec || mi.HasAudio != tt.hasAud {
				t.Errorf("got format %q kind %q audio %q (%v), want %q %q %q (%v)", mi.Format, mi.Kind, mi.AudioCodec, mi.HasAudio, tt.format, tt.kind, tt.acodec, tt.hasAud)
			}
			if tt.vcodec != "" && (mi.VideoCodec != tt.vcodec || mi.Width != tt.w || mi.Height != tt.h || !mi.HasVideo) {
				t.Errorf("got video %q %dx%d (%v), want %q %dx%d", mi.VideoCodec, mi.Width, mi.Height, mi.HasVideo, tt.vcodec, tt.w, tt.h)
			}
			if tt.vcodec == "" && mi.HasVideo {
				t.Errorf("HasVideo for %s", tt.name)
			}
			if tt.wantDur && (mi.Duration < 0.9 || mi.Duration > 1.2) {
				t.Errorf("duration %.3f, want ~1", mi.Duration)
			}
			if tt.hasAud && mi.SampleRate != 44100 && tt.acodec != "opus" {
				t.Errorf("sample rate %d, want 44100", mi.SampleRate)
			}
			if mi.Size <= 0 || mi.Path != p {
				t.Errorf("size %d path %q", mi.Size, mi.Path)
			}
		})
	}
}

func TestProbeCoverArtMP3IsAudio(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	cover := filepath.Join(dir, "cover.jpg")
	encFFmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=64x64", "-frames:v", "1", cover)
	p := filepath.Join(dir, "song.mp3")
	encFFmpeg(t, "-f", "lavfi", "-i", "sine=d=1", "-i", cover, "-map", "0:a", "-map", "1:v",
		"-c:a", "libmp3lame", "-c:v", "copy", "-disposition:v", "attached_pic", "-id3v2_version", "3", p)
	mi, err := e.Probe(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if mi.Kind != "audio" || mi.HasVideo || mi.Format != "mp3" || !mi.HasAudio {
		t.Errorf("got kind %q format %q video %v audio %v, want an mp3 audio file", mi.Kind, mi.Format, mi.HasVideo, mi.HasAudio)
	}
}

func TestProbeRefusesNonMedia(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	for name, data := range map[string]string{
		"notes.mp4": "This is a text file, not a video.\n",
		"empty.wav": "",
		"doc.mp3":   "<html><body>nope</body></html>",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		mi, err := e.Probe(context.Background(), p)
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: got %+v, %v; want ErrUnsupported", name, mi, err)
		}
	}
	// A missing file is refused the same way.
	if _, err := e.Probe(context.Background(), filepath.Join(dir, "missing.mp4")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("missing file: err = %v, want ErrUnsupported", err)
	}
}

func TestProbeCancelled(t *testing.T) {
	e := encEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Probe(ctx, "/dev/null")
	if err == nil || errors.Is(err, ErrUnsupported) {
		t.Errorf("err = %v, want a cancellation error, not ErrUnsupported", err)
	}
}

func TestFormatName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		container, path string
		mi              MediaInfo
		want            string
	}{
		{"mov,mp4,m4a,3gp,3g2,mj2", "/x/a.MOV", MediaInfo{HasVideo: true}, "mov"},
		{"mov,mp4,m4a,3gp,3g2,mj2", "/x/a.bin", MediaInfo{HasVideo: true}, "mp4"},
		{"mov,mp4,m4a,3gp,3g2,mj2", "/x/a.bin", MediaInfo{HasAudio: true}, "m4a"},
		{"matroska,webm", "/x/a.webm", MediaInfo{}, "webm"},
		{"matroska,webm", "/x/a.mkv", MediaInfo{}, "mkv"},
		{"image2", "/x/a.png", MediaInfo{VideoCodec: "png"}, "png"},
		{"jpeg_pipe", "/x/a", MediaInfo{}, "jpg"},
		{"flv", "/x/a.flv", MediaInfo{}, ""},
		{"tty", "/x/a.mp4", MediaInfo{}, ""},
	}
	for _, tt := range tests {
		mi := tt.mi
		if got := formatName(tt.container, tt.path, &mi); got != tt.want {
			t.Errorf("formatName(%q, %q) = %q, want %q", tt.container, tt.path, got, tt.want)
		}
	}
}
