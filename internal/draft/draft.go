// Package draft is the timeline shared by both backends, in the short-key
// shape of NemoVideo's drafts: t tracks, tt track type (0 video, 1 audio,
// 7 text), sg segments, d duration in ms, m metadata. It parses drafts
// leniently (the cloud's segments come in several shapes), summarises
// them in one line per track and says what changed between two drafts.
package draft

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Track types.
const (
	TypeVideo = 0
	TypeAudio = 1
	TypeText  = 7
)

// Draft is a timeline.
type Draft struct {
	Tracks   []Track        `json:"t"`
	Duration int64          `json:"d,omitempty"` // ms
	Meta     map[string]any `json:"m,omitempty"`
}

// Track is one track of a timeline.
type Track struct {
	Type     int            `json:"tt"`
	Segments []Segment      `json:"sg"`
	Meta     map[string]any `json:"m,omitempty"`
}

// Segment is one clip on a track.
type Segment struct {
	// Start is the segment's position on the timeline, ms.
	Start int64 `json:"st"`
	// Duration is its length on the timeline, ms.
	Duration int64 `json:"d"`
	// SourceStart is where it starts in its media, ms.
	SourceStart int64 `json:"ss,omitempty"`
	// Meta holds name/title/text, volume (0-1), media id, effects.
	Meta map[string]any `json:"m,omitempty"`
}

// End is the segment's end on the timeline, ms.
func (s Segment) End() int64 { return s.Start + s.Duration }

// Exportable reports whether some track has a segment.
func (d *Draft) Exportable() bool {
	if d == nil {
		return false
	}
	for _, t := range d.Tracks {
		if len(t.Segments) > 0 {
			return true
		}
	}
	return false
}

// Parse decodes a draft leniently: segment start may be st, s or start;
// duration d, dur or duration, or derived from e/end; numbers may be
// floats or strings; unknown keys are ignored. A JSON null or empty input
// gives an empty draft.
func Parse(raw []byte) (*Draft, error) {
	d := &Draft{}
	if len(strings.TrimSpace(string(raw))) == 0 || string(raw) == "null" {
		return d, nil
	}
	var top map[string]any
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("parse draft: %w", err)
	}
	d.Duration = num(top, "d", "duration")
	d.Meta = obj(top, "m", "meta", "metadata")
	tracks, _ := first(top, "t", "tracks").([]any)
	for _, ti := range tracks {
		tm, ok := ti.(map[string]any)
		if !ok {
			continue
		}
		tr := Track{Type: int(num(tm, "tt", "type", "track_type")), Meta: obj(tm, "m", "meta", "metadata")}
		segs, _ := first(tm, "sg", "segments", "clips").([]any)
		for _, si := range segs {
			sm, ok := si.(map[string]any)
			if !ok {
				continue
			}
			s := Segment{
				Start:       num(sm, "st", "s", "start", "start_ms"),
				Duration:    num(sm, "d", "dur", "duration", "duration_ms"),
				SourceStart: num(sm, "ss", "source_start", "in"),
				Meta:        obj(sm, "m", "meta", "metadata"),
			}
			if s.Duration == 0 {
				if e := num(sm, "e", "end", "end_ms"); e > s.Start {
					s.Duration = e - s.Start
				}
			}
			tr.Segments = append(tr.Segments, s)
		}
		d.Tracks = append(d.Tracks, tr)
	}
	return d, nil
}

func first(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			return v
		}
	}
	return nil
}

func obj(m map[string]any, keys ...string) map[string]any {
	o, _ := first(m, keys...).(map[string]any)
	return o
}

func num(m map[string]any, keys ...string) int64 {
	switch v := first(m, keys...).(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0
		}
		return int64(math.Round(v))
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0
		}
		return int64(math.Round(f))
	}
	return 0
}

// Label is the track's kind for a summary: Video, Audio, BGM, Title or Text.
func (t Track) Label() string {
	switch t.Type {
	case TypeVideo:
		return "Video"
	case TypeAudio:
		role := strings.ToLower(str(t.Meta, "role", "kind", "type"))
		if role == "bgm" || role == "music" {
			return "BGM"
		}
		return "Audio"
	case TypeText:
		if strings.ToLower(str(t.Meta, "role", "kind", "type")) == "subtitle" {
			return "Subtitle"
		}
		return "Title"
	}
	return "Track"
}

func str(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// Name is the track's display name: its own name, else its first
// segment's name, title or text (text quoted).
func (t Track) Name() string {
	if n := str(t.Meta, "name", "title"); n != "" {
		return n
	}
	for _, s := range t.Segments {
		if n := str(s.Meta, "name", "title", "file", "filename"); n != "" {
			return n
		}
		if txt := str(s.Meta, "text", "content"); txt != "" {
			return strconv.Quote(txt)
		}
	}
	if txt := str(t.Meta, "text"); txt != "" {
		return strconv.Quote(txt)
	}
	return "untitled"
}

// Span is the track's extent on the timeline, ms.
func (t Track) Span() (start, end int64) {
	for i, s := range t.Segments {
		if i == 0 || s.Start < start {
			start = s.Start
		}
		if s.End() > end {
			end = s.End()
		}
	}
	return start, end
}

// Tags are the extras shown in a summary: volume other than 100%, and the
// effects the local engine records in m.fx ("denoised", "-16 LUFS").
func (t Track) Tags() []string {
	var tags []string
	vol, hasVol := volume(t.Meta)
	if !hasVol {
		for _, s := range t.Segments {
			if v, ok := volume(s.Meta); ok {
				vol, hasVol = v, true
				break
			}
		}
	}
	if hasVol && math.Abs(vol-1) > 0.005 {
		tags = append(tags, fmt.Sprintf("%d%%", int(math.Round(vol*100))))
	}
	if fx, ok := t.Meta["fx"].([]any); ok {
		for _, f := range fx {
			if s, ok := f.(string); ok && s != "" {
				tags = append(tags, s)
			}
		}
	}
	if fx, ok := t.Meta["fx"].([]string); ok {
		tags = append(tags, fx...)
	}
	return tags
}

func volume(m map[string]any) (float64, bool) {
	switch v := first(m, "volume", "vol", "v").(type) {
	case float64:
		if v > 1.5 { // given in percent
			v /= 100
		}
		return v, true
	}
	return 0, false
}

// Line is the track's summary: `Audio: interview.wav (0-182s, denoised, -16 LUFS)`.
func (t Track) Line() string {
	s, e := t.Span()
	parts := append([]string{secs(s) + "-" + secs(e) + "s"}, t.Tags()...)
	return fmt.Sprintf("%s: %s (%s)", t.Label(), t.Name(), strings.Join(parts, ", "))
}

// secs formats ms as seconds: whole seconds plainly, else one decimal.
func secs(ms int64) string {
	if ms%1000 == 0 {
		return strconv.FormatInt(ms/1000, 10)
	}
	return strconv.FormatFloat(math.Round(float64(ms)/100)/10, 'f', -1, 64)
}

// Summary is the one-line timeline summary:
// `Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)`.
func (d *Draft) Summary() string {
	if d == nil || len(d.Tracks) == 0 {
		return "Timeline (0 tracks): empty. Upload a file to start."
	}
	var b strings.Builder
	noun := "tracks"
	if len(d.Tracks) == 1 {
		noun = "track"
	}
	fmt.Fprintf(&b, "Timeline (%d %s):", len(d.Tracks), noun)
	for i, t := range d.Tracks {
		fmt.Fprintf(&b, " %d. %s", i+1, t.Line())
	}
	return b.String()
}

// Diff lists, in words, what changed from before to after: tracks added
// or removed, spans trimmed or extended, effects and volume changed.
// Tracks are matched by label and name.
func Diff(before, after *Draft) []string {
	if before == nil {
		before = &Draft{}
	}
	if after == nil {
		after = &Draft{}
	}
	key := func(t Track) string { return t.Label() + "\x00" + t.Name() }
	old := map[string][]Track{}
	for _, t := range before.Tracks {
		old[key(t)] = append(old[key(t)], t)
	}
	var out []string
	for _, t := range after.Tracks {
		k := key(t)
		if len(old[k]) == 0 {
			out = append(out, fmt.Sprintf("Added %s track: %s", strings.ToLower(t.Label()), strings.TrimPrefix(t.Line(), t.Label()+": ")))
			continue
		}
		o := old[k][0]
		old[k] = old[k][1:]
		if o.Line() != t.Line() || len(o.Segments) != len(t.Segments) {
			desc := fmt.Sprintf("Changed %s: %s", t.Label(), strings.TrimPrefix(o.Line(), o.Label()+": "))
			desc += " -> " + strings.TrimPrefix(t.Line(), t.Label()+": ")
			if len(o.Segments) != len(t.Segments) {
				desc += fmt.Sprintf(" (%d -> %d segments)", len(o.Segments), len(t.Segments))
			}
			out = append(out, desc)
		}
	}
	var gone []string
	for _, ts := range old {
		for _, t := range ts {
			gone = append(gone, fmt.Sprintf("Removed %s track: %s", strings.ToLower(t.Label()), strings.TrimPrefix(t.Line(), t.Label()+": ")))
		}
	}
	sort.Strings(gone)
	return append(out, gone...)
}
