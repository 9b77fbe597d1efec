package local

import (
	"math"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
)

// sourceTime inverts outputTime: programme seconds back to the source
// seconds they play, joins and the programme's end included.
func TestSourceTime(t *testing.T) {
	keep := []engine.Range{{Start: 0, End: 2}, {Start: 6, End: 20}} // 2-6 s cut: 16 s of programme
	for _, tc := range []struct {
		t     float64
		atEnd bool
		want  float64
	}{
		{0, false, 0}, {1, false, 1}, {8, false, 12}, {12, true, 16},
		{2, false, 6}, {2, true, 2}, // the join: a start goes after the cut, an end before it
		{16, true, 20}, {99, true, 20}, {math.Inf(1), true, 20},
	} {
		if got := sourceTime(keep, tc.t, tc.atEnd); got != tc.want {
			t.Errorf("sourceTime(%g, atEnd %v) = %g, want %g", tc.t, tc.atEnd, got, tc.want)
		}
		if tc.t <= 16 {
			if back := outputTime(keep, tc.want); back != tc.t {
				t.Errorf("outputTime(sourceTime(%g)) = %g", tc.t, back)
			}
		}
	}
	if got := sourceTime(nil, 7, false); got != 7 {
		t.Errorf("no cuts: sourceTime(7) = %g", got)
	}
}
