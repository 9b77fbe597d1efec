package local

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// tone writes a 1 s 440 Hz WAV at path.
func tone(t *testing.T, path string) {
	t.Helper()
	x := make([]float32, testmedia.Rate)
	for i := range x {
		x[i] = float32(0.3 * math.Sin(2*math.Pi*440*float64(i)/testmedia.Rate))
	}
	short := filepath.Join(t.TempDir(), "t.wav") // testmedia's temp name could not take a long name
	if err := testmedia.WriteWAV(short, x, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(short, path); err != nil {
		t.Fatal(err)
	}
}

// exportWait exports and waits for the job to end.
func exportWait(t *testing.T, b *Backend, req backend.ExportRequest) (*backend.Job, error) {
	t.Helper()
	req.Wait = 1 << 40
	return b.Export(context.Background(), req)
}

// TestExportLongNames: a name of 245+ bytes (or 82 CJK characters) made
// the numbered-name loop spin forever on ENAMETOOLONG.
func TestExportLongNames(t *testing.T) {
	for _, name := range []string{strings.Repeat("a", 246) + ".wav", strings.Repeat("中", 82) + ".wav"} {
		t.Run(name[:3], func(t *testing.T) {
			b, dir := newBackend(t)
			src := filepath.Join(dir, name)
			tone(t, src)
			if _, err := b.Upload(context.Background(), backend.UploadRequest{Paths: []string{src}}); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for range 2 {
				j, err := exportWait(t, b, backend.ExportRequest{Format: "wav"})
				if err != nil {
					t.Fatal(err)
				}
				if j.Status != backend.JobCompleted {
					t.Fatalf("job %s: %s", j.Status, j.Error)
				}
				base := filepath.Base(j.Path)
				if len(base) > 255 || !utf8.ValidString(base) || filepath.Ext(base) != ".wav" {
					t.Fatalf("output name %q (%d bytes)", base, len(base))
				}
				info, err := b.eng.Probe(context.Background(), j.Path)
				if err != nil || info.Duration < 0.99 {
					t.Fatalf("output does not probe as 1 s: %v %+v", err, info)
				}
				seen[j.Path] = true
			}
			if len(seen) != 2 {
				t.Fatalf("two exports wrote %d distinct files", len(seen))
			}
		})
	}
}

// TestExportNeverReplaces: an export replaced any file in the roots, the
// server's database included, and a folder as output_path overwrote
// <title>-edited.<fmt>.
func TestExportNeverReplaces(t *testing.T) {
	var data string
	b, dir := newBackend(t, func(o *Options) {
		data = filepath.Join(filepath.Dir(o.OutputDir), "data")
		o.Protected = []string{data}
	})
	src := filepath.Join(dir, "tone.wav")
	tone(t, src)
	if _, err := b.Upload(context.Background(), backend.UploadRequest{Paths: []string{src}}); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(data, "audioedit.db")
	dbBefore, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "mine.wav")
	os.WriteFile(existing, []byte("not to be replaced"), 0o644)
	folder := filepath.Join(dir, "folder")
	os.MkdirAll(folder, 0o755)
	os.WriteFile(filepath.Join(folder, "tone-edited.wav"), []byte("earlier export"), 0o644)

	refused := []struct{ path, want string }{
		{existing, "overwrite: true"},
		{db, "keeps for itself"},
		{filepath.Join(data, "new.wav"), "keeps for itself"},
		{src, "one of the session's inputs"},
		{filepath.Join(dir, "a\nb.wav"), "control characters"},
		{filepath.Join(dir, "x.mp3"), "make them agree"},
	}
	for _, tc := range refused {
		_, err := exportWait(t, b, backend.ExportRequest{Format: "wav", OutputPath: tc.path})
		if msg := userMsg(t, err); !strings.Contains(msg, tc.want) {
			t.Errorf("output_path %q: %q, want it to say %q", tc.path, msg, tc.want)
		}
	}
	if after, _ := os.ReadFile(db); string(after) != string(dbBefore) {
		t.Fatal("the database changed")
	}
	if b, _ := os.ReadFile(existing); string(b) != "not to be replaced" {
		t.Fatalf("existing file now %q", b)
	}
	// A folder: a new numbered file, the earlier export untouched.
	j, err := exportWait(t, b, backend.ExportRequest{Format: "wav", OutputPath: folder})
	if err != nil || j.Status != backend.JobCompleted {
		t.Fatalf("export into a folder: %v %+v", err, j)
	}
	if j.Path != filepath.Join(folder, "tone-edited-2.wav") {
		t.Fatalf("folder export wrote %s", j.Path)
	}
	if b, _ := os.ReadFile(filepath.Join(folder, "tone-edited.wav")); string(b) != "earlier export" {
		t.Fatal("the earlier export was replaced")
	}
	// overwrite: true replaces, with a real render.
	j, err = exportWait(t, b, backend.ExportRequest{Format: "wav", OutputPath: existing, Overwrite: true})
	if err != nil || j.Status != backend.JobCompleted {
		t.Fatalf("overwrite: %v %+v", err, j)
	}
	if info, err := b.eng.Probe(context.Background(), existing); err != nil || info.Duration < 0.99 {
		t.Fatalf("overwritten file does not probe as the render: %v", err)
	}
	assertNoTemp(t, dir, folder, filepath.Join(dir, "out"))
}

// assertNoTemp fails when a temp file of ours is left in a folder.
func assertNoTemp(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), fsutil.TempPrefix) {
				t.Errorf("temp file left: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}

// TestSwapsAfterTheCheck: an uploaded file replaced by a link to a file
// outside the roots was read at export; an output folder replaced by a
// link while the export ran put the file outside the roots.
func TestSwapsAfterTheCheck(t *testing.T) {
	b, dir := newBackend(t, func(o *Options) { o.Roots = fsutil.ParseRoots(o.TempDir) })
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.wav")
	tone(t, secret)
	ctx := context.Background()

	t.Run("input", func(t *testing.T) {
		src := filepath.Join(dir, "swap.wav")
		tone(t, src)
		if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{src}}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Edit(ctx, backend.EditRequest{Instruction: "cut 0.2-0.4"}); err != nil {
			t.Fatal(err)
		}
		os.Remove(src)
		if err := os.Symlink(secret, src); err != nil {
			t.Fatal(err)
		}
		j, err := exportWait(t, b, backend.ExportRequest{Format: "wav", OutputPath: filepath.Join(dir, "stolen.wav")})
		if err == nil && j.Status == backend.JobCompleted {
			t.Fatalf("the export read the file outside the roots: %s", j.Path)
		}
		msg := ""
		if err != nil {
			msg = userMsg(t, err)
		} else {
			msg = j.Error
		}
		if !strings.Contains(msg, "outside") {
			t.Fatalf("message %q does not say why", msg)
		}
		if _, err := os.Stat(filepath.Join(dir, "stolen.wav")); err == nil {
			t.Fatal("an output was written")
		}
		os.Remove(src)
		tone(t, src)
	})

	t.Run("output folder", func(t *testing.T) {
		outDir := filepath.Join(dir, "exports")
		os.MkdirAll(outDir, 0o755)
		landing := t.TempDir() // outside the roots
		swapped := false
		pctx := backend.WithProgress(ctx, func(backend.Progress) {
			if swapped {
				return
			}
			swapped = true // the first progress report: the render is running
			os.Rename(outDir, filepath.Join(dir, "moved"))
			os.Symlink(landing, outDir)
		})
		j, err := b.Export(pctx, backend.ExportRequest{Format: "wav", OutputPath: filepath.Join(outDir, "x.wav"), Wait: 1 << 40})
		if !swapped {
			t.Fatal("no progress was reported: the swap did not happen")
		}
		if err == nil && j.Status == backend.JobCompleted {
			t.Fatalf("export completed into the swapped folder: %s", j.Path)
		}
		if ents, _ := os.ReadDir(landing); len(ents) != 0 {
			t.Fatalf("files landed outside the roots: %v", ents)
		}
		if j != nil && !strings.Contains(j.Error, "moved or replaced") && !strings.Contains(j.Error, "leads outside") {
			t.Fatalf("error %q does not say why", j.Error)
		}
		assertNoTemp(t, filepath.Join(dir, "moved"))
	})
}

// TestNamesFromURLsAndFiles: a URL named %FF%FE gave a reported path that
// did not exist; newlines in names reached output names.
func TestNamesFromURLsAndFiles(t *testing.T) {
	b, dir := newBackend(t, fetchOpts(FetchOptions{AllowPrivate: true}))
	srvURL, _ := testmedia.ServeWAV(t)
	ctx := context.Background()
	res, err := b.Upload(ctx, backend.UploadRequest{URLs: []string{srvURL + "/%FF%FE"}})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Files[0]
	if !utf8.ValidString(m.Name) || !utf8.ValidString(m.Path) {
		t.Fatalf("name %q path %q are not valid UTF-8", m.Name, m.Path)
	}
	if _, err := os.Stat(m.Path); err != nil {
		t.Fatalf("reported path does not exist: %v", err)
	}
	nl := filepath.Join(dir, "line\none.wav")
	tone(t, nl)
	res, err = b.Upload(ctx, backend.UploadRequest{Paths: []string{nl}, SessionID: ""})
	if err != nil {
		t.Fatal(err)
	}
	j, err := exportWait(t, b, backend.ExportRequest{Format: "wav", File: res.Files[0].ID})
	if err != nil || j.Status != backend.JobCompleted {
		t.Fatalf("%v %+v", err, j)
	}
	if strings.ContainsAny(filepath.Base(j.Path), "\n\r") {
		t.Fatalf("output name %q holds a newline", j.Path)
	}
}

// TestLeftoversRemovedAtStart: after kill -9, temp exports in the output
// folder and decoded WAVs in the temp folder stayed forever.
func TestLeftoversRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	os.MkdirAll(out, 0o755)
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	dead := strconv.Itoa(cmd.Process.Pid)
	gone := []string{filepath.Join(out, fsutil.TempPrefix+dead+"-1a2b.mp4"), filepath.Join(dir, fsutil.TempPrefix+dead+"-3c4d.wav")}
	kept := []string{filepath.Join(out, "song-edited.mp4"), filepath.Join(dir, "audioedit-1.wav"), filepath.Join(out, ".song.mp4.tmp-1")}
	for _, p := range append(append([]string(nil), gone...), kept...) {
		os.WriteFile(p, []byte("x"), 0o644)
	}
	newBackend(t, func(o *Options) { o.OutputDir, o.TempDir = out, dir })
	for _, p := range gone {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("leftover %s is still there", p)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s, not ours, was removed", p)
		}
	}
}
