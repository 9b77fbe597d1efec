package engine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/neural"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
	"go.uber.org/zap"
)

// Helpers of the audio-chain tests are prefixed "chain" to stay clear of
// other test files in this package.

// chainEngine returns an Engine on the test's ffmpeg with a private temp dir.
func chainEngine(t *testing.T) *Engine {
	t.Helper()
	ff := testmedia.RequireFFmpeg(t)
	e, err := New(Options{FFmpeg: ff, TempDir: t.TempDir()})
	if err != nil {
		if errors.Is(err, ErrFFmpegMissing) && os.Getenv("CI") == "" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	return e
}

var (
	chainSpeechOnce sync.Once
	chainSpeechX    []float32
	chainSpeechSegs []testmedia.Segment
	chainSpeechErr  error
)

// chainSpeech is the default measurement speech (~38 s, 2 s lead-in).
func chainSpeech(t *testing.T) ([]float32, []testmedia.Segment) {
	t.Helper()
	testmedia.RequireEspeak(t)
	chainSpeechOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		chainSpeechX, chainSpeechSegs, chainSpeechErr = testmedia.Speech(ctx, testmedia.SpeechOptions{})
	})
	if chainSpeechErr != nil {
		t.Fatal(chainSpeechErr)
	}
	return chainSpeechX, chainSpeechSegs
}

// chainWrite writes mono samples at testmedia.Rate to dir/name and probes it.
func chainWrite(t *testing.T, e *Engine, name string, x []float32, channels int) *MediaInfo {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := testmedia.WriteWAV(p, x, testmedia.Rate, channels); err != nil {
		t.Fatal(err)
	}
	mi, err := e.Probe(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return mi
}

// chainProcess runs Process and reads its output back (mono mix at 48 kHz
// unless the output is otherwise: rate/channels of the file).
func chainProcess(t *testing.T, e *Engine, mi *MediaInfo, opts ProcessOptions) (*Processed, []float32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p, err := e.Process(ctx, mi, opts)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	t.Cleanup(func() { p.Remove() })
	y, err := testmedia.ReadPCM(ctx, e.FFmpeg(), p.Path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(y), int(math.Round(p.Duration*float64(p.SampleRate)))*p.Channels; got != want {
		t.Errorf("output has %d samples, Duration %.6f s says %d", got, p.Duration, want)
	}
	return p, y
}

func chainHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func toSegments(rs []Range) []testmedia.Segment {
	out := make([]testmedia.Segment, len(rs))
	for i, r := range rs {
		out[i] = testmedia.Segment{Start: r.Start, End: r.End}
	}
	return out
}

// TestProcessDenoiseClassic checks that the classic denoiser measurably
// removes noise, improves SI-SDR and keeps the signal aligned and its length.
func TestProcessDenoiseClassic(t *testing.T) {
	e := chainEngine(t)
	clean, segs := chainSpeech(t)
	pauses := testmedia.Complement(segs, float64(len(clean))/testmedia.Rate)
	tests := []struct {
		kind      testmedia.NoiseKind
		snr       float64
		minDropDB float64 // pause noise reduction at least
		minGainDB float64 // SI-SDR improvement at least
	}{
		{testmedia.White, 5, 10, 6},
		{testmedia.Pink, 5, 4, 2},
		{testmedia.Hum, 5, 10, 4},
		{testmedia.Pink, 0, 4, 2}, // as loud as the speech
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %.0f dB", tc.kind, tc.snr), func(t *testing.T) {
			noisy := testmedia.Mix(clean, testmedia.Noise(tc.kind, len(clean), 7), tc.snr)
			mi := chainWrite(t, e, "noisy.wav", noisy, 1)
			p, y := chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Denoise: &DenoiseOptions{Model: "classic"}}})
			if len(y) != len(noisy) {
				t.Fatalf("length %d, want %d", len(y), len(noisy))
			}
			in, _ := testmedia.SISDR(clean, noisy, testmedia.SISDRMaxLag)
			out, lag := testmedia.SISDR(clean, y, testmedia.SISDRMaxLag)
			drop := testmedia.EnergyDB(noisy, testmedia.Rate, pauses) - testmedia.EnergyDB(y, testmedia.Rate, pauses)
			t.Logf("%s: SI-SDR %.2f -> %.2f dB (%+.2f), lag %d, pause noise -%.1f dB; report %+v", tc.kind, in, out, out-in, lag, drop, p.Report)
			if out-in < tc.minGainDB {
				t.Errorf("SI-SDR improved by %.2f dB, want >= %.1f", out-in, tc.minGainDB)
			}
			if drop < tc.minDropDB {
				t.Errorf("pause noise dropped %.1f dB, want >= %.1f", drop, tc.minDropDB)
			}
			off, conf := testmedia.Align(noisy, y, testmedia.Rate, 0.05)
			if math.Abs(off) > 0.001 {
				t.Errorf("output offset %.2f ms (confidence %.1f), want within 1 ms", off*1000, conf)
			}
			if p.Report.Denoiser != "afftdn (profiled)" {
				t.Errorf("Denoiser %q, want afftdn (profiled)", p.Report.Denoiser)
			}
			if p.Report.NoiseReductionDB < tc.minDropDB {
				t.Errorf("report NoiseReductionDB %.1f, want >= %.1f", p.Report.NoiseReductionDB, tc.minDropDB)
			}
		})
	}
}

// TestProcessSilence checks pause trimming against the ground truth: the
// duration shrinks by what the pauses lose, speech is kept, shortened
// pauses have the asked length and short pauses are left alone.
func TestProcessSilence(t *testing.T) {
	e := chainEngine(t)
	clean, segs := chainSpeech(t)
	total := float64(len(clean)) / testmedia.Rate
	truth := testmedia.Complement(segs, total)
	inputs := map[testmedia.NoiseKind]*MediaInfo{}
	for _, k := range []testmedia.NoiseKind{testmedia.Pink, testmedia.White, testmedia.Babble} {
		inputs[k] = chainWrite(t, e, string(k)+".wav", testmedia.Mix(clean, testmedia.Noise(k, len(clean), 3), 10), 1)
	}

	tests := []struct {
		name      string
		noise     testmedia.NoiseKind
		opts      SilenceOptions
		noDenoise bool
	}{
		{"remove", testmedia.Pink, SilenceOptions{}, false},
		{"shorten", testmedia.Pink, SilenceOptions{ShortenTo: 0.5}, false},
		{"long pauses only", testmedia.Pink, SilenceOptions{MinPause: 1.0}, false},
		{"remove white", testmedia.White, SilenceOptions{}, false},
		{"remove babble", testmedia.Babble, SilenceOptions{}, false},
		{"remove without denoise", testmedia.Pink, SilenceOptions{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mi := inputs[tc.noise]
			chain := Chain{Denoise: &DenoiseOptions{Model: "classic"}, Silence: &tc.opts}
			if tc.noDenoise {
				chain.Denoise = nil
			}
			p, y := chainProcess(t, e, mi, ProcessOptions{Chain: chain})
			o := tc.opts.withDefaults()
			keep := max(o.ShortenTo, 2*o.Margin)
			// What the ground truth says should go: every pause at least
			// MinPause long loses all but keep (one margin at the ends).
			var want float64
			for _, g := range truth {
				l := g.End - g.Start
				if l < o.MinPause {
					continue
				}
				switch {
				case g.Start <= 0 || g.End >= total:
					want += max(l-max(o.Margin, keep/2), 0)
				default:
					want += max(l-keep, 0)
				}
			}
			kept := testmedia.SpeechKept(segs, toSegments(p.Keep))
			gotRemoved := total - p.Duration
			t.Logf("removed %.2f s (ground truth %.2f), %d pauses, speech kept %.4f, report %+v",
				gotRemoved, want, p.Report.PausesTrimmed, kept, p.Report)
			if kept < 0.99 {
				t.Errorf("speech kept %.4f, want >= 0.99", kept)
			}
			if math.Abs(gotRemoved-want) > 0.15*want+0.3 {
				t.Errorf("removed %.2f s, want about %.2f s", gotRemoved, want)
			}
			if math.Abs(p.Report.SecondsRemoved-gotRemoved) > 0.01 {
				t.Errorf("report says %.3f s removed, duration says %.3f", p.Report.SecondsRemoved, gotRemoved)
			}
			if d := float64(len(y)) / testmedia.Rate; math.Abs(d-p.Duration) > 1e-9 {
				t.Errorf("file is %.6f s, Duration %.6f", d, p.Duration)
			}
			// The pause left at each join, measured on the ground truth.
			// Ground-truth speech runs to -55 dB tails that the noise hides,
			// so a join may leave a little less than nominal (the margins
			// sit on those tails); it must never leave much more (a pause
			// split in two) nor nothing.
			var sum float64
			joins := 0
			for i := 1; i < len(p.Keep); i++ {
				end, start := p.Keep[i-1].End, p.Keep[i].Start
				var before, after float64
				for _, g := range truth {
					if g.Start <= end && end <= g.End {
						before = end - g.Start
					}
					if g.Start <= start && start <= g.End {
						after = g.End - start
					}
				}
				got := before + after
				sum += got
				joins++
				if got < 0.1 || got > keep+0.2 {
					t.Errorf("join %d at %.2f/%.2f leaves a %.2f s pause, want about %.2f", i, end, start, got, keep)
				}
			}
			if joins == 0 {
				t.Fatal("no pause was trimmed")
			}
			if mean := sum / float64(joins); math.Abs(mean-keep) > 0.15 {
				t.Errorf("pauses left average %.2f s, want about %.2f", mean, keep)
			}
			// Short pauses are left alone.
			for _, g := range truth {
				if g.End-g.Start >= o.MinPause-0.05 || g.Start <= 0 || g.End >= total {
					continue
				}
				for i := 1; i < len(p.Keep); i++ {
					if p.Keep[i-1].End > g.Start && p.Keep[i-1].End < g.End {
						t.Errorf("pause %.2f-%.2f (%.2f s < MinPause) was cut", g.Start, g.End, g.End-g.Start)
					}
				}
			}
		})
	}
}

// TestProcessLoudness checks that quiet, loud and peaky input lands on the
// target under the ceiling.
func TestProcessLoudness(t *testing.T) {
	e := chainEngine(t)
	clean, _ := chainSpeech(t)
	clean = clean[:20*testmedia.Rate]
	scaled := func(db float64) []float32 {
		g := float32(math.Pow(10, db/20))
		out := make([]float32, len(clean))
		for i, v := range clean {
			out[i] = v * g
		}
		return out
	}
	peaky := scaled(-20)
	for i := range 10 { // clicks up to full scale
		peaky[(2+i)*testmedia.Rate+1234] = 0.99
		peaky[(2+i)*testmedia.Rate+1235] = -0.99
	}
	tests := []struct {
		name   string
		x      []float32
		target LoudnessOptions
	}{
		{"quiet -16", scaled(-14), LoudnessOptions{}},
		{"loud -16", scaled(6), LoudnessOptions{}},
		{"peaky -16", peaky, LoudnessOptions{}},
		{"quiet -23", scaled(-14), LoudnessOptions{TargetLUFS: -23, TruePeak: -2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mi := chainWrite(t, e, "in.wav", tc.x, 1)
			inL, _, err := e.MeasureLoudness(context.Background(), mi.Path)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Loudness: &tc.target}})
			lufs, tp, err := testmedia.Loudness(context.Background(), e.FFmpeg(), p.Path)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.target.withDefaults()
			t.Logf("in %.1f LUFS -> %.2f LUFS, %.2f dBTP; report %+v", inL, lufs, tp, p.Report)
			if math.Abs(lufs-want.TargetLUFS) > 0.5 {
				t.Errorf("loudness %.2f LUFS, want %.1f ±0.5", lufs, want.TargetLUFS)
			}
			if tp > want.TruePeak {
				t.Errorf("true peak %.2f dBTP over the %.1f ceiling", tp, want.TruePeak)
			}
			if math.Abs(p.Report.OutputLUFS-lufs) > 0.15 || math.Abs(p.Report.TruePeakDB-tp) > 0.25 {
				t.Errorf("report %.2f LUFS %.2f dBTP, measured %.2f %.2f", p.Report.OutputLUFS, p.Report.TruePeakDB, lufs, tp)
			}
		})
	}
}

// chainTone is a sine at freq Hz, amplitude a, n samples.
func chainTone(n int, freq, a float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(a * math.Sin(2*math.Pi*freq*float64(i)/testmedia.Rate))
	}
	return x
}

// chainToneLevel is the level (dB) of the freq component of x (Goertzel-ish
// correlation with a sine and cosine), over [from, to) seconds.
func chainToneLevel(x []float32, rate int, freq, from, to float64) float64 {
	lo, hi := int(from*float64(rate)), min(int(to*float64(rate)), len(x))
	var s, c float64
	for i := lo; i < hi; i++ {
		ph := 2 * math.Pi * freq * float64(i) / float64(rate)
		s += float64(x[i]) * math.Sin(ph)
		c += float64(x[i]) * math.Cos(ph)
	}
	n := float64(hi - lo)
	return 20 * math.Log10(2*math.Hypot(s, c)/n+1e-12)
}

// TestProcessCuts checks exact lengths, that a cut range's content is gone,
// fades and gain, stereo and resampling.
func TestProcessCuts(t *testing.T) {
	e := chainEngine(t)
	// 10 s: 440 Hz everywhere, plus 1 kHz only in [4, 6).
	n := 10 * testmedia.Rate
	x := chainTone(n, 440, 0.25)
	marker := chainTone(n, 1000, 0.25)
	for i := 4 * testmedia.Rate; i < 6*testmedia.Rate; i++ {
		x[i] += marker[i]
	}
	mi := chainWrite(t, e, "tones.wav", x, 1)
	before := chainHash(t, mi.Path)

	keep := []Range{{0, 3.9}, {6.1, 8.25}, {8.75, 9.5}}
	p, y := chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Keep: keep, GainDB: -6, FadeIn: 0.5, FadeOut: 0.25}})
	wantN := int(math.Round(3.9*48000)) + int(math.Round(2.15*48000)) + int(math.Round(0.75*48000))
	if len(y) != wantN {
		t.Errorf("output %d samples, want %d", len(y), wantN)
	}
	if lv := chainToneLevel(y, 48000, 1000, 0.6, 6.5); lv > -60 {
		t.Errorf("1 kHz marker from the cut range still at %.1f dB", lv)
	}
	if lv, want := chainToneLevel(y, 48000, 440, 1, 3), 20*math.Log10(0.25)-6; math.Abs(lv-want) > 0.2 {
		t.Errorf("440 Hz at %.2f dB after -6 dB gain, want %.2f", lv, want)
	}
	if peak := maxAbs(y[:480]); peak > 0.01 {
		t.Errorf("fade-in starts at %.3f, want near silence", peak)
	}
	if peak := maxAbs(y[len(y)-48:]); peak > 0.01 {
		t.Errorf("fade-out ends at %.3f, want near silence", peak)
	}
	if p.Report.TruePeakDB > -7 {
		t.Errorf("true peak %.2f dBTP, expected about -9 after -6 dB", p.Report.TruePeakDB)
	}

	// Frame snapping, stereo, resampling: lengths stay exact.
	stereo := make([]float32, 2*n)
	for i := range n {
		stereo[2*i], stereo[2*i+1] = x[i], -x[i]
	}
	ms := chainWrite(t, e, "stereo.wav", stereo, 2)
	p2, y2 := chainProcess(t, e, ms, ProcessOptions{Chain: Chain{Keep: keep}, FrameRate: 30, SampleRate: 44100})
	if p2.Channels != 2 || p2.SampleRate != 44100 {
		t.Errorf("got %d ch %d Hz", p2.Channels, p2.SampleRate)
	}
	frames := 0.0
	for _, r := range p2.Keep {
		frames += (r.End - r.Start) * 30
		if f := r.Start * 30; math.Abs(f-math.Round(f)) > 1e-6 {
			t.Errorf("range start %.6f is not on a 30 fps frame", r.Start)
		}
	}
	if math.Abs(frames-math.Round(frames)) > 1e-6 || len(y2) != int(math.Round(frames))*44100/30*2 {
		t.Errorf("%d samples for %.3f frames", len(y2), frames)
	}
	if after := chainHash(t, mi.Path); after != before {
		t.Error("input file changed")
	}
}

func maxAbs(x []float32) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(float64(v)))
	}
	return m
}

// TestProcessKeepOutside checks that ranges beyond the source render as
// silence with the exact length (how sync pads external audio).
func TestProcessKeepOutside(t *testing.T) {
	e := chainEngine(t)
	x := chainTone(3*testmedia.Rate, 440, 0.5)
	mi := chainWrite(t, e, "tone.wav", x, 1)
	var mu sync.Mutex
	var fracs []float64
	p, y := chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Keep: []Range{{-1, 4.5}}}, Progress: func(f float64) {
		mu.Lock()
		fracs = append(fracs, f)
		mu.Unlock()
	}})
	mu.Lock()
	if len(fracs) == 0 || fracs[len(fracs)-1] != 1 {
		t.Errorf("progress %v, want it to end at 1", fracs)
	}
	for i := 1; i < len(fracs); i++ {
		if fracs[i] < fracs[i-1] {
			t.Errorf("progress went back: %v", fracs)
			break
		}
	}
	mu.Unlock()
	if len(y) != 5*testmedia.Rate+testmedia.Rate/2 {
		t.Fatalf("%d samples, want %d", len(y), 5*testmedia.Rate+testmedia.Rate/2)
	}
	if m := maxAbs(y[:testmedia.Rate-10]); m != 0 {
		t.Errorf("padding before the source is not silent: %g", m)
	}
	if m := maxAbs(y[4*testmedia.Rate+10:]); m != 0 {
		t.Errorf("padding after the source is not silent: %g", m)
	}
	if lv := chainToneLevel(y, testmedia.Rate, 440, 1.1, 3.9); math.Abs(lv-20*math.Log10(0.5)) > 0.1 {
		t.Errorf("tone at %.2f dB", lv)
	}
	if p.Duration != 5.5 {
		t.Errorf("Duration %v", p.Duration)
	}
}

// TestProcessErrors checks a corrupt input, cancellation and bad options.
func TestProcessErrors(t *testing.T) {
	e := chainEngine(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.wav")
	if err := os.WriteFile(bad, append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), make([]byte, 200)...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.Process(context.Background(), &MediaInfo{Path: bad, HasAudio: true, SampleRate: 48000, Channels: 1, Duration: 1}, ProcessOptions{})
	var fe *Error
	if !errors.As(err, &fe) || fe.SafeReason() == "" {
		t.Fatalf("corrupt input: got %v, want *Error with a reason", err)
	} else {
		t.Logf("corrupt input: %q", fe.SafeReason())
	}

	// Cancellation: a long input (generated, 40 s) is stopped promptly.
	mi := chainWrite(t, e, "long.wav", testmedia.Noise(testmedia.White, 40*testmedia.Rate, 1), 1)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 1)
	go func() {
		<-started
		cancel()
	}()
	t0 := time.Now()
	_, err = e.Process(ctx, mi, ProcessOptions{Chain: Chain{Denoise: &DenoiseOptions{Model: "classic"}}, Progress: func(f float64) {
		select {
		case started <- struct{}{}:
		default:
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
	}
	left, _ := filepath.Glob(filepath.Join(e.tmp, "*"))
	if len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}

	for _, opts := range []ProcessOptions{
		{Chain: Chain{Keep: []Range{{2, 1}}}},
		{Chain: Chain{Keep: []Range{}}},
		{Chain: Chain{Keep: []Range{{5, 5}}}},
		{Chain: Chain{Denoise: &DenoiseOptions{Model: "nope"}}},
		{Chain: Chain{Loudness: &LoudnessOptions{TargetLUFS: 3}}},
	} {
		if _, err := e.Process(context.Background(), mi, opts); err == nil {
			t.Errorf("%+v: no error", opts.Chain)
		}
	}
}

// fakeNeural is a NeuralDenoiser that scales by 0.5 after 480 samples of
// latency it compensates, like a real model.
type fakeNeural struct{ models []string }

func (f fakeNeural) Available() []string { return f.models }

func (f fakeNeural) Denoise(ctx context.Context, model string, strength float64, in io.Reader, out io.Writer) error {
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	for i := 0; i+4 <= len(b); i += 4 {
		v := math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))
		binary.LittleEndian.PutUint32(b[i:], math.Float32bits(v*0.5))
	}
	_, err = out.Write(b)
	return err
}

func TestProcessNeuralPath(t *testing.T) {
	e := chainEngine(t)
	e.neural = fakeNeural{models: []string{"rnnoise"}}
	n := 2 * 48000
	x := make([]float32, 2*n)
	for i := range n {
		x[2*i] = 0.4 * float32(math.Sin(2*math.Pi*440*float64(i)/48000))
		x[2*i+1] = 0.2 * float32(math.Sin(2*math.Pi*660*float64(i)/48000))
	}
	mi := chainWrite(t, e, "st.wav", x, 2)
	p, y := chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Denoise: &DenoiseOptions{}}, SampleRate: 44100})
	if p.Report.Denoiser != "rnnoise" || p.Channels != 2 || len(y) != 2*2*44100 {
		t.Fatalf("denoiser %q, %d ch, %d samples", p.Report.Denoiser, p.Channels, len(y))
	}
	l := make([]float32, len(y)/2)
	r := make([]float32, len(y)/2)
	for i := range l {
		l[i], r[i] = y[2*i], y[2*i+1]
	}
	if lv := chainToneLevel(l, 44100, 440, 0.5, 1.5); math.Abs(lv-20*math.Log10(0.2)) > 0.1 {
		t.Errorf("left 440 Hz at %.2f dB", lv)
	}
	if lv := chainToneLevel(r, 44100, 660, 0.5, 1.5); math.Abs(lv-20*math.Log10(0.1)) > 0.1 {
		t.Errorf("right 660 Hz at %.2f dB", lv)
	}
	if lv := chainToneLevel(r, 44100, 440, 0.5, 1.5); lv > -60 {
		t.Errorf("left leaked into right: %.1f dB", lv)
	}
	// A model that is not installed falls back to classic with a note.
	gated := chainTone(3*48000, 440, 0.3)
	noise := testmedia.Noise(testmedia.White, len(gated), 4)
	for i := range gated {
		if (i/24000)%2 == 1 {
			gated[i] = 0
		}
		gated[i] += 0.01 * noise[i]
	}
	mg := chainWrite(t, e, "gated.wav", gated, 1)
	p2, _ := chainProcess(t, e, mg, ProcessOptions{Chain: Chain{Denoise: &DenoiseOptions{Model: "gtcrn"}}})
	if !strings.HasPrefix(p2.Report.Denoiser, "afftdn") || len(p2.Report.Notes) == 0 {
		t.Errorf("fallback: %+v", p2.Report)
	}
}

func TestProcessedRemove(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "x.wav")
	os.WriteFile(p, []byte("x"), 0o644)
	pr := &Processed{Path: p}
	if err := pr.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := pr.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("file still there")
	}
}

// BenchmarkProcessChain runs the whole classic chain (denoise, silence,
// loudness, fades) on 3 minutes of 48 kHz noisy speech and reports the
// speed as x realtime. Run it alone: go test -run '^$' -bench ProcessChain.
func BenchmarkProcessChain(b *testing.B) {
	ff := testmedia.RequireFFmpeg(b)
	testmedia.RequireEspeak(b)
	var log *zap.Logger
	if os.Getenv("AUDIOEDIT_BENCH_LOG") != "" {
		log, _ = zap.NewDevelopment()
	}
	e, err := New(Options{FFmpeg: ff, TempDir: b.TempDir(), Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	clean, _, err := testmedia.Speech(ctx, testmedia.SpeechOptions{TargetSeconds: 180})
	if err != nil {
		b.Fatal(err)
	}
	clean = clean[:180*testmedia.Rate]
	noisy := testmedia.Mix(clean, testmedia.Noise(testmedia.Pink, len(clean), 1), 10)
	p := filepath.Join(b.TempDir(), "in.wav")
	if err := testmedia.WriteWAV(p, noisy, testmedia.Rate, 1); err != nil {
		b.Fatal(err)
	}
	mi, err := e.Probe(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	opts := ProcessOptions{Chain: Chain{
		Denoise:  &DenoiseOptions{Model: "classic"},
		Silence:  &SilenceOptions{},
		Loudness: &LoudnessOptions{},
		FadeIn:   0.5, FadeOut: 0.5,
	}}
	b.ResetTimer()
	for b.Loop() {
		out, err := e.Process(ctx, mi, opts)
		if err != nil {
			b.Fatal(err)
		}
		out.Remove()
	}
	b.ReportMetric(180*float64(b.N)/b.Elapsed().Seconds(), "x_realtime")
}

// TestProcessLongInputMemory processes an hour of audio (a WAV made by
// ffmpeg: a gated tone in pink noise) through the whole chain and checks
// that the Go heap stays flat. It takes minutes, so it runs only when
// AUDIOEDIT_LONG_TEST is set.
func TestProcessLongInputMemory(t *testing.T) {
	if os.Getenv("AUDIOEDIT_LONG_TEST") == "" {
		t.Skip("set AUDIOEDIT_LONG_TEST=1 to process an hour of audio")
	}
	e := chainEngine(t)
	src := filepath.Join(t.TempDir(), "long.wav")
	ctx := context.Background()
	if _, err := e.run(ctx, "make input", e.ffmpeg, ffmpegArgs("-v", "error",
		"-f", "lavfi", "-i", "aevalsrc='0.3*sin(2*PI*300*t)*gt(sin(2*PI*0.2*t)\\,0.3)':s=48000:d=3600",
		"-f", "lavfi", "-i", "anoisesrc=c=pink:a=0.02:r=48000:d=3600",
		"-filter_complex", "amix=inputs=2:normalize=0", "-c:a", "pcm_s16le", src), nil, nil); err != nil {
		t.Fatal(err)
	}
	mi, err := e.Probe(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	var peak uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}()
	t0 := time.Now()
	p, err := e.Process(ctx, mi, ProcessOptions{Chain: Chain{Denoise: &DenoiseOptions{Model: "classic"},
		Silence: &SilenceOptions{}, Loudness: &LoudnessOptions{}}})
	close(done)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Remove()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t.Logf("1 h in %v (%.0fx realtime); peak Go heap %d MB, max RSS %d MB; output %.0f s, %+v",
		time.Since(t0).Round(time.Millisecond), 3600/time.Since(t0).Seconds(), peak>>20, ru.Maxrss>>10, p.Duration, p.Report)
	if peak > 150<<20 {
		t.Errorf("peak heap %d MB", peak>>20)
	}
}

// TestProcessEdgeInputs runs the full chain on inputs with nothing to
// measure: very short, and digital silence.
func TestProcessEdgeInputs(t *testing.T) {
	e := chainEngine(t)
	full := Chain{Denoise: &DenoiseOptions{Model: "classic"}, Silence: &SilenceOptions{}, Loudness: &LoudnessOptions{}}
	tests := []struct {
		name     string
		x        []float32
		min, max float64 // output peak
	}{
		// A tone is not noise, however steady: it must come through.
		{"short tone", chainTone(testmedia.Rate/5, 440, 0.3), 0.29, 0.31},
		{"long tone", chainTone(5*testmedia.Rate, 440, 0.3), 0.2, 0.89}, // -14 LUFS, brought to -16
		{"silence", make([]float32, 3*testmedia.Rate), 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mi := chainWrite(t, e, "x.wav", tc.x, 1)
			p, y := chainProcess(t, e, mi, ProcessOptions{Chain: full})
			if len(y) == 0 || len(y) > len(tc.x) {
				t.Errorf("%d samples from %d", len(y), len(tc.x))
			}
			if m := maxAbs(y); m < tc.min || m > tc.max {
				t.Errorf("peak %v, want %v..%v", m, tc.min, tc.max)
			}
			if len(p.Report.Notes) == 0 {
				t.Error("no note says why nothing was done")
			}
			t.Logf("%d -> %d samples, peak %.3f, report %+v", len(tc.x), len(y), maxAbs(y), p.Report)
		})
	}
}

// TestProcessVideoSource runs the chain on the AAC track of an MP4, as the
// export does: the denoised audio stays aligned with the decoded source
// (AAC priming and the profile's seek included) and cut points land on
// video frames.
func TestProcessVideoSource(t *testing.T) {
	e := chainEngine(t)
	clean, segs := chainSpeech(t)
	clean = clean[:20*testmedia.Rate]
	noisy := testmedia.Mix(clean, testmedia.Noise(testmedia.Pink, len(clean), 9), 10)
	path := filepath.Join(t.TempDir(), "v.mp4")
	ctx := context.Background()
	if err := testmedia.Video(ctx, e.FFmpeg(), path, noisy, 160, 120, 30); err != nil {
		t.Fatal(err)
	}
	mi, err := e.Probe(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := testmedia.ReadPCM(ctx, e.FFmpeg(), path, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, y := chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Denoise: &DenoiseOptions{Model: "classic"}}, FrameRate: mi.FPS})
	if len(y) != len(src) {
		t.Errorf("%d samples, the source decodes to %d", len(y), len(src))
	}
	if off, conf := testmedia.Align(src, y, testmedia.Rate, 0.05); math.Abs(off) > 0.001 {
		t.Errorf("offset %.2f ms (confidence %.1f)", off*1000, conf)
	}
	p, _ = chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Denoise: &DenoiseOptions{Model: "classic"},
		Silence: &SilenceOptions{}}, FrameRate: mi.FPS})
	if len(p.Keep) < 3 {
		t.Fatalf("keep %v: pauses were not trimmed", p.Keep)
	}
	for _, r := range p.Keep[1:] {
		if f := r.Start * mi.FPS; math.Abs(f-math.Round(f)) > 1e-6 {
			t.Errorf("cut at %.6f s is not on a frame", r.Start)
		}
	}
	var speech []testmedia.Segment
	for _, g := range segs {
		if g.End <= 20 {
			speech = append(speech, g)
		}
	}
	if kept := testmedia.SpeechKept(speech, toSegments(p.Keep)); kept < 0.99 {
		t.Errorf("speech kept %.4f", kept)
	}
}

// chainModelsDir finds the neural models as internal/neural's tests do:
// neural.DefaultDir (AUDIOEDIT_MODELS_DIR, else where `make models`
// installs); missing models skip the test (fail it under CI, which installs them).
func chainModelsDir(t *testing.T) string {
	t.Helper()
	dir := neural.DefaultDir()
	if len(neural.Available(dir)) == 0 {
		msg := "neural models not installed in " + dir + ": run `make models` (or set AUDIOEDIT_MODELS_DIR)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// TestProcessNeuralModels runs the chain with the real neural models: they
// must remove noise and keep the audio aligned and its length, on a stereo
// source (one model stream per channel; resampling is covered with a fake
// model in TestProcessNeuralPath).
func TestProcessNeuralModels(t *testing.T) {
	e := chainEngine(t)
	pool := neural.NewPool(chainModelsDir(t))
	t.Cleanup(func() { pool.Close(context.Background()) })
	e.neural = pool
	clean, _ := chainSpeech(t)
	clean = clean[:12*testmedia.Rate]
	noisy := testmedia.Mix(clean, testmedia.Noise(testmedia.Pink, len(clean), 5), 5)
	stereo := make([]float32, 2*len(noisy))
	for i, v := range noisy {
		stereo[2*i], stereo[2*i+1] = v, v
	}
	mi := chainWrite(t, e, "noisy.wav", stereo, 2)
	in, _ := testmedia.SISDR(clean, noisy, testmedia.SISDRMaxLag)
	for _, model := range pool.Available() {
		t.Run(model, func(t *testing.T) {
			p, y := chainProcess(t, e, mi, ProcessOptions{Chain: Chain{Denoise: &DenoiseOptions{Model: model}}})
			if p.Report.Denoiser != model || p.Channels != 2 {
				t.Fatalf("denoiser %q, %d channels", p.Report.Denoiser, p.Channels)
			}
			left := make([]float32, len(y)/2)
			for i := range left {
				left[i] = y[2*i]
			}
			if len(left) != len(clean) {
				t.Errorf("%d frames, want %d", len(left), len(clean))
			}
			out, lag := testmedia.SISDR(clean, left, testmedia.SISDRMaxLag)
			off, _ := testmedia.Align(noisy, left, testmedia.Rate, 0.05)
			t.Logf("%s: SI-SDR %+.2f dB (lag %d, offset %.2f ms), report %+v", model, out-in, lag, off*1000, p.Report)
			if out-in < 2 {
				t.Errorf("SI-SDR improved %.2f dB, want >= 2", out-in)
			}
			if math.Abs(off) > 0.001 {
				t.Errorf("offset %.2f ms", off*1000)
			}
		})
	}
}
