package local

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/draft"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// opRecord is an operation as stored in the history: the parsed op plus
// what was measured when it was applied (a sync's offset).
type opRecord struct {
	intent.Op
	// Sync: the external audio's offset against the video's own sound
	// (audio time = video time + Offset), and the two media.
	Offset     float64 `json:"offset_s,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	DriftPPM   float64 `json:"drift_ppm,omitempty"` // the recording's clock against the video's
	AudioID    string  `json:"audio_id,omitempty"`
	VideoID    string  `json:"video_id,omitempty"`
	// Music: the media the music bed plays ("" = a change to the bed).
	MusicID string `json:"music_id,omitempty"`
}

func (r opRecord) describe(names map[string]string) string {
	if r.Kind == intent.KindSync && r.AudioID != "" {
		return fmt.Sprintf("sync %s to %s (offset %+.3f s, drift %+.1f ppm%s, confidence %.1f)", names[r.AudioID], names[r.VideoID], r.Offset, r.DriftPPM, driftNote(r.DriftPPM), r.Confidence)
	}
	return r.Op.Describe()
}

// track is one media file's edit state, folded from the history.
type track struct {
	item     *mediaItem
	denoise  *engine.DenoiseOptions
	silence  *engine.SilenceOptions
	loudness *engine.LoudnessOptions
	keep     []engine.Range // in the media's own time (for synced audio: the video's time)
	gain     float64
	fadeIn   float64
	fadeOut  float64
	// sync: for a video, the external audio that replaces its sound.
	syncAudio  *mediaItem
	syncOffset float64
	syncDrift  float64 // ppm
	// syncedTo: for an external audio, the video it was synced to.
	syncedTo *mediaItem
	// role is "music" for the music bed.
	role string
	// offset is where the track starts on the timeline, seconds ("put
	// mic.wav 2 seconds later", "start the music at 0:05").
	offset float64
	// effects are the effects rendered on the source before the chain (mute,
	// EQ, hum...), speed the speed changes rendered after it.
	effects engine.Effects
	speed   []speedOp
	// denoiseIn are source ranges denoised alone ("denoise 0:10-0:20").
	denoiseIn     []engine.Range
	denoiseInOpts engine.DenoiseOptions
}

// timeline is a session's media with their folded edits.
type timeline struct {
	tracks []*track
	byID   map[string]*track
	// skipped names the edits of the history that no longer apply, one
	// sentence each; they are left out of the timeline.
	skipped []string
	// mt holds the music bed, titles and frame.
	mt multitrack
}

func (t *timeline) duration(tr *track) float64 {
	total := 0.0
	for _, r := range tr.keep {
		total += r.End - r.Start
	}
	return total
}

// build folds the applied edits onto the media. An edit that no longer
// applies (a history written before edits were serialized, or a media
// change) is skipped and named in tl.skipped rather than failing the whole
// session: the user can still see, undo and export.
func (b *Backend) build(ctx context.Context, sessionID string) (*timeline, []*store.Edit, error) {
	items, err := b.mediaOf(ctx, sessionID)
	if err != nil {
		return nil, nil, err
	}
	edits, err := b.st.ListEdits(ctx, sessionID)
	if err != nil {
		return nil, nil, err
	}
	tl := newTimeline(items)
	for _, e := range edits {
		if e.Undone {
			continue
		}
		var ops []opRecord
		if err := json.Unmarshal(e.Ops, &ops); err != nil {
			return nil, nil, fmt.Errorf("edit %d: bad ops: %w", e.Seq, err)
		}
		// Apply to a copy so a half-applied edit leaves nothing behind.
		trial := tl.clone()
		if err := trial.apply(e.Target, ops); err != nil {
			why := err.Error()
			if msg, ok := backend.UserMessage(err); ok {
				why = msg
			}
			tl.skipped = append(tl.skipped, fmt.Sprintf("edit %d (%q) no longer applies, so it was skipped: %s. Say \"undo\" until it is undone to drop it", e.Seq, e.Instruction, why))
			continue
		}
		trial.skipped = tl.skipped
		tl = trial
	}
	return tl, edits, nil
}

// clone returns a copy of t whose tracks can be changed without touching t.
func (t *timeline) clone() *timeline {
	c := &timeline{byID: map[string]*track{}, skipped: t.skipped}
	for _, tr := range t.tracks {
		n := *tr
		n.keep = append([]engine.Range(nil), tr.keep...)
		c.tracks = append(c.tracks, &n)
		c.byID[n.item.ID] = &n
	}
	c.mt = t.mt.clone()
	return c
}

func newTimeline(items []*mediaItem) *timeline {
	tl := &timeline{byID: map[string]*track{}}
	for _, it := range items {
		tr := &track{item: it}
		if it.Info.Kind != "image" {
			tr.keep = []engine.Range{{Start: 0, End: it.Info.Duration}}
		}
		tl.tracks = append(tl.tracks, tr)
		tl.byID[it.ID] = tr
	}
	return tl
}

// targets are the tracks an edit applies to.
func (t *timeline) targets(target string) []*track {
	if target != "" {
		if tr := t.byID[target]; tr != nil {
			return []*track{tr}
		}
		return nil
	}
	var out []*track
	for _, tr := range t.tracks {
		if tr.item.Info.Kind == "image" || tr.syncedTo != nil || tr.role == "music" {
			continue // stills have no sound; synced audio follows its video's edits; the music bed has its own level
		}
		out = append(out, tr)
	}
	return out
}

// apply folds ops onto the target tracks. It fails, changing nothing
// meaningful to the caller (who discards the timeline), when an op cannot
// apply: a range outside the media, a cut that removes everything.
func (t *timeline) apply(target string, ops []opRecord) error {
	for _, op := range ops {
		if handled, err := t.applyMultitrack(target, op); handled {
			if err != nil {
				return err
			}
			continue
		}
		if op.Kind == intent.KindSync {
			v, a := t.byID[op.VideoID], t.byID[op.AudioID]
			if v == nil || a == nil {
				return fmt.Errorf("sync: media gone")
			}
			v.syncAudio, v.syncOffset, v.syncDrift, a.syncedTo = a.item, op.Offset, op.DriftPPM, v.item
			continue
		}
		trs := t.targets(target)
		if len(trs) == 0 {
			return backend.Userf("there is no audio or video to edit in this session: upload a file first")
		}
		for _, tr := range trs {
			if tr.role == "music" && op.Kind != intent.KindVolume && op.Kind != intent.KindKeep && op.Kind != intent.KindCut {
				return backend.Userf("the music bed %s takes volume changes and the part to use only (\"make %s 3 dB quieter\", \"use only 0:10-0:40 of %s\"): %s was not applied", tr.item.Name, tr.item.Name, tr.item.Name, op.Describe())
			}
			if err := tr.apply(op.Op); err != nil {
				return err
			}
		}
	}
	return nil
}

func (tr *track) apply(op intent.Op) error {
	if ok, err := tr.applyEffect(op); ok {
		return err
	}
	switch op.Kind {
	case intent.KindDenoise:
		tr.denoise = &engine.DenoiseOptions{Strength: op.Strength, Model: op.Model}
	case intent.KindTrimSilence:
		so := &engine.SilenceOptions{ThresholdDB: op.ThresholdDB, MinPause: op.MinPause, Margin: op.Margin, ShortenTo: op.ShortenTo,
			Edges: op.Edges, FirstOnly: op.FirstOnly}
		if op.Ranged() {
			rs, err := sourceRanges(tr.keep, op)
			if err != nil {
				return fmt.Errorf("%s: %w", tr.item.Name, err)
			}
			so.Within = rs
		}
		tr.silence = so
	case intent.KindLoudness:
		tr.loudness = &engine.LoudnessOptions{TargetLUFS: op.TargetLUFS, TruePeak: op.TruePeak}
	case intent.KindVolume:
		tr.gain += op.GainDB
	case intent.KindFade:
		if op.FadeIn > 0 {
			tr.fadeIn = op.FadeIn
		}
		if op.FadeOut > 0 {
			tr.fadeOut = op.FadeOut
		}
	case intent.KindCut, intent.KindKeep:
		keep, err := applyRange(tr.keep, op)
		if err != nil {
			return fmt.Errorf("%s: %w", tr.item.Name, err)
		}
		tr.keep = keep
	}
	return nil
}

// applyRange applies a cut or keep given in timeline time (the media as
// cut so far) to keep, a list of source ranges.
func applyRange(keep []engine.Range, op intent.Op) ([]engine.Range, error) {
	total := 0.0
	for _, r := range keep {
		total += r.End - r.Start
	}
	s, e := op.Start, op.End
	if s < 0 {
		s += total
	}
	if e <= 0 {
		e += total
	}
	s, e = math.Max(0, s), math.Min(total, e)
	if e-s < 0.001 {
		return nil, backend.Userf("the range %s is outside the recording, which is %s long now: give times within it", rangeText(op.Start, op.End), clock(total))
	}
	// Map the timeline range [s,e] onto source ranges.
	var inside, outside []engine.Range
	pos := 0.0
	for _, r := range keep {
		l := r.End - r.Start
		a, z := pos, pos+l // timeline span of r
		pos = z
		lo, hi := math.Max(a, s), math.Min(z, e)
		if hi <= lo {
			outside = append(outside, r)
			continue
		}
		in := engine.Range{Start: r.Start + (lo - a), End: r.Start + (hi - a)}
		inside = append(inside, in)
		if lo > a {
			outside = append(outside, engine.Range{Start: r.Start, End: in.Start})
		}
		if hi < z {
			outside = append(outside, engine.Range{Start: in.End, End: r.End})
		}
	}
	res := inside
	if op.Kind == intent.KindCut {
		res = outside
	}
	if len(res) == 0 || sumRanges(res) < 0.01 {
		return nil, backend.Userf("that would remove the whole recording: nothing was changed. Give a smaller range, or say \"undo\" to step back")
	}
	return res, nil
}

func sumRanges(rs []engine.Range) float64 {
	t := 0.0
	for _, r := range rs {
		t += r.End - r.Start
	}
	return t
}

func rangeText(s, e float64) string {
	if e == 0 {
		return clock(s) + " to the end"
	}
	return clock(s) + "-" + clock(e)
}

func clock(sec float64) string {
	neg := sec < 0
	sec = math.Abs(sec)
	m := int(sec) / 60
	s := sec - float64(m*60)
	out := fmt.Sprintf("%d:%04.1f", m, s)
	if neg {
		return "-" + out
	}
	return out
}

// fx lists a track's effects for the summary.
func (tr *track) fx() []string {
	var fx []string
	if tr.denoise != nil {
		d := "denoised"
		if tr.denoise.Strength > 0 && tr.denoise.Strength < 0.7 {
			d += " (gentle)"
		}
		fx = append(fx, d)
	}
	if s := tr.silence; s != nil {
		if s.ShortenTo > 0 {
			fx = append(fx, fmt.Sprintf("pauses shortened to %gs", s.ShortenTo))
		} else {
			fx = append(fx, "silence trimmed")
		}
	}
	if tr.gain != 0 {
		fx = append(fx, fmt.Sprintf("%+g dB", tr.gain))
	}
	if l := tr.loudness; l != nil {
		target := l.TargetLUFS
		if target == 0 {
			target = -16
		}
		fx = append(fx, fmt.Sprintf("%g LUFS", target))
	}
	if tr.fadeIn > 0 {
		fx = append(fx, fmt.Sprintf("fade in %gs", tr.fadeIn))
	}
	if tr.fadeOut > 0 {
		fx = append(fx, fmt.Sprintf("fade out %gs", tr.fadeOut))
	}
	if tr.syncAudio != nil {
		fx = append(fx, fmt.Sprintf("sound from %s", tr.syncAudio.Name))
	}
	if tr.syncedTo != nil {
		fx = append(fx, fmt.Sprintf("synced to %s", tr.syncedTo.Name))
	}
	fx = append(fx, tr.effectsFx()...)
	return fx
}

// draft renders the timeline in the short-key draft shape.
func (t *timeline) draft() *draft.Draft {
	d := &draft.Draft{Meta: map[string]any{"backend": "local"}}
	var longest int64
	for _, tr := range t.tracks {
		info := tr.item.Info
		typ := draft.TypeAudio
		if info.Kind == "video" || info.Kind == "image" {
			typ = draft.TypeVideo
		}
		meta := map[string]any{"name": tr.item.Name, "media_id": tr.item.ID}
		if fx := tr.fx(); len(fx) > 0 {
			meta["fx"] = fx
		}
		if tr.syncedTo != nil {
			meta["role"] = "synced"
		}
		keep := tr.keep
		if tr.syncedTo != nil {
			// Synced audio plays under its video: show it on the video's cuts.
			if v := t.byID[tr.syncedTo.ID]; v != nil {
				keep = v.keep
			}
		}
		if info.Kind == "image" {
			keep = []engine.Range{{Start: 0, End: 5}}
		}
		var segs []draft.Segment
		pos := int64(math.Round(tr.offset * 1000))
		for _, r := range keep {
			dur := int64(math.Round((r.End - r.Start) * 1000))
			segs = append(segs, draft.Segment{Start: pos, Duration: dur, SourceStart: int64(math.Round(r.Start * 1000)),
				Meta: map[string]any{"media_id": tr.item.ID}})
			pos += dur
		}
		if pos > longest {
			longest = pos
		}
		d.Tracks = append(d.Tracks, draft.Track{Type: typ, Segments: segs, Meta: meta})
	}
	d.Duration = longest
	if info := t.videoInfo(); info != nil {
		d.Meta["width"], d.Meta["height"] = info.Width, info.Height
	}
	t.draftMultitrack(d, t.programmeMS())
	return d
}

func (t *timeline) videoInfo() *engine.MediaInfo {
	for _, tr := range t.tracks {
		if tr.item.Info.Kind == "video" {
			return tr.item.Info
		}
	}
	return nil
}

// find resolves a name the user gave ("interview.wav", "#2", an id) to a
// media item.
func (t *timeline) find(name string) *mediaItem {
	if name == "" {
		return nil
	}
	n := strings.ToLower(strings.TrimSpace(name))
	if strings.HasPrefix(n, "#") {
		var k int
		if _, err := fmt.Sscanf(n, "#%d", &k); err == nil && k >= 1 && k <= len(t.tracks) {
			return t.tracks[k-1].item
		}
		return nil
	}
	for _, tr := range t.tracks {
		if tr.item.ID == name || strings.ToLower(tr.item.Name) == n {
			return tr.item
		}
	}
	// A unique prefix or base name without extension.
	var hit *mediaItem
	for _, tr := range t.tracks {
		base := strings.ToLower(strings.TrimSuffix(tr.item.Name, fileExt(tr.item.Name)))
		if base == n || strings.HasPrefix(strings.ToLower(tr.item.Name), n) {
			if hit != nil {
				return nil
			}
			hit = tr.item
		}
	}
	return hit
}

func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}
