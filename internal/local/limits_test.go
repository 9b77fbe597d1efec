package local

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// oneHertzWAV writes the attack file: 400 KB of 8-bit PCM whose header
// claims 1 sample per second, which reads as 111 hours.
func oneHertzWAV(t *testing.T, path string) {
	t.Helper()
	const n = 400_000
	h := make([]byte, 44, 44+n)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+n)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], 1) // 1 Hz
	binary.LittleEndian.PutUint32(h[28:], 1) // bytes per second
	binary.LittleEndian.PutUint16(h[32:], 1)
	binary.LittleEndian.PutUint16(h[34:], 8)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], n)
	h = append(h, make([]byte, n)...)
	if err := os.WriteFile(path, h, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLimits: a 1 Hz WAV was accepted as 111 hours, nothing bounded a
// file's length or a session's files, and 2 MB instructions were stored
// and echoed in errors.
func TestLimits(t *testing.T) {
	b, dir := newBackend(t, func(o *Options) {
		o.Limits = Limits{MaxSessionFiles: 2}
	})
	ctx := context.Background()
	bogus := filepath.Join(dir, "bogus.wav")
	oneHertzWAV(t, bogus)
	info, err := b.eng.Probe(ctx, bogus)
	if err != nil {
		t.Fatal(err)
	}
	if info.SampleRate != 1 || info.Duration < 100*3600 {
		t.Fatalf("the attack file probes as %d Hz, %.0f s; want 1 Hz and over 100 h", info.SampleRate, info.Duration)
	}
	one, two, three := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav"), filepath.Join(dir, "c.wav")
	for _, p := range []string{one, two, three} {
		tone(t, p)
	}
	cases := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"1 Hz", []string{bogus}, []string{"1 Hz", "8000 Hz", "AUDIOEDIT_MIN_SAMPLE_RATE"}},
		{"too many files", []string{one, two, three}, []string{"3 files", "limit of 2", "AUDIOEDIT_MAX_SESSION_FILES"}},
	}
	for _, tc := range cases {
		_, err := b.Upload(ctx, backend.UploadRequest{Paths: tc.paths})
		msg := userMsg(t, err)
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", tc.name, msg, w)
			}
		}
	}
	// The limit counts what the session holds already.
	res, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{one, two}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Upload(ctx, backend.UploadRequest{Paths: []string{three}, SessionID: res.SessionID})
	if msg := userMsg(t, err); !strings.Contains(msg, "AUDIOEDIT_MAX_SESSION_FILES") {
		t.Errorf("third file: %q", msg)
	}
	// Instructions: over the limit refused; a long one quoted briefly.
	huge := strings.Repeat("frobnicate the wibble ", 300) // 6.6 KB
	_, err = b.Edit(ctx, backend.EditRequest{Instruction: huge})
	msg := userMsg(t, err)
	if !strings.Contains(msg, "AUDIOEDIT_MAX_INSTRUCTION") || !strings.Contains(msg, "4096") {
		t.Errorf("huge instruction: %q", msg)
	}
	if strings.Count(msg, "wibble") > 20 {
		t.Errorf("the error echoes %d bytes of the instruction", len(msg))
	}
	long4k := strings.Repeat("wibble ", 580) // 4 KB, under the limit, not understood
	_, err = b.Edit(ctx, backend.EditRequest{Instruction: long4k})
	msg = userMsg(t, err)
	if n := strings.Count(msg, "wibble"); n == 0 || n > 30 {
		t.Errorf("a not-understood 4 KB instruction is quoted %d times in %q", n, msg)
	}
}

// TestDurationLimit: media longer than AUDIOEDIT_MAX_DURATION is refused.
func TestDurationLimit(t *testing.T) {
	b, dir := newBackend(t, func(o *Options) { o.Limits = Limits{MaxDuration: 500 * time.Millisecond} })
	p := filepath.Join(dir, "tone.wav")
	tone(t, p)
	_, err := b.Upload(context.Background(), backend.UploadRequest{Paths: []string{p}})
	msg := userMsg(t, err)
	if !strings.Contains(msg, "lasts 1s") || !strings.Contains(msg, "500ms limit") || !strings.Contains(msg, "AUDIOEDIT_MAX_DURATION") {
		t.Errorf("%q", msg)
	}
}
