package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// Drift analysis memory on long pairs: the camera and recorder files are
// generated streaming (the 3-minute speech looped at 8 kHz, 16-bit, each
// with its own noise; the recorder drifting 100 ppm, started 0.35 s
// earlier), and AlignDrift runs in a child process of this binary, so that
// its peak resident set (and its ffmpeg decoders') is the analysis's own.

// driftMemRate is the long pairs' sample rate: the analysis decodes at
// 8 kHz whatever the input, so more would only cost disk.
const driftMemRate = 8000

// driftMemResult is what the child reports.
type driftMemResult struct {
	Offset     float64 `json:"offset_s"`
	DriftPPM   float64 `json:"drift_ppm"`
	Windows    int     `json:"windows"`
	Seconds    float64 `json:"seconds"`
	SelfKB     int64   `json:"self_max_rss_kb"`
	ChildrenKB int64   `json:"children_max_rss_kb"`
}

// driftMemChild runs AlignDrift on "ref,other" and prints the result as
// JSON on stdout: the child side of driftMemory.
func driftMemChild(pair string) error {
	ref, other, ok := strings.Cut(pair, ",")
	if !ok {
		return errors.New("-drift-mem-child wants ref.wav,other.wav")
	}
	dir, err := os.MkdirTemp("", "audioedit-driftmem-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	eng, err := engine.New(engine.Options{TempDir: dir})
	if err != nil {
		return err
	}
	ctx := context.Background()
	ri, err := eng.Probe(ctx, ref)
	if err != nil {
		return err
	}
	oi, err := eng.Probe(ctx, other)
	if err != nil {
		return err
	}
	t0 := time.Now()
	al, err := eng.AlignDrift(ctx, ri, oi)
	if err != nil {
		return err
	}
	res := driftMemResult{Offset: al.Offset, DriftPPM: al.DriftPPM, Windows: al.Windows, Seconds: time.Since(t0).Seconds()}
	// VmHWM of this process's own memory: getrusage's figure would carry
	// over the parent's, which this process shared until its exec.
	res.SelfKB = rssKB(os.Getpid(), "VmHWM")
	if res.ChildrenKB, err = childrenMaxRSS(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// driftMemory measures the analysis's peak memory on 30-minute and
// 2-hour pairs: bounded means the same figure for both.
func (b *bench) driftMemory() error {
	b.log("drift memory")
	srcWAV := filepath.Join(b.dir, "driftmem-src.wav")
	if err := testmedia.WriteWAV(srcWAV, b.clean, testmedia.Rate, 1); err != nil {
		return err
	}
	src, err := testmedia.ReadPCM(b.ctx, b.ff, srcWAV, driftMemRate, 1)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	const ppm, offset = 100.0, 0.35
	b.p("## Sync analysis memory on long pairs (camera + recorder drifting %.0f ppm, recorder started %.2f s earlier)\n\nThe 3-minute speech looped, 8 kHz 16-bit WAV, each file with its own noise; AlignDrift alone in a child process. Peak RSS: the analysis process's VmHWM and the largest of its ffmpeg decoders (getrusage of the children).\n\n| length | analysis peak RSS MB | ffmpeg peak RSS MB | analysis s | measured ppm | offset error ms | windows |\n|---|---|---|---|---|---|---|\n", ppm, offset)
	for _, minutes := range []int{30, 120} {
		secs := float64(minutes * 60)
		ref := filepath.Join(b.dir, "driftmem-camera.wav")
		other := filepath.Join(b.dir, "driftmem-recorder.wav")
		if err := writeLooped(ref, src, secs, 0, 0, 1); err != nil {
			return err
		}
		if err := writeLooped(other, src, secs*(1+ppm/1e6)+offset, ppm, offset, 2); err != nil {
			return err
		}
		cmd := exec.CommandContext(b.ctx, self, "-drift-mem-child", ref+","+other)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("drift memory child (%d min): %w", minutes, err)
		}
		var r driftMemResult
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("drift memory child: %w (%q)", err, out)
		}
		b.p("| %d min | %.0f | %.0f | %.2f | %.1f | %.3f | %d |\n", minutes, float64(r.SelfKB)/1024, float64(r.ChildrenKB)/1024,
			r.Seconds, r.DriftPPM, (r.Offset-offset)*1000, r.Windows)
		_ = os.Remove(ref)
		_ = os.Remove(other)
	}
	b.p("\n")
	return nil
}

// writeLooped writes seconds of src (mono at driftMemRate) looped, as a
// recorder whose clock runs ppm fast and started offset seconds earlier
// would hold it (time = src time * (1+ppm/1e6) + offset; linear
// interpolation), plus white noise 40 dB down, as 16-bit WAV, streaming.
func writeLooped(path string, src []float32, seconds, ppm, offset float64, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n := int64(seconds * driftMemRate)
	w := bufio.NewWriterSize(f, 1<<20)
	hdr := make([]byte, 44)
	copy(hdr[0:], "RIFF")
	binary.LittleEndian.PutUint32(hdr[4:], uint32(36+2*n))
	copy(hdr[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(hdr[16:], 16)
	binary.LittleEndian.PutUint16(hdr[20:], 1) // PCM
	binary.LittleEndian.PutUint16(hdr[22:], 1) // mono
	binary.LittleEndian.PutUint32(hdr[24:], driftMemRate)
	binary.LittleEndian.PutUint32(hdr[28:], 2*driftMemRate)
	binary.LittleEndian.PutUint16(hdr[32:], 2)
	binary.LittleEndian.PutUint16(hdr[34:], 16)
	copy(hdr[36:], "data")
	binary.LittleEndian.PutUint32(hdr[40:], uint32(2*n))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	period := int64(len(src))
	fct := 1 + ppm/1e6
	var s [2]byte
	for i := range n {
		t := (float64(i)/driftMemRate - offset) / fct * driftMemRate
		v := 0.01 * rng.NormFloat64()
		if t >= 0 {
			k := int64(math.Floor(t))
			u := t - float64(k)
			v += float64(src[k%period])*(1-u) + float64(src[(k+1)%period])*u
		}
		binary.LittleEndian.PutUint16(s[:], uint16(int16(math.Max(-32768, math.Min(32767, math.Round(v*32767))))))
		if _, err := w.Write(s[:]); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
