package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// MediaInfo is what ffprobe says about a file.
type MediaInfo struct {
	Path       string  `json:"path"`
	Container  string  `json:"container"` // ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
	Format     string  `json:"format"`    // our name for it: mp4 mov avi webm mkv jpg png gif webp mp3 wav m4a aac
	Kind       string  `json:"kind"`      // "audio", "video" or "image"
	Duration   float64 `json:"duration_s"`
	Size       int64   `json:"size_bytes"`
	BitRate    int64   `json:"bit_rate,omitempty"`
	HasAudio   bool    `json:"has_audio"`
	HasVideo   bool    `json:"has_video"`
	AudioCodec string  `json:"audio_codec,omitempty"`
	SampleRate int     `json:"sample_rate,omitempty"`
	Channels   int     `json:"channels,omitempty"`
	VideoCodec string  `json:"video_codec,omitempty"`
	Width      int     `json:"width,omitempty"`
	Height     int     `json:"height,omitempty"`
	FPS        float64 `json:"fps,omitempty"`
	PixFmt     string  `json:"pix_fmt,omitempty"`
}

// ErrUnsupported marks media that is not one of the supported formats or
// cannot be decoded.
var ErrUnsupported = errors.New("unsupported or unreadable media")

// SupportedFormats lists the formats accepted for upload.
var SupportedFormats = []string{"mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac"}

type probeOut struct {
	Streams []struct {
		CodecType    string `json:"codec_type"`
		CodecName    string `json:"codec_name"`
		SampleRate   string `json:"sample_rate"`
		Channels     int    `json:"channels"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
		AvgFrameRate string `json:"avg_frame_rate"`
		RFrameRate   string `json:"r_frame_rate"`
		PixFmt       string `json:"pix_fmt"`
		Duration     string `json:"duration"`
		Disposition  struct {
			AttachedPic int `json:"attached_pic"`
		} `json:"disposition"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
		Size       string `json:"size"`
		BitRate    string `json:"bit_rate"`
	} `json:"format"`
}

// Probe runs ffprobe on path. A file ffprobe cannot read, or whose
// container is not supported, gives an error wrapping ErrUnsupported.
func (e *Engine) Probe(ctx context.Context, path string) (*MediaInfo, error) {
	return e.probe(ctx, path, path, nil)
}

// ErrListFormat marks a playlist (hls) or a list of other files (concat):
// refused before ffmpeg opens what it names.
var ErrListFormat = errors.New("a playlist or a list of other files")

// probe runs ffprobe on arg (a path, or /dev/fd/N of files); path names
// the file in the result and in errors.
func (e *Engine) probe(ctx context.Context, path, arg string, files []*os.File) (*MediaInfo, error) {
	var out bytes.Buffer
	args := append([]string{"-v", "error", "-print_format", "json", "-show_format", "-show_streams"}, input(arg)...)
	if stderr, err := e.runFiles(ctx, "probe", e.ffprobe, args, files, nil, &out); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		if m := notWhitelisted.FindStringSubmatch(stderr); m != nil {
			return nil, fmt.Errorf("%w: %s is a %s file, %w, refused so that nothing outside the allowed folders is read: upload the media files themselves", ErrUnsupported, filepath.Base(path), m[1], ErrListFormat)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrUnsupported, filepath.Base(path), err)
	}
	return parseProbe(path, out.Bytes())
}

// notWhitelisted finds the demuxer ffmpeg refused: "[hls @ 0x...] Format
// not on whitelist".
var notWhitelisted = regexp.MustCompile(`\[([a-z0-9_,]+) @ [^]]*\] Format not on whitelist`)

func parseProbe(path string, data []byte) (*MediaInfo, error) {
	var p probeOut
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%w: %s: ffprobe output: %w", ErrUnsupported, filepath.Base(path), err)
	}
	mi := &MediaInfo{Path: path, Container: p.Format.FormatName}
	mi.Duration, _ = strconv.ParseFloat(p.Format.Duration, 64)
	mi.Size, _ = strconv.ParseInt(p.Format.Size, 10, 64)
	mi.BitRate, _ = strconv.ParseInt(p.Format.BitRate, 10, 64)
	if mi.Size == 0 {
		if st, err := os.Stat(path); err == nil {
			mi.Size = st.Size()
		}
	}
	for _, s := range p.Streams {
		switch s.CodecType {
		case "audio":
			if mi.HasAudio {
				continue
			}
			mi.HasAudio = true
			mi.AudioCodec = s.CodecName
			mi.SampleRate, _ = strconv.Atoi(s.SampleRate)
			mi.Channels = s.Channels
			if mi.Duration == 0 {
				mi.Duration, _ = strconv.ParseFloat(s.Duration, 64)
			}
		case "video":
			if mi.HasVideo || s.Disposition.AttachedPic == 1 {
				continue // cover art in an mp3/m4a is not a video
			}
			mi.HasVideo = true
			mi.VideoCodec = s.CodecName
			mi.Width, mi.Height = s.Width, s.Height
			mi.PixFmt = s.PixFmt
			mi.FPS = parseRate(s.AvgFrameRate)
			if mi.FPS == 0 {
				mi.FPS = parseRate(s.RFrameRate)
			}
			if mi.Duration == 0 {
				mi.Duration, _ = strconv.ParseFloat(s.Duration, 64)
			}
		}
	}
	mi.Format = formatName(p.Format.FormatName, path, mi)
	switch {
	case mi.Format == "":
		return nil, fmt.Errorf("%w: %s is %q; supported: %s", ErrUnsupported, filepath.Base(path), p.Format.FormatName, strings.Join(SupportedFormats, " "))
	case isImageFormat(mi.Format):
		mi.Kind = "image"
	case mi.HasVideo:
		mi.Kind = "video"
	case mi.HasAudio:
		mi.Kind = "audio"
	default:
		return nil, fmt.Errorf("%w: %s has no audio or video stream", ErrUnsupported, filepath.Base(path))
	}
	return mi, nil
}

func isImageFormat(f string) bool {
	switch f {
	case "jpg", "png", "gif", "webp":
		return true
	}
	return false
}

// formatName maps ffprobe's container name (and, where one container
// serves several, the file's extension) to a supported format name, or ""
// when the container is not supported.
func formatName(container, path string, mi *MediaInfo) string {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	switch {
	case strings.Contains(container, "mp4") || strings.HasPrefix(container, "mov"):
		switch ext {
		case "mov", "m4a", "mp4":
			return ext
		}
		if !mi.HasVideo {
			return "m4a"
		}
		return "mp4"
	case strings.Contains(container, "matroska") || strings.Contains(container, "webm"):
		if ext == "webm" {
			return "webm"
		}
		return "mkv"
	case container == "avi":
		return "avi"
	case container == "wav":
		return "wav"
	case container == "mp3":
		return "mp3"
	case container == "aac":
		return "aac"
	case container == "gif":
		return "gif"
	case container == "png_pipe" || (container == "image2" && mi.VideoCodec == "png"):
		return "png"
	case container == "jpeg_pipe" || (container == "image2" && mi.VideoCodec == "mjpeg"):
		return "jpg"
	case container == "webp_pipe" || (container == "image2" && mi.VideoCodec == "webp"):
		return "webp"
	}
	return ""
}

func parseRate(s string) float64 {
	n, d, ok := strings.Cut(s, "/")
	if !ok {
		f, _ := strconv.ParseFloat(s, 64)
		return f
	}
	nf, _ := strconv.ParseFloat(n, 64)
	df, _ := strconv.ParseFloat(d, 64)
	if df == 0 {
		return 0
	}
	return nf / df
}
