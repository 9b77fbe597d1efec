package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Classic denoising is ffmpeg's afftdn, told what it needs to know: the
// measured noise floor (its default assumes -50 dBFS and does nothing to
// real noise) and a spectral profile learned on the quietest span of the
// file. The span is decoded a second time and fed in front of the audio, so
// the whole file, not only what follows the span, is denoised with the
// learned profile; that prefix and afftdn's delay are trimmed off again, so
// the output is sample-aligned with the input and has its length.

const (
	// afftdn accepts a noise floor in [-80, -20] dBFS.
	afftdnMinNF = -80.0
	afftdnMaxNF = -20.0
	// nfHeadroom is how far under afftdn's maximum floor a loud noise is
	// brought by a temporary gain cut.
	nfHeadroom = 6.0
	// defaultStrength is the dry/wet used when DenoiseOptions.Strength is 0.
	defaultStrength = 0.75
	// profile span bounds (seconds) and how close to the floor it must be.
	profileMaxSec  = 1.0
	profileMinSec  = 0.3
	profileSlackDB = 4.0
	// profileEndGuard frames (10 ms) at the end are not used for the profile.
	profileEndGuard = 50
)

// DenoiseOptions configures noise removal.
type DenoiseOptions struct {
	// Strength is the amount of denoising, 0..1 (dry/wet for neural models,
	// reduction depth for the classic one); 0 means the default (0.75).
	Strength float64
	// Model picks the denoiser: "" auto (the best installed neural model,
	// else classic), "classic", "gtcrn", "rnnoise", "fast" (= rnnoise),
	// "best" (= gtcrn).
	Model string
}

// afftdnDelay is afftdn's output delay in samples at rate: two hops of a
// 50 ms window (ffmpeg 5.1; measured: 1200 at 48 kHz, 1102 at 44.1 kHz).
func afftdnDelay(rate int) int {
	win := int(math.RoundToEven(0.05 * float64(rate)))
	return 2 * (win / 4)
}

// classicPlan is what the classic denoiser needs to know about the input.
type classicPlan struct {
	NR        float64 // afftdn noise reduction, dB
	NF        float64 // noise floor passed to afftdn, dBFS (after PreGainDB)
	PreGainDB float64 // gain (<= 0) applied before afftdn and undone after
	// Profile span in source seconds; ProfileLen == 0 means no profile.
	ProfileStart, ProfileLen float64
}

// planClassic derives afftdn's settings from the source levels.
func planClassic(lv *levels, strength float64) classicPlan {
	if strength <= 0 {
		strength = defaultStrength
	}
	strength = min(strength, 1)
	p := classicPlan{NR: math.Round(10 + 20*strength)}
	floor := lv.floorDB()
	// Telling afftdn the floor is a few dB over the measured one removes
	// more broadband noise (measured, mean of white/pink/hum/fan/babble at
	// 0/5/10 dB SNR: nf = floor gives +6.5 dB SI-SDR, floor+3 +6.9);
	// strength moves it from floor-6 to floor+6.
	p.NF = math.Round(floor + 12*strength - 6)
	if p.NF > afftdnMaxNF-nfHeadroom {
		p.PreGainDB = afftdnMaxNF - nfHeadroom - p.NF
		p.NF = afftdnMaxNF - nfHeadroom
	}
	p.NF = min(max(p.NF, afftdnMinNF), afftdnMaxNF)
	if floor <= afftdnMinNF {
		return p // digital silence in the pauses: nothing to learn
	}
	// The span is decoded again with -ss/-t; keep it clear of the file's
	// end so that the second decode cannot come up short.
	search := &levels{rate: lv.rate, hop: lv.hop, ms: lv.ms[:max(len(lv.ms)-profileEndGuard, 0)]}
	for _, sec := range []float64{profileMaxSec, 0.6, profileMinSec} {
		n := int(sec / (float64(lv.hop) / float64(lv.rate)))
		start, db, ok := search.quietestSpan(n)
		if ok && db <= floor+profileSlackDB {
			p.ProfileStart = lv.frameTime(start)
			p.ProfileLen = float64(n*lv.hop) / float64(lv.rate)
			break
		}
	}
	return p
}

// fmtDB formats a number for a filter graph.
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// afftdnChain is the filter chain (no labels) that denoises an audio
// stream at rate with plan p. skip extra leading samples (the profile
// prefix) are dropped with afftdn's delay.
func afftdnChain(p classicPlan, rate int, skip int) string {
	d := afftdnDelay(rate)
	var f []string
	f = append(f, "apad=pad_len="+strconv.Itoa(d))
	if p.PreGainDB != 0 {
		f = append(f, "volume="+fmtNum(p.PreGainDB)+"dB")
	}
	if p.ProfileLen > 0 {
		// The profile is learned while the prefix plays; stop a little
		// before its end so no speech from the file's start leaks in.
		end := max(float64(skip)/float64(rate)-0.05, 0.05)
		f = append(f, "asendcmd=c='0-"+strconv.FormatFloat(end, 'f', 3, 64)+
			" [enter] afftdn@dn sn start\\, [leave] afftdn@dn sn stop'")
	}
	f = append(f, "afftdn@dn=nr="+fmtNum(p.NR)+":nf="+fmtNum(p.NF))
	if p.PreGainDB != 0 {
		f = append(f, "volume="+fmtNum(-p.PreGainDB)+"dB")
	}
	f = append(f, "atrim=start_sample="+strconv.Itoa(d+skip), "asetpts=N/SR/TB")
	return strings.Join(f, ",")
}

// formatChain converts to float at rate, downmixing when mono.
func formatChain(rate int, mono bool) string {
	s := "aresample=" + strconv.Itoa(rate) + ",aformat=sample_fmts=flt"
	if mono {
		s += ":channel_layouts=mono"
	}
	return s
}

// decodeArgs builds the ffmpeg command that decodes src's first audio
// stream to interleaved float32 at rate on stdout, denoised with plan p
// when p is not nil.
func decodeArgs(src string, rate int, mono bool, p *classicPlan) []string {
	pre := formatChain(rate, mono)
	var in []string
	var graph string
	switch {
	case p == nil:
		in = input(src)
		graph = "[0:a:0]" + pre + "[out]"
	case p.ProfileLen > 0:
		skip := int(math.Round(p.ProfileLen * float64(rate)))
		in = []string{"-ss", strconv.FormatFloat(p.ProfileStart, 'f', 3, 64),
			"-t", strconv.FormatFloat(p.ProfileLen+0.2, 'f', 3, 64)}
		in = slices.Concat(in, input(src), input(src))
		graph = "[0:a:0]" + pre + ",atrim=end_sample=" + strconv.Itoa(skip) + "[p];" +
			"[1:a:0]" + pre + "[m];" +
			"[p][m]concat=n=2:v=0:a=1,asetpts=N/SR/TB," + afftdnChain(*p, rate, skip) + "[out]"
	default:
		in = input(src)
		graph = "[0:a:0]" + pre + "," + afftdnChain(*p, rate, 0) + "[out]"
	}
	args := append([]string{"-v", "error"}, in...)
	args = append(args, "-filter_complex", graph, "-map", "[out]",
		"-f", "f32le", "-c:a", "pcm_f32le", "pipe:1")
	return ffmpegArgs(args...)
}

// channelArgs decodes one channel (or the mono downmix when ch < 0) of src
// to 48 kHz mono float32 on stdout, for a neural model.
func channelArgs(src string, ch int) []string {
	var pan string
	if ch < 0 {
		pan = "aformat=channel_layouts=mono"
	} else {
		pan = "pan=mono|c0=c" + strconv.Itoa(ch)
	}
	return ffmpegArgs(slices.Concat([]string{"-v", "error"}, input(src), []string{"-map", "0:a:0", "-vn", "-sn", "-dn",
		"-af", pan + ",aresample=48000,aformat=sample_fmts=flt",
		"-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"})...)
}

// neuralRate is the rate neural models run at.
const neuralRate = 48000

// resolveModel maps DenoiseOptions.Model to what will run: a neural model
// name, or "" for classic, and a note when a request cannot be honoured.
func resolveModel(requested string, available []string) (model, note string, err error) {
	has := func(m string) bool { return slices.Contains(available, m) }
	req := strings.ToLower(strings.TrimSpace(requested))
	switch req {
	case "fast":
		req = "rnnoise"
	case "best":
		req = "gtcrn"
	}
	switch req {
	case "classic", "afftdn":
		return "", "", nil
	case "":
		for _, m := range []string{"gtcrn", "rnnoise"} {
			if has(m) {
				return m, "", nil
			}
		}
		return "", "neural models not installed: used the classic denoiser; run `mcp-audioedit models install` for better noise removal", nil
	case "gtcrn", "rnnoise":
		if has(req) {
			return req, "", nil
		}
		return "", fmt.Sprintf("neural model %q not installed: used the classic denoiser; run `mcp-audioedit models install`", req), nil
	}
	return "", "", fmt.Errorf("unknown denoise model %q (use classic, gtcrn, rnnoise, fast or best)", requested)
}

// neuralDecode decodes src (channels channels, or the mono mix) through the
// neural model and writes interleaved 48 kHz float32 to out. Channels run
// concurrently, one ffmpeg and one model stream each.
func (e *Engine) neuralDecode(ctx context.Context, src string, channels int, mono bool, model string, strength float64, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := channels
	if mono || n < 1 {
		n = 1
	}
	readers := make([]*io.PipeReader, n)
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for c := range n {
		ch := c
		if mono || channels < 2 {
			ch = -1
		}
		decR, decW := io.Pipe()
		denR, denW := io.Pipe()
		readers[c] = denR
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := e.run(ctx, "decode audio", e.ffmpeg, channelArgs(src, ch), nil, decW)
			decW.CloseWithError(err)
			if err != nil {
				errs[2*c] = err
				cancel()
			}
		}()
		go func() {
			defer wg.Done()
			err := e.neural.Denoise(ctx, model, strength, decR, denW)
			decR.CloseWithError(fmt.Errorf("denoiser stopped: %v", err))
			denW.CloseWithError(err)
			if err != nil {
				errs[2*c+1] = fmt.Errorf("denoise %s: %w", model, err)
				cancel()
			}
		}()
	}
	ierr := interleave(readers, out)
	for _, r := range readers {
		r.CloseWithError(io.ErrClosedPipe)
	}
	if ierr != nil {
		cancel()
	}
	wg.Wait()
	if ctx.Err() != nil && ierr == nil {
		// Report the first real failure, not the cancellations it caused.
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ierr
}

// resampleArgs converts interleaved float32 at one rate to another on
// stdout.
func resampleArgs(from, to, channels int) []string {
	return ffmpegArgs(slices.Concat([]string{"-v", "error", "-f", "f32le", "-ar", strconv.Itoa(from), "-ac", strconv.Itoa(channels)},
		input("pipe:0"), []string{"-af", "aresample=" + strconv.Itoa(to), "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"})...)
}

// neuralToRate is neuralDecode delivering at rate (resampled by ffmpeg
// when it is not the model's 48 kHz).
func (e *Engine) neuralToRate(ctx context.Context, src string, channels int, mono bool, model string, strength float64, rate int, out io.Writer) error {
	n := channels
	if mono || n < 1 {
		n = 1
	}
	if rate == neuralRate {
		return e.neuralDecode(ctx, src, channels, mono, model, strength, out)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	derr := make(chan error, 1)
	go func() {
		err := e.neuralDecode(ctx, src, channels, mono, model, strength, pw)
		pw.CloseWithError(err)
		derr <- err
	}()
	_, err := e.run(ctx, "resample audio", e.ffmpeg, resampleArgs(neuralRate, rate, n), pr, out)
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		cancel()
	}
	if nerr := <-derr; nerr != nil && !errors.Is(nerr, io.ErrClosedPipe) && (err == nil || !errors.Is(nerr, context.Canceled)) {
		return nerr
	}
	return err
}

// interleave reads mono float32 streams in lockstep and writes them
// interleaved to out, until they all end. A stream that ends early is
// padded with zeros (streams are meant to be the same length).
func interleave(rs []*io.PipeReader, out io.Writer) error {
	const block = 4096
	n := len(rs)
	if n == 1 {
		_, err := io.Copy(out, rs[0])
		return err
	}
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, 4*block)
	}
	obuf := make([]byte, 4*block*n)
	done := make([]bool, n)
	for {
		longest := 0
		got := make([]int, n)
		for i, r := range rs {
			if done[i] {
				continue
			}
			k, err := io.ReadFull(r, bufs[i])
			k -= k % 4
			got[i] = k
			longest = max(longest, k)
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				done[i] = true
			} else if err != nil {
				return err
			}
		}
		if longest == 0 {
			return nil
		}
		frames := longest / 4
		for f := range frames {
			for i := range n {
				o := 4 * (f*n + i)
				if 4*f < got[i] {
					copy(obuf[o:o+4], bufs[i][4*f:4*f+4])
				} else {
					clear(obuf[o : o+4])
				}
			}
		}
		if _, err := out.Write(obuf[:4*frames*n]); err != nil {
			return err
		}
	}
}
