package nemo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/mcp-audioedit/mcp-audioedit/internal/draft"
)

// maxChanges caps the lines stateChanges returns.
const maxChanges = 20

// stateChanges says in plain words what changed between two states: a
// generic structural diff of the whole state, the draft (an object or a
// JSON string), generated_media and video_infos. camelCase and
// snake_case keys read alike. Tracks and clips are matched by position,
// so a clip whose file was replaced (a.wav -> a_denoised.wav) reads as a
// change of that clip, not as one added and one removed:
//
//	clip 1 of the audio track now uses a_denoised.wav (was a.wav)
//	effect 'denoise' added to clip 1 of the audio track
func stateChanges(before, after *State) []string {
	var d differ
	d.draft(decodeState(before.Draft), decodeState(after.Draft))
	d.items("generated media", decodeState(before.GeneratedMedia), decodeState(after.GeneratedMedia))
	d.items("media", decodeState(before.VideoInfos), decodeState(after.VideoInfos))
	if len(d.out) > maxChanges {
		n := len(d.out) - maxChanges
		d.out = append(d.out[:maxChanges], fmt.Sprintf("and %d more changes", n))
	}
	return d.out
}

// unwrapDraft returns the draft a JSON string holds (the state can carry
// the draft as a string), or raw as it is.
func unwrapDraft(raw json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '"' {
		return raw
	}
	var s string
	if json.Unmarshal(t, &s) != nil {
		return raw
	}
	inner := bytes.TrimSpace([]byte(s))
	if len(inner) == 0 || (inner[0] != '{' && inner[0] != '[') || !json.Valid(inner) {
		return raw
	}
	return json.RawMessage(inner)
}

// decodeState decodes raw (a JSON string holding JSON is decoded too)
// with every object key in snake_case; nil for nothing.
func decodeState(raw json.RawMessage) any {
	raw = unwrapDraft(raw)
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return snakeKeys(v)
}

func snakeKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[snake(k)] = snakeKeys(e)
		}
		return m
	case []any:
		for i := range x {
			x[i] = snakeKeys(x[i])
		}
	}
	return v
}

// snake writes a camelCase key in snake_case ("sourceStart" ->
// "source_start", "outputURL" -> "output_url").
func snake(k string) string {
	rs := []rune(k)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsUpper(rs[i-1]) && unicode.IsLower(rs[i+1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

type differ struct{ out []string }

func (d *differ) add(format string, args ...any) { d.out = append(d.out, fmt.Sprintf(format, args...)) }

func field(m map[string]any, keys ...string) (any, string) {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v, k
		}
	}
	return nil, ""
}

var (
	tracksKeys   = []string{"t", "tracks"}
	segmentsKeys = []string{"sg", "segments", "clips"}
)

// draft diffs two drafts: tracks and their clips by position, then every
// other key of the timeline.
func (d *differ) draft(a, b any) {
	am, _ := a.(map[string]any)
	bm, _ := b.(map[string]any)
	if am == nil && bm == nil {
		d.value("the timeline", "", a, b)
		return
	}
	at, ak := field(am, tracksKeys...)
	bt, bk := field(bm, tracksKeys...)
	as, _ := at.([]any)
	bs, _ := bt.([]any)
	for i := 0; i < max(len(as), len(bs)); i++ {
		switch {
		case i >= len(as):
			d.add("added %s: %s", trackLabel(bs, i), trackDesc(bs[i]))
		case i >= len(bs):
			d.add("removed %s: %s", trackLabel(as, i), trackDesc(as[i]))
		default:
			d.track(trackLabel(bs, i), as[i], bs[i])
		}
	}
	skip := map[string]bool{ak: true, bk: true}
	for k := range durationKeys { // derived from the clips: only a change is news
		_, ina := am[k]
		_, inb := bm[k]
		skip[k] = ina != inb
	}
	d.fields("the timeline", am, bm, skip)
}

func (d *differ) track(label string, a, b any) {
	am, _ := a.(map[string]any)
	bm, _ := b.(map[string]any)
	if am == nil || bm == nil {
		d.value(label, "", a, b)
		return
	}
	sa, ka := field(am, segmentsKeys...)
	sb, kb := field(bm, segmentsKeys...)
	as, _ := sa.([]any)
	bs, _ := sb.([]any)
	for j := 0; j < max(len(as), len(bs)); j++ {
		clip := fmt.Sprintf("clip %d of %s", j+1, label)
		switch {
		case j >= len(as):
			d.add("%s added: %s", clip, clipDesc(bs[j]))
		case j >= len(bs):
			d.add("%s removed: %s", clip, clipDesc(as[j]))
		default:
			d.value(clip, "", as[j], bs[j])
		}
	}
	d.fields(label, am, bm, map[string]bool{ka: true, kb: true})
}

// fields diffs every key of two objects but those in skip.
func (d *differ) fields(ctx string, a, b map[string]any, skip map[string]bool) {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		if !skip[k] {
			sorted = append(sorted, k)
		}
	}
	sort.Slice(sorted, func(i, j int) bool {
		ri, rj := keyRank(sorted[i]), keyRank(sorted[j])
		if ri != rj {
			return ri < rj
		}
		return sorted[i] < sorted[j]
	})
	for _, k := range sorted {
		av, aok := a[k]
		bv, bok := b[k]
		switch {
		case !aok:
			d.value(ctx, k, nil, bv)
		case !bok:
			d.value(ctx, k, av, nil)
		default:
			d.value(ctx, k, av, bv)
		}
	}
}

// Keys read as the same thing, in snake_case.
var (
	fileKeys     = keySet("name", "file", "filename", "file_name", "src", "url", "media", "media_url", "cdn_url", "path", "source", "title")
	textKeys     = keySet("text", "content")
	startKeys    = keySet("st", "s", "start", "start_ms", "start_time")
	sourceKeys   = keySet("ss", "source_start", "source_start_ms", "in", "trim_start")
	durationKeys = keySet("d", "dur", "duration", "duration_ms")
	volumeKeys   = keySet("volume", "vol", "v", "gain")
	effectKeys   = keySet("fx", "effects", "effect", "filters", "audio_effects", "audio_filters")
	// metaKeys hold a clip's or track's details: their keys read as the
	// clip's own.
	metaKeys = keySet("m", "meta", "metadata")
)

// keyRank orders a clip's changes: its details (m), its file, its text,
// its times, anything else, its effects.
func keyRank(k string) int {
	switch {
	case metaKeys[k]:
		return 0
	case fileKeys[k]:
		return 1
	case textKeys[k]:
		return 2
	case startKeys[k], sourceKeys[k], durationKeys[k]:
		return 3
	case effectKeys[k]:
		return 5
	}
	return 4
}

func keySet(ks ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range ks {
		m[k] = true
	}
	return m
}

// value diffs a and b found under key in ctx (nil: absent).
func (d *differ) value(ctx, key string, a, b any) {
	if jsonEqual(a, b) {
		return
	}
	am, aIsMap := a.(map[string]any)
	bm, bIsMap := b.(map[string]any)
	if aIsMap && bIsMap {
		sub := ctx
		if key != "" && !metaKeys[key] {
			sub = ctx + " " + words(key)
		}
		d.fields(sub, am, bm, nil)
		return
	}
	if effectKeys[key] {
		d.effects(ctx, a, b)
		return
	}
	as, aIsList := a.([]any)
	bs, bIsList := b.([]any)
	if aIsList && bIsList {
		if len(as) == len(bs) {
			for i := range as {
				d.value(fmt.Sprintf("%s %s %d", ctx, words(key), i+1), "", as[i], bs[i])
			}
			return
		}
		d.add("%s: %s now has %d items (was %d)", ctx, words(key), len(bs), len(as))
		return
	}
	switch {
	case b == nil:
		d.add("%s: %s removed (was %s)", ctx, words(key), show(key, a))
	case fileKeys[key] && a != nil:
		d.add("%s now uses %s (was %s)", ctx, show(key, b), show(key, a))
	case fileKeys[key]:
		d.add("%s now uses %s", ctx, show(key, b))
	case textKeys[key]:
		d.add("%s text now reads %s", ctx, show(key, b))
	case startKeys[key] && a != nil:
		d.add("%s now starts at %s (was %s)", ctx, show(key, b), show(key, a))
	case sourceKeys[key] && a != nil:
		d.add("%s now starts %s into its source (was %s)", ctx, show(key, b), show(key, a))
	case durationKeys[key] && a != nil:
		d.add("%s now lasts %s (was %s)", ctx, show(key, b), show(key, a))
	case volumeKeys[key] && a != nil:
		d.add("%s volume now %s (was %s)", ctx, show(key, b), show(key, a))
	case a == nil:
		d.add("%s: %s set to %s", ctx, words(key), show(key, b))
	default:
		d.add("%s: %s changed from %s to %s", ctx, words(key), show(key, a), show(key, b))
	}
}

// effects reports effects added to or removed from ctx by name.
func (d *differ) effects(ctx string, a, b any) {
	an, bn := effectNames(a), effectNames(b)
	for _, n := range bn {
		if !contains(an, n) {
			d.add("effect '%s' added to %s", n, ctx)
		}
	}
	for _, n := range an {
		if !contains(bn, n) {
			d.add("effect '%s' removed from %s", n, ctx)
		}
	}
	if sameStrings(an, bn) { // same names, other settings
		d.add("the effects of %s changed", ctx)
	}
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, s := range a {
		if !contains(b, s) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func effectNames(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = append(out, effectNames(e)...)
		}
	case map[string]any:
		if n := label(x, "name", "type", "id", "effect", "kind"); n != "" {
			return []string{n}
		}
		for k := range x { // {"denoise": {...}}
			out = append(out, k)
		}
		sort.Strings(out)
	case string:
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// items diffs two lists of media (generated_media, video_infos): items
// are matched by id, URL or file name; new ones and gone ones are named.
func (d *differ) items(what string, a, b any) {
	as, _ := a.([]any)
	bs, _ := b.([]any)
	if as == nil && bs == nil {
		if !jsonEqual(a, b) && (a != nil || b != nil) {
			d.value(what, "", a, b)
		}
		return
	}
	key := func(v any) string {
		if m, ok := v.(map[string]any); ok {
			if k := label(m, "id", "media_id", "url", "cdn_url", "output_url", "filename", "file_name", "name"); k != "" {
				return k
			}
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	old := map[string]any{}
	for _, v := range as {
		old[key(v)] = v
	}
	seen := map[string]bool{}
	for _, v := range bs {
		k := key(v)
		seen[k] = true
		o, ok := old[k]
		switch {
		case !ok:
			d.add("new %s: %s", what, itemDesc(v))
		default:
			d.value(what+" "+itemDesc(v), "", o, v)
		}
	}
	for _, v := range as {
		if !seen[key(v)] {
			d.add("%s removed: %s", what, itemDesc(v))
		}
	}
}

func itemDesc(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return show("", v)
	}
	name := label(m, "filename", "file_name", "name", "title", "url", "cdn_url", "output_url", "id")
	if name == "" {
		return "an item"
	}
	name = base(name)
	if t := label(m, "file_type", "type", "media_type", "kind"); t != "" {
		name += " (" + t + ")"
	}
	return name
}

// label is the first non-empty string or number among keys.
func label(m map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}

// trackLabel names track i of tracks: "the audio track" when it is the
// only one of its kind, else "audio track 2".
func trackLabel(tracks []any, i int) string {
	kind := trackKind(tracks[i])
	n, nth := 0, 0
	for j, t := range tracks {
		if trackKind(t) == kind {
			n++
			if j <= i {
				nth++
			}
		}
	}
	if n == 1 {
		return "the " + kind + " track"
	}
	return fmt.Sprintf("%s track %d", kind, nth)
}

func trackKind(t any) string {
	m, _ := t.(map[string]any)
	tt, _ := field(m, "tt", "type", "track_type")
	switch fmt.Sprint(tt) {
	case "0", "video":
		return "video"
	case "1", "audio":
		meta, _ := field(m, "m", "meta", "metadata")
		if mm, ok := meta.(map[string]any); ok {
			if r := strings.ToLower(label(mm, "role", "kind")); r == "bgm" || r == "music" {
				return "music"
			}
		}
		return "audio"
	case "7", "text":
		return "text"
	}
	return "other"
}

// trackDesc is a track's summary line without its label:
// "Lo-fi (0-30s, 35%)".
func trackDesc(t any) string {
	raw, _ := json.Marshal(map[string]any{"t": []any{t}})
	if dr, err := draft.Parse(raw); err == nil && len(dr.Tracks) == 1 {
		tr := dr.Tracks[0]
		return strings.TrimPrefix(tr.Line(), tr.Label()+": ")
	}
	return "a track"
}

// clipDesc names a clip: its file, name or text.
func clipDesc(s any) string {
	m, _ := s.(map[string]any)
	look := []map[string]any{m}
	if meta, _ := field(m, "m", "meta", "metadata"); meta != nil {
		if mm, ok := meta.(map[string]any); ok {
			look = append(look, mm)
		}
	}
	for _, mm := range look {
		if n := label(mm, "name", "title", "file", "filename", "file_name", "src", "url"); n != "" {
			return base(n)
		}
		if t := label(mm, "text", "content"); t != "" {
			return strconv.Quote(t)
		}
	}
	return "a clip"
}

// show writes a value for a sentence: a file's base name, times in
// seconds, a volume in percent, text quoted.
func show(key string, v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		if fileKeys[key] {
			return base(x)
		}
		return strconv.Quote(x)
	case float64:
		switch {
		case startKeys[key] || durationKeys[key] || sourceKeys[key]:
			return strconv.FormatFloat(x/1000, 'f', -1, 64) + "s"
		case volumeKeys[key]:
			if x <= 1.5 {
				x *= 100
			}
			return fmt.Sprintf("%d%%", int(math.Round(x)))
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// base is the last element of a path or URL.
func base(s string) string {
	if i := strings.IndexAny(s, "?#"); i > 0 && strings.Contains(s, "://") {
		s = s[:i]
	}
	if b := path.Base(s); b != "." && b != "/" {
		return b
	}
	return s
}

// words writes a snake_case key as words ("source_start" -> "source start").
func words(k string) string { return strings.ReplaceAll(k, "_", " ") }

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}
