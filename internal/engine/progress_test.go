package engine

import (
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
)

const progressSample = `frame=0
fps=0.00
stream_0_0_q=0.0
bitrate=N/A
total_size=44
out_time_us=N/A
out_time_ms=N/A
out_time=N/A
dup_frames=0
drop_frames=0
speed=N/A
progress=continue
frame=12
fps=0.00
bitrate=N/A
out_time_us=-23220
out_time=-00:00:00.023220
progress=continue
frame=61
out_time_us=2000000
out_time_ms=2000000
out_time=00:00:02.000000
progress=continue
out_time_us=4500000
out_time_ms=4500000
out_time=00:00:04.500000
speed=  45x
progress=end
`

func TestParseProgress(t *testing.T) {
	t.Parallel()
	var got []float64
	// One byte at a time, so lines arrive split across writes.
	r := iotest.OneByteReader(strings.NewReader(progressSample))
	if err := ParseProgress(r, func(s float64) { got = append(got, s) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[2 4.5]" {
		t.Errorf("out times %v, want [2 4.5]", got)
	}
	if err := ParseProgress(iotest.ErrReader(errTest), func(float64) {}); err != errTest {
		t.Errorf("err = %v, want the read error", err)
	}
}

var errTest = fmt.Errorf("test read error")

func TestFracReporter(t *testing.T) {
	t.Parallel()
	var got []float64
	f := &fracReporter{fn: func(x float64) { got = append(got, x) }, total: 10}
	for _, s := range []float64{0, 1, 5, 4, 5, 12, 30} {
		f.outTime(s)
	}
	f.done()
	if fmt.Sprint(got) != "[0.1 0.5 0.999 1]" {
		t.Errorf("fractions %v, want [0.1 0.5 0.999 1]", got)
	}
	// No callback, or an unknown total: nothing happens, nothing panics.
	(&fracReporter{}).outTime(3)
	(&fracReporter{}).done()
	(&fracReporter{fn: func(float64) { t.Error("called without a total") }}).outTime(3)
}

func TestProgressWriterLongLine(t *testing.T) {
	t.Parallel()
	var got []float64
	w := &progressWriter{fn: func(s float64) { got = append(got, s) }}
	w.Write([]byte(strings.Repeat("x", 3*maxProgressLine)))
	w.Write([]byte("\nout_time_us=1000000\n"))
	if fmt.Sprint(got) != "[1]" {
		t.Errorf("got %v, want [1]", got)
	}
}
