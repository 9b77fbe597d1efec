package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// peakRate is the rate audio is decoded at for a waveform picture: enough
// for the envelope a few thousand pixels wide, cheap to decode.
const peakRate = 8000

// Peaks decodes the first audio stream of path (mono) and returns, for
// each of width equal columns spanning [0, span) seconds, the lowest and
// highest sample. Columns past the end of the audio stay 0.
func (e *Engine) Peaks(ctx context.Context, path string, width int, span float64) (lo, hi []float32, err error) {
	if width <= 0 || span <= 0 {
		return nil, nil, fmt.Errorf("peaks: width %d and span %g must be positive", width, span)
	}
	lo, hi = make([]float32, width), make([]float32, width)
	perCol := span * peakRate / float64(width)
	w := &peakWriter{lo: lo, hi: hi, perCol: perCol}
	args := ffmpegArgs(append(append([]string{"-v", "error"}, input(path)...),
		"-map", "0:a:0", "-vn", "-ac", "1", "-ar", strconv.Itoa(peakRate),
		"-t", strconv.FormatFloat(span, 'f', 3, 64), "-f", "f32le", "pipe:1")...)
	if _, err := e.run(ctx, "decode for waveform", e.ffmpeg, args, nil, w); err != nil {
		return nil, nil, err
	}
	return lo, hi, nil
}

// peakWriter bins f32le samples into columns.
type peakWriter struct {
	lo, hi []float32
	perCol float64
	n      int
	rest   []byte
}

func (w *peakWriter) Write(p []byte) (int, error) {
	total := len(p)
	if len(w.rest) > 0 {
		p = append(w.rest, p...)
		w.rest = nil
	}
	for len(p) >= 4 {
		v := math.Float32frombits(binary.LittleEndian.Uint32(p))
		p = p[4:]
		col := int(float64(w.n) / w.perCol)
		w.n++
		if col >= len(w.lo) {
			continue
		}
		w.lo[col] = min(w.lo[col], v)
		w.hi[col] = max(w.hi[col], v)
	}
	w.rest = append(w.rest, p...)
	return total, nil
}

// Excerpt encodes [start, start+dur) seconds of path's first audio stream
// as a small mp3 (mono, 22.05 kHz, 64 kbit/s: 8 KB a second) or ogg
// (Vorbis) and returns the bytes.
func (e *Engine) Excerpt(ctx context.Context, path string, start, dur float64, format string) ([]byte, error) {
	codec := []string{"-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"}
	if format == "ogg" {
		codec = []string{"-c:a", "libvorbis", "-q:a", "2", "-f", "ogg"}
	}
	args := []string{"-v", "error", "-ss", strconv.FormatFloat(max(start, 0), 'f', 3, 64)}
	args = append(args, input(path)...)
	args = append(args, "-t", strconv.FormatFloat(dur, 'f', 3, 64), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", "22050",
		"-map_metadata", "-1")
	args = append(args, codec...)
	args = append(args, "pipe:1")
	var out bytes.Buffer
	if _, err := e.run(ctx, "encode preview", e.ffmpeg, ffmpegArgs(args...), nil, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
