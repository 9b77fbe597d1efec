package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"
)

// TestCutter checks exact lengths and the crossfade: joining two constant
// signals gives a smooth equal-power transition around the join point.
func TestCutter(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "x.wav")
	w, _ := createWAV(p, 1000, 1)
	x := make([]float32, 3000)
	for i := range x {
		x[i] = float32(i / 1000) // 0 in [0,1) s, 1 in [1,2), 2 in [2,3)
	}
	w.WriteFrames(x)
	w.Close()
	f, err := openWAV(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	spans := toSpans([]Range{{0.5, 0.9}, {2.1, 2.5}, {1.2, 1.3}, {2.9, 3.2}}, 1000)
	var out bytes.Buffer
	c := newCutter(f, spans, 0.02, &out)
	if err := c.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	y := make([]float32, out.Len()/4)
	binary.Read(&out, binary.LittleEndian, y)
	if len(y) != 400+400+100+300 {
		t.Fatalf("%d frames, want 1200", len(y))
	}
	// Around the first join (output 400): from 0 to 2 over 20 frames.
	if y[389] != 0 || y[411] != 2 {
		t.Errorf("join edges %v %v", y[389], y[411])
	}
	if v := y[400]; v < 1 || v > 2 {
		t.Errorf("mid-join %v", v)
	}
	// Past the file's end: silence, crossfaded in.
	if y[len(y)-1] != 0 || y[915] != 2 {
		t.Errorf("tail %v, start of last %v", y[len(y)-1], y[915])
	}
}
