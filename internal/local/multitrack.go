package local

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/draft"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
)

// The multitrack timeline: a music bed under the voice, text on the
// picture, and the picture's frame, all rendered with the programme in one
// export.

// bed is the session's music bed.
type bed struct {
	item *mediaItem
	spec intent.MusicSpec
}

// titleItem is a text shown on the picture from start to end (timeline
// seconds; end 0 = to the end).
type titleItem struct {
	spec       intent.TitleSpec
	start, end float64
}

// multitrack is the timeline's state beyond the media tracks.
type multitrack struct {
	bed    *bed
	titles []titleItem
	frame  *intent.FrameSpec
}

// musicNameRe tells a file named as music ("bed.mp3", "lofi-bgm.wav").
var musicNameRe = regexp.MustCompile(`(?i)music|bgm|\bbed\b|song|soundtrack|instrumental|backing|beat|loop|lo-?fi|jingle|theme|背景音乐|配乐|音乐`)

// isMusicName reports whether a file's name says it is music.
func isMusicName(name string) bool {
	return musicNameRe.MatchString(strings.TrimSuffix(name, filepath.Ext(name)))
}

// applyMultitrack folds a multitrack op onto the timeline; handled is false
// for the other kinds.
func (t *timeline) applyMultitrack(target string, op opRecord) (handled bool, err error) {
	switch op.Kind {
	case intent.KindMusic:
		spec := intent.MusicSpec{}
		if op.Music != nil {
			spec = *op.Music
		}
		if op.MusicID == "" { // a change to the bed there is
			if t.mt.bed == nil {
				return true, backend.Userf("there is no background music to change: add it first, e.g. \"add bed.mp3 as background music at 20%%\"")
			}
			t.mt.bed.spec = mergeMusic(t.mt.bed.spec, spec)
			return true, nil
		}
		tr := t.byID[op.MusicID]
		if tr == nil {
			return true, fmt.Errorf("music: media gone")
		}
		if t.mt.bed != nil && t.mt.bed.item.ID != tr.item.ID {
			t.byID[t.mt.bed.item.ID].role = ""
		}
		if t.mt.bed != nil && t.mt.bed.item.ID == tr.item.ID {
			spec = mergeMusic(t.mt.bed.spec, spec)
		}
		tr.role = "music"
		t.mt.bed = &bed{item: tr.item, spec: spec}
		return true, nil
	case intent.KindTitle:
		if op.Title == nil || strings.TrimSpace(op.Title.Text) == "" {
			return true, backend.Userf("a title needs its text in quotes, e.g. add a title 'Urban Dreams' for the first 3 seconds")
		}
		if op.Start < 0 || (op.End != 0 && op.End <= op.Start) {
			return true, backend.Userf("a title needs a time range inside the programme, e.g. 'for the first 3 seconds' or 'from 0:10 to 0:15'")
		}
		t.mt.titles = append(t.mt.titles, titleItem{spec: *op.Title, start: op.Start, end: op.End})
		return true, nil
	case intent.KindPosition:
		return true, t.place(target, op.Op)
	case intent.KindReframe:
		if op.Frame == nil {
			return true, backend.Userf("say which aspect ratio: 9:16, 1:1, 4:5 or 16:9")
		}
		if _, ok := intent.Aspects[op.Frame.Aspect]; !ok {
			return true, backend.Userf("unknown aspect ratio %s: use 9:16 (vertical), 1:1 (square), 4:5 or 16:9", op.Frame.Aspect)
		}
		f := *op.Frame
		t.mt.frame = &f
		return true, nil
	}
	return false, nil
}

// maxOffset bounds a track's start on the timeline (24 hours).
const maxOffset = 24 * 3600

// place moves a track on the timeline: the file target names, or the music
// bed. Only sound that is mixed can move: a video, a still or a recording
// synced to its video keeps its place.
func (t *timeline) place(target string, op intent.Op) error {
	var tr *track
	switch {
	case target != "":
		tr = t.byID[target]
	case op.Track == "music" && t.mt.bed != nil:
		tr = t.byID[t.mt.bed.item.ID]
	case op.Track == "music":
		// The file named as music that export puts under the voice.
		cands := t.musicCandidates()
		switch len(cands) {
		case 0:
			return backend.Userf("there is no background music to move: add it first, e.g. \"add bed.mp3 as background music at 20%%\"")
		case 1:
			tr = t.byID[cands[0].ID]
		default:
			return backend.Userf("several files could be the music (%s): add one as background music first, e.g. \"add %s as background music\"", joinNames(cands), cands[0].Name)
		}
	default:
		return backend.Userf("say which file to move, e.g. \"put mic.wav 2 seconds later\" or \"start the music at 0:05\"")
	}
	if tr == nil {
		return fmt.Errorf("position: media gone")
	}
	switch {
	case tr.item.Info.Kind != "audio":
		return backend.Userf("%s is a video or picture: it sets the timeline, so it cannot move on it; a voice, a recording or the music can (\"put mic.wav 2 seconds later\")", tr.item.Name)
	case t.videoInfo() != nil && tr.role != "music" && !isMusicName(tr.item.Name):
		return backend.Userf("%s plays under the video, which sets its place: say \"sync audio to video\" to line it up (moving it by hand is for music and for voices mixed without a video)", tr.item.Name)
	case tr.syncedTo != nil:
		return backend.Userf("%s is synced to %s, so its place comes from the sync: say \"undo\" to drop the sync before moving it", tr.item.Name, tr.syncedTo.Name)
	}
	off := tr.offset + op.Shift
	if op.At != nil {
		off = *op.At
	}
	if off < -0.0005 {
		return backend.Userf("that would start %s %s before the timeline's start (it starts at %s now): nothing was changed. Give a smaller move", tr.item.Name, clock(-off), clock(tr.offset))
	}
	if off > maxOffset {
		return backend.Userf("%s is more than 24 hours into the timeline: give a start within the programme", clock(off))
	}
	if prog := float64(t.programmeMS()) / 1000; tr.role == "music" && prog > 0 && off >= prog {
		return backend.Userf("the programme ends at %s, so music starting at %s would not be heard: give an earlier start", clock(prog), clock(off))
	}
	tr.offset = math.Max(off, 0)
	return nil
}

// mergeMusic applies the fields said in b over a.
func mergeMusic(a, b intent.MusicSpec) intent.MusicSpec {
	if b.LevelDB != 0 {
		a.LevelDB = b.LevelDB
	}
	if b.DuckDB != 0 {
		a.DuckDB = b.DuckDB
	}
	if b.Fade != 0 {
		a.Fade = b.Fade
	}
	if b.NoDuck {
		a.NoDuck = true
	}
	return a
}

// resolveMusic finds the file a music op names, uploading a path named in
// the instruction (inside the allowed folders). It returns the media id,
// "" for a change to the existing bed.
func (b *Backend) resolveMusic(ctx context.Context, sessionID string, tl *timeline, spec *intent.MusicSpec) (string, error) {
	need := "add background music needs a music file: upload it (e.g. bed.mp3) or name its absolute path, e.g. \"add /path/to/bed.mp3 as background music at 20%\". Nothing was changed"
	var it *mediaItem
	switch {
	case spec != nil && spec.File != "":
		it = tl.find(spec.File)
		if it == nil && filepath.IsAbs(spec.File) {
			if err := b.checkRoot(ctx, spec.File); err != nil {
				return "", err
			}
			res, err := b.Upload(ctx, backend.UploadRequest{SessionID: sessionID, Paths: []string{spec.File}})
			if err != nil {
				return "", err
			}
			id := res.Files[0].ID
			items, err := b.mediaOf(ctx, sessionID)
			if err != nil {
				return "", err
			}
			for _, m := range items {
				if m.ID == id {
					it = m
					tl.tracks = append(tl.tracks, &track{item: m, keep: []engine.Range{{Start: 0, End: m.Info.Duration}}})
					tl.byID[m.ID] = tl.tracks[len(tl.tracks)-1]
				}
			}
		}
		if it == nil {
			return "", backend.Userf("no file named %q in this session (its files are: %s): upload the music first or give its absolute path. Nothing was changed", spec.File, names(tl))
		}
	case tl.mt.bed != nil:
		return "", nil
	default:
		cands := tl.musicCandidates()
		switch len(cands) {
		case 0:
			return "", backend.Userf("%s", need)
		case 1:
			it = cands[0]
		default:
			return "", backend.Userf("several files could be the music (%s): name one, e.g. \"add %s as background music\". Nothing was changed", joinNames(cands), cands[0].Name)
		}
	}
	if !it.Info.HasAudio || it.Info.Kind == "image" {
		return "", backend.Userf("%s has no sound, so it cannot be background music: upload an audio file (mp3, wav, m4a). Nothing was changed", it.Name)
	}
	voices := 0
	for _, tr := range tl.tracks {
		if tr.item.ID != it.ID && tr.item.Info.HasAudio && tr.item.Info.Kind != "image" {
			voices++
		}
	}
	if voices == 0 {
		return "", backend.Userf("background music goes under a voice or a video, and this session has only %s: upload the recording too. Nothing was changed", it.Name)
	}
	return it.ID, nil
}

// musicCandidates are the session's audio files named as music.
func (t *timeline) musicCandidates() []*mediaItem {
	var cands []*mediaItem
	for _, tr := range t.tracks {
		if tr.item.Info.Kind == "audio" && isMusicName(tr.item.Name) {
			cands = append(cands, tr.item)
		}
	}
	return cands
}

func joinNames(its []*mediaItem) string {
	var ns []string
	for _, it := range its {
		ns = append(ns, it.Name)
	}
	return strings.Join(ns, ", ")
}

// checkRoot refuses a path outside the allowed folders (when they are
// set): the client's scope when the context carries one.
func (b *Backend) checkRoot(ctx context.Context, p string) error {
	if sc, ok := fsutil.ScopeFrom(ctx); ok {
		if _, err := sc.Check(p); err != nil {
			return &backend.UserError{Msg: err.Error() + ". Nothing was changed", Err: err}
		}
		return nil
	}
	if len(b.roots) == 0 {
		return nil
	}
	if _, err := b.roots.Check(p); err != nil {
		return backend.Userf("%s is outside the folders this server may read (AUDIOEDIT_ROOTS): move it into one of them. Nothing was changed", p)
	}
	return nil
}

// musicLevel is the bed's level against the voice in dB, with any volume
// edit aimed at the music file.
func (t *timeline) musicLevel() float64 {
	bd := t.mt.bed
	lvl := bd.spec.LevelDB
	if lvl == 0 {
		lvl = intent.DefaultMusicLevelDB
	}
	if tr := t.byID[bd.item.ID]; tr != nil {
		lvl += tr.gain
	}
	return lvl
}

// draftMultitrack adds the music bed and titles to the draft. length is
// the programme's length in ms.
func (t *timeline) draftMultitrack(d *draft.Draft, length int64) {
	if bd := t.mt.bed; bd != nil {
		for i := range d.Tracks {
			if d.Tracks[i].Meta["media_id"] == bd.item.ID {
				lvl := t.musicLevel()
				m := d.Tracks[i].Meta
				m["role"] = "music"
				m["volume"] = math.Round(math.Pow(10, lvl/20)*100) / 100
				fx := []string{}
				if !bd.spec.NoDuck {
					fx = append(fx, "ducked")
				}
				m["fx"] = fx
				seg := draft.Segment{Duration: length, Meta: map[string]any{"media_id": bd.item.ID}}
				if tr := t.byID[bd.item.ID]; tr != nil {
					seg.Start = min(int64(math.Round(tr.offset*1000)), length)
					seg.Duration = length - seg.Start
					if len(tr.keep) > 0 {
						seg.SourceStart = int64(math.Round(tr.keep[0].Start * 1000))
						if !wholeKeep(tr) {
							m["fx"] = append(fx, "uses "+rangeText(tr.keep[0].Start, tr.keep[len(tr.keep)-1].End)+" of the file")
						}
					}
				}
				d.Tracks[i].Segments = []draft.Segment{seg}
			}
		}
	}
	for _, ti := range t.mt.titles {
		end := int64(math.Round(ti.end * 1000))
		if ti.end == 0 || end > length {
			end = length
		}
		start := int64(math.Round(ti.start * 1000))
		d.Tracks = append(d.Tracks, draft.Track{Type: draft.TypeText,
			Segments: []draft.Segment{{Start: start, Duration: max(end-start, 0), Meta: map[string]any{"text": ti.spec.Text}}},
			Meta:     map[string]any{"text": ti.spec.Text, "style": ti.spec.Style}})
	}
	if f := t.mt.frame; f != nil {
		d.Meta["aspect"], d.Meta["fit"] = f.Aspect, f.Fit
	}
}

// textOverlays are the titles as the encoder takes them.
func (t *timeline) textOverlays() []engine.TextOverlay {
	var out []engine.TextOverlay
	for _, ti := range t.mt.titles {
		out = append(out, engine.TextOverlay{Text: ti.spec.Text, Start: ti.start, End: ti.end, Style: ti.spec.Style,
			Position: ti.spec.Position, Scale: ti.spec.Scale, Color: ti.spec.Color})
	}
	return out
}

// programmeMS is the programme's length in ms: the longest track that is
// not the music bed or a still.
func (t *timeline) programmeMS() int64 {
	var longest float64
	for _, tr := range t.tracks {
		if tr.role == "music" || tr.item.Info.Kind == "image" || tr.syncedTo != nil {
			continue
		}
		longest = max(longest, tr.offset+t.duration(tr))
	}
	return int64(math.Round(longest * 1000))
}

// clone returns a copy that can be changed without touching m.
func (m multitrack) clone() multitrack {
	c := multitrack{titles: append([]titleItem(nil), m.titles...)}
	if m.bed != nil {
		b := *m.bed
		c.bed = &b
	}
	if m.frame != nil {
		f := *m.frame
		c.frame = &f
	}
	return c
}
