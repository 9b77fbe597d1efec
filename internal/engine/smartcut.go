package engine

// Smart rendering ("smart cut") of a video with cuts: each kept range is
// stream-copied from its first keyframe (of a closed GOP) on, and only the
// frames before that keyframe (from the cut-in) are decoded and
// re-encoded. The copy runs to the range's end when the packets up to it
// in decode order are exactly the frames up to it in display order, a
// prefix that decodes on its own: always without B-frames (as most
// phones record); with B-frames it ends after the last complete run of
// B-frames and the few frames after it are re-encoded too. All
// re-encoded pieces go through one x264 stream per
// batch of inputs, cut into a file per piece at forced keyframes. The
// pieces are written as MPEG-TS (Annex B, parameter sets in-band before
// every keyframe: the copied pieces get the source's SPS/PPS from
// h264_mp4toannexb, the x264 pieces repeat their own), each checked to
// hold exactly its frames, joined by the concat demuxer from a list we
// write, and muxed with the rendered audio.
//
// A video qualifies when nothing but the cut changes its picture:
//   - the cut comes with separately rendered audio (AudioPath) or there is
//     no audio, and every kept range lies inside the video;
//   - the output is mp4, mov or mkv (H.264 video) at the source's own size,
//     with no text drawn on it;
//   - the source is H.264 in mp4, mov or mkv, 8-bit 4:2:0 (yuv420p), square
//     pixels, Baseline, Main or High profile;
//   - its frames lie on a constant frame rate grid (variable frame rate
//     sources are re-timed by the full re-encode, as before);
//   - at least one kept range holds a keyframe it can be copied from
//     (otherwise there is nothing to copy and the full re-encode is as
//     fast).
//
// Everything else takes the full re-encode (planEncode's modeVideo). The
// frames kept are exactly those the full path's select filter keeps (the
// same [Start-half frame, End-half frame) rule on the same timestamps), so
// the video keeps the audio chain's frame-snapped ranges to the frame.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// videoIndex is what the keyframe probe found about the first video
// stream of a source: its frames in display order and the stream's
// properties that re-encoded pieces must match.
type videoIndex struct {
	codec, profile, pixFmt, sar string
	level                       int
	// tbNum/tbDen is the stream time base; rateNum/rateDen its frame rate
	// (r_frame_rate), avgNum/avgDen the average rate.
	tbNum, tbDen     int64
	rateNum, rateDen int64
	avgNum, avgDen   int64
	// start is the format's start time in seconds (ffmpeg subtracts it
	// from every timestamp when it decodes).
	start float64
	// frames in display (pts) order.
	frames []vframe
}

// vframe is one video frame (packet) of the source.
type vframe struct {
	pts int64
	// key: the packet is a keyframe.
	key bool
	// clean: decoding can start here and the packets from here on in
	// decode order hold exactly the frames from here on in display order
	// (a keyframe of a closed GOP): a copy may start or end here.
	clean bool
	// cut: the packets before this frame's position in decode order are
	// exactly the frames before it in display order, so a copy from a
	// clean keyframe may end just before it: the packets it takes decode
	// on their own and show exactly the frames up to here. Without
	// B-frames every frame is one; with them, every frame that follows a
	// run of B-frames in display order.
	cut bool
}

// keyframeProbeArgs is the ffprobe argv that lists the packets (pts, key
// flag) of the first video stream of path with the stream's properties.
// Packets are read, not decoded: it costs one read of the file.
func keyframeProbeArgs(path string) []string {
	return append([]string{"-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=pts,flags:stream=codec_name,profile,level,pix_fmt,sample_aspect_ratio,time_base,r_frame_rate,avg_frame_rate:format=start_time",
		"-of", "json"}, input(path)...)
}

type keyframeProbeOut struct {
	Packets []struct {
		PTS   *int64 `json:"pts"`
		Flags string `json:"flags"`
	} `json:"packets"`
	Streams []struct {
		CodecName    string `json:"codec_name"`
		Profile      string `json:"profile"`
		Level        int    `json:"level"`
		PixFmt       string `json:"pix_fmt"`
		SAR          string `json:"sample_aspect_ratio"`
		TimeBase     string `json:"time_base"`
		RFrameRate   string `json:"r_frame_rate"`
		AvgFrameRate string `json:"avg_frame_rate"`
	} `json:"streams"`
	Format struct {
		StartTime string `json:"start_time"`
	} `json:"format"`
}

// parseKeyframeProbe reads keyframeProbeArgs' output. Packets arrive in
// decode order; the frames come back in display order, each keyframe
// marked clean when no packet before it (in decode order) is shown after
// it and none after it is shown before it.
func parseKeyframeProbe(data []byte) (*videoIndex, error) {
	var p keyframeProbeOut
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("keyframe probe: %w", err)
	}
	if len(p.Streams) == 0 {
		return nil, errors.New("keyframe probe: no video stream")
	}
	s := p.Streams[0]
	vi := &videoIndex{codec: s.CodecName, profile: s.Profile, pixFmt: s.PixFmt, sar: s.SAR, level: s.Level}
	var ok1, ok2, ok3 bool
	vi.tbNum, vi.tbDen, ok1 = parseRational(s.TimeBase)
	vi.rateNum, vi.rateDen, ok2 = parseRational(s.RFrameRate)
	vi.avgNum, vi.avgDen, ok3 = parseRational(s.AvgFrameRate)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("keyframe probe: time base %q, frame rate %q/%q unusable", s.TimeBase, s.RFrameRate, s.AvgFrameRate)
	}
	vi.start, _ = strconv.ParseFloat(p.Format.StartTime, 64)
	n := len(p.Packets)
	type pk struct {
		pts int64
		key bool
		dec int // decode position
	}
	pks := make([]pk, 0, n)
	for i, q := range p.Packets {
		if q.PTS == nil {
			return nil, fmt.Errorf("keyframe probe: packet %d has no timestamp", i)
		}
		pks = append(pks, pk{pts: *q.PTS, key: strings.HasPrefix(q.Flags, "K"), dec: i})
	}
	// Display rank of every packet, then the clean keyframes: at decode
	// position d with display rank r, clean when the packets before d are
	// exactly the display ranks 0..r-1 (max rank before d is r-1 and
	// d == r).
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return pks[order[a]].pts < pks[order[b]].pts })
	rank := make([]int, n)
	for r, i := range order {
		if r > 0 && pks[order[r-1]].pts == pks[i].pts {
			return nil, fmt.Errorf("keyframe probe: two packets at pts %d", pks[i].pts)
		}
		rank[i] = r
	}
	vi.frames = make([]vframe, n)
	cut := make([]bool, n)
	maxBefore := -1
	for d := 0; d < n; d++ {
		r := rank[d]
		// The first d packets show exactly frames 0..d-1.
		cut[d] = maxBefore == d-1
		vi.frames[r] = vframe{pts: pks[d].pts, key: pks[d].key, clean: pks[d].key && d == r && maxBefore == r-1}
		maxBefore = max(maxBefore, r)
	}
	for i, c := range cut {
		vi.frames[i].cut = c
	}
	return vi, nil
}

// parseRational reads "num/den" with both positive.
func parseRational(s string) (int64, int64, bool) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, false
	}
	n, err1 := strconv.ParseInt(a, 10, 64)
	d, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 || d <= 0 {
		return 0, 0, false
	}
	return n, d, true
}

// fps is the frame rate as a float.
func (vi *videoIndex) fps() float64 { return float64(vi.rateNum) / float64(vi.rateDen) }

// raw is frame i's timestamp in seconds as ffmpeg reads it with -copyts.
func (vi *videoIndex) raw(i int) float64 {
	return float64(vi.frames[i].pts) * float64(vi.tbNum) / float64(vi.tbDen)
}

// t is frame i's time as the full re-encode's select filter sees it (the
// format start subtracted).
func (vi *videoIndex) t(i int) float64 { return vi.raw(i) - vi.start }

// x264Profile is the libx264 profile matching the source's ("" when the
// source's cannot be matched).
func x264Profile(p string) string {
	switch p {
	case "High":
		return "high"
	case "Main":
		return "main"
	case "Baseline", "Constrained Baseline":
		return "baseline"
	}
	return ""
}

// smartReason says why vi cannot be smart-rendered ("" when it can).
func (vi *videoIndex) smartReason() string {
	switch {
	case vi.codec != "h264":
		return "the video is " + vi.codec + ", not H.264"
	case vi.pixFmt != "yuv420p":
		return "pixel format " + vi.pixFmt + " is not yuv420p"
	case vi.sar != "" && vi.sar != "1:1" && vi.sar != "0:1" && vi.sar != "N/A":
		return "pixels are not square (" + vi.sar + ")"
	case x264Profile(vi.profile) == "":
		return "H.264 profile " + vi.profile + " is not Baseline, Main or High"
	case vi.rateNum*vi.avgDen != vi.avgNum*vi.rateDen:
		return "variable frame rate"
	case len(vi.frames) == 0:
		return "no video frames"
	case !vi.frames[0].clean:
		return "the video does not start with a keyframe"
	}
	// Every frame on the rate's grid, to a quarter of a frame.
	f := vi.fps()
	t0 := vi.raw(0)
	for i := range vi.frames {
		if math.Abs((vi.raw(i)-t0)*f-float64(i)) > 0.25 {
			return fmt.Sprintf("variable frame rate (frame %d off the %.3f fps grid)", i, f)
		}
	}
	return ""
}

// smartPiece is one piece of a smart render: frames [from, to) of the
// source (display order), copied or re-encoded.
type smartPiece struct {
	from, to int
	copy     bool
	// seek is the clean keyframe a re-encoded piece decodes from.
	seek int
}

func (p smartPiece) frames() int { return p.to - p.from }

// keptFrames lists, for each keep range, the source frames [from, to)
// that the full re-encode's select filter would keep: those whose time t
// lies in [Start-tol, End-tol). Frames are in time order, so each range
// is a run.
func (vi *videoIndex) keptFrames(keep []Range, tol float64) [][2]int {
	var runs [][2]int
	n := len(vi.frames)
	for _, r := range keep {
		a := sort.Search(n, func(i int) bool { return vi.t(i) >= r.Start-tol })
		b := sort.Search(n, func(i int) bool { return vi.t(i) >= r.End-tol })
		if b > a {
			runs = append(runs, [2]int{a, b})
		}
	}
	return runs
}

// planSmart splits the kept frames into pieces: in each run the stretch
// from its first clean keyframe is copied, up to the last frame before
// the run's end where a copy may end (see vframe.cut: the run's end
// itself when nothing is reordered there, as without B-frames). The
// frames before the copy and after it are re-encoded; a run with nothing
// to copy is re-encoded whole. It returns the pieces and how many frames
// are copied.
func (vi *videoIndex) planSmart(runs [][2]int) ([]smartPiece, int) {
	n := len(vi.frames)
	var bounds []int // clean keyframes, then n
	for i, f := range vi.frames {
		if f.clean {
			bounds = append(bounds, i)
		}
	}
	bounds = append(bounds, n)
	// seekFor is the last clean keyframe at or before frame i.
	seekFor := func(i int) int {
		k := sort.SearchInts(bounds, i+1) - 1
		if k < 0 {
			return -1
		}
		return bounds[k]
	}
	// cutOK: a copy may end just before frame i.
	cutOK := func(i int) bool { return i == n || vi.frames[i].cut }
	var ps []smartPiece
	copied := 0
	enc := func(a, b int) {
		if b > a {
			ps = append(ps, smartPiece{from: a, to: b, seek: seekFor(a)})
		}
	}
	for _, r := range runs {
		a, b := r[0], r[1]
		i := sort.SearchInts(bounds, a) // first bound >= a
		j := sort.SearchInts(bounds, b+1) - 1
		if i >= len(bounds) || j < 0 || bounds[i] > bounds[j] {
			enc(a, b)
			continue
		}
		c0, c1 := bounds[i], bounds[j]
		for e := b; e > c1; e-- {
			if cutOK(e) {
				c1 = e
				break
			}
		}
		if c1 <= c0 {
			enc(a, b)
			continue
		}
		enc(a, c0)
		ps = append(ps, smartPiece{from: c0, to: c1, copy: true})
		copied += c1 - c0
		enc(c1, b)
	}
	return ps, copied
}

// maxCopyBatch is the most copied pieces one ffmpeg run writes (one
// input and one output each): a run costs about 0.2 s to start.
const maxCopyBatch = 16

// smartCopyArgs copies the packets of the pieces pcs (from a clean
// keyframe to a frame a copy may end before: see vframe.cut) into MPEG-TS
// files outs, one input and one output each. The seek lands a quarter of
// a frame after the keyframe, so the demuxer starts at that keyframe and
// no earlier one; -frames:v counts packets in decode order, which up to
// such a frame are exactly the frames of the piece.
func smartCopyArgs(src string, vi *videoIndex, pcs []smartPiece, outs []string) []string {
	a := ffmpegArgs("-v", "error")
	for _, pc := range pcs {
		// -nofind_stream_info: the container's headers hold all a copy
		// needs (the keyframe probe checked the stream); probing decodes
		// the first frames of every input, about 0.07 s each at 1080p.
		// -t half a frame past the piece (-frames:v cuts it exactly)
		// stops each input's demuxer there: without it an input whose
		// output was done went on being read while the longer pieces
		// were copied (16 pieces of 34 to 140 frames: 2.0 s, 0.35 s
		// with -t).
		a = append(a, "-nofind_stream_info", "-ss", fnum(vi.t(pc.from)+0.25/vi.fps()), "-t", fnum((float64(pc.frames())+0.5)/vi.fps()))
		a = append(a, input(src)...)
	}
	for i, pc := range pcs {
		a = append(a, "-map", strconv.Itoa(i)+":v:0", "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-frames:v", strconv.Itoa(pc.frames()),
			"-map_metadata", "-1", "-f", "mpegts", fileArg(outs[i]))
	}
	return a
}

// encodeGroup is the most re-encoded pieces one ffmpeg run encodes for a
// w x h video (one input, so one decoder, each): one x264 stream for all
// of them, cut into a file per piece at the keyframes forced on the
// pieces' first frames, instead of a process, a file open and an encoder
// start per cut. Each open decoder holds its frames to the end of the
// run: at 1080p, 8 inputs peaked at 430 MB (no B-frames) to 620 MB
// (B-frames), 16 at 650 MB for 3% less time; so 8 up to 1080p and fewer,
// by area, above it (2 at 4K).
func encodeGroup(w, h int) int {
	return max(1, min(8, 8*1920*1080/max(1, w*h)))
}

// groupPieces gathers the re-encoded pieces (their indices in ps, in
// order) into the batches encoded by one ffmpeg run each, size at most.
func groupPieces(ps []smartPiece, size int) [][]int {
	var gs [][]int
	for i, pc := range ps {
		if pc.copy {
			continue
		}
		if k := len(gs); k > 0 && len(gs[k-1]) < size {
			gs[k-1] = append(gs[k-1], i)
			continue
		}
		gs = append(gs, []int{i})
	}
	return gs
}

// encodeNames is where the encode run of batch b with n pieces writes
// them: the segment muxer's file name pattern (the folder's own percent
// signs doubled) and the n files it makes from it.
func encodeNames(work string, b, n int) (pattern string, names []string) {
	for k := range n {
		names = append(names, filepath.Join(work, fmt.Sprintf("edge%05d-%03d.ts", b, k)))
	}
	if n == 1 {
		return names[0], names
	}
	return filepath.Join(strings.ReplaceAll(work, "%", "%%"), fmt.Sprintf("edge%05d-%%03d.ts", b)), names
}

// smartEncodeArgs re-encodes the frames of the pieces g, in order, with
// x264 set up like the source (profile, level, pixel format), its
// parameter sets in-band, into one MPEG-TS file per piece: out is that
// file for one piece, else encodeNames' pattern for the segment muxer,
// which starts a file at each piece's first frame, where a keyframe (IDR,
// closed GOP) is forced. Each piece is an input of its own that starts
// decoding at its clean keyframe (pc.seek); timestamps stay the source's
// (-copyts) so that trim cuts each piece's frames by their own times
// (half a frame of tolerance); the pieces are concatenated and renumbered
// from 0 at the source's frame rate.
func smartEncodeArgs(p *encodePlan, vi *videoIndex, g []smartPiece, out string) []string {
	half := 0.5 / vi.fps()
	a := ffmpegArgs("-v", "error", "-nostats", "-progress", "pipe:1", "-copyts")
	var graph strings.Builder
	n := 0
	var keys, starts []string
	for i, pc := range g {
		// -t ends the input's decoding after the piece's last frame
		// (trim alone would let it decode to the end of the file): it
		// counts from the first frame decoded, the keyframe. The filters
		// take the picture format from the first decoded frame, so the
		// input is not probed (as in smartCopyArgs).
		a = append(a, "-nofind_stream_info", "-ss", fnum(vi.t(pc.seek)+half/2), "-t", fnum(vi.raw(pc.to-1)-vi.raw(pc.seek)+half), "-noaccurate_seek")
		a = append(a, input(p.source.Path)...)
		fmt.Fprintf(&graph, "[%d:v]trim=start=%s:end=%s[p%d];", i, fnum(vi.raw(pc.from)-half), fnum(vi.raw(pc.to-1)+half), i)
		if i > 0 {
			// The piece's first frame's time: ffmpeg rounds it to the
			// encoder's 1/rate time base, the frame's number.
			keys = append(keys, fnum(float64(n)*float64(vi.rateDen)/float64(vi.rateNum)))
			starts = append(starts, strconv.Itoa(n))
		}
		n += pc.frames()
	}
	for i := range g {
		fmt.Fprintf(&graph, "[p%d]", i)
	}
	fmt.Fprintf(&graph, "concat=n=%d:v=1:a=0,setpts=N*%d/(%d*TB)[v]", len(g), vi.rateDen, vi.rateNum)
	rate := strconv.FormatInt(vi.rateNum, 10) + "/" + strconv.FormatInt(vi.rateDen, 10)
	a = append(a, "-filter_complex", graph.String(), "-map", "[v]", "-fps_mode", "passthrough", "-r", rate, "-frames:v", strconv.Itoa(n))
	a = append(a, "-c:v", "libx264", "-preset", p.q.x264Preset, "-crf", strconv.Itoa(p.q.x264CRF),
		"-profile:v", x264Profile(vi.profile), "-pix_fmt", "yuv420p")
	if vi.level >= 10 {
		a = append(a, "-level:v", strconv.FormatFloat(float64(vi.level)/10, 'f', -1, 64))
	}
	if len(g) == 1 {
		return append(a, "-map_metadata", "-1", "-f", "mpegts", fileArg(out))
	}
	return append(a, "-force_key_frames", strings.Join(keys, ","), "-forced-idr", "1", "-map_metadata", "-1",
		"-f", "segment", "-segment_format", "mpegts", "-segment_frames", strings.Join(starts, ","), fileArg(out))
}

// smartConcatList is the concat demuxer list joining the pieces (absolute
// paths of our own temp files), each with its exact duration so that the
// timestamps run on without a gap or overlap.
func smartConcatList(pieces []string, frames []int, vi *videoIndex) string {
	var b strings.Builder
	b.WriteString("ffconcat version 1.0\n")
	for i, p := range pieces {
		fmt.Fprintf(&b, "file 'file:%s'\nduration %s\n", strings.ReplaceAll(p, "'", `'\''`),
			strconv.FormatFloat(float64(frames[i])*float64(vi.rateDen)/float64(vi.rateNum), 'f', 9, 64))
		if i > 0 {
			// The output stream takes its parameters from the first
			// piece; probing each later one (reading and decoding its
			// first frames) cost half the join's time for 100 pieces.
			b.WriteString("option probesize 4096\noption analyzeduration 0\n")
		}
	}
	return b.String()
}

// Whitelists of the join run's concat input: our list (read from an open
// descriptor) and the MPEG-TS pieces it names. User inputs never go
// through it: they keep input()'s whitelists, which refuse concat.
const (
	joinProtocols = "file"
	joinFormats   = "concat,mpegts"
)

// smartJoinArgs joins the pieces listed in list (an open descriptor,
// /dev/fd/N) and muxes them with the plan's audio into out.
func smartJoinArgs(p *encodePlan, list, out string) []string {
	a := ffmpegArgs("-v", "error", "-nostats", "-progress", "pipe:1",
		"-f", "concat", "-safe", "0", "-protocol_whitelist", joinProtocols, "-format_whitelist", joinFormats, "-i", fileArg(list))
	if p.audio != "" {
		a = append(a, input(p.audio)...)
	}
	// The MPEG-TS muxer put an access unit delimiter in every packet;
	// mp4, mov and mkv need none.
	a = append(a, "-map", "0:v:0", "-c:v", "copy", "-bsf:v", "filter_units=remove_types=9")
	if p.audio != "" {
		a = append(a, "-map", "1:a:0")
		a = append(a, p.audioCodecArgs()...)
	}
	return p.muxArgs(a, out)
}

// smartCandidate reports whether the plan may be smart-rendered, before
// the source's packets are probed ("" when it may).
func (p *encodePlan) smartCandidate() string {
	switch {
	case p.mode != modeVideo || p.keep == nil:
		return "no cut"
	case p.c.vcodec != "h264":
		return "the output format is not H.264"
	case p.audioIsSource:
		return "the source's own audio is cut by the encoder"
	case len(p.texts) > 0:
		return "text is drawn on the picture"
	case p.source.Width != p.width || p.source.Height != p.height:
		return "the picture is resized"
	case p.source.VideoCodec != "h264":
		return "the video is not H.264"
	case p.source.Format != "mp4" && p.source.Format != "mov" && p.source.Format != "mkv":
		return "the source container is " + p.source.Format
	case keepOutside(p.keep, p.source.Duration) >= p.halfFrame():
		return "the cut reaches past the end of the video"
	}
	return ""
}

// smartRender renders the plan by smart cut into out (a path or
// /dev/fd/3 with outFiles). It returns done=false with no error when the
// source does not qualify (the caller re-encodes as before), and the
// number of frames copied.
func (e *Engine) smartRender(ctx context.Context, p *encodePlan, work, out string, outFiles []*os.File, prog *fracReporter) (done bool, copied int, err error) {
	if why := p.smartCandidate(); why != "" {
		e.log.Debug("smart render: not used", zap.String("why", why))
		return false, 0, nil
	}
	var pb bytes.Buffer
	if _, err := e.run(ctx, "probe keyframes", e.ffprobe, keyframeProbeArgs(p.source.Path), nil, &pb); err != nil {
		return false, 0, err
	}
	vi, err := parseKeyframeProbe(pb.Bytes())
	if err != nil {
		return false, 0, err
	}
	if why := vi.smartReason(); why != "" {
		e.log.Debug("smart render: not used", zap.String("why", why))
		return false, 0, nil
	}
	runs := vi.keptFrames(p.keep, p.halfFrame())
	pieces, copied := vi.planSmart(runs)
	if copied == 0 {
		e.log.Debug("smart render: not used", zap.String("why", "no kept range holds a keyframe to copy from"))
		return false, 0, nil
	}
	total := 0
	for _, r := range runs {
		total += r[1] - r[0]
	}
	// Progress weights: a re-encoded frame costs 1, a frame decoded
	// before it (from the keyframe) 0.2, a copied or joined frame 0.01.
	cost := func(pc smartPiece) float64 {
		if pc.copy {
			return 0.01 * float64(pc.frames())
		}
		return float64(pc.frames()) + 0.2*float64(pc.from-pc.seek)
	}
	var work0 float64
	for _, pc := range pieces {
		work0 += cost(pc)
	}
	work0 += 0.01 * float64(total)
	rep := &fracReporter{fn: prog.fn, total: work0, last: prog.last}
	defer func() { prog.last = rep.last }()
	var done0 float64
	names := make([]string, len(pieces))
	frames := make([]int, len(pieces))
	for i, pc := range pieces {
		names[i] = filepath.Join(work, fmt.Sprintf("piece%05d.ts", i))
		frames[i] = pc.frames()
	}
	fps := vi.fps()
	// The copies first, in batches.
	var copies []int
	for i, pc := range pieces {
		if pc.copy {
			copies = append(copies, i)
		}
	}
	for len(copies) > 0 {
		if err := ctx.Err(); err != nil {
			return false, 0, &Error{Op: "encode", Err: err}
		}
		n := min(len(copies), maxCopyBatch)
		var pcs []smartPiece
		var outs []string
		for _, i := range copies[:n] {
			pcs = append(pcs, pieces[i])
			outs = append(outs, names[i])
			done0 += cost(pieces[i])
		}
		copies = copies[n:]
		if _, err := e.run(ctx, "encode", e.ffmpeg, smartCopyArgs(p.source.Path, vi, pcs, outs), nil, nil); err != nil {
			return false, 0, err
		}
		rep.outTime(done0)
	}
	for b, g := range groupPieces(pieces, encodeGroup(p.source.Width, p.source.Height)) {
		if err := ctx.Err(); err != nil {
			return false, 0, &Error{Op: "encode", Err: err}
		}
		var gcost, pre float64
		pcs := make([]smartPiece, len(g))
		for k, i := range g {
			pcs[k] = pieces[i]
			gcost += cost(pieces[i])
			pre += 0.2 * float64(pieces[i].from-pieces[i].seek)
		}
		pattern, outs := encodeNames(work, b, len(g))
		for k, i := range g {
			names[i] = outs[k]
		}
		base := done0
		pw := &progressWriter{fn: func(sec float64) { rep.outTime(base + pre + sec*fps) }}
		if _, err := e.run(ctx, "encode", e.ffmpeg, smartEncodeArgs(p, vi, pcs, pattern), nil, pw); err != nil {
			return false, 0, err
		}
		done0 += gcost
		rep.outTime(done0)
	}
	// Every piece must hold exactly its frames: the concat list times
	// each by its frame count.
	for i, n := range names {
		got, err := tsVideoFrames(n)
		if err != nil {
			return false, 0, fmt.Errorf("encode: %w", err)
		}
		if got != frames[i] {
			return false, 0, fmt.Errorf("smart render: piece %d (frames %d-%d) has %d frames, want %d", i, pieces[i].from, pieces[i].to, got, frames[i])
		}
		if err := padTS(n); err != nil {
			return false, 0, fmt.Errorf("encode: %w", err)
		}
	}
	list := filepath.Join(work, "pieces.ffconcat")
	if err := os.WriteFile(list, []byte(smartConcatList(names, frames, vi)), 0o600); err != nil {
		return false, 0, fmt.Errorf("encode: %w", err)
	}
	lf, err := os.Open(list)
	if err != nil {
		return false, 0, fmt.Errorf("encode: %w", err)
	}
	defer lf.Close()
	files := append(append([]*os.File(nil), outFiles...), lf)
	listArg := "/dev/fd/" + strconv.Itoa(2+len(files))
	base := done0
	pw := &progressWriter{fn: func(sec float64) { rep.outTime(base + 0.01*sec*fps) }}
	if _, err := e.runFiles(ctx, "encode", e.ffmpeg, smartJoinArgs(p, listArg, out), files, nil, pw); err != nil {
		return false, 0, err
	}
	// The joined video must hold exactly the kept frames.
	var cb bytes.Buffer
	if _, err := e.runFiles(ctx, "probe", e.ffprobe, frameCountArgs(out), outFiles, nil, &cb); err != nil {
		return false, 0, err
	}
	if got, err := strconv.Atoi(strings.TrimSpace(cb.String())); err != nil || got != total {
		return false, 0, fmt.Errorf("smart render: the joined video has %q frames, want %d", strings.TrimSpace(cb.String()), total)
	}
	e.log.Debug("smart render", zap.Int("pieces", len(pieces)), zap.Int("frames", total), zap.Int("copied", copied))
	return true, copied, nil
}

// frameCountArgs is the ffprobe argv that counts the video packets of
// path (one per frame).
func frameCountArgs(path string) []string {
	return append([]string{"-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"}, input(path)...)
}

// tsVideoFrames counts the video frames of an MPEG-TS file written by
// ffmpeg: the packets that start a video PES (payload unit start, stream
// id 0xE0-0xEF), one per frame.
func tsVideoFrames(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	// A copied piece can be gigabytes: read it a block of packets at a
	// time.
	buf := make([]byte, 188*1024)
	n, off := 0, 0
	for {
		m, err := io.ReadFull(f, buf)
		if m%188 != 0 {
			return 0, fmt.Errorf("%s: %d bytes, not whole MPEG-TS packets", filepath.Base(path), off+m)
		}
		for i := 0; i < m; i += 188 {
			pk := buf[i : i+188]
			if pk[0] != 0x47 {
				return 0, fmt.Errorf("%s: lost MPEG-TS sync at byte %d", filepath.Base(path), off+i)
			}
			if pesVideoStart(pk) {
				n++
			}
		}
		off += m
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return n, nil
		case err != nil:
			return 0, err
		}
	}
}

// pesVideoStart reports whether the MPEG-TS packet pk starts a video PES
// (payload unit start, then a PES start code with a video stream id).
func pesVideoStart(pk []byte) bool {
	if pk[1]&0x40 == 0 {
		return false
	}
	pay := 4
	switch pk[3] >> 4 & 3 {
	case 1:
	case 3:
		pay = 5 + int(pk[4])
	default:
		return false
	}
	return pay+4 <= 188 && pk[pay] == 0 && pk[pay+1] == 0 && pk[pay+2] == 1 && pk[pay+3]&0xf0 == 0xe0
}

// tsNullPackets is 16 MPEG-TS null packets (PID 0x1FFF), which demuxers
// skip.
var tsNullPackets = func() []byte {
	b := bytes.Repeat([]byte{0xff}, 16*188)
	for i := 0; i < len(b); i += 188 {
		copy(b[i:], []byte{0x47, 0x1f, 0xff, 0x10})
	}
	return b
}()

// padTS appends null packets to an MPEG-TS piece: the demuxer's probe
// wants at least 2 KB (ten 204-byte packets) to recognise MPEG-TS, and a
// re-encoded piece of one or two small frames is shorter.
func padTS(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(tsNullPackets)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
