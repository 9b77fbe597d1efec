package local

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
)

// mixRate is the sample rate voices are rendered at when they are mixed.
const mixRate = 48000

// ResolutionHelp lists the export sizes the local engine accepts.
const ResolutionHelp = "1080p (default; a vertical video stays vertical), 720p, 480p, 1440p, 4k, 9:16, 1:1, 4:5, 16:9 (reframed by centre crop), vertical, square, or WIDTHxHEIGHT such as 1080x1920"

// mixPlan is what an export renders beyond its main track.
type mixPlan struct {
	bed      *bed
	bedLevel float64  // dB against the voice
	voices   []*track // other voices mixed with the main one
	texts    []engine.TextOverlay
	fit      string
	// mainOffset is where the main voice starts on the timeline.
	mainOffset float64
	// bedTrack is the music's own track: its in/out (keep) and offset.
	bedTrack *track
}

func (m mixPlan) active() bool { return m.bed != nil || len(m.voices) > 0 || m.mainOffset > 0 }

// combine decides how the session's files render together when nothing
// names one: the music bed (said, or a file named as music next to a
// voice) goes under the programme; several voices without a video are
// mixed, each cleaned and levelled on its own. It returns the programme's
// tracks (one when they combine) and the plan.
func (t *timeline) combine(cands []*track) ([]*track, mixPlan, error) {
	var mp mixPlan
	mp.texts = t.textOverlays()
	bd := t.mt.bed
	if bd == nil && len(cands) >= 2 {
		var music, rest []*track
		for _, c := range cands {
			if c.item.Info.Kind == "audio" && isMusicName(c.item.Name) {
				music = append(music, c)
			} else {
				rest = append(rest, c)
			}
		}
		if len(music) == 1 && len(rest) >= 1 {
			bd = &bed{item: music[0].item}
			music[0].role = "music"
			cands = rest
		}
	}
	if bd != nil {
		mp.bed = bd
		t.mt.bed = bd
		mp.bedLevel = t.musicLevel()
		mp.bedTrack = t.byID[bd.item.ID]
	}
	if len(cands) >= 2 {
		allAudio := true
		for _, c := range cands {
			allAudio = allAudio && c.item.Info.Kind == "audio"
		}
		if allAudio {
			mp.voices = cands[1:]
			cands = cands[:1]
		}
	}
	return cands, mp, nil
}

// chain is the audio chain of a track; sync, the synced recording's own
// track, adds the edits aimed at it by name ("make mic.wav 12 dB
// quieter"): its denoise, silence, loudness and fades win, gains add up.
func (tr *track) chain(sync *track) engine.Chain {
	c := engine.Chain{Denoise: tr.denoise, Silence: tr.silence, Loudness: tr.loudness, GainDB: tr.gain, FadeIn: tr.fadeIn, FadeOut: tr.fadeOut}
	if sync == nil {
		return c
	}
	if sync.denoise != nil {
		c.Denoise = sync.denoise
	}
	if sync.silence != nil {
		c.Silence = sync.silence
	}
	if sync.loudness != nil {
		c.Loudness = sync.loudness
	}
	c.GainDB += sync.gain
	if sync.fadeIn > 0 {
		c.FadeIn = sync.fadeIn
	}
	if sync.fadeOut > 0 {
		c.FadeOut = sync.fadeOut
	}
	return c
}

// mixRender mixes the main voice (rendered as main) with the other voices
// and the music bed; nil when the plan mixes nothing.
func (b *Backend) mixRender(ctx context.Context, jb *job, p *exportPlan, main *engine.Processed, report map[string]float64) (*engine.Processed, []string, error) {
	mp := p.mix
	var notes []string
	if len(mp.texts) > 0 && !videoFormats[p.format] {
		notes = append(notes, "titles need a video format: "+p.format+" has no picture, so they were not drawn")
	}
	if !mp.active() {
		return nil, notes, nil
	}
	voices := []engine.MixVoice{{Path: main.Path, Offset: mp.mainOffset}}
	lo := p.track.loudness
	for _, v := range mp.voices {
		c := v.chain(nil)
		if c.Loudness == nil {
			// Each voice is levelled on its own before the mix.
			c.Loudness = &engine.LoudnessOptions{}
			if lo != nil {
				c.Loudness = lo
			}
		}
		if lo == nil {
			lo = c.Loudness
		}
		if !wholeKeep(v) {
			c.Keep = v.keep
		}
		b.progress(jb, 0.3, "processing "+v.item.Name)
		pr, err := b.eng.Process(ctx, v.item.Info, engine.ProcessOptions{Chain: c, SampleRate: mixRate})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", v.item.Name, err)
		}
		defer pr.Remove()
		voices = append(voices, engine.MixVoice{Path: pr.Path, Offset: v.offset})
		n := "mixed with " + v.item.Name + " (each voice cleaned and levelled on its own)"
		if v.offset > 0 {
			n += ", starting at " + clock(v.offset)
		}
		notes = append(notes, n)
	}
	opts := engine.MixOptions{Voices: voices, Loudness: lo,
		Progress: func(f float64) { b.progress(jb, 0.4+0.2*f, "mixing") }}
	if bd := mp.bed; bd != nil {
		src, rm, err := b.bedSource(ctx, mp.bedTrack, bd.item.Info)
		if err != nil {
			return nil, nil, err
		}
		defer rm()
		opts.Bed = &engine.MixBed{Source: src, LevelDB: mp.bedLevel, Duck: !bd.spec.NoDuck, DuckDB: bd.spec.DuckDB, Fade: bd.spec.Fade}
		n := fmt.Sprintf("music bed %s at %.0f%% of the voice's loudness (%+.1f dB)", bd.item.Name, 100*math.Pow(10, mp.bedLevel/20), mp.bedLevel)
		if tr := mp.bedTrack; tr != nil {
			opts.Bed.Offset = tr.offset
			if !wholeKeep(tr) {
				n += ", using " + rangeText(tr.keep[0].Start, tr.keep[len(tr.keep)-1].End) + " of the file"
			}
			if tr.offset > 0 {
				n += ", starting at " + clock(tr.offset)
			}
		}
		if bd.spec.NoDuck {
			n += ", not ducked"
		} else {
			d := bd.spec.DuckDB
			if d == 0 {
				d = intent.DefaultDuckDB
			}
			n += fmt.Sprintf(", ducked %.0f dB under speech", d)
		}
		notes = append(notes, n+", looped or cut to the programme's length with fades")
	}
	mixed, mrep, err := b.eng.Mix(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	report["music_gain_db"] = mrep.MusicGainDB
	if mp.bed != nil {
		report["music_lufs"] = mrep.MusicLUFS
	}
	return mixed, notes, nil
}

// wholeKeep reports whether a track keeps its whole media.
func wholeKeep(tr *track) bool {
	return len(tr.keep) == 1 && tr.keep[0].Start <= 0.0005 && math.Abs(tr.keep[0].End-tr.item.Info.Duration) < 0.0005
}

// bedSource is the music to loop: the file itself, or the part of it its
// track keeps ("use only 0:10-0:40 of bed.mp3") rendered to a temporary
// WAV, removed by rm.
func (b *Backend) bedSource(ctx context.Context, tr *track, info *engine.MediaInfo) (*engine.MediaInfo, func(), error) {
	if tr == nil || wholeKeep(tr) {
		return info, func() {}, nil
	}
	pr, err := b.eng.Process(ctx, info, engine.ProcessOptions{Chain: engine.Chain{Keep: tr.keep}, SampleRate: mixRate})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", tr.item.Name, err)
	}
	src, err := b.eng.Probe(ctx, pr.Path)
	if err != nil {
		pr.Remove()
		return nil, nil, err
	}
	return src, func() { pr.Remove() }, nil
}

// driftNote says whether a drift is corrected at export.
func driftNote(ppm float64) string {
	if math.Abs(ppm) > engine.DriftCorrectPPM {
		return ", corrected"
	}
	return ""
}

// correctDrift resamples a synced recording whose clock drifts more than
// DriftCorrectPPM from the video's, so that it lines up from start to
// end, and moves the chain's ranges onto its corrected clock. It returns
// the source to render (p.audioSrc when there is nothing to correct).
func (b *Backend) correctDrift(ctx context.Context, p *exportPlan, popts *engine.ProcessOptions) (*engine.MediaInfo, string, error) {
	if p.drift == 0 {
		return p.audioSrc, "", nil
	}
	fixed, err := b.eng.CorrectDrift(ctx, p.audioSrc, p.drift)
	if err != nil {
		return nil, "", err
	}
	// Corrected time = video time + offset/(1+d).
	f := 1 + p.drift/1e6
	shift := p.offset/f - p.offset
	for i := range popts.Keep {
		popts.Keep[i].Start += shift
		popts.Keep[i].End += shift
	}
	popts.FrameOffset += shift
	p.offset += shift
	return fixed, fmt.Sprintf("the recording's clock drifts %+.1f ppm from the video's: resampled (soxr) to line up from start to end", p.drift), nil
}

// autoSync applies the default for a video plus one separately recorded
// sound when nothing was said: the recording is synced to the video (offset
// and drift measured now) and replaces its scratch sound in this render.
// Nothing is recorded in the history; a pair that does not match is left
// alone (export then asks which file to render).
func (b *Backend) autoSync(ctx context.Context, tl *timeline) ([]string, error) {
	var videos, audios []*track
	for _, tr := range tl.tracks {
		switch {
		case tr.item.Info.Kind == "video":
			videos = append(videos, tr)
		case tr.item.Info.Kind == "audio" && tr.role != "music" && tr.syncedTo == nil && !(tl.mt.bed == nil && isMusicName(tr.item.Name)):
			audios = append(audios, tr)
		}
	}
	if len(videos) != 1 || len(audios) != 1 || videos[0].syncAudio != nil || !videos[0].item.Info.HasAudio {
		return nil, nil
	}
	v, a := videos[0], audios[0]
	al, err := b.eng.AlignDrift(ctx, v.item.Info, a.item.Info)
	if errors.Is(err, engine.ErrNoMatch) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v.syncAudio, v.syncOffset, v.syncDrift, a.syncedTo = a.item, al.Offset, math.Round(al.DriftPPM*10)/10, v.item
	return []string{fmt.Sprintf("%s synced to %s automatically (offset %+.3f s, drift %+.1f ppm%s, confidence %.1f): its sound replaces the camera's",
		a.item.Name, v.item.Name, al.Offset, al.DriftPPM, driftNote(al.DriftPPM), al.Confidence)}, nil
}
