package neural

import (
	"bytes"
	"context"
	"math"
	"os"
	"runtime"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// chunkPools returns a pool that streams sequentially and one that chunks
// with geometry g and the given workers (0: default), both with the
// RNNoise blend as set.
func chunkPools(t *testing.T, g chunkGeometry, workers int, noBlend bool) (seq, chunk *Pool) {
	t.Helper()
	dir := modelsDir(t)
	seq, chunk = NewPool(dir), NewPool(dir)
	seq.sequential, seq.noBlend = true, noBlend
	chunk.geometry, chunk.workers, chunk.noBlend = g, workers, noBlend
	t.Cleanup(func() {
		seq.Close(context.Background())
		chunk.Close(context.Background())
	})
	return seq, chunk
}

// maxStep is the largest sample-to-sample change in y[lo:hi).
func maxStep(y []float32, lo, hi int) float64 {
	m := 0.0
	for i := max(lo, 1); i < min(hi, len(y)); i++ {
		m = max(m, math.Abs(float64(y[i]-y[i-1])))
	}
	return m
}

// TestChunked checks the chunked stream on a small block grid against the
// sequential loop: same length, the first block bit for bit, every later
// block (after its crossfade) exactly a sequential run started at its
// warm-up, no click at the boundaries, alignment, the same SI-SDR within a
// tolerance and the same output whatever the number of workers.
func TestChunked(t *testing.T) {
	g := chunkGeometry{block: 25 * frameGrid, warm: 6 * frameGrid, fade: chunkFade} // 2 s, 0.48 s
	clean := speech(t, 7, 0.3)
	noisy := testmedia.Mix(clean, noise(t, testmedia.Pink, len(clean), 21), 5)
	n := len(noisy)
	if n < 3*g.block {
		t.Fatalf("test speech too short: %d samples", n)
	}
	for _, m := range []string{"gtcrn", "rnnoise"} {
		seqP, chunkP := chunkPools(t, g, 2, m == "gtcrn")
		seq := denoise(t, seqP, m, 1, noisy)
		y := denoise(t, chunkP, m, 1, noisy)
		if len(y) != n {
			t.Fatalf("%s: %d samples in, %d out", m, n, len(y))
		}
		for i := 0; i < g.block; i++ {
			if y[i] != seq[i] {
				t.Fatalf("%s: first block differs from the sequential stream at %d", m, i)
			}
		}
		for s := g.block; s < n; s += g.block {
			a := s - g.warm
			ref := denoise(t, seqP, m, 1, noisy[a:])
			for i := s + g.fade; i < min(n, s+g.block); i++ {
				if y[i] != ref[i-a] {
					t.Fatalf("%s: block at %d differs at %d from a stream started at %d", m, s, i, a)
				}
			}
			// No click: the steps around the boundary stay within what the
			// sequential output does anywhere.
			if st, lim := maxStep(y, s-g.fade, s+2*g.fade), maxStep(seq, 0, n); st > lim {
				t.Errorf("%s: step %.4f at the boundary %d, sequential output's largest %.4f", m, st, s, lim)
			}
		}
		if lag := bestLag(clean, y, sr/20); abs(lag) > sr/1000 {
			t.Errorf("%s: chunked output lags by %d samples", m, lag)
		}
		qs, qc, near := sisdr(clean, seq), sisdr(clean, y), sisdr(seq, y)
		t.Logf("%s: SI-SDR sequential %.2f dB, chunked %.2f dB (%+.2f); chunked against sequential %.1f dB", m, qs, qc, qc-qs, near)
		if qc < qs-1 || near < 15 { // a 2 s grid: loose; TestChunkedQuality measures the real one
			t.Errorf("%s: chunked SI-SDR %.2f dB against sequential %.2f dB, %.1f dB apart", m, qc, qs, near)
		}
		// Strength mixes with the dry input as in the sequential stream.
		half := denoise(t, chunkP, m, 0.5, noisy)
		for i := range y {
			if d := half[i] - (0.5*y[i] + 0.5*noisy[i]); math.Abs(float64(d)) > 1e-5 {
				t.Fatalf("%s: strength 0.5 at %d: %v, want %v", m, i, half[i], 0.5*y[i]+0.5*noisy[i])
			}
		}
		// Determinism: the grid, not the workers, the read sizes or the
		// streams running at the same time, fixes the output.
		var out bytes.Buffer
		if err := chunkP.Denoise(context.Background(), m, 1, iotest.HalfReader(iotest.OneByteReader(bytes.NewReader(testmedia.F32Bytes(noisy)))), &out); err != nil {
			t.Fatal(err)
		}
		chunkP.workers = 3
		got := [][]float32{testmedia.F32FromBytes(out.Bytes()), nil, nil}
		var wg sync.WaitGroup
		for k := 1; k < len(got); k++ {
			wg.Go(func() { got[k] = denoise(t, chunkP, m, 1, noisy) })
		}
		wg.Wait()
		for k, g := range got {
			for i := range y {
				if g[i] != y[i] {
					t.Fatalf("%s: run %d (split reads, 3 workers or concurrent) differs at %d", m, k, i)
				}
			}
		}
	}
}

// TestChunkedQuality compares chunked and sequential output on the
// measurement set of TestQuality (AUDIOEDIT_NEURAL_FULL=1; default grid):
// the mean SI-SDR must stay within 0.1 dB.
func TestChunkedQuality(t *testing.T) {
	if os.Getenv("AUDIOEDIT_NEURAL_FULL") == "" {
		t.Skip("set AUDIOEDIT_NEURAL_FULL=1 to compare chunked and sequential output on the measurement set")
	}
	testmedia.RequireFFmpeg(t)
	testmedia.RequireEspeak(t)
	clean, _, err := testmedia.Speech(context.Background(), testmedia.SpeechOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("material: %.1f s of speech", float64(len(clean))/sr)
	for _, r := range []struct {
		name, model string
		noBlend     bool
	}{{"gtcrn", "gtcrn", false}, {"gtcrn-alone", "gtcrn", true}, {"rnnoise", "rnnoise", false}} {
		seqP, chunkP := chunkPools(t, chunkGeometry{}, 0, r.noBlend)
		var sum float64
		var cnt int
		for _, kind := range noiseTypes {
			nz := noise(t, kind, len(clean), 1)
			for _, snr := range []float64{0, 5, 10} {
				noisy := testmedia.Mix(clean, nz, snr)
				seq := denoise(t, seqP, r.model, 1, noisy)
				y := denoise(t, chunkP, r.model, 1, noisy)
				qs, _ := testmedia.SISDR(clean, seq, testmedia.SISDRMaxLag)
				qc, lag := testmedia.SISDR(clean, y, testmedia.SISDRMaxLag)
				t.Logf("%-11s %-6s %3.0f dB SNR: SI-SDR sequential %6.2f, chunked %6.2f (%+.3f), lag %d", r.name, kind, snr, qs, qc, qc-qs, lag)
				if len(y) != len(noisy) || abs(lag) > sr/1000 {
					t.Errorf("%s %s %v dB: %d samples, lag %d", r.name, kind, snr, len(y), lag)
				}
				sum += qc - qs
				cnt++
			}
		}
		mean := sum / float64(cnt)
		t.Logf("%s: chunked minus sequential SI-SDR, mean %+.3f dB over %d conditions", r.name, mean, cnt)
		if math.Abs(mean) >= 0.1 {
			t.Errorf("%s: chunking moves the mean SI-SDR by %+.3f dB", r.name, mean)
		}
	}
}

// TestInstanceReset checks that an instance restored from its model's
// snapshot after a run gives, bit for bit, what a fresh instance gives,
// and that on Linux the model's linear memory is not on the Go heap.
func TestInstanceReset(t *testing.T) {
	p := pool(t)
	ctx := context.Background()
	clean := speech(t, 2, 0.2)
	noisy := testmedia.Mix(clean, noise(t, testmedia.White, len(clean), 3), 5)
	for _, m := range []Model{GTCRN, RNNoise} {
		eng, cm, err := p.load(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		in, err := eng.instantiate(ctx, m, cm)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		size := in.mem.Size()
		heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		t.Logf("%s: linear memory %d KiB, Go heap grew %d KiB", m, size>>10, heap>>10)
		if runtime.GOOS == "linux" && heap > int64(size)/4 {
			t.Errorf("%s: the Go heap grew %d KiB for a %d KiB linear memory: want it off the heap", m, heap>>10, size>>10)
		}
		snap, err := p.snapshotOf(m, in)
		if err != nil {
			t.Fatal(err)
		}
		run := func() []float32 {
			f := in.a.frame
			out := make([]float32, 0, len(noisy))
			wet := make([]float32, f)
			for k := 0; k+f <= len(noisy); k += f {
				if _, err := in.run(ctx, noisy[k:k+f], wet); err != nil {
					t.Fatal(err)
				}
				out = append(out, wet...)
			}
			return out
		}
		// The pool's snapshot may come from an earlier instance: every
		// fresh instance is the same.
		fresh := run()
		if err := in.reset(snap); err != nil {
			t.Fatal(err)
		}
		again := run()
		in.close(ctx)
		if len(again) != len(fresh) {
			t.Fatalf("%s: %d samples after reset, %d fresh", m, len(again), len(fresh))
		}
		for i := range fresh {
			if again[i] != fresh[i] {
				t.Fatalf("%s: output after reset differs from a fresh instance's at sample %d", m, i)
			}
		}
		var sum float64
		for _, v := range fresh {
			sum += math.Abs(float64(v))
		}
		if sum == 0 {
			t.Fatalf("%s: silent output", m)
		}
	}
}
