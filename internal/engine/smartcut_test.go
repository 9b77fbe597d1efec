package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// Marker video: 144x64 at 25 fps; the top half shows the frame index as 9
// black/white blocks (bit k in columns 16k..16k+15), the bottom half
// flashes white on every frame whose index is 12 mod 25 (grey otherwise),
// and the audio beeps (1 kHz) during exactly those frames.
const (
	mkW, mkH, mkFPS = 144, 64, 25
	mkFlash         = 12 // index mod 25 of the flash frames
)

// markerVideo writes the marker video of dur seconds with keyframes every
// gop frames, B-frames on (x264 veryfast), as a camera would; extra
// x264 options follow (-bf 0: no B-frames, as most phones record).
func markerVideo(t *testing.T, path string, dur, gop int, extra ...string) {
	t.Helper()
	v := fmt.Sprintf("nullsrc=s=%dx%d:r=%d:d=%d,geq=lum='if(lt(Y,%d),255*mod(floor(N/pow(2,floor(X/16))),2),if(eq(mod(N,25),%d),255,96))':cb=128:cr=128,format=yuv420p",
		mkW, mkH, mkFPS, dur, mkH/2, mkFlash)
	a := fmt.Sprintf("aevalsrc='if(eq(mod(floor(t*25+1e-6),25),%d),0.5*sin(2*PI*1000*t),0)':s=48000:d=%d", mkFlash, dur)
	args := append([]string{}, "-f", "lavfi", "-i", v, "-f", "lavfi", "-i", a, "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", fmt.Sprint(gop), "-keyint_min", fmt.Sprint(gop), "-sc_threshold", "0")
	encFFmpeg(t, append(append(args, extra...), "-c:a", "aac", "-b:a", "96k", path)...)
}

// markerFrames decodes the video of path and reads each frame's index
// marker and flash.
func markerFrames(t *testing.T, path string) (idx []int, flash []bool) {
	t.Helper()
	raw := encFFmpeg(t, "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1")
	fs := mkW * mkH
	if len(raw)%fs != 0 {
		t.Fatalf("decoded %d bytes, not whole %dx%d frames", len(raw), mkW, mkH)
	}
	for f := 0; f+fs <= len(raw); f += fs {
		n := 0
		for k := 0; k < 9; k++ {
			var sum int
			for y := 8; y < mkH/2-8; y++ {
				for x := 16*k + 4; x < 16*k+12; x++ {
					sum += int(raw[f+y*mkW+x])
				}
			}
			if sum/((mkH/2-16)*8) > 128 {
				n |= 1 << k
			}
		}
		var sum int
		for y := mkH/2 + 8; y < mkH-8; y++ {
			for x := 8; x < mkW-8; x++ {
				sum += int(raw[f+y*mkW+x])
			}
		}
		idx = append(idx, n)
		flash = append(flash, sum/((mkH/2-16)*(mkW-16)) > 176)
	}
	return idx, flash
}

// beepOnsets is testmedia.BeepOnsets, failing the test on error.
func beepOnsets(t *testing.T, path string, from float64) ([]float64, float64) {
	t.Helper()
	on, end, err := testmedia.BeepOnsets(context.Background(), "", path, from)
	if err != nil {
		t.Fatal(err)
	}
	return on, end
}

// expectedFrames lists the source frames the keep ranges select: those
// starting in [Start-half, End-half).
// keptRuns is expectedFrames as runs [from, to).
func keptRuns(keep []Range, total int) [][2]int {
	var runs [][2]int
	for _, i := range expectedFrames(keep, total) {
		if k := len(runs); k > 0 && runs[k-1][1] == i {
			runs[k-1][1]++
			continue
		}
		runs = append(runs, [2]int{i, i + 1})
	}
	return runs
}

func expectedFrames(keep []Range, total int) []int {
	var want []int
	for i := 0; i < total; i++ {
		t := float64(i) / mkFPS
		for _, r := range keep {
			if t >= r.Start-0.5/mkFPS && t < r.End-0.5/mkFPS {
				want = append(want, i)
				break
			}
		}
	}
	return want
}

// packetHashes returns the MD5 of every video packet of path, its
// parameter sets, SEI and access unit delimiters stripped (what a copy
// may add or drop), leaving the coded slices.
func packetHashes(t *testing.T, path string) []string {
	t.Helper()
	out := encFFmpeg(t, "-i", path, "-map", "0:v:0", "-c", "copy", "-bsf:v", "filter_units=remove_types=6|7|8|9", "-f", "framemd5", "-")
	var hs []string
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Split(l, ","); len(f) == 6 && !strings.HasPrefix(l, "#") {
			hs = append(hs, strings.TrimSpace(f[5]))
		}
	}
	return hs
}

// decodeErrors decodes path fully and returns ffmpeg's error output.
func decodeErrors(t *testing.T, path string) string {
	t.Helper()
	cmd := exec.Command(testmedia.FFmpeg(), "-nostdin", "-v", "error", "-i", path, "-f", "null", "-")
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Run(); err != nil {
		return err.Error() + ": " + se.String()
	}
	return se.String()
}

// smartCut runs the audio chain with keep (snapped to the video's frames)
// and exports the video with its cut, the way an export does.
func smartCut(t *testing.T, e *Engine, src *MediaInfo, keep []Range, out string, progress func(float64)) (*Processed, *Output) {
	t.Helper()
	ctx := context.Background()
	pr, err := e.Process(ctx, src, ProcessOptions{Chain: Chain{Keep: keep}, FrameRate: src.FPS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Remove() })
	res, err := e.Encode(ctx, EncodeOptions{Source: src, AudioPath: pr.Path, VideoKeep: pr.Keep, Width: src.Width, Height: src.Height,
		OutputPath: out, Duration: pr.Duration, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	return pr, res
}

// assertSmartCut checks a smart render's output out of the marker video
// src: no decode errors, exactly the kept frames, audio and video as long
// as the kept ranges, flashes on their beeps, and wantCopied packets
// byte-identical to the source's. It returns the kept frames.
func assertSmartCut(t *testing.T, src, out string, pr *Processed, res *Output, wantCopied int) []int {
	t.Helper()
	if msg := decodeErrors(t, out); msg != "" {
		t.Errorf("decoding the output: %s", msg)
	}
	want := expectedFrames(pr.Keep, 12*mkFPS)
	idx, flash := markerFrames(t, out)
	if d := cmp.Diff(want, idx); d != "" {
		t.Errorf("output frames (marker indices) differ from the kept source frames (-want +got):\n%s", d)
	}
	// Duration: the kept duration within one frame, audio and video.
	kept := keptDuration(pr.Keep)
	onsets, ad := beepOnsets(t, out, 0)
	vd := float64(len(idx)) / mkFPS
	t.Logf("kept %.3f s; video %d frames = %.3f s; audio %.3f s; %d frames smart-copied", kept, len(idx), vd, ad, res.SmartFrames)
	if math.Abs(vd-kept) > 1.0/mkFPS || math.Abs(ad-kept) > 1.0/mkFPS {
		t.Errorf("video %.3f s, audio %.3f s, want %.3f within a frame", vd, ad, kept)
	}
	// A/V: each whole flash in the output starts with a beep, within a
	// frame; check the first and the last.
	var flashes []float64
	for i := range flash {
		if flash[i] && (i == 0 || !flash[i-1]) && i > 0 && i < len(flash)-1 {
			flashes = append(flashes, float64(i)/mkFPS)
		}
	}
	if len(flashes) < 4 {
		t.Fatalf("%d flashes in the output, want several", len(flashes))
	}
	for _, f := range []float64{flashes[0], flashes[len(flashes)-1]} {
		best := math.Inf(1)
		for _, o := range onsets {
			best = math.Min(best, math.Abs(o-f))
		}
		if best > 1.0/mkFPS {
			t.Errorf("flash at %.3f s has no beep within a frame (nearest %.3f s away; beeps %v)", f, best, onsets)
		}
	}
	// The smart path was taken: the packets of the whole GOPs inside the
	// ranges are the source's own bytes, and no others are.
	srcPk := map[string]bool{}
	for _, h := range packetHashes(t, src) {
		srcPk[h] = true
	}
	same := 0
	for _, h := range packetHashes(t, out) {
		if srcPk[h] {
			same++
		}
	}
	if same != wantCopied {
		t.Errorf("%d output packets are copies of source packets, want %d (smart render not taken?)", same, wantCopied)
	}
	if res.SmartFrames != wantCopied {
		t.Errorf("SmartFrames = %d, want %d", res.SmartFrames, wantCopied)
	}
	return want
}

func TestSmartCutFrameExact(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "marker.mp4")
	markerVideo(t, src, 12, 25)
	si := encProbe(t, e, src)
	// Cuts off keyframes (keyframes every second): a long range with whole
	// GOPs inside, a short one with none, one to the end of the video.
	keep := []Range{{0.3, 3.7}, {4.13, 4.5}, {5.35, 9.05}, {10.52, 12}}
	var fracs []float64
	out := filepath.Join(dir, "out.mp4")
	pr, res := smartCut(t, e, si, keep, out, func(f float64) { fracs = append(fracs, f) })

	// Whole GOPs inside the snapped ranges: [1,3) s, [6,9) s, [11,12) s
	// = 6 GOPs of 25 frames, and of the partial GOPs that end [0.3, 3.7)
	// and [5.35, 9.05) the frames up to the last that completes a run of
	// B-frames, read off the source's packet order.
	copied := copyableFrames(t, src, keptRuns(pr.Keep, 12*mkFPS))
	if copied <= 6*25 || copied > 6*25+18+1 {
		t.Fatalf("the source's packet order allows %d frames to be copied, want 6 GOPs of 25 and part of the 18- and 1-frame tails", copied)
	}
	want := assertSmartCut(t, src, out, pr, res, copied)
	// Matroska too.
	mkv := filepath.Join(dir, "out.mkv")
	res2, err := e.Encode(context.Background(), EncodeOptions{Source: si, AudioPath: pr.Path, VideoKeep: pr.Keep, Width: si.Width, Height: si.Height,
		Format: "mkv", OutputPath: mkv})
	if err != nil {
		t.Fatal(err)
	}
	if msg := decodeErrors(t, mkv); msg != "" {
		t.Errorf("decoding the mkv output: %s", msg)
	}
	idx2, _ := markerFrames(t, mkv)
	if d := cmp.Diff(want, idx2); d != "" || res2.SmartFrames != copied {
		t.Errorf("mkv: %d smart frames, frames (-want +got):\n%s", res2.SmartFrames, d)
	}
	for i := 1; i < len(fracs); i++ {
		if fracs[i] < fracs[i-1] {
			t.Fatalf("progress went back: %v", fracs)
		}
	}
	if len(fracs) < 3 || fracs[len(fracs)-1] != 1 {
		t.Errorf("progress %v: want several steps ending at 1", fracs)
	}

	// Cancelling stops the smart render with a cancelled error and leaves
	// nothing behind.
	cdir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = e.Encode(ctx, EncodeOptions{Source: si, AudioPath: pr.Path, VideoKeep: pr.Keep, Width: si.Width, Height: si.Height,
		OutputPath: filepath.Join(cdir, "c.mp4"), Progress: func(f float64) {
			if f > 0 {
				cancel()
			}
		}})
	var ee *Error
	if !errors.As(err, &ee) || ee.SafeReason() != "cancelled" {
		t.Errorf("cancelled smart render: err = %v, want a cancelled *Error", err)
	}
	if ents, _ := os.ReadDir(cdir); len(ents) != 0 {
		t.Errorf("left behind after cancel: %v", ents)
	}
	ents, _ := os.ReadDir(e.TempDir())
	for _, en := range ents {
		if strings.HasSuffix(en.Name(), "-encode") {
			t.Errorf("encode work folder left after cancel: %s", en.Name())
		}
	}
}

// TestSmartCutNoBFrames: without B-frames (as most phones record) the
// partial GOP that ends a kept range is copied too, so only the frames
// from each cut-in to the next keyframe are re-encoded.
func TestSmartCutNoBFrames(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "marker.mp4")
	markerVideo(t, src, 12, 25, "-bf", "0")
	si := encProbe(t, e, src)
	keep := []Range{{0.3, 3.7}, {4.13, 4.5}, {5.35, 9.05}, {10.52, 12}}
	out := filepath.Join(dir, "out.mp4")
	pr, res := smartCut(t, e, si, keep, out, nil)
	// From the first keyframe in each range to its end: [1, 3.7) s,
	// [6, 9.04] s, [11, 12) s = 68 + 76 + 25 frames; [4.13, 4.5) holds no
	// keyframe.
	copied := 0
	for _, r := range keptRuns(pr.Keep, 12*mkFPS) {
		if c0 := (r[0] + mkFPS - 1) / mkFPS * mkFPS; c0 < r[1] {
			copied += r[1] - c0
		}
	}
	if copied != 68+76+25 {
		t.Fatalf("kept runs %v copy %d frames, want %d: the ranges were not snapped as expected", keptRuns(pr.Keep, 12*mkFPS), copied, 68+76+25)
	}
	assertSmartCut(t, src, out, pr, res, copied)
}

// copyableFrames reads the packet order of the marker video src
// (keyframes every 25 frames, closed GOPs) and counts the frames a
// smart render can copy from runs: in each, from the first keyframe to
// the last frame before the run's end where the packets so far in decode
// order are exactly the frames so far in display order.
func copyableFrames(t *testing.T, src string, runs [][2]int) int {
	t.Helper()
	// framemd5 of the copied stream lists the packets in decode order:
	// stream, dts, pts, duration, size, hash.
	out := encFFmpeg(t, "-i", src, "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-")
	var pts []int
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(l, ",")
		if len(f) != 6 || strings.HasPrefix(l, "#") {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(f[2]))
		if err != nil {
			t.Fatalf("packet line %q: %v", l, err)
		}
		pts = append(pts, v)
	}
	sorted := append([]int(nil), pts...)
	sort.Ints(sorted)
	rank := map[int]int{}
	for i, v := range sorted {
		rank[v] = i
	}
	n := len(pts)
	ends := make([]bool, n+1) // ends[e]: the first e packets show frames 0..e-1
	hi := -1
	for d := 0; d <= n; d++ {
		ends[d] = hi == d-1
		if d < n {
			hi = max(hi, rank[pts[d]])
		}
	}
	copied := 0
	for _, r := range runs {
		c0 := (r[0] + mkFPS - 1) / mkFPS * mkFPS
		for e := r[1]; e > c0; e-- {
			if ends[e] {
				copied += e - c0
				break
			}
		}
	}
	return copied
}

// gopProbe is keyframeProbeArgs' output for a 25 fps H.264 source with
// frames at pts 0..n-1 (time base 1/25), decode order given by order, the
// keyframes at the given decode positions.
func gopProbe(order []int64, keys map[int]bool) []byte {
	var b strings.Builder
	b.WriteString(`{"packets":[`)
	for i, p := range order {
		if i > 0 {
			b.WriteByte(',')
		}
		fl := "__"
		if keys[i] {
			fl = "K_"
		}
		fmt.Fprintf(&b, `{"pts":%d,"flags":%q}`, p, fl)
	}
	b.WriteString(`],"streams":[{"codec_name":"h264","profile":"High","level":40,"pix_fmt":"yuv420p","sample_aspect_ratio":"1:1","time_base":"1/25","r_frame_rate":"25/1","avg_frame_rate":"25/1"}],"format":{"start_time":"0.000000"}}`)
	return []byte(b.String())
}

func TestParseKeyframeProbe(t *testing.T) {
	t.Parallel()
	// Closed GOPs of 4 with one B-frame (I P B P ...) and an open GOP
	// at 8: its leading B-frame (pts 7... shown before the I-frame at 8)
	// follows it in decode order.
	order := []int64{0, 2, 1, 3, 4, 6, 5, 8, 7, 9, 10, 11}
	keys := map[int]bool{0: true, 4: true, 7: true}
	vi, err := parseKeyframeProbe(gopProbe(order, keys))
	if err != nil {
		t.Fatal(err)
	}
	var clean, key, cut []int
	for i, f := range vi.frames {
		if f.cut {
			cut = append(cut, i)
		}
		if f.pts != int64(i) {
			t.Fatalf("frame %d has pts %d: not in display order", i, f.pts)
		}
		if f.key {
			key = append(key, i)
		}
		if f.clean {
			clean = append(clean, i)
		}
	}
	// Where the packets so far in decode order are exactly the frames so
	// far in display order.
	if d := cmp.Diff([]int{0, 1, 3, 4, 5, 7, 9, 10, 11}, cut); d != "" {
		t.Errorf("frames a copy may end before (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int{0, 4, 8}, key); d != "" {
		t.Errorf("keyframes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]int{0, 4}, clean); d != "" {
		t.Errorf("clean keyframes (-want +got):\n%s", d)
	}
	if why := vi.smartReason(); why != "" {
		t.Errorf("smartReason = %q, want it to qualify", why)
	}
	if _, err := parseKeyframeProbe([]byte(`{"packets":[{"flags":"K_"}],"streams":[{"time_base":"1/25","r_frame_rate":"25/1","avg_frame_rate":"25/1"}]}`)); err == nil {
		t.Error("a packet without pts was accepted")
	}
}

func TestSmartReason(t *testing.T) {
	t.Parallel()
	base := func() *videoIndex {
		vi, err := parseKeyframeProbe(gopProbe([]int64{0, 1, 2, 3}, map[int]bool{0: true}))
		if err != nil {
			t.Fatal(err)
		}
		return vi
	}
	for _, tc := range []struct {
		name string
		mod  func(*videoIndex)
		want string
	}{
		{"hevc", func(v *videoIndex) { v.codec = "hevc" }, "the video is hevc, not H.264"},
		{"10-bit", func(v *videoIndex) { v.pixFmt = "yuv420p10le" }, "pixel format yuv420p10le is not yuv420p"},
		{"anamorphic", func(v *videoIndex) { v.sar = "4:3" }, "pixels are not square (4:3)"},
		{"high 4:2:2", func(v *videoIndex) { v.profile = "High 4:2:2" }, "H.264 profile High 4:2:2 is not Baseline, Main or High"},
		{"avg rate differs", func(v *videoIndex) { v.avgNum, v.avgDen = 2997, 100 }, "variable frame rate"},
		{"frame off the grid", func(v *videoIndex) { v.frames[2].pts = 3; v.frames[3].pts = 4 }, "variable frame rate (frame 2 off the 25.000 fps grid)"},
		{"no keyframe first", func(v *videoIndex) { v.frames[0].clean = false }, "the video does not start with a keyframe"},
	} {
		vi := base()
		tc.mod(vi)
		if got := vi.smartReason(); got != tc.want {
			t.Errorf("%s: smartReason = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPlanSmart(t *testing.T) {
	t.Parallel()
	// 30 frames, closed GOPs of 10 (no B-frames).
	var order []int64
	for i := int64(0); i < 30; i++ {
		order = append(order, i)
	}
	vi, err := parseKeyframeProbe(gopProbe(order, map[int]bool{0: true, 10: true, 20: true}))
	if err != nil {
		t.Fatal(err)
	}
	// [0.12, 0.92) s = frames 3..22; [0.96, 1.2) = frames 24..29 (to the
	// end: the end of the video is a boundary); [1.2, ...) is past it.
	runs := vi.keptFrames([]Range{{0.12, 0.92}, {0.96, 1.2}}, 0.02)
	if d := cmp.Diff([][2]int{{3, 23}, {24, 30}}, runs); d != "" {
		t.Fatalf("kept frames (-want +got):\n%s", d)
	}
	ps, copied := vi.planSmart(runs)
	// No frame is reordered: the partial GOP at the end of a run is a
	// prefix of its GOP in decode order and is copied too.
	want := []smartPiece{
		{from: 3, to: 10, seek: 0},
		{from: 10, to: 23, copy: true},
		{from: 24, to: 30, seek: 20},
	}
	if d := cmp.Diff(want, ps, cmp.AllowUnexported(smartPiece{})); d != "" {
		t.Errorf("pieces (-want +got):\n%s", d)
	}
	if copied != 13 {
		t.Errorf("copied %d frames, want 13", copied)
	}
	// A range that starts on a keyframe and ends at the video's end is
	// copied whole.
	ps, copied = vi.planSmart([][2]int{{10, 30}})
	if d := cmp.Diff([]smartPiece{{from: 10, to: 30, copy: true}}, ps, cmp.AllowUnexported(smartPiece{})); d != "" || copied != 20 {
		t.Errorf("pieces %v, copied %d; want one copy of 20 frames", ps, copied)
	}

	// B-frames (I P B P B ... in decode order: 0 2 1 4 3 ...): a copy
	// may end before a P-frame (1, 3, 5... into the GOP), not before a
	// B-frame, so a run ending there loses its last frame to the encoder.
	order = order[:0]
	for g := int64(0); g < 30; g += 10 {
		order = append(order, g, g+2, g+1, g+4, g+3, g+6, g+5, g+8, g+7, g+9)
	}
	vi, err = parseKeyframeProbe(gopProbe(order, map[int]bool{0: true, 10: true, 20: true}))
	if err != nil {
		t.Fatal(err)
	}
	ps, copied = vi.planSmart([][2]int{{3, 22}, {4, 13}, {24, 29}})
	want = []smartPiece{
		{from: 3, to: 10, seek: 0},
		{from: 10, to: 21, copy: true},
		{from: 21, to: 22, seek: 20},
		{from: 4, to: 10, seek: 0},
		{from: 10, to: 13, copy: true},
		{from: 24, to: 29, seek: 20},
	}
	if d := cmp.Diff(want, ps, cmp.AllowUnexported(smartPiece{})); d != "" || copied != 14 {
		t.Errorf("B-frames: copied %d (want 14), pieces (-want +got):\n%s", copied, d)
	}
	// Its keyframe alone decodes on its own: a run of just that frame is
	// copied; one of the keyframe and the B-frame after it is not.
	ps, copied = vi.planSmart([][2]int{{20, 21}, {10, 12}})
	want = []smartPiece{{from: 20, to: 21, copy: true}, {from: 10, to: 11, copy: true}, {from: 11, to: 12, seek: 10}}
	if d := cmp.Diff(want, ps, cmp.AllowUnexported(smartPiece{})); d != "" || copied != 2 {
		t.Errorf("B-frames, one keyframe: copied %d, pieces (-want +got):\n%s", copied, d)
	}
}

func TestGroupPieces(t *testing.T) {
	t.Parallel()
	enc := func(i int) smartPiece { return smartPiece{from: i, to: i + 1} }
	cp := smartPiece{from: 100, to: 110, copy: true}
	ps := []smartPiece{enc(0), cp, enc(1), enc(2), cp}
	for i := 10; i < 19; i++ {
		ps = append(ps, enc(i))
	}
	// Copies are left out; the re-encoded pieces go in order, copies
	// between them or not, 8 to a batch.
	want := [][]int{{0, 2, 3, 5, 6, 7, 8, 9}, {10, 11, 12, 13}}
	if d := cmp.Diff(want, groupPieces(ps, encodeGroup(1920, 1080))); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
	for _, tc := range []struct{ w, h, want int }{{1280, 720, 8}, {1920, 1080, 8}, {2560, 1440, 4}, {3840, 2160, 2}, {7680, 4320, 1}} {
		if got := encodeGroup(tc.w, tc.h); got != tc.want {
			t.Errorf("encodeGroup(%d, %d) = %d, want %d", tc.w, tc.h, got, tc.want)
		}
	}
	pat, names := encodeNames("/w/50%", 3, 2)
	if d := cmp.Diff([]string{"/w/50%/edge00003-000.ts", "/w/50%/edge00003-001.ts"}, names); d != "" || pat != "/w/50%%/edge00003-%03d.ts" {
		t.Errorf("encodeNames: pattern %q, names (-want +got):\n%s", pat, d)
	}
	if pat, names := encodeNames("/w/50%", 4, 1); pat != "/w/50%/edge00004-000.ts" || len(names) != 1 || names[0] != pat {
		t.Errorf("encodeNames, one piece: %q %v", pat, names)
	}
}

func TestSmartArgs(t *testing.T) {
	t.Parallel()
	vi, err := parseKeyframeProbe(gopProbe([]int64{0, 1, 2, 3, 4, 5, 6, 7}, map[int]bool{0: true, 4: true}))
	if err != nil {
		t.Fatal(err)
	}
	vi.start = 0.5 // the format starts at 0.5 s (audio first, say)
	wl := []string{"-protocol_whitelist", "file,fd,pipe", "-format_whitelist", inputFormats}
	if d := cmp.Diff(append([]string{"-v", "error", "-select_streams", "v:0", "-show_entries",
		"packet=pts,flags:stream=codec_name,profile,level,pix_fmt,sample_aspect_ratio,time_base,r_frame_rate,avg_frame_rate:format=start_time",
		"-of", "json"}, append(wl, "-i", "file:/in/v.mp4")...), keyframeProbeArgs("/in/v.mp4")); d != "" {
		t.Errorf("keyframeProbeArgs (-want +got):\n%s", d)
	}
	head := []string{"-hide_banner", "-nostdin", "-y", "-v", "error"}
	want := append(append(append([]string{}, head...), "-nofind_stream_info", "-ss", "-0.330000", "-t", "0.180000"), wl...)
	want = append(append(append(want, "-i", "file:/in/v.mp4", "-nofind_stream_info", "-ss", "-0.490000", "-t", "0.180000"), wl...), "-i", "file:/in/v.mp4",
		"-map", "0:v:0", "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-frames:v", "4", "-map_metadata", "-1", "-f", "mpegts", "file:/w/p1.ts",
		"-map", "1:v:0", "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-frames:v", "4", "-map_metadata", "-1", "-f", "mpegts", "file:/w/p2.ts")
	if d := cmp.Diff(want, smartCopyArgs("/in/v.mp4", vi, []smartPiece{{from: 4, to: 8, copy: true}, {from: 0, to: 4, copy: true}}, []string{"/w/p1.ts", "/w/p2.ts"})); d != "" {
		t.Errorf("smartCopyArgs (-want +got):\n%s", d)
	}
	p, err := planEncode(EncodeOptions{Source: encMP4, AudioPath: "/in/a.wav", VideoKeep: []Range{{1, 2}}, Quality: "medium", Title: "T"}, encWAV, "")
	if err != nil {
		t.Fatal(err)
	}
	if why := p.smartCandidate(); why != "" {
		t.Fatalf("smartCandidate = %q", why)
	}
	want = append(append([]string{}, head...), "-nostats", "-progress", "pipe:1", "-copyts", "-nofind_stream_info", "-ss", "-0.490000", "-t", "0.140000", "-noaccurate_seek")
	want = append(append(want, wl...), "-i", "file:/in/v.mp4", "-nofind_stream_info", "-ss", "-0.330000", "-t", "0.100000", "-noaccurate_seek")
	want = append(append(want, wl...), "-i", "file:/in/v.mp4",
		"-filter_complex", "[0:v]trim=start=0.060000:end=0.140000[p0];[1:v]trim=start=0.220000:end=0.260000[p1];[p0][p1]concat=n=2:v=1:a=0,setpts=N*1/(25*TB)[v]",
		"-map", "[v]", "-fps_mode", "passthrough", "-r", "25/1", "-frames:v", "3",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "22", "-profile:v", "high", "-pix_fmt", "yuv420p", "-level:v", "4",
		"-force_key_frames", "0.080000", "-forced-idr", "1", "-map_metadata", "-1",
		"-f", "segment", "-segment_format", "mpegts", "-segment_frames", "2", "file:/w/e-%03d.ts")
	if d := cmp.Diff(want, smartEncodeArgs(p, vi, []smartPiece{{from: 2, to: 4, seek: 0}, {from: 6, to: 7, seek: 4}}, "/w/e-%03d.ts")); d != "" {
		t.Errorf("smartEncodeArgs (-want +got):\n%s", d)
	}
	// One piece: one MPEG-TS file, no forced keyframe.
	want = append(append([]string{}, head...), "-nostats", "-progress", "pipe:1", "-copyts", "-nofind_stream_info", "-ss", "-0.330000", "-t", "0.100000", "-noaccurate_seek")
	want = append(append(want, wl...), "-i", "file:/in/v.mp4",
		"-filter_complex", "[0:v]trim=start=0.220000:end=0.260000[p0];[p0]concat=n=1:v=1:a=0,setpts=N*1/(25*TB)[v]",
		"-map", "[v]", "-fps_mode", "passthrough", "-r", "25/1", "-frames:v", "1",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "22", "-profile:v", "high", "-pix_fmt", "yuv420p", "-level:v", "4",
		"-map_metadata", "-1", "-f", "mpegts", "file:/w/p0.ts")
	if d := cmp.Diff(want, smartEncodeArgs(p, vi, []smartPiece{{from: 6, to: 7, seek: 4}}, "/w/p0.ts")); d != "" {
		t.Errorf("smartEncodeArgs, one piece (-want +got):\n%s", d)
	}
	want = append(append([]string{}, head...), "-nostats", "-progress", "pipe:1", "-f", "concat", "-safe", "0",
		"-protocol_whitelist", "file", "-format_whitelist", "concat,mpegts", "-i", "file:/dev/fd/4")
	want = append(append(want, wl...), "-i", "file:/in/a.wav", "-map", "0:v:0", "-c:v", "copy", "-bsf:v", "filter_units=remove_types=9",
		"-map", "1:a:0", "-c:a", "aac", "-b:a", "80k", "-aac_coder", "fast",
		"-map_metadata", "-1", "-map_chapters", "-1", "-metadata", "title=T", "-movflags", "+faststart", "-f", "mp4", "file:/dev/fd/3")
	if d := cmp.Diff(want, smartJoinArgs(p, "/dev/fd/4", "/dev/fd/3")); d != "" {
		t.Errorf("smartJoinArgs (-want +got):\n%s", d)
	}
	list := smartConcatList([]string{"/w/p0.ts", "/w/it's.ts"}, []int{2, 4}, vi)
	if want := "ffconcat version 1.0\nfile 'file:/w/p0.ts'\nduration 0.080000000\nfile 'file:/w/it'\\''s.ts'\nduration 0.160000000\noption probesize 4096\noption analyzeduration 0\n"; list != want {
		t.Errorf("concat list:\n%s\nwant:\n%s", list, want)
	}
	for _, tc := range []struct {
		opts EncodeOptions
		want string
	}{
		{EncodeOptions{Source: encMP4, AudioPath: "/in/a.wav"}, "no cut"},
		{EncodeOptions{Source: encMP4, VideoKeep: []Range{{1, 2}}}, "the source's own audio is cut by the encoder"},
		{EncodeOptions{Source: encMP4, AudioPath: "/in/a.wav", VideoKeep: []Range{{1, 2}}, Width: 1280}, "the picture is resized"},
		{EncodeOptions{Source: encMP4, AudioPath: "/in/a.wav", VideoKeep: []Range{{1, 2}}, Format: "webm"}, "the output format is not H.264"},
		{EncodeOptions{Source: encMP4, AudioPath: "/in/a.wav", VideoKeep: []Range{{1, 2}}, Texts: []TextOverlay{{Text: "Hi", End: 1}}}, "text is drawn on the picture"},
		{EncodeOptions{Source: encMP4, AudioPath: "/in/a.wav", VideoKeep: []Range{{50, 61}}}, "the cut reaches past the end of the video"},
	} {
		p, err := planEncode(tc.opts, encWAV, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := p.smartCandidate(); got != tc.want {
			t.Errorf("%+v: smartCandidate = %q, want %q", tc.opts, got, tc.want)
		}
	}
}

// TestSmartCutLongAV cuts a 5-minute video (64x36, 25 fps, a keyframe
// every second, B-frames) in many places off the keyframes and checks
// that every kept frame is there and the last flash and its beep are
// still within one frame at the end. cmd/bench runs the same check on a
// 1-hour input (too slow for the test suite: about 3 minutes here).
func TestSmartCutLongAV(t *testing.T) {
	if testing.Short() {
		t.Skip("5-minute input")
	}
	e := encEngine(t)
	ctx := context.Background()
	dir := t.TempDir()
	const dur, period = 300, 100
	src := filepath.Join(dir, "long.mov")
	if err := testmedia.FlashBeepVideo(ctx, "", src, dur, 64, 36, mkFPS, mkFPS, period); err != nil {
		t.Fatal(err)
	}
	si := encProbe(t, e, src)
	// Keep 9.37 s, drop 5.61 s, again and again: cut points fall off the
	// keyframes and off the frame grid (the chain snaps them).
	var keep []Range
	for s := 0.13; s < dur; s += 14.98 {
		keep = append(keep, Range{s, math.Min(s+9.37, dur)})
	}
	out := filepath.Join(dir, "long-cut.mp4")
	pr, res := smartCut(t, e, si, keep, out, nil)
	if res.SmartFrames == 0 {
		t.Fatal("the smart path was not taken")
	}
	if msg := decodeErrors(t, out); msg != "" {
		t.Errorf("decoding the output: %s", msg)
	}
	lum, err := testmedia.FrameLuma(ctx, "", out)
	if err != nil {
		t.Fatal(err)
	}
	want := expectedFrames(pr.Keep, dur*mkFPS)
	if len(lum) != len(want) {
		t.Fatalf("%d frames in the output, want %d", len(lum), len(want))
	}
	// Flashes where the kept source frames have them, nowhere else.
	var lastFlash float64
	for i, f := range want {
		isFlash := lum[i] > 0xc0
		if isFlash != (f%period == period/2) {
			t.Fatalf("output frame %d (source frame %d): flash %v, want %v", i, f, isFlash, !isFlash)
		}
		if isFlash {
			lastFlash = float64(i) / mkFPS
		}
	}
	vd := float64(len(lum)) / mkFPS
	onsets, ad := beepOnsets(t, out, vd-30)
	if len(onsets) == 0 {
		t.Fatal("no beep in the last 30 s of the output")
	}
	last := onsets[len(onsets)-1]
	t.Logf("%d ranges, %d frames (%d copied); video %.3f s, audio %.3f s; last flash %.3f s, last beep %.3f s: offset %.1f ms",
		len(pr.Keep), len(lum), res.SmartFrames, vd, ad, lastFlash, last, 1000*(last-lastFlash))
	if math.Abs(last-lastFlash) > 1.0/mkFPS {
		t.Errorf("last beep at %.3f s, last flash at %.3f s: more than a frame apart", last, lastFlash)
	}
	if math.Abs(vd-ad) > 1.0/mkFPS {
		t.Errorf("video %.3f s, audio %.3f s: more than a frame apart", vd, ad)
	}
}
