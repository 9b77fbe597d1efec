package testmedia

import (
	"bufio"
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
// as the audio, which must not be empty. ffmpeg "" means FFmpeg().
func Video(ctx context.Context, ffmpeg, path string, audio []float32, width, height int, fps float64) error {
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
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "192k",
		"-movflags", "+faststart", "-f", "mp4", tmp}
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
