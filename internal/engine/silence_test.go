package engine

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGridSnap(t *testing.T) {
	t.Parallel()
	g := grid{rate: 30, offset: 0.01}
	tests := []struct {
		t    float64
		mode int
		want float64
	}{
		{0.01, 0, 0.01},
		{0.02, -1, 0.01},
		{0.02, +1, 0.01 + 1.0/30},
		{0.01 + 1.0/30, +1, 0.01 + 1.0/30}, // exact grid point stays
		{1.0, 0, 0.01 + 30.0/30},
	}
	for _, tc := range tests {
		if got := g.snap(tc.t, tc.mode); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("snap(%v, %d) = %v, want %v", tc.t, tc.mode, got, tc.want)
		}
	}
	if got := (grid{}).snap(1.2345, 0); got != 1.2345 {
		t.Errorf("no grid: %v", got)
	}
}

func TestRemovalsAndPlanKeep(t *testing.T) {
	t.Parallel()
	o := SilenceOptions{}.withDefaults()
	pauses := []Range{{0, 2}, {3, 3.3}, {4, 5}, {6, 8.5}, {9.5, 10}}
	cuts := removals(pauses, 10, o, 0)
	want := []Range{{0, 1.8}, {4.24, 4.84}, {6.24, 8.34}, {9.74, 10}}
	if d := cmp.Diff(want, cuts, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); d != "" {
		t.Errorf("removals (-want +got):\n%s", d)
	}
	short := removals(pauses, 10, SilenceOptions{MinPause: 1, ShortenTo: 1, Margin: 0.05}.withDefaults(), 0)
	if d := cmp.Diff([]Range{{0, 1.54}, {6.54, 8.04}}, short, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); d != "" {
		t.Errorf("shorten (-want +got):\n%s", d)
	}

	if got := removals([]Range{{4, 5}}, 10, o, 0.1); len(got) != 1 || math.Abs(got[0].Start-4.34) > 1e-9 {
		t.Errorf("extra tail: %v", got)
	}
	if tailForSNR(20) != 0 || tailForSNR(-10) != 0.2 || math.Abs(tailForSNR(8)-0.1) > 1e-9 {
		t.Errorf("tailForSNR: %v %v %v", tailForSNR(20), tailForSNR(-10), tailForSNR(8))
	}

	g := grid{rate: 10}
	keep, n, removed := planKeep(nil, 10, cuts, g)
	wantKeep := []Range{{1.8, 4.3}, {4.8, 6.3}, {8.3, 9.8}}
	approx := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })
	if d := cmp.Diff(wantKeep, keep, approx); d != "" || n != 4 || math.Abs(removed-4.5) > 1e-9 {
		t.Errorf("planKeep: n=%d removed=%v (-want +got):\n%s", n, removed, d)
	}
	// User ranges (one outside the source, one reordered) are cut too, and
	// cuts shrink inward to the grid.
	keep, n, _ = planKeep([]Range{{7, 12}, {-1, 1}}, 10, []Range{{7.55, 8.34}}, g)
	if d := cmp.Diff([]Range{{7, 7.6}, {8.3, 12}, {-1, 1}}, keep, approx); d != "" || n != 1 {
		t.Errorf("user ranges: n=%d (-want +got):\n%s", n, d)
	}
	// The whole file keeps its ends, even off the grid.
	keep, _, _ = planKeep(nil, 9.87, []Range{{2.5, 3.5}}, g)
	if d := cmp.Diff([]Range{{0, 2.5}, {3.5, 9.87}}, keep, approx); d != "" {
		t.Errorf("whole file (-want +got):\n%s", d)
	}
	// Adjacent user ranges merge.
	keep, _, _ = planKeep([]Range{{0, 1}, {1, 2}}, 10, nil, g)
	if d := cmp.Diff([]Range{{0, 2}}, keep, approx); d != "" {
		t.Errorf("merge (-want +got):\n%s", d)
	}
}

func TestDetectPauses(t *testing.T) {
	t.Parallel()
	// 10 ms frames: noise at -40 dB flickering +-4 dB, speech at -15 dB in
	// [1, 2) and [3.5, 4); a 30 ms blip at -37 in the second pause.
	lv := &levels{rate: 100, hop: 1}
	for i := range 500 {
		db := -40.0 + 4*math.Sin(float64(i)*1.7)
		tt := float64(i) / 100
		if (tt >= 1 && tt < 2) || (tt >= 3.5 && tt < 4) {
			db = -15
		}
		if i >= 250 && i < 253 {
			db = -31
		}
		lv.ms = append(lv.ms, float32(math.Pow(10, db/10)))
	}
	got := detectPauses(lv, SilenceOptions{}.withDefaults(), silentDB)
	// Smoothing makes the pauses a little shorter, never longer.
	want := []Range{{0, 0.96}, {2.04, 3.46}, {4.04, 5}}
	tol := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 0.015 })
	if d := cmp.Diff(want, got, tol); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// An absolute threshold over the blip bridges nothing new; one under
	// the noise finds no pause at all.
	if got := detectPauses(lv, SilenceOptions{ThresholdDB: -30}.withDefaults(), silentDB); len(got) != 3 {
		t.Errorf("threshold -30: %v", got)
	}
	if got := detectPauses(lv, SilenceOptions{ThresholdDB: -50}.withDefaults(), silentDB); len(got) != 0 {
		t.Errorf("threshold -50: %v", got)
	}
}
