package engine

import (
	"bytes"
	"io"
	"strconv"
	"strings"
)

// ParseProgress reads the key=value lines that ffmpeg writes with
// `-progress` and calls fn with the output time in seconds each time an
// out_time_us key carries a usable value ("N/A" and negative values, which
// ffmpeg writes before the first packet, are skipped). It returns when r
// reaches EOF (nil) or fails (the read error).
func ParseProgress(r io.Reader, fn func(outTime float64)) error {
	w := &progressWriter{fn: fn}
	_, err := io.Copy(w, r)
	return err
}

// progressWriter is an io.Writer that parses ffmpeg -progress output as it
// arrives (it is given to the ffmpeg process as its stdout).
type progressWriter struct {
	fn   func(outTime float64)
	line []byte
}

// maxProgressLine bounds a partial line kept between writes.
const maxProgressLine = 4 << 10

func (w *progressWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(w.line)+len(p) <= maxProgressLine {
				w.line = append(w.line, p...)
			}
			break
		}
		w.line = append(w.line, p[:i]...)
		w.handle(string(w.line))
		w.line = w.line[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (w *progressWriter) handle(line string) {
	key, val, ok := strings.Cut(strings.TrimSpace(line), "=")
	if !ok || w.fn == nil {
		return
	}
	val = strings.TrimSpace(val)
	// out_time_ms carries the same microseconds under a wrong name, and
	// out_time the same value as text: out_time_us alone is enough.
	if key != "out_time_us" {
		return
	}
	us, err := strconv.ParseInt(val, 10, 64)
	if err != nil || us < 0 {
		return
	}
	w.fn(float64(us) / 1e6)
}

// fracReporter turns output times into a monotonic fraction of total in
// [0, 1) for fn; done reports 1 once.
type fracReporter struct {
	fn    func(float64)
	total float64
	last  float64
}

func (f *fracReporter) outTime(sec float64) {
	if f.fn == nil || f.total <= 0 {
		return
	}
	frac := sec / f.total
	if frac > 0.999 {
		frac = 0.999
	}
	if frac <= f.last {
		return
	}
	f.last = frac
	f.fn(frac)
}

func (f *fracReporter) done() {
	if f.fn != nil {
		f.last = 1
		f.fn(1)
	}
}
