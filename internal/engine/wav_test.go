package engine

import (
	"path/filepath"
	"testing"
)

func TestWAVRoundTrip(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "x.wav")
	w, err := createWAV(p, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*1000)
	for i := range x {
		x[i] = float32(i) / 2000
	}
	if err := w.WriteFrames(x); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := openWAV(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.frames != 1000 || f.rate != 8000 || f.channels != 2 {
		t.Fatalf("read back %d frames %d Hz %d ch", f.frames, f.rate, f.channels)
	}
	dst := make([]float32, 2*10)
	if err := f.ReadFrames(dst, 995); err != nil {
		t.Fatal(err)
	}
	for i := range dst {
		want := float32(0)
		if i < 10 {
			want = x[2*995+i]
		}
		if dst[i] != want {
			t.Fatalf("sample %d = %v, want %v", i, dst[i], want)
		}
	}
	if err := f.ReadFrames(dst, -5); err != nil || dst[0] != 0 || dst[10] != x[0] {
		t.Errorf("before start: %v %v", dst[:12], err)
	}
	// The RF64 header form for data past 4 GiB.
	h := wavHeader(48000, 1, 5<<30)
	if string(h[0:4]) != "RF64" || string(h[12:16]) != "ds64" || len(h) != wavHeaderSize {
		t.Errorf("big header %q", h[:16])
	}
	if h := wavHeader(48000, 1, 100); string(h[0:4]) != "RIFF" || string(h[12:16]) != "JUNK" {
		t.Errorf("small header %q", h[:16])
	}
}
