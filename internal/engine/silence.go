package engine

import (
	"math"
	"slices"
)

// Pause detection runs on the 10 ms levels of a denoised signal (on noisy
// audio an absolute threshold either finds nothing or eats quiet
// consonants), smoothed over 90 ms. A pause ends where the level rises over
// the exit level: 6 dB over the denoised floor, and at least the noise
// floor measured before denoising (a denoiser only attenuates, so its
// residual noise stays under it however it flickers, while speech rises
// over it). A pause starts only once the level has fallen well under that
// (10 dB hysteresis), because word endings fade slowly into the noise.
// Only pauses at least MinPause long are touched; each keeps Margin on both
// sides (a little more after word endings than before onsets, and more
// still at low SNR), so word endings and "s" sounds survive.

const (
	defaultMinPause = 0.4
	defaultMargin   = 0.2
	minMargin       = 0.1
	// quietUnderSpeechDB: a frame this far under the speech level is
	// silence when the edges of a pause to shorten are placed.
	quietUnderSpeechDB = 50.0
	// cleanSNRdB: speech this far over the floor is noise-free audio.
	cleanSNRdB = 40.0
	// minAskedMargin is the least margin kept when one is asked for
	// (a margin or a pause length): 20 ms, under which joins click.
	minAskedMargin = 0.02
	// tailBias moves this much of the kept pause from before an onset to
	// after a word ending (seconds).
	tailBias = 0.04
	// lowSNRdB is the speech-over-noise level under which word endings
	// get extra margin.
	lowSNRdB = 12.0
	// minCut is the smallest removal worth a join (seconds).
	minCut = 0.05
	// islandFrames and islandDB: a sound between two pauses that lasts at
	// most this many frames and stays under exit+islandDB is noise.
	islandFrames = 5
	islandDB     = 2.0
	// speechBridge: pause runs shorter than this inside speech are ignored.
	speechBridge = 0.08
)

// Pause thresholds, tuned on espeak speech with white, pink, hum, fan and
// babble noise at 0-20 dB SNR (recall of pause time vs speech clipped).
const (
	// pauseOverFloorDB: the exit level is at least this over the floor.
	pauseOverFloorDB = 6.0
	// pauseOverNoiseDB: ... and at least this over the noise floor
	// measured before denoising.
	pauseOverNoiseDB = 0.0
	// pauseHystDB: a pause starts this far under the exit level ...
	pauseHystDB = 10.0
	// pauseEnterOverFloorDB: ... but never under floor + this.
	pauseEnterOverFloorDB = 3.0
	// smoothFrames is the level smoothing window (frames of 10 ms).
	smoothFrames = 9
	// speechMinRun is how many frames over the exit level end a pause.
	speechMinRun = 3
)

// Range is a span of source time in seconds. Ranges may extend outside
// [0, duration]: the parts outside are rendered as silence.
type Range struct{ Start, End float64 }

// Len is the range's length in seconds (0 when empty).
func (r Range) Len() float64 { return max(r.End-r.Start, 0) }

// SilenceOptions configures pause trimming.
type SilenceOptions struct {
	// ThresholdDB is an absolute level (dBFS) under which audio is a pause;
	// 0 means relative to the measured noise floor (recommended).
	ThresholdDB float64
	// MinPause is the shortest pause that is touched (seconds); 0 means 0.4.
	MinPause float64
	// Margin is the audio kept each side of a pause (seconds); 0 means 0.2,
	// or half of ShortenTo when that is set; a margin asked for is kept
	// down to 0.02.
	Margin float64
	// ShortenTo is the length pauses are shortened to (seconds); 0 removes
	// them but for their margins. A pause is never made shorter than its
	// two margins. The kept time is split 0.04 s in favour of the side
	// after a word ending, and when speech stands less than 12 dB over the
	// noise up to 0.2 s more is kept there (word endings fade into noise).
	ShortenTo float64
	// Edges "start", "end" or "both" trims only the silence at the start
	// and/or the end of the kept audio; "" every pause.
	Edges string
	// Within limits trimming to pauses that start inside these source
	// ranges; nil = anywhere. FirstOnly trims only the first of them.
	Within    []Range
	FirstOnly bool
}

// selectPauses keeps the pauses o asks to trim; lo..hi is the kept audio
// (source seconds).
func selectPauses(pauses []Range, o SilenceOptions, lo, hi float64) []Range {
	const eps = 0.02
	var out []Range
	for _, p := range pauses {
		switch o.Edges {
		case "start", "both":
			if p.Start <= lo+eps && p.End > lo {
				out = append(out, p)
				continue
			}
			if o.Edges == "start" {
				continue
			}
			fallthrough
		case "end":
			if p.End >= hi-eps && p.Start < hi {
				out = append(out, p)
			}
			continue
		}
		if o.Within != nil {
			in := false
			for _, r := range o.Within {
				if p.Start >= r.Start && p.Start < r.End {
					in = true
				}
			}
			if !in {
				continue
			}
		}
		out = append(out, p)
		if o.FirstOnly {
			break
		}
	}
	return out
}

// keepBounds is the span of the kept audio in source time.
func keepBounds(keep []Range, total float64) (lo, hi float64) {
	if len(keep) == 0 {
		return 0, total
	}
	lo, hi = keep[0].Start, keep[0].End
	for _, r := range keep {
		lo, hi = min(lo, r.Start), max(hi, r.End)
	}
	return max(lo, 0), min(hi, total)
}

// withDefaults fills the zero fields.
func (o SilenceOptions) withDefaults() SilenceOptions {
	if o.MinPause <= 0 {
		o.MinPause = defaultMinPause
	}
	switch {
	case o.Margin > 0:
		o.Margin = max(o.Margin, minAskedMargin) // as asked
	case o.ShortenTo > 0:
		// "shorten pauses to 0.3 s": the pause left is 0.3 s, whatever
		// the default margin.
		o.Margin = max(o.ShortenTo/2, minAskedMargin)
	default:
		o.Margin = defaultMargin
	}
	o.ShortenTo = max(o.ShortenTo, 0)
	return o
}

// pauseThreshold returns the level (dBFS) under which a frame of lv is a
// pause, and the level a pause must rise above to end (hysteresis).
// noiseDB is the noise floor measured before denoising (silentDB when the
// signal was not denoised): a denoiser only attenuates, so its residual
// noise, however it flickers, stays under the noise it was given, while
// speech rises over it.
func pauseThreshold(lv *levels, o SilenceOptions, noiseDB float64) (enter, exit float64) {
	if o.ThresholdDB < 0 {
		return o.ThresholdDB, o.ThresholdDB + pauseHystDB
	}
	floor := lv.floorDB()
	speech := lv.speechDB()
	exit = max(floor+pauseOverFloorDB, noiseDB+pauseOverNoiseDB)
	if mid := (floor + speech) / 2; mid < exit {
		exit = mid // little dynamic range: stay halfway up
	}
	// A pause starts only once the level has fallen well under the exit
	// level (word endings decay slowly into the noise), but it must be
	// able to start at all in undenoised steady noise.
	enter = max(exit-pauseHystDB, floor+pauseEnterOverFloorDB)
	return min(enter, exit), exit
}

// detectPauses returns the pauses of lv (source seconds), in order. Levels
// are smoothed over 50 ms (denoised noise flickers frame to frame); a pause
// starts when the level falls under enter and lasts until it has stayed
// over exit for speechMinRun frames, so a flicker of residual noise does
// not split a pause, while any real sound ends it. Pause runs shorter than
// speechBridge are dropped.
func detectPauses(lv *levels, o SilenceOptions, noiseDB float64) []Range {
	enter, exit := pauseThreshold(lv, o, noiseDB)
	db := smoothDB(lv.ms, smoothFrames)
	var runs [][2]int // pause runs in frames
	in := false
	start, above := 0, 0
	for i, v := range db {
		switch {
		case !in && v < enter:
			in, start, above = true, i, 0
		case in && v > exit:
			above++
			if above >= speechMinRun {
				in = false
				runs = append(runs, [2]int{start, i - above + 1})
			}
		case in:
			above = 0
		}
	}
	if in {
		runs = append(runs, [2]int{start, len(db)})
	}
	// Bridge islands too short and too faint to be speech: residual noise
	// of a denoiser flickers a dB or two over the exit level for a few
	// frames, while speech onsets rise well over it.
	clean := lv.speechDB()-lv.floorDB() >= cleanSNRdB
	var out []Range
	for k, r := range runs {
		if k > 0 && len(out) > 0 {
			prev := runs[k-1]
			if gap := r[0] - prev[1]; gap <= islandFrames && slices.Max(db[prev[1]:r[0]+1]) < exit+islandDB {
				out[len(out)-1].End = lv.frameTime(r[1])
				continue
			}
		}
		if o.ShortenTo > 0 && clean {
			// A pause shortened to a length must measure that length:
			// on clean audio move its edges from the smoothed level to
			// the frames themselves (the smoothing and the hysteresis
			// each keep 30-50 ms of silence on the speech side). In
			// noise the frames flicker under the exit level inside word
			// endings, so the smoothed edges stay.
			quiet := max(exit, lv.speechDB()-quietUnderSpeechDB)
			for r[0] > 0 && powDB(float64(lv.ms[r[0]-1])) < quiet {
				r[0]--
			}
			for r[1] < len(lv.ms) && powDB(float64(lv.ms[r[1]])) < quiet {
				r[1]++
			}
		}
		out = append(out, Range{lv.frameTime(r[0]), lv.frameTime(r[1])})
	}
	return slices.DeleteFunc(out, func(r Range) bool { return r.Len() < speechBridge })
}

// smoothDB is the level (dB) of the power mean over w frames centred on
// each frame.
func smoothDB(ms []float32, w int) []float64 {
	n := len(ms)
	out := make([]float64, n)
	h := w / 2
	var s float64
	lo, hi := 0, 0 // window [lo, hi)
	for i := range n {
		for hi < min(i+h+1, n) {
			s += float64(ms[hi])
			hi++
		}
		for lo < i-h {
			s -= float64(ms[lo])
			lo++
		}
		out[i] = powDB(max(s, 0) / float64(hi-lo))
	}
	return out
}

// removals turns pauses into the spans to cut: each pause at least
// minPause long loses all but its margins (or is shortened to shortenTo).
// A pause touching the start or end of the audio (total seconds) keeps
// one margin only, next to the speech.
//
// extraTail (seconds) is added after word endings: at low SNR their fade
// into the noise cannot be seen, so more is kept (see tailForSNR).
func removals(pauses []Range, total float64, o SilenceOptions, extraTail float64) []Range {
	var out []Range
	left, right := splitKeep(o)
	left += extraTail
	for _, p := range pauses {
		if p.Len() < o.MinPause {
			continue
		}
		var r Range
		switch {
		case p.Start <= 0 && p.End >= total:
			continue // all pause: leave it to the user
		case p.Start <= 0:
			r = Range{0, p.End - max(o.Margin, right)}
		case p.End >= total:
			r = Range{p.Start + max(o.Margin, left), total}
		default:
			r = Range{p.Start + left, p.End - right}
		}
		if r.Len() >= minCut {
			out = append(out, r)
		}
	}
	return out
}

// splitKeep divides the pause time kept at a cut into the part after the
// speech that ends (left) and before the speech that starts (right). Word
// endings fade slowly into the noise while onsets are sharp, so the left
// side gets a little more (0.24 + 0.16 s by default), neither less than
// the minimum margin.
func splitKeep(o SilenceOptions) (left, right float64) {
	keep := max(o.ShortenTo, 2*o.Margin)
	d := max(0, min(tailBias, keep/2-minMargin))
	return keep/2 + d, keep/2 - d
}

// tailForSNR is the extra margin after word endings for audio whose speech
// level (dBFS, as detected) stands only snrDB over the noise: none from
// 12 dB up, 25 ms per dB under it, at most 0.2 s.
func tailForSNR(snrDB float64) float64 {
	return min(max((lowSNRdB-snrDB)*0.025, 0), 0.2)
}

// grid snaps times so that (t - offset) is a multiple of 1/rate.
type grid struct{ rate, offset float64 }

func (g grid) snap(t float64, mode int) float64 {
	if g.rate <= 0 {
		return t
	}
	x := (t - g.offset) * g.rate
	// Absorb float noise before floor/ceil so exact grid points stay put.
	if r := math.Round(x); math.Abs(x-r) < 1e-6 {
		x = r
	}
	switch {
	case mode < 0:
		x = math.Floor(x)
	case mode > 0:
		x = math.Ceil(x)
	default:
		x = math.Round(x)
	}
	return g.offset + x/g.rate
}

// planKeep computes the ranges to render: the user's keep ranges (the whole
// file when nil), snapped to the grid, minus the removals shrunk inward to
// the grid, with empty pieces dropped. It returns the ranges, how many
// removals took effect and the seconds they removed.
//
// With no user ranges the whole file is kept, its ends unsnapped: they are
// not cut points.
func planKeep(user []Range, total float64, cuts []Range, g grid) (keep []Range, n int, removed float64) {
	whole := user == nil
	if whole {
		user = []Range{{0, total}}
	}
	var snapped []Range
	for _, r := range cuts {
		s := Range{g.snap(r.Start, +1), g.snap(r.End, -1)}
		if s.Len() >= minCut/2 {
			snapped = append(snapped, s)
		}
	}
	used := make([]bool, len(snapped))
	for _, u := range user {
		if !whole {
			u = Range{g.snap(u.Start, 0), g.snap(u.End, 0)}
		}
		if u.Len() <= 0 {
			continue
		}
		cur := u
		for i, c := range snapped {
			if c.End <= cur.Start || c.Start >= cur.End {
				continue
			}
			used[i] = true
			if c.Start > cur.Start {
				keep = append(keep, Range{cur.Start, c.Start})
			}
			removed += min(c.End, cur.End) - max(c.Start, cur.Start)
			cur.Start = c.End
			if cur.Start >= cur.End {
				break
			}
		}
		if cur.Len() > 0 {
			keep = append(keep, cur)
		}
	}
	for _, u := range used {
		if u {
			n++
		}
	}
	return mergeAdjacent(keep), n, removed
}

// mergeAdjacent joins consecutive ranges where one ends exactly where the
// next starts (no join is needed there).
func mergeAdjacent(rs []Range) []Range {
	out := rs[:0:0]
	for _, r := range rs {
		if k := len(out); k > 0 && math.Abs(out[k-1].End-r.Start) < 1e-9 {
			out[k-1].End = r.End
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}
