package testmedia

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func gauss(seed uint64, n int, scale float64) []float32 {
	r := rand.New(rand.NewPCG(seed, 99))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(scale * r.NormFloat64())
	}
	return x
}

// delay returns x delayed by d samples (d may be negative), same length.
func delay(x []float32, d int) []float32 {
	out := make([]float32, len(x))
	for i := range out {
		if j := i - d; j >= 0 && j < len(x) {
			out[i] = x[j]
		}
	}
	return out
}

func add(a, b []float32, gb float64) []float32 {
	out := make([]float32, len(a))
	for i := range out {
		out[i] = a[i] + float32(gb*float64(b[i]))
	}
	return out
}

func TestSISDRIdentical(t *testing.T) {
	x := Noise(Pink, 5*Rate, 1)
	db, lag := SISDR(x, x, 2400)
	if db < 150 || lag != 0 {
		t.Errorf("identical: SISDR = %.1f dB lag %d, want >= 150 dB lag 0", db, lag)
	}
	// Scale invariance.
	y := make([]float32, len(x))
	for i := range x {
		y[i] = 0.25 * x[i]
	}
	if db, _ := SISDR(x, y, 0); db < 130 {
		t.Errorf("scaled copy: SISDR = %.1f dB, want >= 130", db)
	}
}

func TestSISDRKnownSNR(t *testing.T) {
	ref := Noise(Pink, 5*Rate, 2)
	noise := Noise(White, 5*Rate, 3)
	for _, snr := range []float64{0, 5, 10, 20} {
		est := add(ref, noise, math.Pow(10, -snr/20))
		for i := range est {
			est[i] *= 0.5 // scale must not matter
		}
		db, lag := SISDR(ref, est, 2400)
		if math.Abs(db-snr) > 0.5 || lag != 0 {
			t.Errorf("snr %v: SISDR = %.2f dB lag %d, want %v ± 0.5 lag 0", snr, db, lag, snr)
		}
	}
}

func TestSISDRLagRecovery(t *testing.T) {
	ref := Noise(Pink, 4*Rate, 4)
	noise := Noise(White, 4*Rate, 5)
	for _, d := range []int{0, 1, 37, -113, 1200, -2399, 2400} {
		est := add(delay(ref, d), noise, 0.3)
		db, lag := SISDR(ref, est, 2400)
		if lag != d {
			t.Errorf("delay %d: lag %d", d, lag)
		}
		if db < 8 {
			t.Errorf("delay %d: SISDR %.2f dB, want about 10", d, db)
		}
	}
	// The small-lag (direct) path.
	est := delay(ref, -3)
	if _, lag := SISDR(ref, est, 5); lag != -3 {
		t.Errorf("direct path: lag %d, want -3", lag)
	}
	// Different lengths.
	if _, lag := SISDR(ref, delay(ref, 50)[:len(ref)-1000], 100); lag != 50 {
		t.Errorf("shorter est: lag %d, want 50", lag)
	}
}

func TestSISDRDegenerate(t *testing.T) {
	if db, _ := SISDR(nil, []float32{1}, 10); db != -200 {
		t.Errorf("empty ref: %v", db)
	}
	if db, _ := SISDR(make([]float32, 100), gauss(1, 100, 1), 10); db != -200 {
		t.Errorf("silent ref: %v", db)
	}
	if db, _ := SISDR(gauss(1, 100, 1), make([]float32, 100), 10); db != -200 {
		t.Errorf("silent est: %v", db)
	}
}

func TestRMSdB(t *testing.T) {
	sine := make([]float32, Rate)
	for i := range sine {
		sine[i] = float32(math.Sin(2 * math.Pi * 1000 * float64(i) / Rate))
	}
	if got := RMSdB(sine); math.Abs(got-(-3.0103)) > 0.001 {
		t.Errorf("full-scale sine: %.4f dBFS, want -3.0103", got)
	}
	if got := RMSdB(nil); got != -200 {
		t.Errorf("empty: %v", got)
	}
	if got := RMSdB(make([]float32, 10)); got != -200 {
		t.Errorf("silence: %v", got)
	}
}

func TestEnergyDB(t *testing.T) {
	x := make([]float32, 4*Rate)
	for i := Rate; i < 2*Rate; i++ {
		x[i] = 0.5
	}
	for i := 3 * Rate; i < 4*Rate; i++ {
		x[i] = 0.5
	}
	want := 20 * math.Log10(0.5)
	segs := []Segment{{3, 4}, {1, 2}, {1.5, 1.8}} // unsorted, overlapping
	if got := EnergyDB(x, Rate, segs); math.Abs(got-want) > 1e-9 {
		t.Errorf("EnergyDB = %v, want %v", got, want)
	}
	if got := EnergyDB(x, Rate, Complement(segs, 4)); got != -200 {
		t.Errorf("pauses EnergyDB = %v, want -200", got)
	}
	// Half in, half out of the loud part: power halves.
	if got := EnergyDB(x, Rate, []Segment{{0.5, 1.5}}); math.Abs(got-(want-3.0103)) > 1e-3 {
		t.Errorf("half-loud EnergyDB = %v, want %v", got, want-3.0103)
	}
	// Segments past the end are clipped.
	if got := EnergyDB(x, Rate, []Segment{{3.5, 10}}); math.Abs(got-want) > 1e-9 {
		t.Errorf("clipped EnergyDB = %v, want %v", got, want)
	}
}

func TestMergeComplement(t *testing.T) {
	segs := []Segment{{5, 6}, {1, 2}, {1.5, 3}, {3, 4}, {7, 7}, {9, 8}}
	if diff := cmp.Diff([]Segment{{1, 4}, {5, 6}}, Merge(segs)); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Segment{{0, 1}, {4, 5}, {6, 10}}, Complement(segs, 10)); diff != "" {
		t.Errorf("Complement (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Segment{{0, 1}, {4, 5}}, Complement(segs, 5.5)); diff != "" {
		t.Errorf("Complement to 5.5 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Segment{{0, 3}}, Complement(nil, 3)); diff != "" {
		t.Errorf("Complement(nil) (-want +got):\n%s", diff)
	}
	if got := Complement([]Segment{{0, 3}}, 3); len(got) != 0 {
		t.Errorf("Complement of full = %v, want empty", got)
	}
}

func TestSpeechKept(t *testing.T) {
	speech := []Segment{{1, 2}, {3, 5}}
	cases := []struct {
		name string
		keep []Segment
		want float64
	}{
		{"all", []Segment{{0, 10}}, 1},
		{"none", nil, 0},
		{"pauses only", []Segment{{0, 1}, {2, 3}, {5, 9}}, 0},
		{"half of second", []Segment{{4, 6}}, 1.0 / 3},
		{"overlapping keeps", []Segment{{1, 1.5}, {1.25, 2}, {3, 3.5}}, 1.5 / 3},
		{"clipped ending", []Segment{{0.9, 1.9}, {2.9, 4.9}}, 2.8 / 3},
	}
	for _, c := range cases {
		if got := SpeechKept(speech, c.keep); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: SpeechKept = %v, want %v", c.name, got, c.want)
		}
	}
	if got := SpeechKept(nil, nil); got != 1 {
		t.Errorf("no speech: %v, want 1", got)
	}
}

// bursty returns a non-stationary test signal at rate: pink noise gated by
// random on/off envelopes, like speech with pauses.
func bursty(n, rate int, seed int64) []float32 {
	x := Noise(Pink, n, seed)
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	on := true
	for i := 0; i < n; {
		l := int((0.1 + 0.6*r.Float64()) * float64(rate))
		for j := i; j < min(i+l, n); j++ {
			if !on {
				x[j] *= 0.01
			}
		}
		on = !on
		i += l
	}
	return x
}

// decimate6 lowpasses (moving average of 6) and keeps every sixth sample:
// 48 kHz to 8 kHz.
func decimate6(x []float32) []float32 {
	out := make([]float32, len(x)/6)
	for i := range out {
		var s float32
		for _, v := range x[6*i : 6*i+6] {
			s += v
		}
		out[i] = s / 6
	}
	return out
}

func TestAlignRecoversOffset(t *testing.T) {
	const rate = 8000
	src := bursty(30*Rate, Rate, 11) // 30 s at 48 kHz
	for _, c := range []struct {
		name   string
		shift  int // at 48 kHz
		offset float64
	}{
		{"1.234 s", 59232, 1.234},
		{"-1.234 s", -59232, -1.234},
		{"fractional", 59235, 59235.0 / Rate},
	} {
		// a and b both get independent noise (10 dB below the signal).
		a := decimate6(add(src, Noise(White, len(src), 1), 0.3))
		b := decimate6(add(delay(src, c.shift), Noise(Pink, len(src), 2), 0.3))
		off, conf := Align(a, b, rate, 3)
		if math.Abs(off-c.offset) > 0.001 {
			t.Errorf("%s: offset %.6f s, want %.6f ± 1 ms", c.name, off, c.offset)
		}
		if conf < 1.5 {
			t.Errorf("%s: confidence %.2f, want >= 1.5", c.name, conf)
		}
		t.Logf("%s: offset %.6f (err %.3f ms), confidence %.2f", c.name, off, (off-c.offset)*1000, conf)
	}
	// Unrelated signals: low confidence.
	a := decimate6(bursty(20*Rate, Rate, 21))
	b := decimate6(bursty(20*Rate, Rate, 22))
	if _, conf := Align(a, b, rate, 3); conf >= 1.5 {
		t.Errorf("unrelated signals: confidence %.2f, want < 1.5", conf)
	}
}

func TestParseEBUR128(t *testing.T) {
	stderr := `[Parsed_ebur128_0 @ 0x1] t: 4.9 TARGET:-23 LUFS M: -38.1 S: -38.1 I: -38.1 LUFS LRA: 0.0 LU TPK: -35.1 dBFS
[Parsed_ebur128_0 @ 0x55] Summary:

  Integrated loudness:
    I:         -23.4 LUFS
    Threshold: -33.4 LUFS

  Loudness range:
    LRA:         5.2 LU
    Threshold: -43.4 LUFS
    LRA low:   -27.0 LUFS
    LRA high:  -21.8 LUFS

  True peak:
    Peak:       -1.7 dBFS
`
	lufs, tp, err := parseEBUR128(stderr)
	if err != nil || lufs != -23.4 || tp != -1.7 {
		t.Errorf("parse = %v, %v, %v; want -23.4, -1.7, nil", lufs, tp, err)
	}
	silent := strings.NewReplacer("-23.4 LUFS\n", "-inf LUFS\n", "-1.7 dBFS", "-inf dBFS").Replace(stderr)
	lufs, tp, err = parseEBUR128(silent)
	if err != nil || !math.IsInf(lufs, -1) || !math.IsInf(tp, -1) {
		t.Errorf("silent parse = %v, %v, %v; want -inf, -inf, nil", lufs, tp, err)
	}
	if _, _, err := parseEBUR128("no summary here"); err == nil {
		t.Error("missing summary: no error")
	}
}

func TestAlignSpeech(t *testing.T) {
	RequireEspeak(t)
	const rate = 8000
	clean, _, err := Speech(context.Background(), SpeechOptions{TargetSeconds: 30})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind  NoiseKind
		shift int
	}{{Pink, 59232}, {Hum, -59232}, {White, 12345}} {
		a := decimate6(clean)
		b := decimate6(Mix(delay(clean, c.shift), Noise(c.kind, len(clean), 3), 5))
		want := float64(c.shift) / Rate
		off, conf := Align(a, b, rate, 2)
		t.Logf("%s %+.6f s: offset %+.6f (err %.3f ms), confidence %.2f", c.kind, want, off, (off-want)*1000, conf)
		if math.Abs(off-want) > 0.001 {
			t.Errorf("%s: offset %.6f s, want %.6f ± 1 ms", c.kind, off, want)
		}
		if conf < 1.5 {
			t.Errorf("%s: confidence %.2f, want >= 1.5", c.kind, conf)
		}
	}
}
