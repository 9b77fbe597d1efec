package engine

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
)

// Still-frame video: one picture shown for the whole audio. Frames are
// written every stillStep seconds (2 fps, which players accept and which
// encodes 1080p far faster than real time), with a keyframe every
// stillGOP frames (4 s) for seeking. The stream's time base is
// 1/stillTBRate; its last frame is placed one tick before the audio's end,
// so that the video lasts as long as the audio to within 1/stillTBRate.
const (
	stillStep   = 0.5
	stillGOP    = 8
	stillTBRate = 25
	stillPreset = "superfast"
)

// stillFrames returns how many frames the still video has and the time of
// the last one, for an audio of duration d: frames every stillStep, then a
// last one a tick before the end, so the video ends with the audio.
func stillFrames(d float64) (n int, last float64) {
	tick := 1.0 / stillTBRate
	last = math.Floor((d-tick)*stillTBRate+1e-6) / stillTBRate
	if last < 0 {
		last = 0
	}
	n = int(math.Ceil(last/stillStep-1e-9)) + 1
	if last == 0 {
		n = 1
	}
	return n, last
}

// stillArgs builds the ffmpeg argv that renders the still PNG of a still
// plan: the image source scaled and padded, or a dark frame with the
// audio's waveform and the title.
func stillArgs(p *encodePlan, out string) []string {
	w, h := p.width, p.height
	if p.source != nil { // image
		return ffmpegArgs(slices.Concat([]string{"-v", "error"}, input(p.source.Path), []string{
			"-filter_complex", "[0:v]" + scalePad(w, h) + ",format=rgb24[out]",
			"-map", "[out]", "-frames:v", "1", "-update", "1", "-c:v", "png", "-f", "image2", fileArg(out)})...)
	}
	ww := (w * 84 / 100) &^ 1
	wh := (h * 36 / 100) &^ 1
	g := fmt.Sprintf("color=c=%s:s=%dx%d:d=1,format=rgb24[bg];"+
		"[0:a]aresample=8000,aformat=channel_layouts=mono,showwavespic=s=%dx%d:colors=%s:scale=sqrt:filter=peak[w];"+
		"[bg][w]overlay=x=(W-w)/2:y=%d:format=rgb",
		stillBackground, w, h, ww, wh, stillWave, h*48/100)
	if p.title != "" && p.font != "" {
		n := len([]rune(p.title))
		fs := min(h/14, 3*w/(2*max(n, 1)))
		fs = max(fs, 12)
		g += fmt.Sprintf(",drawtext=fontfile=%s:expansion=none:text=%s:fontcolor=white:fontsize=%d:x=(w-text_w)/2:y=%d",
			EscapeFilterValue(p.font), EscapeFilterValue(p.title), fs, h*22/100)
	}
	g += "[out]"
	return ffmpegArgs(slices.Concat([]string{"-v", "error"}, input(p.audio), []string{"-filter_complex", g,
		"-map", "[out]", "-frames:v", "1", "-update", "1", "-c:v", "png", "-f", "image2", fileArg(out)})...)
}

// Colours of the still frame.
const (
	stillBackground = "0x111827"
	stillWave       = "0x60a5fa"
)

// fontCandidates are font files tried, in order, for the still's title.
var fontCandidates = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", // Debian/Ubuntu fonts-dejavu-core
	"/usr/share/fonts/dejavu/DejaVuSans.ttf",          // Fedora
	"/usr/share/fonts/TTF/DejaVuSans.ttf",             // Arch
	"/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
	"/System/Library/Fonts/Supplemental/Arial.ttf", // macOS
	"/Library/Fonts/Arial.ttf",
	`C:\Windows\Fonts\arial.ttf`,
}

var fontOnce struct {
	sync.Once
	path string
}

// findFont returns a font file for drawtext: AUDIOEDIT_FONT if set, else
// the first of fontCandidates that exists, else what `fc-match sans` names,
// else "" (the still frame then has no title). The answer is cached.
func findFont() string {
	fontOnce.Do(func() {
		if p := os.Getenv("AUDIOEDIT_FONT"); p != "" {
			if _, err := os.Stat(p); err == nil {
				fontOnce.path = p
				return
			}
		}
		for _, p := range fontCandidates {
			if _, err := os.Stat(p); err == nil {
				fontOnce.path = p
				return
			}
		}
		if fc, err := exec.LookPath("fc-match"); err == nil {
			out, err := exec.Command(fc, "-f", "%{file}", "sans").Output()
			if p := strings.TrimSpace(string(out)); err == nil && p != "" {
				if _, err := os.Stat(p); err == nil {
					fontOnce.path = p
				}
			}
		}
	})
	return fontOnce.path
}
