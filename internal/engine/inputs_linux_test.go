package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// watchOpens reports, after the fact, whether anything opened path
// (inotify IN_OPEN), so a test can prove a file was never read.
func watchOpens(t *testing.T, path string) func() bool {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Skip("no inotify:", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if _, err := unix.InotifyAddWatch(fd, path, unix.IN_OPEN); err != nil {
		t.Fatal(err)
	}
	return func() bool {
		buf := make([]byte, 4096)
		n, _ := unix.Read(fd, buf)
		return n > 0
	}
}

// TestPlaylistsAndListsRefused: an .m3u8 (or a concat list) inside the
// roots naming a file outside them made ffprobe open that file. Both
// demuxers are refused before they open anything.
func TestPlaylistsAndListsRefused(t *testing.T) {
	e := encEngine(t)
	outside := t.TempDir()
	seg := filepath.Join(outside, "seg.ts") // MPEG-TS, which hls accepts
	encFFmpeg(t, "-f", "lavfi", "-i", "sine=d=1", "-c:a", "mp2", "-f", "mpegts", seg)
	in := t.TempDir()
	cases := map[string]string{
		"list.m3u8":     "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n" + seg + "\n#EXT-X-ENDLIST\n",
		"disguised.wav": "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n" + seg + "\n#EXT-X-ENDLIST\n",
		"list.ffconcat": "ffconcat version 1.0\nfile " + seg + "\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(in, name)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			opened := watchOpens(t, seg)
			_, err := e.Probe(context.Background(), p)
			if !errors.Is(err, ErrListFormat) || !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Probe(%s) err = %v, want ErrListFormat", name, err)
			}
			if !strings.Contains(err.Error(), "upload the media files themselves") {
				t.Fatalf("message %q does not say what to do", err)
			}
			if opened() {
				t.Fatalf("ffprobe opened %s, outside the folder of %s", seg, name)
			}
			// Decoding refuses it the same way.
			if _, _, err := e.MeasureLoudness(context.Background(), p); err == nil || !strings.Contains(err.Error(), "not on whitelist") {
				t.Fatalf("decode of %s: err = %v, want refused by the format whitelist", name, err)
			}
			if opened() {
				t.Fatalf("ffmpeg opened %s", seg)
			}
		})
	}
}

// TestInputsAreDescriptors: ffmpeg and ffprobe read what the opener
// opened, never the path again, so a path swapped after the open cannot
// redirect them.
func TestInputsAreDescriptors(t *testing.T) {
	e := encEngine(t)
	dir := t.TempDir()
	one, _ := encTone(t, e, dir, "one.wav", 1)
	three, _ := encTone(t, e, dir, "three.wav", 3)
	var asked []string
	swapped := e.WithOpener(func(p string) (*os.File, error) {
		asked = append(asked, p)
		return os.Open(three) // what a check at open time settled on
	})
	info, err := swapped.Probe(context.Background(), one)
	if err != nil {
		t.Fatal(err)
	}
	if info.Duration < 2.9 || info.Path != one {
		t.Fatalf("probe read %.2f s for %s, want the opened file's 3 s", info.Duration, info.Path)
	}
	if len(asked) != 1 || asked[0] != one {
		t.Fatalf("opener asked for %v", asked)
	}
	// An opener's refusal stops the run before ffmpeg starts.
	refuse := e.WithOpener(func(p string) (*os.File, error) { return nil, errors.New("refused by the test") })
	if _, err := refuse.Probe(context.Background(), one); err == nil || !strings.Contains(err.Error(), "refused by the test") {
		t.Fatalf("err = %v", err)
	}
}
