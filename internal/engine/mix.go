package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// Mix pipeline (every stage streams; memory is the ducking envelope, one
// float per 10 ms, and a few buffers):
//
//  1. the voices (rendered WAVs at one rate) are summed in Go while their
//     loudness (BS.1770) and 10 ms levels are measured: the levels key the
//     ducking, the loudness sets the music's level;
//  2. the music's own loudness is measured (ffmpeg decodes it once);
//  3. ffmpeg decodes the music looped (-stream_loop) to the programme's
//     length; Go applies its gain, fades and the ducking envelope and adds
//     the voices, writing a float WAV;
//  4. the mix runs through Process's loudness stage (measured gain,
//     look-ahead limiter, true peak checked on the file) to the target.

// Ducking defaults (a broadcast-style voice-over ducker).
const (
	defaultDuckDB      = 10.0
	defaultDuckAttack  = 0.1
	defaultDuckRelease = 0.6
	defaultBedFade     = 2.0
	// duckHold bridges the gaps between words, so that the music does not
	// pump up between syllables.
	duckHold = 0.3
	// mixCeilingDB is the true-peak ceiling of a mix with no loudness edit.
	mixCeilingDB = -1.0
)

// MixVoice is one voice of a mix: a float WAV (Processed.Path) starting
// at Offset seconds on the timeline.
type MixVoice struct {
	Path   string
	Offset float64
}

// MixBed is a music bed under the voices.
type MixBed struct {
	// Source is the music file (any format ffmpeg decodes).
	Source *MediaInfo
	// LevelDB is the music's integrated loudness relative to the voices'
	// (20% = -14 dB).
	LevelDB float64
	// Duck lowers the music by DuckDB (0 = 10 dB) while someone speaks,
	// with Attack and Release in seconds (0 = 0.1 and 0.6).
	Duck                    bool
	DuckDB, Attack, Release float64
	// Fade is the fade length at both ends (0 = 2 s, < 0 = none).
	Fade float64
	// Offset is where the music starts on the timeline (seconds): silent
	// before, faded in from there.
	Offset float64
}

// MixOptions configures Mix.
type MixOptions struct {
	Voices []MixVoice
	// Bed is the music under the voices; nil = none.
	Bed *MixBed
	// Loudness is the mix's target; nil keeps the voices' loudness with a
	// -1 dBTP ceiling.
	Loudness *LoudnessOptions
	// Progress, if set, receives the fraction done (0..1).
	Progress func(frac float64)
}

// MixReport holds what Mix measured.
type MixReport struct {
	VoiceLUFS   float64 `json:"voice_lufs"`
	MusicLUFS   float64 `json:"music_lufs,omitempty"`
	MusicGainDB float64 `json:"music_gain_db,omitempty"`
	// SpeechShare is the fraction of the programme the ducker took for
	// speech.
	SpeechShare float64 `json:"speech_share,omitempty"`
}

// Mix sums the voices, adds the music bed (looped or cut to the voices'
// length, faded, ducked under speech) and brings the mix to the loudness
// target. The output is as long as the longest voice.
func (e *Engine) Mix(ctx context.Context, opts MixOptions) (*Processed, *MixReport, error) {
	if len(opts.Voices) == 0 {
		return nil, nil, errors.New("mix: no voice")
	}
	prog := newChainProgress(opts.Progress)
	var vs []*wavFile
	defer func() {
		for _, v := range vs {
			v.Close()
		}
	}()
	rate, channels := 0, 1
	var frames int64
	offs := make([]int64, len(opts.Voices))
	for i, v := range opts.Voices {
		w, err := openWAV(v.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("mix: %w", err)
		}
		vs = append(vs, w)
		if rate == 0 {
			rate = w.rate
		} else if w.rate != rate {
			return nil, nil, fmt.Errorf("mix: voices at %d and %d Hz", rate, w.rate)
		}
		channels = max(channels, min(w.channels, 2))
		offs[i] = int64(math.Round(v.Offset * float64(rate)))
		frames = max(frames, offs[i]+w.frames)
	}
	bed := opts.Bed
	if bed != nil {
		if bed.Source == nil || !bed.Source.HasAudio {
			return nil, nil, fmt.Errorf("%w: the music has no audio", ErrUnsupported)
		}
		channels = max(channels, min(max(bed.Source.Channels, 1), 2))
	}
	if frames <= 0 {
		return nil, nil, ErrNothingToRender
	}
	sum := &voiceSum{vs: vs, offs: offs, channels: channels}

	// 1. Measure the voices.
	vm := newLoudnessMeter(rate, channels, false)
	key := newLevelMeter(rate, channels)
	const block = 8192
	buf := make([]float32, block*channels)
	raw := make([]byte, 4*len(buf))
	for at := int64(0); at < frames; at += block {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		n := int(min(block, frames-at))
		if err := sum.read(buf[:n*channels], at); err != nil {
			return nil, nil, fmt.Errorf("mix: %w", err)
		}
		b := f32Bytes(raw, buf[:n*channels])
		vm.frames(b)
		key.frames(b)
		prog.set(0.15 * float64(at) / float64(frames))
	}
	voiceLUFS, _ := vm.result()
	rep := &MixReport{VoiceLUFS: round1(voiceLUFS)}

	work, err := os.MkdirTemp(e.tmp, "audioedit-mix-*")
	if err != nil {
		return nil, nil, fmt.Errorf("mix: %w", err)
	}
	defer os.RemoveAll(work)
	mixPath := filepath.Join(work, "mix.wav")
	ww, err := createWAV(mixPath, rate, channels)
	if err != nil {
		return nil, nil, fmt.Errorf("mix: %w", err)
	}
	mw := &mixWriter{sum: sum, out: ww, total: frames, channels: channels, raw: raw}
	if bed != nil {
		// 2. The music's own loudness.
		mm := newLoudnessMeter(rate, channels, false)
		if _, err := e.run(ctx, "measure the music", e.ffmpeg, musicArgs(bed.Source.Path, rate, channels, 0), nil, mm); err != nil {
			ww.abort()
			return nil, nil, err
		}
		musicLUFS, _ := mm.result()
		if musicLUFS <= silentLUFS+1 {
			ww.abort()
			return nil, nil, fmt.Errorf("%w: the music is silent", ErrUnsupported)
		}
		rep.MusicLUFS = round1(musicLUFS)
		ref := voiceLUFS
		if ref <= silentLUFS+1 {
			ref = defaultTargetLUFS // a silent voice: place the music against the target
		}
		g := ref + bed.LevelDB - musicLUFS
		rep.MusicGainDB = round1(g)
		env, share := duckEnvelope(key.levels(), *bed)
		rep.SpeechShare = round3(share)
		start := int64(math.Round(max(bed.Offset, 0) * float64(rate)))
		if start >= frames {
			ww.abort()
			return nil, nil, fmt.Errorf("%w: the music starts at %.1f s, after the programme's end (%.1f s)", ErrUnsupported, bed.Offset, float64(frames)/float64(rate))
		}
		mw.bed = &bedShaper{gain: dbToLin(g), env: env, hop: key.lv.hop, fade: bedFade(bed.Fade, frames-start, rate), start: start, frames: frames}
		mw.progress = func(at int64) { prog.set(0.15 + 0.35*float64(at)/float64(frames)) }
		// 3. The voices alone up to the music's start, then the music
		// decoded looped to length and mixed.
		if err := mw.voicesTo(start); err != nil {
			ww.abort()
			return nil, nil, fmt.Errorf("mix: %w", err)
		}
		if _, err := e.run(ctx, "mix the music", e.ffmpeg, musicArgs(bed.Source.Path, rate, channels, float64(frames-start)/float64(rate)+0.1), nil, mw); err != nil {
			ww.abort()
			return nil, nil, err
		}
	}
	if err := mw.voicesTo(frames); err != nil { // the voices alone from where the music ended
		ww.abort()
		return nil, nil, fmt.Errorf("mix: %w", err)
	}
	if err := ww.Close(); err != nil {
		return nil, nil, fmt.Errorf("mix: %w", err)
	}

	// 4. Loudness of the whole.
	lo := LoudnessOptions{TargetLUFS: math.Round(voiceLUFS*10) / 10, TruePeak: mixCeilingDB}
	if opts.Loudness != nil {
		lo = opts.Loudness.withDefaults()
	}
	if lo.TargetLUFS <= silentLUFS+1 || lo.TargetLUFS < -60 {
		lo.TargetLUFS = defaultTargetLUFS
	}
	info, err := e.Probe(ctx, mixPath)
	if err != nil {
		return nil, nil, fmt.Errorf("mix: %w", err)
	}
	pr, err := e.Process(ctx, info, ProcessOptions{Chain: Chain{Loudness: &lo},
		Progress: func(f float64) { prog.set(0.5 + 0.5*f) }})
	if err != nil {
		return nil, nil, err
	}
	pr.Keep = nil
	prog.done()
	return pr, rep, nil
}

// musicArgs decodes the music to interleaved float32 at rate and channels;
// length > 0 loops it and stops at length seconds.
func musicArgs(path string, rate, channels int, length float64) []string {
	var a []string
	a = append(a, "-v", "error")
	if length > 0 {
		a = append(a, "-stream_loop", "-1")
	}
	a = append(a, input(path)...)
	a = append(a, "-map", "0:a:0", "-vn", "-sn", "-dn",
		"-ac", strconv.Itoa(channels), "-ar", strconv.Itoa(rate))
	if length > 0 {
		a = append(a, "-t", fnum(length))
	}
	return ffmpegArgs(append(a, "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1")...)
}

// voiceSum reads the sum of the voices at the mix's channel count (a mono
// voice goes to both channels).
type voiceSum struct {
	vs       []*wavFile
	offs     []int64
	channels int
	tmp      []float32
}

func (s *voiceSum) read(dst []float32, at int64) error {
	clear(dst)
	n := len(dst) / s.channels
	for i, v := range s.vs {
		need := n * v.channels
		if cap(s.tmp) < need {
			s.tmp = make([]float32, need)
		}
		t := s.tmp[:need]
		if err := v.ReadFrames(t, at-s.offs[i]); err != nil {
			return err
		}
		for f := range n {
			for c := range s.channels {
				dst[f*s.channels+c] += t[f*v.channels+min(c, v.channels-1)]
			}
		}
	}
	return nil
}

// f32Bytes writes x as little-endian float32 into raw (grown as needed).
func f32Bytes(raw []byte, x []float32) []byte {
	b := raw[:4*len(x)]
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// bedShaper is the music's gain at each frame of the timeline: level,
// fades, ducking; the music plays from frame start.
type bedShaper struct {
	gain   float64
	env    []float32 // ducking gain (linear) per level frame; nil = none
	hop    int
	fade   int64 // fade length in frames
	start  int64
	frames int64
}

func (b *bedShaper) at(i int64) float32 {
	g := b.gain
	if b.env != nil {
		// Interpolate between level frames so the gain moves per sample.
		k := int(i / int64(b.hop))
		if k+1 < len(b.env) {
			fr := float64(i%int64(b.hop)) / float64(b.hop)
			g *= float64(b.env[k])*(1-fr) + float64(b.env[k+1])*fr
		} else if len(b.env) > 0 {
			g *= float64(b.env[len(b.env)-1])
		}
	}
	if b.fade > 0 {
		if j := i - b.start; j < b.fade {
			g *= 0.5 - 0.5*math.Cos(math.Pi*float64(max(j, 0))/float64(b.fade))
		}
		if r := b.frames - 1 - i; r < b.fade {
			g *= 0.5 - 0.5*math.Cos(math.Pi*float64(max(r, 0))/float64(b.fade))
		}
	}
	return float32(g)
}

func bedFade(fade float64, frames int64, rate int) int64 {
	switch {
	case fade < 0:
		return 0
	case fade == 0:
		fade = defaultBedFade
	}
	return min(int64(fade*float64(rate)), frames/2)
}

// duckEnvelope is the music's ducking gain per 10 ms level frame, keyed by
// the voices: a frame is speech when it is nearer the speech level than the
// floor; speech lowers the gain by DuckDB, reached in about Attack (it
// starts Attack early, as the whole voice is known) and left in about
// Release after a hold that bridges the gaps between words. share is the
// fraction of frames taken for speech.
func duckEnvelope(l *levels, bed MixBed) (env []float32, share float64) {
	if !bed.Duck || len(l.ms) == 0 {
		return nil, 0
	}
	depth, attack, release := bed.DuckDB, bed.Attack, bed.Release
	if depth <= 0 {
		depth = defaultDuckDB
	}
	if attack <= 0 {
		attack = defaultDuckAttack
	}
	if release <= 0 {
		release = defaultDuckRelease
	}
	step := float64(l.hop) / float64(l.rate)
	floor, speech := l.floorDB(), l.speechDB()
	thr := max(floor+6, (floor+speech)/2, speech-30)
	n := len(l.ms)
	on := make([]bool, n)
	hold := int(math.Ceil(duckHold / step))
	lead := int(math.Round(attack / step))
	last := -1 << 30
	count := 0
	for i, ms := range l.ms {
		if speech-floor >= minDynamicDB && powDB(float64(ms)) > thr {
			last = i
			for j := max(0, i-lead); j <= i; j++ {
				on[j] = true
			}
		}
		if i-last <= hold {
			on[i] = true
		}
	}
	// One-pole smoothing in dB: 10-90% in about attack or release.
	aDown := math.Exp(-step / (attack / 2.2))
	aUp := math.Exp(-step / (release / 2.2))
	env = make([]float32, n)
	cur := 0.0
	for i := range n {
		target := 0.0
		if on[i] {
			target = -depth
			count++
		}
		a := aUp
		if target < cur {
			a = aDown
		}
		cur = target + (cur-target)*a
		env[i] = float32(dbToLin(cur))
	}
	return env, float64(count) / float64(n)
}

// mixWriter takes the decoded music (interleaved float32) and writes
// music x shaper + voices to out.
type mixWriter struct {
	sum      *voiceSum
	bed      *bedShaper
	out      *wavWriter
	total    int64
	channels int
	split    frameSplitter
	pos      int64
	vbuf     []float32
	mbuf     []float32
	raw      []byte
	progress func(at int64)
}

// Write implements io.Writer.
func (m *mixWriter) Write(p []byte) (int, error) {
	err := m.split.split(p, 4*m.channels, func(b []byte) error { return m.frames(b) })
	return len(p), err
}

func (m *mixWriter) frames(b []byte) error {
	n := int64(len(b) / (4 * m.channels))
	n = min(n, m.total-m.pos)
	if n <= 0 {
		return nil
	}
	c := m.channels
	m.vbuf = grow(m.vbuf, int(n)*c)
	if err := m.sum.read(m.vbuf, m.pos); err != nil {
		return err
	}
	for f := range n {
		g := m.bed.at(m.pos + f)
		for k := range c {
			i := int(f)*c + k
			m.vbuf[i] += g * math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	m.pos += n
	if m.progress != nil {
		m.progress(m.pos)
	}
	return m.out.WriteFrames(m.vbuf)
}

// voicesTo writes the voices alone up to frame limit.
func (m *mixWriter) voicesTo(limit int64) error {
	const block = 8192
	limit = min(limit, m.total)
	for m.pos < limit {
		n := min(block, limit-m.pos)
		m.vbuf = grow(m.vbuf, int(n)*m.channels)
		if err := m.sum.read(m.vbuf, m.pos); err != nil {
			return err
		}
		if err := m.out.WriteFrames(m.vbuf); err != nil {
			return err
		}
		m.pos += n
	}
	return nil
}
