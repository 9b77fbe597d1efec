package local

import (
	"context"
	"fmt"
	"math"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
)

var _ backend.Previewer = (*Backend)(nil)

// Waveform draws the session's tracks in source time: each track's peaks,
// the ranges cut, the pauses silence trimming removes (found by running
// the track's audio chain, as export does), the music bed and the titles.
func (b *Backend) Waveform(ctx context.Context, sessionID string, width int) (*backend.Waveform, error) {
	sess, err := b.session(ctx, sessionID, false)
	if err != nil {
		return nil, err
	}
	tl, _, err := b.build(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	w := &backend.Waveform{SessionID: sess.ID}
	var tracks []*track
	var main *track // the programme's track: titles are placed on its time
	for _, tr := range tl.tracks {
		if tr.item.Info.HasAudio {
			tracks = append(tracks, tr)
			if tr.role != "music" {
				w.DurationS = max(w.DurationS, tr.item.Info.Duration)
				if main == nil && tr.syncedTo == nil {
					main = tr
				}
			}
		}
	}
	if len(tracks) == 0 {
		return nil, backend.Userf("session %s has no audio to draw: upload an audio or video file first", sess.ID)
	}
	if w.DurationS == 0 { // only a music bed: draw it whole
		w.DurationS = tracks[0].item.Info.Duration
	}
	var mainKeep []engine.Range // what of main's source the programme plays; nil = all
	if main != nil {
		mainKeep = main.keep
	}
	for i, tr := range tracks {
		lo, hi, err := b.eng.Peaks(ctx, tr.item.Path, width, w.DurationS)
		if err != nil {
			return nil, err
		}
		role := "voice"
		if tr.role == "music" {
			role = "music"
		}
		w.Tracks = append(w.Tracks, backend.WaveTrack{Name: tr.item.Name, Role: role, Lo: lo, Hi: hi})
		total := tr.item.Info.Duration
		var cuts []engine.Range
		if tr.role != "music" { // the bed plays whole under the programme
			cuts = complement(tr.keep, total)
		}
		for _, c := range cuts {
			w.Regions = append(w.Regions, backend.Region{Kind: backend.RegionCut, StartS: c.Start, EndS: c.End, TrackIndex: i})
		}
		if tr.silence != nil && tr.role != "music" {
			chain := tr.chain(nil)
			chain.Loudness, chain.GainDB, chain.FadeIn, chain.FadeOut = nil, 0, 0, 0
			if len(cuts) > 0 {
				chain.Keep = tr.keep
			}
			pr, err := b.eng.Process(ctx, tr.item.Info, engine.ProcessOptions{Chain: chain, Mono: true})
			if err != nil {
				return nil, err
			}
			_ = pr.Remove()
			if tr == main {
				mainKeep = pr.Keep
			}
			for _, p := range subtract(complement(pr.Keep, total), cuts) {
				w.Regions = append(w.Regions, backend.Region{Kind: backend.RegionPause, StartS: p.Start, EndS: p.End, TrackIndex: i})
			}
		}
		if tr.role == "music" {
			// The bed plays under the whole programme (looped or cut to it).
			w.Regions = append(w.Regions, backend.Region{Kind: backend.RegionMusic, StartS: 0, EndS: w.DurationS, Label: "music bed: " + tr.item.Name, TrackIndex: i})
		}
	}
	// Titles are timed in programme seconds; the picture is in source
	// seconds, so they are placed over the material they will show on.
	for _, ti := range tl.mt.titles {
		end := ti.end
		if end <= 0 { // to the end of the programme
			end = math.Inf(1)
		}
		start, end := sourceTime(mainKeep, ti.start, false), sourceTime(mainKeep, end, true)
		w.Regions = append(w.Regions, backend.Region{Kind: backend.RegionTitle, StartS: start, EndS: min(end, w.DurationS), Label: ti.spec.Text, TrackIndex: -1})
	}
	return w, nil
}

// sourceTime maps a programme time to the source time it plays, through
// the kept ranges (in output order; nil keeps everything), the inverse of
// outputTime. A time on the join of two kept ranges maps to the start of
// the later one, or with atEnd to the end of the earlier one; a time past
// the programme maps to the end of the last kept range.
func sourceTime(keep []engine.Range, t float64, atEnd bool) float64 {
	if len(keep) == 0 {
		return t
	}
	at := 0.0
	for _, r := range keep {
		n := r.End - r.Start
		if t < at+n || (atEnd && t <= at+n) {
			return r.Start + max(t-at, 0)
		}
		at += n
	}
	return keep[len(keep)-1].End
}

// complement is what keep leaves out of [0, total); keep is sorted. An
// empty keep keeps everything.
func complement(keep []engine.Range, total float64) []engine.Range {
	if len(keep) == 0 {
		return nil
	}
	var out []engine.Range
	at := 0.0
	for _, r := range keep {
		if r.Start > at+1e-3 {
			out = append(out, engine.Range{Start: at, End: r.Start})
		}
		at = max(at, r.End)
	}
	if total > at+1e-3 {
		out = append(out, engine.Range{Start: at, End: total})
	}
	return out
}

// subtract removes the parts of rs that lie in cuts.
func subtract(rs, cuts []engine.Range) []engine.Range {
	for _, c := range cuts {
		var next []engine.Range
		for _, r := range rs {
			if r.End <= c.Start || r.Start >= c.End {
				next = append(next, r)
				continue
			}
			if r.Start < c.Start {
				next = append(next, engine.Range{Start: r.Start, End: c.Start})
			}
			if r.End > c.End {
				next = append(next, engine.Range{Start: c.End, End: r.End})
			}
		}
		rs = next
	}
	return rs
}

// outputTime maps a source time to the rendered output's time through the
// kept ranges (in output order).
func outputTime(keep []engine.Range, t float64) float64 {
	out := 0.0
	for _, r := range keep {
		switch {
		case t >= r.End:
			out += r.End - r.Start
		case t > r.Start:
			out += t - r.Start
		}
	}
	return out
}

// Maximum and default preview lengths.
const (
	defaultPreviewS = 15.0
	maxPreviewS     = 30.0
)

// Preview encodes a stretch of a track as export would render it and,
// with req.Before, the same stretch of the source.
func (b *Backend) Preview(ctx context.Context, req backend.PreviewRequest) (*backend.PreviewResult, error) {
	sess, err := b.session(ctx, req.SessionID, false)
	if err != nil {
		return nil, err
	}
	tl, _, err := b.build(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	var tr *track
	if req.File != "" {
		it := tl.find(req.File)
		if it == nil {
			return nil, backend.Userf("no file named %q in this session; its files are: %s", req.File, names(tl))
		}
		tr = tl.byID[it.ID]
	} else {
		for _, t := range tl.tracks {
			if t.item.Info.HasAudio && t.role != "music" && t.syncedTo == nil {
				tr = t
				break
			}
		}
	}
	if tr == nil || !tr.item.Info.HasAudio {
		return nil, backend.Userf("nothing to preview: the session has no audio track; upload an audio or video file first")
	}
	format := req.Format
	switch format {
	case "":
		format = "mp3"
	case "mp3", "ogg":
	default:
		return nil, backend.Userf("preview format %q is not offered: use mp3 or ogg", req.Format)
	}
	dur := req.DurationS
	switch {
	case dur == 0:
		dur = defaultPreviewS
	case dur < 1 || dur > maxPreviewS || math.IsNaN(dur):
		return nil, backend.Userf("duration_s %g is out of range: ask for 1 to %g seconds", dur, maxPreviewS)
	}
	total := tr.item.Info.Duration
	dur = min(dur, total)
	at := req.AtS
	if at < 0 || math.IsNaN(at) {
		at = total / 2
	}
	if at > total {
		return nil, backend.Userf("at_s %.1f is past the end of %s (%.1f s)", at, tr.item.Name, total)
	}
	start := min(max(at-dur/2, 0), total-dur)
	res := &backend.PreviewResult{SessionID: sess.ID, File: tr.item.Name, MIMEType: map[string]string{"mp3": "audio/mpeg", "ogg": "audio/ogg"}[format],
		StartS: start, EndS: start + dur}

	chain := tr.chain(nil)
	if tr.syncAudio != nil {
		res.Notes = append(res.Notes, "the preview plays the track's own sound, not the synced recorder audio")
	}
	if len(complement(tr.keep, total)) > 0 {
		chain.Keep = tr.keep
	}
	res.Edited = chain.Denoise != nil || chain.Silence != nil || chain.Loudness != nil || chain.GainDB != 0 ||
		chain.FadeIn > 0 || chain.FadeOut > 0 || len(chain.Keep) > 0
	if req.Before || !res.Edited {
		src, err := b.eng.Excerpt(ctx, tr.item.Path, start, dur, format)
		if err != nil {
			return nil, err
		}
		if req.Before {
			res.Before = src
		}
		if !res.Edited {
			res.After, res.AfterS = src, dur
			res.Notes = append(res.Notes, "no edit changes this track's sound yet: the excerpt is the source")
			return res, nil
		}
	}
	pr, err := b.eng.Process(ctx, tr.item.Info, engine.ProcessOptions{Chain: chain, Mono: true})
	if err != nil {
		return nil, err
	}
	defer func() { _ = pr.Remove() }()
	keep := pr.Keep
	if len(keep) == 0 {
		keep = []engine.Range{{Start: 0, End: total}}
	}
	os0, os1 := outputTime(keep, start), outputTime(keep, start+dur)
	if os1-os0 < 0.05 {
		return nil, backend.Userf("the edits remove all of %.1f-%.1f s: ask for another time (at_s)", start, start+dur)
	}
	after, err := b.eng.Excerpt(ctx, pr.Path, os0, os1-os0, format)
	if err != nil {
		return nil, err
	}
	res.After, res.AfterS = after, os1-os0
	if res.AfterS < dur-0.05 {
		res.Notes = append(res.Notes, fmt.Sprintf("cuts and trimmed pauses shorten this stretch from %.1f s to %.1f s", dur, res.AfterS))
	}
	return res, nil
}
