package neural

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/tetratelabs/wazero"
)

// DefaultStrength is the wet share used when Denoise is given strength 0.
// Full strength measured best on the mean of every noise type tested (see
// TestQuality; babble is handled by RNNoiseBlend), so the default is the
// full model output.
const DefaultStrength = 1.0

// Pool loads and caches compiled models for one models folder; it is safe
// for concurrent use. Each Denoise call gets its own module instance, so
// several channels can be denoised at once.
type Pool struct {
	dir string

	mu       sync.Mutex
	eng      *engine
	compiled map[Model]wazero.CompiledModule
	snaps    map[Model]*snapshot
	closed   bool
	noBlend  bool // tests: model "gtcrn" without the RNNoise blend

	// Tests: sequential forces the sequential loop; geometry (when
	// block > 0) and workers (when > 0) override the chunked stream's.
	sequential bool
	geometry   chunkGeometry
	workers    int
}

// NewPool returns a Pool for the models folder dir. Nothing is loaded until
// the first Denoise.
func NewPool(dir string) *Pool {
	return &Pool{dir: dir, compiled: map[Model]wazero.CompiledModule{}}
}

// Close releases the runtime and the compiled models. Denoise calls after
// Close fail.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.compiled = map[Model]wazero.CompiledModule{}
	p.snaps = nil
	if p.eng == nil {
		return nil
	}
	err := p.eng.rt.Close(ctx)
	p.eng = nil
	if err != nil {
		return fmt.Errorf("close neural pool: %w", err)
	}
	return nil
}

// Dir returns the models folder the pool loads from.
func (p *Pool) Dir() string { return p.dir }

// Available returns the names of the models that can run ("gtcrn",
// "rnnoise"), best first.
func (p *Pool) Available() []string {
	ms := Available(p.dir)
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return out
}

// load returns the compiled model, verifying its checksum and compiling it
// on first use.
func (p *Pool) load(ctx context.Context, m Model) (*engine, wazero.CompiledModule, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, errors.New("neural pool is closed")
	}
	if cm, ok := p.compiled[m]; ok {
		return p.eng, cm, nil
	}
	info, ok := lookup(m)
	if !ok {
		return nil, nil, fmt.Errorf("unknown neural model %q", m)
	}
	b, err := readVerified(info, p.dir, true)
	if err != nil {
		return nil, nil, err
	}
	if p.eng == nil {
		e, err := newEngine(context.WithoutCancel(ctx))
		if err != nil {
			return nil, nil, err
		}
		p.eng = e
	}
	cm, err := p.eng.compile(context.WithoutCancel(ctx), m, info, info.Path(p.dir), b)
	if err != nil {
		return nil, nil, err
	}
	p.compiled[m] = cm
	return p.eng, cm, nil
}

// resolve maps a model name to a Model; "" means the best available.
func (p *Pool) resolve(name string) (Model, error) {
	if name == "" {
		if av := Available(p.dir); len(av) > 0 {
			return av[0], nil
		}
		return "", fmt.Errorf("no neural model in %s: %w; %s", p.dir, ErrNotInstalled, InstallHint)
	}
	return ParseModel(name)
}

// Denoise reads 48 kHz mono float32 little-endian samples from in and
// writes the same number of denoised samples to out, latency-compensated
// (output sample i belongs to input sample i), mixing
// wet*strength + dry*(1-strength). strength must be in [0,1]; 0 means
// DefaultStrength. model "" means the best available (gtcrn, else
// rnnoise); "gtcrn" blends in RNNoise (see RNNoiseBlend) when it is
// installed. Memory stays flat whatever the input length. A missing model
// is an error wrapping ErrNotInstalled, a damaged one ErrChecksum.
func (p *Pool) Denoise(ctx context.Context, model string, strength float64, in io.Reader, out io.Writer) error {
	if strength < 0 || strength > 1 || math.IsNaN(strength) {
		return fmt.Errorf("denoise: strength %v outside [0,1]", strength)
	}
	if strength == 0 {
		strength = DefaultStrength
	}
	_, err := p.stream(ctx, model, float32(strength), in, out, nil)
	return err
}

// SpeechProb runs RNNoise over 48 kHz mono float32 little-endian samples
// and returns its voice probability (0..1) for each 10 ms frame (480
// samples), aligned with the input: value i covers samples [480i, 480i+480).
func (p *Pool) SpeechProb(ctx context.Context, in io.Reader) ([]float32, error) {
	var probs []float32
	_, err := p.stream(ctx, string(RNNoise), 1, in, io.Discard, func(v float32) { probs = append(probs, v) })
	return probs, err
}

// RNNoiseBlend is the share of RNNoise in what model "gtcrn" outputs when
// both models are installed: 0.7*GTCRN + 0.3*RNNoise. Their errors differ,
// so on the measurement set (testmedia speech; white, pink, hum, fan,
// babble at 0/5/10 dB SNR) the blend raised the mean SI-SDR improvement
// from +8.2 to +8.5 dB, and it is the safety rule for babble, which GTCRN
// alone made 0.6 dB worse at 0 dB SNR (blend: +0.6). RNNoise costs about
// 15% more CPU time than GTCRN alone: its blocks are tasks for the same
// workers as GTCRN's (see chunkBlock), so a free core hides most of it.
const RNNoiseBlend = 0.3

// lane is one model instance in a stream with the weight of its output.
type lane struct {
	inst   *instance
	weight float32
}

// stream runs model over in, writing to out: chunked (see chunkBlock)
// unless vad is set, which receives the model's per-frame voice
// probability for frames that cover the input from the sequential loop.
func (p *Pool) stream(ctx context.Context, model string, strength float32, in io.Reader, out io.Writer, vad func(float32)) (int64, error) {
	m, err := p.resolve(model)
	if err != nil {
		return 0, fmt.Errorf("denoise: %w", err)
	}
	models := []Model{m}
	weights := []float32{1}
	if rn, _ := lookup(RNNoise); m == GTCRN && !p.noBlend && vad == nil && verify(rn, p.dir) == nil {
		models = append(models, RNNoise)
		weights = []float32{1 - RNNoiseBlend, RNNoiseBlend}
	}
	if vad == nil && !p.sequential {
		lanes := make([]chunkLane, len(models))
		for k, m := range models {
			eng, cm, err := p.load(ctx, m)
			if err != nil {
				return 0, fmt.Errorf("denoise: %w", err)
			}
			lanes[k] = chunkLane{m, eng, cm, weights[k]}
		}
		g, workers := defaultGeometry, chunkWorkers()
		if p.geometry.block > 0 {
			g = p.geometry
		}
		if p.workers > 0 {
			workers = p.workers
		}
		n, err := p.chunked(ctx, lanes, strength, in, out, g, workers)
		if err != nil {
			return n, fmt.Errorf("denoise %s: %w", m, err)
		}
		return n, nil
	}
	var lanes []lane
	defer func() {
		for _, l := range lanes {
			l.inst.close(ctx)
		}
	}()
	for k, m := range models {
		eng, cm, err := p.load(ctx, m)
		if err != nil {
			return 0, fmt.Errorf("denoise: %w", err)
		}
		inst, err := eng.instantiate(ctx, m, cm)
		if err != nil {
			return 0, fmt.Errorf("denoise: %w", err)
		}
		lanes = append(lanes, lane{inst, weights[k]})
	}
	n, err := process(ctx, lanes, strength, in, out, vad)
	if err != nil {
		return n, fmt.Errorf("denoise %s: %w", m, err)
	}
	return n, nil
}

// blockSize is the samples read per step: a multiple of every model's
// frame (768 and 480), 480 ms at 48 kHz: GTCRN takes about 70 ms of CPU
// per block, so a cancelled context is seen well within a second.
const blockSize = 6 * 3840

// laneState is a lane's latency-compensated output not yet written:
// buf[h:n], compacted before each block.
type laneState struct {
	lane
	skip int // output samples still to drop (the model's latency)
	wet  []float32
	buf  []float32
	h, n int
	vads []float32
}

// step runs the lane's model over one block.
func (l *laneState) step(ctx context.Context, src []float32) error {
	if l.h > 0 {
		l.n = copy(l.buf, l.buf[l.h:l.n])
		l.h = 0
	}
	l.vads = l.vads[:0]
	f := l.inst.a.frame
	for k := 0; k < len(src); k += f {
		if err := ctx.Err(); err != nil {
			return err
		}
		v, err := l.inst.run(ctx, src[k:k+f], l.wet)
		if err != nil {
			return err
		}
		l.vads = append(l.vads, v)
		w := l.wet
		if l.skip > 0 {
			d := min(l.skip, f)
			l.skip -= d
			w = w[d:]
		}
		l.n += copy(l.buf[l.n:], w)
	}
	return nil
}

// process is the sequential streaming loop (SpeechProb; tests): blocks in, blocks out, each model's
// latency dropped from the head and flushed with zeros at the tail, so that
// output sample i is the denoised input sample i. Memory is bounded by a
// few blocks whatever the input length. It returns the samples written.
func process(ctx context.Context, lanes []lane, strength float32, r io.Reader, w io.Writer, vad func(float32)) (int64, error) {
	const b = blockSize
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	raw := make([]byte, 4*b)
	src := make([]float32, b)
	outb := make([]byte, 0, 4*b)
	maxLat := 0
	ls := make([]*laneState, len(lanes))
	for i, l := range lanes {
		lat := l.inst.a.latency
		maxLat = max(maxLat, lat)
		ls[i] = &laneState{lane: l, skip: lat, wet: make([]float32, l.inst.a.frame), buf: make([]float32, lat+2*b)}
	}
	// dry holds input samples not yet written: dryBuf[dh:dn].
	dryBuf := make([]float32, maxLat+2*b)
	dh, dn := 0, 0

	jobs := make(chan *laneState)
	done := make(chan error)
	if len(ls) > 1 {
		go func() {
			for l := range jobs {
				done <- l.step(ctx, src)
			}
		}()
		defer close(jobs)
	}

	var (
		read, written int64
		eof           bool
		vadFrame      int64
	)
	for !eof || written < read {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		got := 0
		if !eof {
			n, err := io.ReadFull(br, raw)
			switch {
			case err == io.EOF || err == io.ErrUnexpectedEOF:
				eof = true
				if n%4 != 0 {
					return written, fmt.Errorf("input ends with a partial sample (%d stray bytes): want float32 little-endian", n%4)
				}
			case err != nil:
				return written, fmt.Errorf("read input: %w", err)
			}
			got = n / 4
		}
		if got == 0 && read == 0 {
			break // empty input
		}
		for i := 0; i < got; i++ {
			src[i] = sanitize(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
		clear(src[got:])
		if dh > 0 {
			dn = copy(dryBuf, dryBuf[dh:dn])
			dh = 0
		}
		dn += copy(dryBuf[dn:], src[:got])
		read += int64(got)

		for _, l := range ls[1:] {
			jobs <- l
		}
		err := ls[0].step(ctx, src)
		for range ls[1:] {
			if e := <-done; err == nil {
				err = e
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return written, ctx.Err()
			}
			return written, fmt.Errorf("run model: %w", err)
		}
		if vad != nil {
			f := int64(ls[0].inst.a.frame)
			for _, v := range ls[0].vads {
				if vadFrame*f < read {
					vad(v)
				}
				vadFrame++
			}
		}

		n := dn - dh
		for _, l := range ls {
			n = min(n, l.n-l.h)
		}
		outb = outb[:0]
		for i := 0; i < n; i++ {
			var wet float32
			for _, l := range ls {
				wet += l.weight * l.buf[l.h+i]
			}
			y := strength*wet + (1-strength)*dryBuf[dh+i]
			outb = binary.LittleEndian.AppendUint32(outb, math.Float32bits(y))
		}
		dh += n
		for _, l := range ls {
			l.h += n
		}
		written += int64(n)
		if _, err := bw.Write(outb); err != nil {
			return written, fmt.Errorf("write output: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return written, fmt.Errorf("write output: %w", err)
	}
	return written, nil
}
