package engine

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

func TestLevels(t *testing.T) {
	t.Parallel()
	m := newLevelMeter(1000, 2)
	// 1 s stereo: channel mix of 0.5 and 0.5 = 0.5 (-6 dB), then 1 s of 0.01.
	var buf bytes.Buffer
	for i := range 2000 {
		v := float32(0.5)
		if i >= 1000 {
			v = 0.01
		}
		binary.Write(&buf, binary.LittleEndian, [2]float32{v, v})
	}
	b := buf.Bytes()
	for len(b) > 0 { // odd-sized writes split frames
		n := min(len(b), 7)
		m.Write(b[:n])
		b = b[n:]
	}
	lv := m.levels()
	if len(lv.ms) != 200 {
		t.Fatalf("%d frames", len(lv.ms))
	}
	if f := lv.floorDB(); math.Abs(f-(-40)) > 0.01 {
		t.Errorf("floor %.2f, want -40", f)
	}
	if s, db, ok := lv.quietestSpan(50); !ok || s < 100 || math.Abs(db+40) > 0.01 {
		t.Errorf("quietest span at %d (%.1f dB)", s, db)
	}
	if d := lv.speechDB(); math.Abs(d-(-6.02)) > 0.01 {
		t.Errorf("speech level %.2f", d)
	}
}
