package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// TestLoudnessMeterMatchesEBUR128 checks the Go BS.1770 meter against
// ffmpeg's ebur128=peak=true on speech, noise, stereo, other rates and
// peaky material.
func TestLoudnessMeterMatchesEBUR128(t *testing.T) {
	e := chainEngine(t)
	clean, _ := chainSpeech(t)
	clean = clean[:15*testmedia.Rate]
	r := rand.New(rand.NewPCG(1, 2))
	peaky := append([]float32(nil), clean...)
	for i := range peaky {
		peaky[i] *= 0.1
	}
	for i := 1; i < 14; i++ {
		// Inter-sample peaks: 20 ms bursts of a 12 kHz sine sampled off
		// its crests (true peak 0.9, sample peak 0.9*cos(pi/4)).
		k := i * testmedia.Rate
		for j := range 960 {
			peaky[k+j] = float32(0.9 * math.Sin(math.Pi/2*float64(j)+math.Pi/4))
		}
	}
	stereo := make([]float32, 2*len(clean))
	for i, v := range clean {
		stereo[2*i] = v
		stereo[2*i+1] = 0.5*v + 0.01*float32(r.NormFloat64())
	}
	tests := []struct {
		name     string
		x        []float32
		rate, ch int
	}{
		{"speech", clean, 48000, 1},
		{"noise", testmedia.Noise(testmedia.Pink, 10*48000, 3), 48000, 1},
		{"peaky", peaky, 48000, 1},
		{"stereo", stereo, 48000, 2},
		{"speech 44.1k", clean, 44100, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.wav")
			if err := testmedia.WriteWAV(p, tc.x, tc.rate, tc.ch); err != nil {
				t.Fatal(err)
			}
			wantL, wantTP, err := e.MeasureLoudness(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			m := newLoudnessMeter(tc.rate, tc.ch, true)
			b := make([]byte, 4*len(tc.x))
			for i, v := range tc.x {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
			}
			for len(b) > 0 {
				n := min(len(b), 4093)
				m.Write(b[:n])
				b = b[n:]
			}
			l, tp := m.result()
			t.Logf("go %.2f LUFS %.2f dBTP, ebur128 %.1f LUFS %.1f dBTP", l, tp, wantL, wantTP)
			if math.Abs(l-wantL) > 0.1 {
				t.Errorf("loudness %.2f, ebur128 says %.1f", l, wantL)
			}
			if math.Abs(tp-wantTP) > 0.2 {
				t.Errorf("true peak %.2f, ebur128 says %.1f", tp, wantTP)
			}
		})
	}
}

func TestMeasureArgs(t *testing.T) {
	t.Parallel()
	m := measureArgs("in.mp3")
	wantM := []string{"-hide_banner", "-nostdin", "-y", "-nostats", "-v", "info",
		"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "file:in.mp3", "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"}
	if d := cmp.Diff(wantM, m); d != "" {
		t.Errorf("measure (-want +got):\n%s", d)
	}
	r := resampleArgs(48000, 44100, 2)
	wantR := []string{"-hide_banner", "-nostdin", "-y", "-v", "error", "-f", "f32le", "-ar", "48000", "-ac", "2",
		"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats, "-i", "pipe:0", "-af", "aresample=44100", "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"}
	if d := cmp.Diff(wantR, r); d != "" {
		t.Errorf("resample (-want +got):\n%s", d)
	}
}

// runFinisher pushes x (interleaved) through a finisher in odd-sized writes.
func runFinisher(t *testing.T, p finishPlan, x []float32) []float32 {
	t.Helper()
	var out bytes.Buffer
	f := newFinisher(p, &out)
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	for len(b) > 0 {
		n := min(len(b), 1001)
		if _, err := f.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	y := make([]float32, out.Len()/4)
	binary.Read(&out, binary.LittleEndian, y)
	return y
}

func TestFinisher(t *testing.T) {
	t.Parallel()
	const rate = 48000
	n := rate
	x := make([]float32, 2*n)
	for i := range n {
		v := float32(0.3 * math.Sin(2*math.Pi*440*float64(i)/rate))
		if i >= 20000 && i < 20010 {
			v = 0.95 // a burst far over the ceiling after +6 dB
		}
		x[2*i], x[2*i+1] = v, -v/2
	}
	// Gain alone: exact, aligned, same length.
	y := runFinisher(t, finishPlan{Rate: rate, Channels: 2, Frames: int64(n), GainDB: -6}, x)
	if len(y) != len(x) {
		t.Fatalf("%d samples, want %d", len(y), len(x))
	}
	g := float32(dbToLin(-6))
	for i := range x {
		if math.Abs(float64(y[i]-x[i]*g)) > 1e-6 {
			t.Fatalf("sample %d = %v, want %v", i, y[i], x[i]*g)
		}
	}
	// Limiter: no sample over the ceiling, the signal aligned, quiet parts
	// untouched, the length exact (shorter and longer than the input).
	lim := -2.0
	for _, frames := range []int64{int64(n), int64(n) - 100, int64(n) + 500} {
		y = runFinisher(t, finishPlan{Rate: rate, Channels: 2, Frames: frames, GainDB: 6, LimitDB: lim}, x)
		if int64(len(y)) != 2*frames {
			t.Fatalf("%d samples, want %d", len(y), 2*frames)
		}
		ceil := dbToLin(lim)
		for i, v := range y {
			if math.Abs(float64(v)) > ceil+1e-6 {
				t.Fatalf("sample %d = %v over the ceiling %v", i, v, ceil)
			}
		}
	}
	g = float32(dbToLin(6))
	for _, i := range []int{1000, 5001, 40000} { // far from the burst: 0.6 peak < ceiling
		if want := x[2*i] * g; math.Abs(float64(y[2*i]-want)) > 1e-3*math.Abs(float64(want))+1e-6 {
			t.Errorf("frame %d = %v, want %v (misaligned or limited)", i, y[2*i], want)
		}
	}
	if y[2*(n+100)] != 0 {
		t.Errorf("padding is not silent")
	}
	// Fades: start at 0, end at 0, full level in the middle.
	y = runFinisher(t, finishPlan{Rate: rate, Channels: 2, Frames: int64(n), FadeIn: 0.1, FadeOut: 0.2}, x)
	if y[0] != 0 || y[2*(n-1)] != 0 {
		t.Errorf("fade ends %v %v", y[0], y[2*(n-1)])
	}
	if i := 2400; math.Abs(float64(y[2*i]-x[2*i]*0.5)) > 1e-4 {
		t.Errorf("fade-in midpoint %v, want %v", y[2*i], x[2*i]*0.5)
	}
	if i := 30000; y[2*i] != x[2*i] {
		t.Errorf("middle %v, want %v", y[2*i], x[2*i])
	}
}

func TestParseEBUR128(t *testing.T) {
	t.Parallel()
	out := `[Parsed_ebur128_0 @ 0x1] t: 1.1 M: -20 S: -20 I: -19.0 LUFS LRA: 0 LU
[Parsed_ebur128_0 @ 0x55] Summary:

  Integrated loudness:
    I:         -23.4 LUFS
    Threshold: -33.6 LUFS

  Loudness range:
    LRA:         5.1 LU
    Threshold: -43.6 LUFS
    LRA low:   -27.0 LUFS
    LRA high:  -21.9 LUFS

  True peak:
    Peak:       -2.3 dBFS
`
	l, p, err := parseEBUR128(out)
	if err != nil || l != -23.4 || p != -2.3 {
		t.Errorf("got %v %v %v", l, p, err)
	}
	silent := strings.NewReplacer("-23.4", "-70.0", "-2.3", "-inf").Replace(out)
	l, p, err = parseEBUR128(silent)
	if err != nil || l != silentLUFS || p != silentPeak {
		t.Errorf("silent: got %v %v %v", l, p, err)
	}
	if _, _, err := parseEBUR128("nothing"); err == nil {
		t.Error("no summary: no error")
	}
	if _, _, err := parseEBUR128("Summary:\n I: -20 LUFS\n"); err == nil {
		t.Error("no peak: no error")
	}
}
