package engine

import (
	"context"
	"encoding/binary"
	"io"
	"math"
)

// The cutter streams a float32 WAV through a list of source ranges. Each
// join is an equal-power crossfade centred on the join point that uses
// material from beyond both cut points (the end of the outgoing range runs
// on for half the fade, the incoming one starts half a fade early), so the
// output is exactly the sum of the ranges long, sample for sample: a video
// cut with the same ranges stays in sync however many cuts there are.
// Parts of a range outside the file are silence.

// defaultCrossfade is the length of a join (seconds).
const defaultCrossfade = 0.015

// cutBlock is the number of frames copied per read.
const cutBlock = 1 << 15

// sampleSpan is a range in frames at the file's rate.
type sampleSpan struct{ start, end int64 }

// toSpans converts ranges (seconds) to frame spans at rate. Boundaries are
// rounded independently, so lengths telescope without drift.
func toSpans(rs []Range, rate int) []sampleSpan {
	out := make([]sampleSpan, 0, len(rs))
	for _, r := range rs {
		s := int64(math.Round(r.Start * float64(rate)))
		e := int64(math.Round(r.End * float64(rate)))
		if e > s {
			out = append(out, sampleSpan{s, e})
		}
	}
	return out
}

// spansFrames is the total length of spans in frames.
func spansFrames(sp []sampleSpan) int64 {
	var n int64
	for _, s := range sp {
		n += s.end - s.start
	}
	return n
}

// cutter renders spans of a WAV file.
type cutter struct {
	w     *wavFile
	spans []sampleSpan
	half  int64 // half crossfade, frames
	out   io.Writer
	// done, if set, is called with the frames written so far.
	done func(int64)

	written int64
	buf     []float32
	a, b    []float32
	bytes   []byte
}

func newCutter(w *wavFile, spans []sampleSpan, crossfade float64, out io.Writer) *cutter {
	return &cutter{w: w, spans: spans, out: out,
		half: int64(math.Round(crossfade / 2 * float64(w.rate)))}
}

// joinHalf is the half-length of the crossfade before span i (i >= 1).
func (c *cutter) joinHalf(i int) int64 {
	if i <= 0 || i >= len(c.spans) {
		return 0
	}
	la := c.spans[i-1].end - c.spans[i-1].start
	lb := c.spans[i].end - c.spans[i].start
	return min(c.half, la/2, lb/2)
}

// run writes every span to out.
func (c *cutter) run(ctx context.Context) error {
	for i, s := range c.spans {
		if err := ctx.Err(); err != nil {
			return err
		}
		h0 := c.joinHalf(i)
		h1 := c.joinHalf(i + 1)
		if h0 > 0 {
			if err := c.join(c.spans[i-1].end, s.start, h0); err != nil {
				return err
			}
		}
		if err := c.plain(ctx, s.start+h0, s.end-h1); err != nil {
			return err
		}
	}
	return nil
}

// plain copies frames [from, to) unchanged.
func (c *cutter) plain(ctx context.Context, from, to int64) error {
	ch := c.w.channels
	for from < to {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(to-from, cutBlock)
		c.buf = grow(c.buf, int(n)*ch)
		if err := c.w.ReadFrames(c.buf, from); err != nil {
			return err
		}
		if err := c.emit(c.buf); err != nil {
			return err
		}
		from += n
	}
	return nil
}

// join writes 2h frames crossfading the outgoing material around endA with
// the incoming material around startB.
func (c *cutter) join(endA, startB, h int64) error {
	ch := c.w.channels
	n := int(2 * h)
	c.a = grow(c.a, n*ch)
	c.b = grow(c.b, n*ch)
	if err := c.w.ReadFrames(c.a, endA-h); err != nil {
		return err
	}
	if err := c.w.ReadFrames(c.b, startB-h); err != nil {
		return err
	}
	for k := range n {
		th := math.Pi / 2 * (float64(k) + 0.5) / float64(n)
		ga, gb := float32(math.Cos(th)), float32(math.Sin(th))
		for j := range ch {
			i := k*ch + j
			c.a[i] = c.a[i]*ga + c.b[i]*gb
		}
	}
	return c.emit(c.a)
}

// emit encodes samples as float32 little-endian and writes them.
func (c *cutter) emit(x []float32) error {
	if cap(c.bytes) < 4*len(x) {
		c.bytes = make([]byte, 4*len(x))
	}
	b := c.bytes[:4*len(x)]
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	if _, err := c.out.Write(b); err != nil {
		return err
	}
	c.written += int64(len(x) / c.w.channels)
	if c.done != nil {
		c.done(c.written)
	}
	return nil
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}
