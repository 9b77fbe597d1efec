package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
)

// EncodeOptions says what Encode renders.
type EncodeOptions struct {
	// AudioPath is the audio to use (usually Processed.Path); "" means the
	// source's own audio, unprocessed (cut by VideoKeep when that is set).
	AudioPath string
	// Source is the media being exported. When Source.HasVideo its picture
	// is used; an image (Kind "image") becomes a still background; an
	// audio-only source becomes a still frame with Title and a waveform.
	// Source may be nil when AudioPath is set (audio-only export).
	Source *MediaInfo
	// VideoKeep lists the source ranges of the video to keep, in order
	// (whole frames are selected; the audio chain already snapped the
	// ranges to frames). nil means the whole video.
	VideoKeep []Range
	// Format is the output format: mp4 (default), mov, mkv, webm, mp3, wav,
	// m4a or aac.
	Format string
	// Quality is high (default), medium or low; see the encodeQualities table.
	Quality string
	// Width and Height are the output video size; 0 means 1920x1080 (when
	// only one is given the other follows the picture's aspect ratio). The
	// picture is scaled to fit and padded (letterbox), keeping its aspect.
	Width, Height int
	// Title is drawn on the still frame made for audio-only sources.
	Title string
	// Texts are drawn on the picture (video or still) at their times.
	Texts []TextOverlay
	// Fit is how the picture fills Width x Height when the aspect ratios
	// differ: "pad" (black bars; "" is the same), "crop" (centre crop) or
	// "blur" (over a blurred copy of itself).
	Fit string
	// OutputPath is the final path. Encode writes a temporary file in the
	// same folder and renames it into place; it refuses an OutputPath that
	// is one of its inputs.
	OutputPath string
	// Output, when set, is the open file to write (the caller's exclusive
	// temp file, see fsutil.Output): ffmpeg gets its descriptor, and
	// Encode neither creates nor renames anything; OutputPath then only
	// names the file in checks and messages.
	Output *os.File
	// Duration is the expected output duration in seconds, used for
	// progress; 0 means work it out from the inputs.
	Duration float64
	// Progress, if not nil, is called with the fraction done (0..1,
	// monotonic, ending at 1 on success), read from ffmpeg's -progress
	// output. It may be called from another goroutine than Encode's, never
	// from two at once, and must not block for long.
	Progress func(frac float64)
}

// Output describes a file written by Encode.
type Output struct {
	// Path is the written file (EncodeOptions.OutputPath).
	Path string
	// Format is the output format name (mp4, wav, ...).
	Format string
	// Duration is the probed duration in seconds.
	Duration float64
	// Size is the file size in bytes.
	Size int64
	// VideoCopied reports that the video stream was copied, not re-encoded.
	VideoCopied bool
	// SmartFrames, when > 0, is how many video frames of a cut video were
	// copied from the source by smart rendering (smartcut.go); only the
	// frames around the cuts were re-encoded.
	SmartFrames int
	// Info is the probe of the output.
	Info *MediaInfo
}

// ErrInvalidExport marks EncodeOptions that cannot be honoured (unknown
// format or quality, no audio for an audio format, output path equal to an
// input): the caller can fix them, ffmpeg was not run.
var ErrInvalidExport = errors.New("invalid export")

// Default output video size.
const (
	defaultWidth  = 1920
	defaultHeight = 1080
	maxDimension  = 7680
)

// maxInlineGraph is the longest filtergraph passed in argv; longer ones
// (hundreds of cut ranges) go through -filter_complex_script.
const maxInlineGraph = 4096

// encodeQuality holds the encoder settings for one Quality level.
type encodeQuality struct {
	// x264CRF and x264Preset drive libx264. Speeds for 1080p30 on 2
	// cores (docs/audio-notes.md): ultrafast 6.3x, veryfast 2.7x, medium
	// 1.3x real time; superfast lies between the first two.
	x264CRF    int
	x264Preset string
	// vp9CRF drives libvpx-vp9 in constant-quality mode (-b:v 0).
	vp9CRF int
	// aacPerChannel and opusPerChannel are kb/s per channel (at most 2
	// channels count, so stereo high = 192k AAC).
	aacPerChannel int
	// aacFast selects ffmpeg's "fast" AAC coder, which its author found
	// to sound better than the default twoloop at higher bitrates (ffmpeg
	// commit fcb681ac) and which takes half the CPU (3 minutes of mono at
	// 96k: 1.6 CPU-s against 3.1); twoloop stays for the low bitrates,
	// where it is the better one.
	aacFast        bool
	opusPerChannel int
	// mp3Q is libmp3lame's VBR quality (-q:a; 0 best, ~245 kb/s).
	mp3Q int
	// wavCodec is the PCM codec for WAV: 24-bit for high (keeps the float
	// chain's resolution), 16-bit otherwise (plays everywhere).
	wavCodec string
}

var encodeQualities = map[string]encodeQuality{
	"high":   {x264CRF: 18, x264Preset: "veryfast", vp9CRF: 31, aacPerChannel: 96, aacFast: true, opusPerChannel: 64, mp3Q: 0, wavCodec: "pcm_s24le"},
	"medium": {x264CRF: 22, x264Preset: "veryfast", vp9CRF: 36, aacPerChannel: 80, aacFast: true, opusPerChannel: 48, mp3Q: 2, wavCodec: "pcm_s16le"},
	"low":    {x264CRF: 27, x264Preset: "superfast", vp9CRF: 42, aacPerChannel: 48, opusPerChannel: 32, mp3Q: 5, wavCodec: "pcm_s16le"},
}

// encodeFormat describes one output format.
type encodeFormat struct {
	muxer     string
	ext       string
	video     bool   // carries video
	vcodec    string // "h264" or "vp9"
	acodec    string // "aac", "opus", "mp3", "pcm"
	faststart bool   // -movflags +faststart
	// copyable lists the source video codecs that can be stream-copied.
	copyable []string
}

var encodeFormats = map[string]encodeFormat{
	"mp4":  {muxer: "mp4", ext: ".mp4", video: true, vcodec: "h264", acodec: "aac", faststart: true, copyable: []string{"h264", "hevc"}},
	"mov":  {muxer: "mov", ext: ".mov", video: true, vcodec: "h264", acodec: "aac", faststart: true, copyable: []string{"h264", "hevc"}},
	"mkv":  {muxer: "matroska", ext: ".mkv", video: true, vcodec: "h264", acodec: "aac", copyable: []string{"h264", "hevc", "vp8", "vp9", "av1"}},
	"webm": {muxer: "webm", ext: ".webm", video: true, vcodec: "vp9", acodec: "opus", copyable: []string{"vp8", "vp9", "av1"}},
	"mp3":  {muxer: "mp3", ext: ".mp3", acodec: "mp3"},
	"wav":  {muxer: "wav", ext: ".wav", acodec: "pcm"},
	"m4a":  {muxer: "ipod", ext: ".m4a", acodec: "aac", faststart: true},
	"aac":  {muxer: "adts", ext: ".aac", acodec: "aac"},
}

// Sample rates each audio encoder takes; others are resampled to 48 kHz.
var (
	aacRates = []int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}
	mp3Rates = []int{48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000}
)

// encodeMode is how the picture (if any) is produced.
type encodeMode int

const (
	modeAudio encodeMode = iota // audio-only output
	modeCopy                    // source video stream copied
	modeVideo                   // source video re-encoded (scaled, padded, cut)
	modeStill                   // a still PNG looped for the audio's duration
)

// encodePlan is everything the argv builders need, worked out from
// EncodeOptions and probes without touching the file system.
type encodePlan struct {
	mode   encodeMode
	format string
	c      encodeFormat
	q      encodeQuality
	width  int
	height int

	source        *MediaInfo // video/image source, nil for audio-only material
	audio         string     // path of the audio input ("" = none)
	audioInfo     *MediaInfo // probe of audio (the source itself when audio == source path)
	audioIsSource bool       // audio comes from input 0 (the source), not a second input
	keep          []Range    // video/audio cut ranges (nil = none)

	title     string // drawn on the still frame ("" = none)
	font      string // font file for the still's title ("" = no title)
	metaTitle string // the title metadata tag ("" = none)

	texts     []TextOverlay // drawn on the picture
	textFonts []string      // the font of each text
	fit       string        // pad, crop or blur ("" = pad)

	// duration is the expected output duration (seconds).
	duration float64
}

// Encode renders opts to opts.OutputPath: an audio file, or a video whose
// picture is the source's (copied when only the audio changed and the size
// fits, otherwise scaled, padded and cut), an image, or a still frame with
// the title and the waveform. Failures of ffmpeg are *Error; options that
// cannot be honoured wrap ErrInvalidExport.
func (e *Engine) Encode(ctx context.Context, opts EncodeOptions) (*Output, error) {
	if opts.OutputPath == "" {
		return nil, fmt.Errorf("%w: no output path", ErrInvalidExport)
	}
	if opts.Source == nil && opts.AudioPath == "" {
		return nil, fmt.Errorf("%w: nothing to export (no source and no audio)", ErrInvalidExport)
	}
	var inputs []string
	if opts.Source != nil {
		inputs = append(inputs, opts.Source.Path)
	}
	if opts.AudioPath != "" {
		inputs = append(inputs, opts.AudioPath)
	}
	if err := checkNotInput(opts.OutputPath, inputs); err != nil {
		return nil, err
	}

	var audioInfo *MediaInfo
	switch {
	case opts.AudioPath != "":
		ai, err := e.Probe(ctx, opts.AudioPath)
		if err != nil {
			return nil, fmt.Errorf("encode: audio: %w", err)
		}
		audioInfo = ai
	case opts.Source != nil && opts.Source.HasAudio:
		audioInfo = opts.Source
	}
	font := ""
	if opts.Title != "" {
		font = findFont()
		if font == "" {
			e.log.Warn("encode: no font file found; the still frame has no title (install fonts-dejavu-core or set AUDIOEDIT_FONT)")
		}
	}
	p, err := planEncode(opts, audioInfo, font)
	if err != nil {
		return nil, err
	}
	for _, t := range p.texts {
		f := fontFor(t.Text)
		if f == "" {
			return nil, fmt.Errorf("%w: no font file found to draw text (install fonts-dejavu-core and fonts-noto-cjk, or set AUDIOEDIT_FONT)", ErrInvalidExport)
		}
		p.textFonts = append(p.textFonts, f)
	}

	work, err := fsutil.MkdirTemp(e.tmp, "-encode")
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	defer os.RemoveAll(work)

	var outFiles []*os.File
	tmpOut := "/dev/fd/3"
	ok := false
	if opts.Output != nil {
		outFiles = []*os.File{opts.Output}
	} else {
		tf, err := fsutil.CreateTemp(filepath.Dir(opts.OutputPath), p.c.ext)
		if err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		tmpOut = tf.Name()
		tf.Close()
		defer func() {
			if !ok {
				os.Remove(tmpOut)
			}
		}()
	}

	prog := &fracReporter{fn: opts.Progress, total: opts.Duration}
	if prog.total <= 0 {
		prog.total = p.duration
	}

	still := ""
	if p.mode == modeStill {
		still = filepath.Join(work, "still.png")
		args := stillArgs(p, still)
		if _, err := e.run(ctx, "render the still frame", e.ffmpeg, args, nil, nil); err != nil {
			return nil, err
		}
	}
	smart := 0
	if p.mode == modeVideo {
		done, n, err := e.smartRender(ctx, p, work, tmpOut, outFiles, prog)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, err
		case err != nil:
			// Never a wrong picture: re-encode the whole video instead.
			e.log.Warn("encode: smart render failed; re-encoding the whole video", zap.Error(err))
		case done:
			smart = n
		}
	}
	if smart == 0 {
		if err := e.fullEncode(ctx, p, still, work, tmpOut, outFiles, prog); err != nil {
			return nil, err
		}
	}
	info, err := e.probe(ctx, opts.OutputPath, tmpOut, outFiles)
	if err != nil {
		return nil, fmt.Errorf("encode: the output does not probe: %w", err)
	}
	if opts.Output == nil {
		if err := os.Rename(tmpOut, opts.OutputPath); err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
	}
	ok = true
	info.Path = opts.OutputPath
	prog.done()
	e.log.Debug("encoded", zap.String("path", opts.OutputPath), zap.String("format", p.format),
		zap.Float64("duration", info.Duration), zap.Bool("video_copied", p.mode == modeCopy), zap.Int("smart_frames", smart))
	return &Output{
		Path:        opts.OutputPath,
		Format:      p.format,
		Duration:    info.Duration,
		Size:        info.Size,
		VideoCopied: p.mode == modeCopy,
		SmartFrames: smart,
		Info:        info,
	}, nil
}

// fullEncode renders the plan in one ffmpeg run (every frame decoded and,
// for video, re-encoded or copied whole).
func (e *Engine) fullEncode(ctx context.Context, p *encodePlan, still, work, tmpOut string, outFiles []*os.File, prog *fracReporter) error {
	graph := p.graph()
	graphFile := ""
	if len(graph) > maxInlineGraph {
		graphFile = filepath.Join(work, "graph.txt")
		if err := os.WriteFile(graphFile, []byte(graph), 0o600); err != nil {
			return fmt.Errorf("encode: %w", err)
		}
	}
	args := encodeArgs(p, still, graphFile, tmpOut)
	pw := &progressWriter{fn: prog.outTime}
	_, err := e.runFiles(ctx, "encode", e.ffmpeg, args, outFiles, nil, pw)
	return err
}

// checkNotInput refuses an output path that names one of the inputs.
func checkNotInput(out string, inputs []string) error {
	ost, err := os.Stat(out)
	if err != nil {
		return nil // nothing there yet: it cannot be an input
	}
	for _, in := range inputs {
		ist, err := os.Stat(in)
		if err == nil && os.SameFile(ost, ist) {
			return fmt.Errorf("%w: the output path %s is one of the inputs; choose another name", ErrInvalidExport, filepath.Base(out))
		}
	}
	return nil
}

// planEncode validates opts and decides how to render them. audioInfo is
// the probe of the audio to use (opts.AudioPath, or the source when it has
// audio and AudioPath is ""), nil when there is none. font is the title's
// font file ("" = no title). It does no I/O.
func planEncode(opts EncodeOptions, audioInfo *MediaInfo, font string) (*encodePlan, error) {
	format := strings.ToLower(strings.TrimSpace(opts.Format))
	if format == "" {
		format = "mp4"
	}
	c, ok := encodeFormats[format]
	if !ok {
		return nil, fmt.Errorf("%w: format %q is not one of mp4 mov mkv webm mp3 wav m4a aac", ErrInvalidExport, opts.Format)
	}
	qname := strings.ToLower(strings.TrimSpace(opts.Quality))
	if qname == "" {
		qname = "high"
	}
	q, ok := encodeQualities[qname]
	if !ok {
		return nil, fmt.Errorf("%w: quality %q is not one of high medium low", ErrInvalidExport, opts.Quality)
	}
	p := &encodePlan{format: format, c: c, q: q, audioInfo: audioInfo, keep: opts.VideoKeep, metaTitle: cleanTitle(opts.Title)}
	switch opts.Fit {
	case "", "pad", "crop", "blur":
		p.fit = opts.Fit
	default:
		return nil, fmt.Errorf("%w: fit %q is not one of pad crop blur", ErrInvalidExport, opts.Fit)
	}
	for _, t := range opts.Texts {
		if err := t.validate(); err != nil {
			return nil, err
		}
	}
	if c.video {
		p.texts = opts.Texts
	}
	src := opts.Source
	if opts.AudioPath != "" {
		p.audio = opts.AudioPath
	} else if src != nil && src.HasAudio {
		p.audio = src.Path
		p.audioIsSource = true
	}
	for i, r := range opts.VideoKeep {
		if !(r.End > r.Start) || math.IsInf(r.Start, 0) || math.IsInf(r.End, 0) {
			return nil, fmt.Errorf("%w: keep range %d (%g-%g s) is empty or invalid", ErrInvalidExport, i, r.Start, r.End)
		}
		if i > 0 && r.Start < opts.VideoKeep[i-1].End {
			return nil, fmt.Errorf("%w: keep ranges overlap or are out of order at %d", ErrInvalidExport, i)
		}
	}
	if opts.VideoKeep != nil && len(opts.VideoKeep) == 0 {
		return nil, fmt.Errorf("%w: the keep list is empty: nothing to export", ErrInvalidExport)
	}
	if src != nil && keepsAll(opts.VideoKeep, src) {
		p.keep = nil // one range over the whole source cuts nothing
	}

	if !c.video {
		p.mode = modeAudio
		if p.audio == "" || audioInfo == nil {
			return nil, fmt.Errorf("%w: %s is an audio format and there is no audio to export", ErrInvalidExport, format)
		}
		if !p.audioIsSource {
			p.keep = nil // the processed audio is already cut
		} else if p.keep != nil && src != nil && src.HasVideo {
			p.source = src // its frame rate sets the audio cut's frame size
		}
		p.duration = audioDuration(p, audioInfo)
		return p, nil
	}

	// Video formats.
	var aspect float64 // picture aspect for a missing dimension
	if src != nil && (src.Kind == "video" || src.Kind == "image") && src.Width > 0 && src.Height > 0 {
		aspect = float64(src.Width) / float64(src.Height)
	}
	w, h, err := outputSize(opts.Width, opts.Height, aspect)
	if err != nil {
		return nil, err
	}
	p.width, p.height = w, h
	switch {
	case src != nil && src.Kind == "video" && src.HasVideo:
		p.source = src
		if p.keep == nil && len(p.texts) == 0 && src.Width == w && src.Height == h && containsString(c.copyable, src.VideoCodec) {
			p.mode = modeCopy
		} else {
			p.mode = modeVideo
		}
		if p.keep != nil {
			p.duration = keptDuration(p.keep)
		} else {
			p.duration = src.Duration
		}
		if !p.audioIsSource && p.audio != "" && audioInfo != nil && audioInfo.Duration > p.duration {
			p.duration = audioInfo.Duration
		}
	case src != nil && src.Kind == "image":
		p.source = src
		p.mode = modeStill
	default:
		p.mode = modeStill
		p.title = cleanTitle(opts.Title)
		if p.title != "" {
			p.font = font
		}
	}
	if p.mode == modeStill {
		if p.audio == "" || audioInfo == nil {
			return nil, fmt.Errorf("%w: a still picture needs audio to set the video's length", ErrInvalidExport)
		}
		if p.audioIsSource && p.keep != nil {
			return nil, fmt.Errorf("%w: keep ranges apply to a video source; pass the cut audio as AudioPath", ErrInvalidExport)
		}
		p.keep = nil
		p.duration = audioInfo.Duration
		if p.duration <= 0 {
			return nil, fmt.Errorf("%w: the audio has no measurable duration", ErrInvalidExport)
		}
	}
	return p, nil
}

// keepsAll reports whether keep is one range covering all of src (to
// within half a frame, or 1 ms), that is whether it cuts nothing.
func keepsAll(keep []Range, src *MediaInfo) bool {
	if len(keep) != 1 || src.Duration <= 0 {
		return false
	}
	tol := 0.001
	if src.FPS > 0 {
		tol = 0.5 / src.FPS
	}
	return keep[0].Start <= tol && keep[0].End >= src.Duration-tol
}

// audioDuration is the expected length of the audio output.
func audioDuration(p *encodePlan, ai *MediaInfo) float64 {
	if p.keep != nil {
		return keptDuration(p.keep)
	}
	return ai.Duration
}

// keepOutside is how much of keep lies outside [0, dur] (0 when dur is
// unknown).
func keepOutside(keep []Range, dur float64) float64 {
	if dur <= 0 {
		return 0
	}
	var out float64
	for _, r := range keep {
		out += max(0, min(r.End, 0)-r.Start) + max(0, r.End-max(r.Start, dur))
	}
	return out
}

// keptDuration is the total length of keep.
func keptDuration(keep []Range) float64 {
	var d float64
	for _, r := range keep {
		d += r.Len()
	}
	return d
}

// outputSize resolves the output video size: 0x0 is 1920x1080; a single 0
// follows aspect (16:9 when unknown). Dimensions are rounded to even
// numbers, which yuv420p requires.
func outputSize(w, h int, aspect float64) (int, int, error) {
	if w < 0 || h < 0 || w > maxDimension || h > maxDimension {
		return 0, 0, fmt.Errorf("%w: size %dx%d is outside 16..%d", ErrInvalidExport, w, h, maxDimension)
	}
	if aspect <= 0 {
		aspect = 16.0 / 9
	}
	switch {
	case w == 0 && h == 0 && aspect < 0.99:
		// A vertical picture stays vertical: 1080 wide (1080x1920 for 9:16).
		w, h = defaultHeight, min(int(math.Round(defaultHeight/aspect)), defaultWidth)
	case w == 0 && h == 0:
		w, h = defaultWidth, defaultHeight
	case w == 0:
		w = int(math.Round(float64(h) * aspect))
	case h == 0:
		h = int(math.Round(float64(w) / aspect))
	}
	w += w & 1
	h += h & 1
	if w < 16 || h < 16 || w > maxDimension || h > maxDimension {
		return 0, 0, fmt.Errorf("%w: size %dx%d is outside 16..%d", ErrInvalidExport, w, h, maxDimension)
	}
	return w, h, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// cleanTitle makes a title one line of at most 100 characters.
func cleanTitle(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if rs := []rune(s); len(rs) > 100 {
		s = string(rs[:99]) + "…"
	}
	return s
}

// fileArg makes a path safe as an ffmpeg input or output name: the file:
// protocol prefix stops names such as "pipe:1" or "http:x" from being
// taken as other protocols.
func fileArg(path string) string {
	return "file:" + path
}

// fnum formats seconds for filter expressions.
func fnum(f float64) string {
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// halfFrame is half a frame of the source video (1 ms when its rate is
// unknown): the tolerance for selecting frames at range boundaries.
func (p *encodePlan) halfFrame() float64 {
	if p.source != nil && p.source.FPS > 0 {
		return 0.5 / p.source.FPS
	}
	return 0.001
}

// selectExpr is a select/aselect expression that keeps the frames whose
// start time falls in one of the ranges (sorted, not overlapping):
// [Start, End) with a tolerance of tol, so that a frame starting at End
// belongs to the next range. It is a balanced tree of if(lt(t,x),...),
// which costs log2(len(keep)) comparisons per frame and stays far inside
// ffmpeg's expression depth limit (a flat sum of more than 100 terms does
// not parse).
func selectExpr(keep []Range, tol float64) string {
	var b strings.Builder
	var walk func(rs []Range)
	walk = func(rs []Range) {
		if len(rs) == 1 {
			fmt.Fprintf(&b, "between(t,%s,%s)", fnum(rs[0].Start-tol), fnum(rs[0].End-tol))
			return
		}
		mid := len(rs) / 2
		fmt.Fprintf(&b, "if(lt(t,%s),", fnum(rs[mid].Start-tol))
		walk(rs[:mid])
		b.WriteByte(',')
		walk(rs[mid:])
		b.WriteByte(')')
	}
	if len(keep) > 0 {
		walk(keep)
	}
	return b.String()
}

// audioFrameSamples is the audio frame size used when the source's own
// audio is cut by aselect: one video frame when that is a whole number of
// samples, else 1 ms, so that the cut falls on the same boundaries as the
// video's.
func (p *encodePlan) audioFrameSamples() int {
	rate := 48000
	if p.audioInfo != nil && p.audioInfo.SampleRate > 0 {
		rate = p.audioInfo.SampleRate
	}
	if p.source != nil && p.source.FPS > 0 {
		n := float64(rate) / p.source.FPS
		if n == math.Trunc(n) && n >= 1 {
			return int(n)
		}
	}
	return max(rate/1000, 1)
}

// scalePad scales a picture to fit width x height and pads it, centred.
func scalePad(w, h int) string {
	return fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1", w, h, w, h)
}

// graph is the -filter_complex graph of the encode run ("" = none).
func (p *encodePlan) graph() string {
	var parts []string
	switch p.mode {
	case modeVideo:
		v := "[0:v]"
		if p.keep != nil {
			v += "select='" + selectExpr(p.keep, p.halfFrame()) + "',setpts=N/FRAME_RATE/TB,"
			// Ranges may reach past the ends of the video (the audio chain
			// renders those parts as silence): hold the last frame for as
			// long, so that the video still lasts as long as the audio.
			if out := keepOutside(p.keep, p.source.Duration); out >= p.halfFrame() {
				v += "tpad=stop_mode=clone:stop_duration=" + fnum(out) + ","
			}
		}
		if p.fit == "" && len(p.texts) == 0 {
			v += scalePad(p.width, p.height) + ",format=yuv420p[v]"
			parts = append(parts, v)
			break
		}
		parts = append(parts, v+"null[src]", fitFilter(p.fit, "src", "fit", p.width, p.height),
			"[fit]"+p.textChain()+"format=yuv420p[v]")
	case modeStill:
		n, last := stillFrames(p.duration)
		parts = append(parts, fmt.Sprintf("[0:v]format=yuv420p,loop=loop=-1:size=1:start=0,trim=end_frame=%d,setpts='min(N*%s,%s)/TB'%s[v]",
			n, strconv.FormatFloat(stillStep, 'f', -1, 64), fnum(last), strings.TrimSuffix(","+p.textChain(), ",")))
	}
	if p.audioIsSource && p.keep != nil {
		n := p.audioFrameSamples()
		tol := 0.5 * float64(n) / float64(max(p.audioRate(), 1))
		parts = append(parts, fmt.Sprintf("[0:a]asetnsamples=n=%d:p=0,aselect='%s',asetpts=N/SR/TB[a]",
			n, selectExpr(p.keep, tol)))
	}
	return strings.Join(parts, ";")
}

// audioRate is the sample rate of the audio input (0 when unknown).
func (p *encodePlan) audioRate() int {
	if p.audioInfo == nil {
		return 0
	}
	return p.audioInfo.SampleRate
}

// audioCodecArgs are the audio encoder flags for the plan's container.
func (p *encodePlan) audioCodecArgs() []string {
	ch := 2
	if p.audioInfo != nil && p.audioInfo.Channels > 0 {
		ch = min(p.audioInfo.Channels, 2)
	}
	rate := p.audioRate()
	switch p.c.acodec {
	case "aac":
		if p.audioIsSource && p.keep == nil && p.audioInfo != nil && p.audioInfo.AudioCodec == "aac" {
			return []string{"-c:a", "copy"}
		}
		a := []string{"-c:a", "aac", "-b:a", strconv.Itoa(p.q.aacPerChannel*ch) + "k"}
		if p.q.aacFast {
			a = append(a, "-aac_coder", "fast")
		}
		if rate > 0 && !containsInt(aacRates, rate) {
			a = append(a, "-ar", "48000")
		}
		return a
	case "opus":
		if p.audioIsSource && p.keep == nil && p.audioInfo != nil && p.audioInfo.AudioCodec == "opus" {
			return []string{"-c:a", "copy"}
		}
		a := []string{"-c:a", "libopus", "-b:a", strconv.Itoa(p.q.opusPerChannel*ch) + "k"}
		if rate != 48000 {
			a = append(a, "-ar", "48000")
		}
		return a
	case "mp3":
		a := []string{"-c:a", "libmp3lame", "-q:a", strconv.Itoa(p.q.mp3Q)}
		if p.audioInfo != nil && p.audioInfo.Channels > 2 {
			a = append(a, "-ac", "2") // MP3 holds at most two channels
		}
		if rate > 0 && !containsInt(mp3Rates, rate) {
			a = append(a, "-ar", "48000")
		}
		return a
	default: // pcm
		return []string{"-c:a", p.q.wavCodec}
	}
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// videoCodecArgs are the video encoder flags (mode video or still).
func (p *encodePlan) videoCodecArgs() []string {
	if p.c.vcodec == "vp9" {
		// realtime/cpu-used 8 is libvpx's fastest mode: several times
		// faster than the default good/0 at a modest size cost.
		a := []string{"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1",
			"-crf", strconv.Itoa(p.q.vp9CRF), "-b:v", "0"}
		if p.mode == modeStill {
			a = append(a, "-g", strconv.Itoa(stillGOP))
		}
		return a
	}
	if p.mode == modeStill {
		// A still needs little analysis: superfast took 4.5 CPU-s for 3
		// minutes of 1080p at 2 fps against 6 for veryfast, at about the
		// same size (3.4 MB); ultrafast, 3.3 CPU-s, made 8.3 MB.
		return []string{"-c:v", "libx264", "-preset", stillPreset, "-crf", strconv.Itoa(p.q.x264CRF),
			"-tune", "stillimage", "-g", strconv.Itoa(stillGOP)}
	}
	return []string{"-c:v", "libx264", "-preset", p.q.x264Preset, "-crf", strconv.Itoa(p.q.x264CRF)}
}

// encodeArgs builds the ffmpeg argv of the encode run. still is the
// rendered still PNG (mode still), graphFile the file holding the graph
// when it is too long for argv ("" = inline), out the output file.
func encodeArgs(p *encodePlan, still, graphFile, out string) []string {
	a := ffmpegArgs("-v", "error", "-nostats", "-progress", "pipe:1")
	graph := p.graph()
	audioInput := ""
	switch p.mode {
	case modeStill:
		a = append(a, input(still)...)
		audioInput = "1"
	case modeAudio:
		a = append(a, input(p.audio)...)
		audioInput = "0"
	default:
		a = append(a, input(p.source.Path)...)
		if p.audio != "" {
			if p.audioIsSource {
				audioInput = "0"
			} else {
				audioInput = "1"
			}
		}
	}
	if p.mode != modeAudio && audioInput == "1" {
		a = append(a, input(p.audio)...)
	}
	if graph != "" {
		if graphFile != "" {
			a = append(a, "-filter_complex_script", graphFile)
		} else {
			a = append(a, "-filter_complex", graph)
		}
	}
	switch p.mode {
	case modeCopy:
		a = append(a, "-map", "0:v:0", "-c:v", "copy")
		if p.source.VideoCodec == "hevc" && (p.format == "mp4" || p.format == "mov") {
			a = append(a, "-tag:v", "hvc1") // so that Apple players accept it
		}
	case modeVideo:
		a = append(a, "-map", "[v]")
		a = append(a, p.videoCodecArgs()...)
	case modeStill:
		a = append(a, "-map", "[v]", "-fps_mode", "vfr", "-r", strconv.Itoa(stillTBRate))
		a = append(a, p.videoCodecArgs()...)
	case modeAudio:
		a = append(a, "-vn")
	}
	if audioInput != "" {
		if p.audioIsSource && p.keep != nil {
			a = append(a, "-map", "[a]")
		} else {
			a = append(a, "-map", audioInput+":a:0")
		}
		a = append(a, p.audioCodecArgs()...)
	}
	return p.muxArgs(a, out)
}

// muxArgs ends an output's argv: no metadata or chapters from the inputs,
// the plan's title, faststart where the container wants it, the muxer and
// the output path.
func (p *encodePlan) muxArgs(a []string, out string) []string {
	a = append(a, "-map_metadata", "-1", "-map_chapters", "-1")
	if p.metaTitle != "" {
		a = append(a, "-metadata", "title="+p.metaTitle)
	}
	if p.c.faststart {
		a = append(a, "-movflags", "+faststart")
	}
	return append(a, "-f", p.c.muxer, fileArg(out))
}

// textChain is the drawtext filters of the plan's texts, each followed by
// a comma ("" when there are none).
func (p *encodePlan) textChain() string {
	var b strings.Builder
	for i, t := range p.texts {
		font := ""
		if i < len(p.textFonts) {
			font = p.textFonts[i]
		}
		b.WriteString(textFilter(t, font, p.width, p.height))
		b.WriteByte(',')
	}
	return b.String()
}
