package testmedia

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// WriteWAV writes samples as a 32-bit IEEE float WAV file (interleaved when
// channels > 1) at path, atomically: it writes a temporary file in the same
// directory and renames it into place.
func WriteWAV(path string, samples []float32, rate, channels int) error {
	if rate <= 0 || channels <= 0 {
		return fmt.Errorf("write wav: invalid rate %d or channels %d", rate, channels)
	}
	if len(samples)%channels != 0 {
		return fmt.Errorf("write wav: %d samples is not a multiple of %d channels", len(samples), channels)
	}
	dataLen := uint64(len(samples)) * 4
	const headerLen = 12 + 8 + 18 + 8 + 4 + 8
	if dataLen+headerLen-8 > math.MaxUint32 {
		return fmt.Errorf("write wav: %d samples is too long for a RIFF file", len(samples))
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write wav: %w", err)
	}
	// CreateTemp makes 0600 files; give the result ordinary permissions.
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	le := binary.LittleEndian
	var h [headerLen]byte
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], uint32(dataLen+headerLen-8))
	copy(h[8:], "WAVE")
	copy(h[12:], "fmt ")
	le.PutUint32(h[16:], 18)
	le.PutUint16(h[20:], 3) // WAVE_FORMAT_IEEE_FLOAT
	le.PutUint16(h[22:], uint16(channels))
	le.PutUint32(h[24:], uint32(rate))
	le.PutUint32(h[28:], uint32(rate*channels*4))
	le.PutUint16(h[32:], uint16(channels*4))
	le.PutUint16(h[34:], 32)
	le.PutUint16(h[36:], 0) // cbSize
	copy(h[38:], "fact")    // required for non-PCM formats
	le.PutUint32(h[42:], 4)
	le.PutUint32(h[46:], uint32(len(samples)/channels))
	copy(h[50:], "data")
	le.PutUint32(h[54:], uint32(dataLen))
	if _, err := w.Write(h[:]); err != nil {
		return fail(err)
	}
	var b [4]byte
	for _, v := range samples {
		le.PutUint32(b[:], math.Float32bits(v))
		if _, err := w.Write(b[:]); err != nil {
			return fail(err)
		}
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write wav: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write wav: %w", err)
	}
	return nil
}

// ReadPCM decodes the first audio stream of any media file with ffmpeg to
// float32 samples (interleaved when channels > 1), resampled to rate and
// down/up-mixed to channels. rate or channels <= 0 keep the file's own.
// ffmpeg "" means FFmpeg().
func ReadPCM(ctx context.Context, ffmpeg, path string, rate, channels int) ([]float32, error) {
	if ffmpeg == "" {
		ffmpeg = FFmpeg()
	}
	if ffmpeg == "" {
		return nil, errors.New("read pcm: ffmpeg not found")
	}
	argv := []string{ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-i", path, "-map", "0:a:0", "-vn"}
	if channels > 0 {
		argv = append(argv, "-ac", strconv.Itoa(channels))
	}
	if rate > 0 {
		argv = append(argv, "-ar", strconv.Itoa(rate))
	}
	argv = append(argv, "-f", "f32le", "pipe:1")
	dec := &f32Decoder{}
	if _, err := runTool(ctx, argv, nil, dec, 0); err != nil {
		return nil, fmt.Errorf("read pcm %s: %w", filepath.Base(path), err)
	}
	return dec.out, nil
}

// f32Decoder is an io.Writer that decodes little-endian float32 as it comes,
// so a long decode does not hold the bytes and the samples at once.
type f32Decoder struct {
	out  []float32
	part [4]byte
	np   int
}

func (d *f32Decoder) Write(p []byte) (int, error) {
	n := len(p)
	for d.np > 0 && len(p) > 0 {
		d.part[d.np] = p[0]
		d.np++
		p = p[1:]
		if d.np == 4 {
			d.out = append(d.out, math.Float32frombits(binary.LittleEndian.Uint32(d.part[:])))
			d.np = 0
		}
	}
	for len(p) >= 4 {
		d.out = append(d.out, math.Float32frombits(binary.LittleEndian.Uint32(p)))
		p = p[4:]
	}
	d.np = copy(d.part[:], p)
	return n, nil
}

// f32Reader is an io.Reader that encodes samples as little-endian float32.
type f32Reader struct {
	x []float32
}

func (r *f32Reader) Read(p []byte) (int, error) {
	if len(r.x) == 0 {
		return 0, io.EOF
	}
	n := min(len(p)/4, len(r.x))
	if n == 0 {
		return 0, io.ErrShortBuffer
	}
	for i, v := range r.x[:n] {
		binary.LittleEndian.PutUint32(p[4*i:], math.Float32bits(v))
	}
	r.x = r.x[n:]
	return 4 * n, nil
}

// Video writes an MP4 test video to path (atomically): ffmpeg's testsrc2
// pattern at width x height and fps (defaults 320x240 and 25 when <= 0),
// H.264 (libx264 ultrafast, yuv420p), with audio (mono, Rate) as an AAC
// track (192 kb/s). Width and height must be even. The video lasts as long
// as the audio, which must not be empty. ffmpeg "" means FFmpeg(). Its
// keyframes are x264's default: at most 250 frames apart.
func Video(ctx context.Context, ffmpeg, path string, audio []float32, width, height int, fps float64) error {
	return VideoGOP(ctx, ffmpeg, path, audio, width, height, fps, 0)
}

// VideoGOP is Video with a keyframe every gop frames exactly, as phones
// and cameras record (0.5 to 2 s); gop 0 leaves x264's default.
func VideoGOP(ctx context.Context, ffmpeg, path string, audio []float32, width, height int, fps float64, gop int) error {
	if ffmpeg == "" {
		ffmpeg = FFmpeg()
	}
	if ffmpeg == "" {
		return errors.New("video: ffmpeg not found")
	}
	if len(audio) == 0 {
		return errors.New("video: no audio samples")
	}
	if width <= 0 || height <= 0 {
		width, height = 320, 240
	}
	if width%2 != 0 || height%2 != 0 {
		return fmt.Errorf("video: size %dx%d: yuv420p needs even dimensions", width, height)
	}
	if fps <= 0 {
		fps = 25
	}
	dur := float64(len(audio)) / Rate
	src := fmt.Sprintf("testsrc2=size=%dx%d:rate=%s:duration=%s", width, height,
		strconv.FormatFloat(fps, 'g', -1, 64), strconv.FormatFloat(dur, 'f', 6, 64))
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("video: %w", err)
	}
	tmp := f.Name()
	err = f.Chmod(0o644)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("video: %w", err)
	}
	argv := []string{ffmpeg, "-hide_banner", "-v", "error", "-y",
		"-f", "lavfi", "-i", src,
		"-f", "f32le", "-ar", strconv.Itoa(Rate), "-ac", "1", "-i", "pipe:0",
		"-map", "0:v:0", "-map", "1:a:0",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}
	if gop > 0 {
		argv = append(argv, "-g", strconv.Itoa(gop), "-keyint_min", strconv.Itoa(gop), "-sc_threshold", "0")
	}
	argv = append(argv, "-c:a", "aac", "-b:a", "192k",
		"-movflags", "+faststart", "-f", "mp4", tmp)
	if _, err := runTool(ctx, argv, &f32Reader{x: audio}, nil, 0); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("video: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("video: %w", err)
	}
	return nil
}

// FlashBeepVideo writes a video of secs seconds to path (a .mov, written
// atomically) for audio/video alignment checks: a grey picture (width x
// height, fps) that flashes white on every frame whose index is
// period/2 mod period, and 16 kHz PCM audio that beeps (1 kHz, 0.5)
// during exactly those frames and is silent otherwise. H.264 (x264
// ultrafast with 2 B-frames) with a keyframe every gop frames, as a
// camera records. ffmpeg "" means FFmpeg().
func FlashBeepVideo(ctx context.Context, ffmpeg, path string, secs, width, height, fps, gop, period int) error {
	if ffmpeg == "" {
		ffmpeg = FFmpeg()
	}
	const rate = 16000
	pcm := make([]float32, secs*rate)
	for i := range pcm {
		if f := i * fps / rate; f%period == period/2 {
			pcm[i] = float32(0.5 * math.Sin(2*math.Pi*1000*float64(i)/rate))
		}
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp.mov")
	argv := []string{ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("color=c=0x606060:s=%dx%d:r=%d:d=%d,drawbox=c=white:t=fill:enable='eq(mod(n,%d),%d)'", width, height, fps, secs, period, period/2),
		"-f", "f32le", "-ar", strconv.Itoa(rate), "-ac", "1", "-i", "pipe:0", "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", strconv.Itoa(gop), "-keyint_min", strconv.Itoa(gop), "-sc_threshold", "0",
		"-c:a", "pcm_s16le", "-f", "mov", tmp}
	if _, err := runTool(ctx, argv, &f32Reader{x: pcm}, nil, 0); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("flash/beep video: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("flash/beep video: %w", err)
	}
	return nil
}

// FrameLuma decodes the first video stream of path and returns each
// frame's mean brightness (0-255), one byte a frame.
func FrameLuma(ctx context.Context, ffmpeg, path string) ([]byte, error) {
	if ffmpeg == "" {
		ffmpeg = FFmpeg()
	}
	var out bytes.Buffer
	argv := []string{ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0",
		"-vf", "scale=1:1:flags=area", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"}
	if _, err := runTool(ctx, argv, nil, &out, 0); err != nil {
		return nil, fmt.Errorf("frame luma: %w", err)
	}
	return out.Bytes(), nil
}

// BeepOnsets decodes the audio of path from second from on (sample-exact)
// and returns the start times (s) of its beeps, where the 1 ms RMS rises
// over 0.1 after at least 10 ms under it, and the time the audio ends.
func BeepOnsets(ctx context.Context, ffmpeg, path string, from float64) ([]float64, float64, error) {
	if ffmpeg == "" {
		ffmpeg = FFmpeg()
	}
	const rate = 16000
	var out bytes.Buffer
	argv := []string{ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-i", path, "-ss", strconv.FormatFloat(from, 'f', 6, 64),
		"-map", "0:a:0", "-f", "f32le", "-ar", strconv.Itoa(rate), "-ac", "1", "pipe:1"}
	if _, err := runTool(ctx, argv, nil, &out, 0); err != nil {
		return nil, 0, fmt.Errorf("beep onsets: %w", err)
	}
	raw := out.Bytes()
	x := make([]float32, len(raw)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	var on []float64
	quiet := 0
	const ms = rate / 1000
	for i := 0; i+ms <= len(x); i += ms {
		var e float64
		for _, v := range x[i : i+ms] {
			e += float64(v) * float64(v)
		}
		if math.Sqrt(e/ms) > 0.1 {
			if quiet >= 10 {
				on = append(on, from+float64(i)/rate)
			}
			quiet = 0
		} else {
			quiet++
		}
	}
	return on, from + float64(len(x))/rate, nil
}
