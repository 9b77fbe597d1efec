package engine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// WAV files written by the engine are 32-bit IEEE float, interleaved. The
// header reserves a 28-byte JUNK chunk right after "WAVE": a file whose data
// outgrows the 4 GiB limit of RIFF sizes is turned into RF64 on Close by
// rewriting that chunk as "ds64" (EBU Tech 3306), which ffmpeg reads. Below
// 4 GiB it is a plain WAV every tool reads.

const (
	wavHeaderSize = 12 + 36 + 8 + 18 + 8 // RIFF/WAVE, JUNK(28), fmt(18), data header
	wavFmtFloat   = 3
	maxRIFFSize   = math.MaxUint32
)

// wavWriter streams interleaved float32 frames into a WAV file.
type wavWriter struct {
	f        *os.File
	bw       *bufio.Writer
	rate     int
	channels int
	bytes    int64 // data bytes written
	buf      []byte
}

// createWAV creates path and writes a provisional header.
func createWAV(path string, rate, channels int) (*wavWriter, error) {
	if rate <= 0 || channels <= 0 {
		return nil, fmt.Errorf("wav: bad format %d Hz x %d", rate, channels)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := &wavWriter{f: f, bw: bufio.NewWriterSize(f, 256<<10), rate: rate, channels: channels}
	if _, err := w.bw.Write(wavHeader(rate, channels, 0)); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// wavHeader builds the header for dataBytes of data (RF64 when it does not
// fit a RIFF size field).
func wavHeader(rate, channels int, dataBytes int64) []byte {
	h := make([]byte, 0, wavHeaderSize)
	le := binary.LittleEndian
	riffSize := dataBytes + wavHeaderSize - 8
	rf64 := riffSize > maxRIFFSize
	if rf64 {
		h = append(h, "RF64"...)
		h = le.AppendUint32(h, math.MaxUint32)
	} else {
		h = append(h, "RIFF"...)
		h = le.AppendUint32(h, uint32(riffSize))
	}
	h = append(h, "WAVE"...)
	if rf64 {
		h = append(h, "ds64"...)
		h = le.AppendUint32(h, 28)
		h = le.AppendUint64(h, uint64(riffSize))
		h = le.AppendUint64(h, uint64(dataBytes))
		h = le.AppendUint64(h, uint64(dataBytes/int64(4*channels)))
		h = le.AppendUint32(h, 0) // table length
	} else {
		h = append(h, "JUNK"...)
		h = le.AppendUint32(h, 28)
		h = append(h, make([]byte, 28)...)
	}
	h = append(h, "fmt "...)
	h = le.AppendUint32(h, 18)
	h = le.AppendUint16(h, wavFmtFloat)
	h = le.AppendUint16(h, uint16(channels))
	h = le.AppendUint32(h, uint32(rate))
	h = le.AppendUint32(h, uint32(rate*channels*4))
	h = le.AppendUint16(h, uint16(channels*4))
	h = le.AppendUint16(h, 32)
	h = le.AppendUint16(h, 0) // cbSize
	h = append(h, "data"...)
	if rf64 {
		h = le.AppendUint32(h, math.MaxUint32)
	} else {
		h = le.AppendUint32(h, uint32(dataBytes))
	}
	return h
}

// Write writes raw little-endian float32 interleaved bytes.
func (w *wavWriter) Write(p []byte) (int, error) {
	n, err := w.bw.Write(p)
	w.bytes += int64(n)
	return n, err
}

// WriteFrames writes interleaved samples.
func (w *wavWriter) WriteFrames(x []float32) error {
	if cap(w.buf) < 4*len(x) {
		w.buf = make([]byte, 4*len(x))
	}
	b := w.buf[:4*len(x)]
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	_, err := w.Write(b)
	return err
}

// Frames returns the number of whole frames written so far.
func (w *wavWriter) Frames() int64 { return w.bytes / int64(4*w.channels) }

// Close pads a partial frame, fixes the header and closes the file.
func (w *wavWriter) Close() error {
	if rem := w.bytes % int64(4*w.channels); rem != 0 {
		pad := make([]byte, int64(4*w.channels)-rem)
		if _, err := w.Write(pad); err != nil {
			w.f.Close()
			return err
		}
	}
	err := w.bw.Flush()
	if err == nil {
		_, err = w.f.WriteAt(wavHeader(w.rate, w.channels, w.bytes), 0)
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// abort closes and removes the file.
func (w *wavWriter) abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

// wavFile is a float32 WAV opened for random access reads.
type wavFile struct {
	f        *os.File
	rate     int
	channels int
	dataOff  int64
	frames   int64
	raw      []byte
}

// openWAV opens a 32-bit float WAV or RF64 file (as written by wavWriter or
// by ffmpeg's pcm_f32le).
func openWAV(path string) (*wavFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	w, err := parseWAV(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wav %s: %w", path, err)
	}
	return w, nil
}

func parseWAV(f *os.File) (*wavFile, error) {
	le := binary.LittleEndian
	var hdr [12]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return nil, err
	}
	rf64 := string(hdr[0:4]) == "RF64"
	if (string(hdr[0:4]) != "RIFF" && !rf64) || string(hdr[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file")
	}
	w := &wavFile{f: f}
	var ds64Data int64 = -1
	off := int64(12)
	var haveFmt bool
	for {
		var ch [8]byte
		if _, err := f.ReadAt(ch[:], off); err != nil {
			return nil, fmt.Errorf("no data chunk: %w", err)
		}
		id := string(ch[0:4])
		size := int64(le.Uint32(ch[4:8]))
		body := off + 8
		switch id {
		case "ds64":
			var b [16]byte
			if _, err := f.ReadAt(b[:], body); err != nil {
				return nil, err
			}
			ds64Data = int64(le.Uint64(b[8:16]))
		case "fmt ":
			var b [16]byte
			if _, err := f.ReadAt(b[:], body); err != nil {
				return nil, err
			}
			format := le.Uint16(b[0:2])
			w.channels = int(le.Uint16(b[2:4]))
			w.rate = int(le.Uint32(b[4:8]))
			bits := le.Uint16(b[14:16])
			if format == 0xFFFE && size >= 40 {
				var sub [2]byte
				if _, err := f.ReadAt(sub[:], body+24); err != nil {
					return nil, err
				}
				format = le.Uint16(sub[:])
			}
			if format != wavFmtFloat || bits != 32 || w.channels <= 0 || w.rate <= 0 {
				return nil, fmt.Errorf("not 32-bit float PCM (format %d, %d bits)", format, bits)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, errors.New("data before fmt chunk")
			}
			if (rf64 || size == math.MaxUint32) && ds64Data >= 0 {
				size = ds64Data
			}
			st, err := f.Stat()
			if err != nil {
				return nil, err
			}
			if avail := st.Size() - body; size > avail {
				size = avail // truncated or streamed file: trust what is there
			}
			w.dataOff = body
			w.frames = size / int64(4*w.channels)
			return w, nil
		}
		off = body + size + size&1
	}
}

// ReadFrames reads frames starting at frame index start into dst
// (len(dst) must be a multiple of channels); frames outside the file read
// as zeros. It is not safe for concurrent use.
func (w *wavFile) ReadFrames(dst []float32, start int64) error {
	n := int64(len(dst) / w.channels)
	clear(dst)
	lo, hi := max(start, 0), min(start+n, w.frames)
	if hi <= lo {
		return nil
	}
	cnt := int((hi - lo) * int64(w.channels))
	if cap(w.raw) < 4*cnt {
		w.raw = make([]byte, 4*cnt)
	}
	raw := w.raw[:4*cnt]
	if _, err := w.f.ReadAt(raw, w.dataOff+lo*int64(4*w.channels)); err != nil {
		return err
	}
	o := int(lo-start) * w.channels
	for i := range cnt {
		dst[o+i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return nil
}

// Close closes the file.
func (w *wavFile) Close() error { return w.f.Close() }
