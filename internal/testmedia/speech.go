package testmedia

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// SpeechOptions configures Speech. The zero value gives the default
// measurement material (~38 s with a 2 s lead-in).
type SpeechOptions struct {
	// Phrases to speak; default DefaultPhrases(): ~12 varied English podcast
	// sentences ending in consonants and 's' sounds (clipping-prone).
	Phrases []string
	// Pauses after each phrase in seconds, cycled; default
	// {0.3, 1.2, 0.5, 2.5, 0.8, 1.8}.
	Pauses []float64
	// LeadIn is the silence before the first phrase in seconds; 0 means the
	// default 2 s, a negative value means no lead-in.
	LeadIn float64
	// TargetSeconds, if > 0, repeats the phrases until the result is at
	// least this long, stopping after the phrase and pause that reach it
	// (so a target shorter than one round gives fewer phrases). The phrases
	// are synthesized once and their samples tiled; pauses after the first
	// round are jittered ±20% (from Seed) so that the material is not
	// periodic.
	TargetSeconds float64
	// Seed picks the voice and speed of each phrase and the pause jitter.
	Seed int64
}

var defaultPhrases = []string{
	"Welcome back to the podcast.",
	"Today we fix noisy mics.",
	"Our guest builds desks from scraps.",
	"Six thick thistle sticks.",
	"Listeners hear every click and hiss.",
	"Cut the pauses but keep the beats.",
	"Nobody hears the best edits.",
	"Loudness targets vary by platforms.",
	"Our sponsor sells headphones.",
	"Check levels before you record.",
	"The sixth sheik's sheep is sick.",
	"Thanks for joining us this week.",
}

var defaultPauses = []float64{0.3, 1.2, 0.5, 2.5, 0.8, 1.8}

// DefaultPhrases returns a copy of the built-in phrase list Speech uses.
func DefaultPhrases() []string { return append([]string(nil), defaultPhrases...) }

// DefaultPauses returns a copy of the built-in pause cycle Speech uses.
func DefaultPauses() []float64 { return append([]float64(nil), defaultPauses...) }

// speechVoices and speechSpeeds are what Speech varies "a little" per phrase.
var (
	speechVoices = []string{"en-us", "en-us+m3", "en-us+f2", "en-gb", "en-us+f4", "en-us+m1"}
	speechSpeeds = []int{150, 155, 160, 165, 170}
)

// Trimming and segmentation of espeak output.
const (
	// trimDB is the threshold, relative to a phrase's peak, below which
	// leading/trailing samples count as silence. Fricative endings are
	// quiet, so it is low; espeak's own silence is digital zero anyway.
	trimDB = -55.0
	// splitGap is the shortest inner silence (below trimDB) that splits a
	// phrase into two speech segments, so that commas and sentence breaks
	// inside a phrase are pauses in the ground truth, while stop closures
	// inside words (up to ~145 ms in espeak output) are not; espeak's
	// sentence breaks are ~235 ms, its commas only ~65 ms.
	splitGap = 0.18
	// peakDB is the level every phrase is normalized to.
	peakDB = -3.0
)

// phrase is one synthesized, trimmed, peak-normalized phrase and its speech
// segments as sample ranges relative to its start.
type phrase struct {
	samples []float32
	segs    [][2]int
}

// Speech makes clean speech with known pauses: espeak-ng speaks each phrase
// (voice and speed varied a little, from Seed), phrases are trimmed of
// espeak's own silence, normalized to a -3 dBFS peak and joined with the
// given pauses after a silent lead-in. It returns the samples (mono, Rate,
// float32 in [-1, 1]) and the ground-truth speech segments in seconds,
// measured from the espeak output (inner silences of 180 ms or more split a
// phrase). Needs espeak-ng and ffmpeg; phrases are cached on disk (see
// CacheDir) and in memory, so only the first run pays for synthesis.
func Speech(ctx context.Context, opts SpeechOptions) (samples []float32, speech []Segment, err error) {
	texts := opts.Phrases
	if len(texts) == 0 {
		texts = defaultPhrases
	}
	pauses := opts.Pauses
	if len(pauses) == 0 {
		pauses = defaultPauses
	}
	for _, p := range pauses {
		if p < 0 || math.IsNaN(p) || math.IsInf(p, 0) {
			return nil, nil, fmt.Errorf("speech: invalid pause %v", p)
		}
	}
	for _, v := range []float64{opts.LeadIn, opts.TargetSeconds} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("speech: invalid duration %v", v)
		}
	}
	lead := opts.LeadIn
	switch {
	case lead == 0:
		lead = 2
	case lead < 0:
		lead = 0
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eec4))
	reqs := make([]synthReq, len(texts))
	for i, t := range texts {
		reqs[i] = synthReq{
			text:  t,
			voice: speechVoices[rng.IntN(len(speechVoices))],
			speed: speechSpeeds[rng.IntN(len(speechSpeeds))],
		}
	}
	phrases, err := synthAll(ctx, reqs)
	if err != nil {
		return nil, nil, fmt.Errorf("speech: %w", err)
	}

	// Plan the layout first (sizes only) so the output is allocated once.
	type slot struct {
		phrase int
		start  int // sample offset of the phrase
		pause  int // samples of silence after it
	}
	var plan []slot
	pos := int(math.Round(lead * Rate))
	target := int(math.Ceil(opts.TargetSeconds * Rate))
plan:
	for round := 0; ; round++ {
		for i := range phrases {
			p := pauses[(round*len(phrases)+i)%len(pauses)]
			if round > 0 {
				p *= 0.8 + 0.4*rng.Float64()
			}
			ps := int(math.Round(p * Rate))
			plan = append(plan, slot{phrase: i, start: pos, pause: ps})
			pos += len(phrases[i].samples) + ps
			if opts.TargetSeconds > 0 && pos >= target {
				break plan
			}
		}
		if opts.TargetSeconds <= 0 {
			break
		}
	}
	samples = make([]float32, pos)
	minGap := int(math.Round(splitGap * Rate))
	var runs [][2]int
	for _, s := range plan {
		ph := phrases[s.phrase]
		copy(samples[s.start:], ph.samples)
		for _, g := range ph.segs {
			r := [2]int{s.start + g[0], s.start + g[1]}
			// Join across pauses shorter than splitGap, as DetectSpeech does.
			if k := len(runs) - 1; k >= 0 && r[0]-runs[k][1] < minGap {
				runs[k][1] = r[1]
				continue
			}
			runs = append(runs, r)
		}
	}
	speech = make([]Segment, len(runs))
	for i, r := range runs {
		speech[i] = Segment{Start: float64(r[0]) / Rate, End: float64(r[1]) / Rate}
	}
	return samples, speech, nil
}

// DetectSpeech returns the non-silent parts of x as segments: runs of samples
// above -55 dB relative to the peak of x, split where the signal stays below
// that for 180 ms or more. On Speech output (digital silence between
// phrases) it reproduces the ground truth Speech returns; Mix uses it to find
// the active speech of its clean input.
func DetectSpeech(x []float32, rate int) []Segment {
	var out []Segment
	for _, r := range detectRuns(x, int(math.Round(splitGap*float64(rate)))) {
		out = append(out, Segment{float64(r[0]) / float64(rate), float64(r[1]) / float64(rate)})
	}
	return out
}

// detectRuns returns [start, end) sample ranges above trimDB relative to the
// peak, joined across gaps shorter than minGap samples.
func detectRuns(x []float32, minGap int) [][2]int {
	var peak float64
	for _, v := range x {
		peak = max(peak, math.Abs(float64(v)))
	}
	if peak == 0 {
		return nil
	}
	thr := peak * math.Pow(10, trimDB/20)
	var runs [][2]int
	start, last := -1, -1
	for i, v := range x {
		if math.Abs(float64(v)) <= thr {
			continue
		}
		switch {
		case start < 0:
			start = i
		case i-last-1 >= minGap:
			runs = append(runs, [2]int{start, last + 1})
			start = i
		}
		last = i
	}
	if start >= 0 {
		runs = append(runs, [2]int{start, last + 1})
	}
	return runs
}

// synthReq identifies one espeak-ng rendering.
type synthReq struct {
	text  string
	voice string
	speed int
}

// cacheVersion changes whenever the processing of espeak output changes, so
// stale cache files are never reused.
const cacheVersion = "testmedia-phrase-v1"

func (r synthReq) key() string {
	h := sha256.New()
	for _, s := range []string{cacheVersion, r.voice, strconv.Itoa(r.speed), strconv.Itoa(Rate), r.text} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

var memCache sync.Map // key -> *phrase

// CacheDir returns the directory where synthesized phrases are cached:
// $AUDIOEDIT_TESTMEDIA_CACHE if set, else <os.UserCacheDir>/mcp-audioedit-testmedia,
// else <os.TempDir>/mcp-audioedit-testmedia.
func CacheDir() string {
	if d := os.Getenv("AUDIOEDIT_TESTMEDIA_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil && d != "" {
		return filepath.Join(d, "mcp-audioedit-testmedia")
	}
	return filepath.Join(os.TempDir(), "mcp-audioedit-testmedia")
}

// synthAll renders all requests, two at a time (ffmpeg's resampling is the
// cost; the machines running tests are small).
func synthAll(ctx context.Context, reqs []synthReq) ([]*phrase, error) {
	out := make([]*phrase, len(reqs))
	errs := make([]error, len(reqs))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = synth(ctx, reqs[i])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// synth renders one phrase through the memory cache, the disk cache, or
// espeak-ng + ffmpeg.
func synth(ctx context.Context, r synthReq) (*phrase, error) {
	k := r.key()
	if v, ok := memCache.Load(k); ok {
		return v.(*phrase), nil
	}
	dir := CacheDir()
	file := filepath.Join(dir, k+".f32")
	x, err := readF32File(file)
	if err != nil {
		x, err = render(ctx, r)
		if err != nil {
			return nil, err
		}
		// The cache is an optimization: failing to write it is not fatal.
		if os.MkdirAll(dir, 0o755) == nil {
			_ = writeFileAtomic(file, F32Bytes(x))
		}
	}
	ph := &phrase{samples: x, segs: detectRuns(x, int(math.Round(splitGap*Rate)))}
	v, _ := memCache.LoadOrStore(k, ph)
	return v.(*phrase), nil
}

// render runs espeak-ng and resamples its output to Rate with ffmpeg, then
// trims and normalizes it.
func render(ctx context.Context, r synthReq) ([]float32, error) {
	espeak, ffmpeg := Espeak(), FFmpeg()
	if espeak == "" {
		return nil, errors.New("espeak-ng not found")
	}
	if ffmpeg == "" {
		return nil, errors.New("ffmpeg not found")
	}
	tmp, err := os.MkdirTemp("", "testmedia-espeak-")
	if err != nil {
		return nil, fmt.Errorf("espeak: %w", err)
	}
	defer os.RemoveAll(tmp)
	wav := filepath.Join(tmp, "phrase.wav")
	// The text goes through stdin so that nothing in it is read as a flag.
	argv := []string{espeak, "-v", r.voice, "-s", strconv.Itoa(r.speed), "-w", wav}
	if _, err := runTool(ctx, argv, bytes.NewReader([]byte(r.text)), nil, 0); err != nil {
		return nil, fmt.Errorf("espeak %q: %w", short(r.text), err)
	}
	var pcm bytes.Buffer
	argv = []string{ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-i", wav,
		"-ac", "1", "-ar", strconv.Itoa(Rate), "-f", "f32le", "pipe:1"}
	if _, err := runTool(ctx, argv, nil, &pcm, 0); err != nil {
		return nil, fmt.Errorf("resample %q: %w", short(r.text), err)
	}
	x := F32FromBytes(pcm.Bytes())
	runs := detectRuns(x, math.MaxInt)
	if len(runs) == 0 {
		return nil, fmt.Errorf("espeak %q: silent output", short(r.text))
	}
	x = append([]float32(nil), x[runs[0][0]:runs[0][1]]...)
	var peak float64
	for _, v := range x {
		peak = max(peak, math.Abs(float64(v)))
	}
	g := math.Pow(10, peakDB/20) / peak
	for i, v := range x {
		x[i] = float32(float64(v) * g)
	}
	return x, nil
}

func short(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// F32Bytes encodes samples as float32 little-endian (ffmpeg's f32le).
func F32Bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// F32FromBytes decodes float32 little-endian samples; a trailing partial
// sample is dropped.
func F32FromBytes(b []byte) []float32 {
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x
}

func readF32File(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(b)%4 != 0 {
		return nil, fmt.Errorf("cache file %s: bad size %d", path, len(b))
	}
	return F32FromBytes(b), nil
}

// writeFileAtomic writes data to a temporary file next to path and renames it
// into place, so readers never see a partial file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
