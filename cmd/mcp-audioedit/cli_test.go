package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// noisySpeech writes ~12 s of speech with pink noise at 10 dB SNR and
// returns its path and the ground-truth speech segments.
func noisySpeech(t *testing.T, dir string) (string, []testmedia.Segment, float64) {
	t.Helper()
	testmedia.RequireEspeak(t)
	speechOnce.Do(func() {
		clean, segs, err := testmedia.Speech(context.Background(), testmedia.SpeechOptions{
			Phrases: testmedia.DefaultPhrases()[:4], Pauses: []float64{1.0, 1.5, 0.8, 1.2}, LeadIn: 1.5, Seed: 11})
		speechData.err = err
		speechData.noisy = testmedia.Mix(clean, testmedia.Noise(testmedia.Pink, len(clean), 5), 10)
		speechData.segs = segs
	})
	if speechData.err != nil {
		t.Fatal(speechData.err)
	}
	p := filepath.Join(dir, "talk.wav")
	if err := testmedia.WriteWAV(p, speechData.noisy, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	return p, speechData.segs, float64(len(speechData.noisy)) / testmedia.Rate
}

var (
	speechOnce sync.Once
	speechData struct {
		noisy []float32
		segs  []testmedia.Segment
		err   error
	}
)

// runBinary runs the built binary with env and stdin closed; it returns
// stdout, stderr and the exit code.
func runBinary(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(buildBinary(t), args...)
	cmd.Env = env
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.Close() // stdin closed: the command must not wait for input
	cmd.Stdin = r
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	r.Close()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// pauseToSpeech is the level of the pauses (outside speech, with a margin)
// relative to the speech's, in dB: the noise floor under the speech, which
// a loudness change leaves alone.
func pauseToSpeech(t *testing.T, path string, segs []testmedia.Segment, total float64) float64 {
	t.Helper()
	x, err := testmedia.ReadPCM(context.Background(), testmedia.RequireFFmpeg(t), path, testmedia.Rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	var pauses []testmedia.Segment
	for _, p := range testmedia.Complement(segs, total) {
		if p.End-p.Start > 0.5 {
			pauses = append(pauses, testmedia.Segment{Start: p.Start + 0.15, End: p.End - 0.15})
		}
	}
	return testmedia.EnergyDB(x, testmedia.Rate, pauses) - testmedia.EnergyDB(x, testmedia.Rate, segs)
}

// TestEditCLI runs `edit` end to end on a generated file with stdin
// closed, flags after the subcommand, and measures the output.
func TestEditCLI(t *testing.T) {
	dir := t.TempDir()
	in, segs, total := noisySpeech(t, dir)
	before, _ := os.ReadFile(in)
	out := filepath.Join(dir, "clean.wav")
	env := testEnv(t, dir)
	stdout, stderr, code := runBinary(t, env, "edit", in, "-i", "remove background noise", "-i", "normalize to -16 LUFS", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "Wrote "+out) || !strings.Contains(stdout, "applied:") {
		t.Errorf("summary on stdout = %q, want it to start with Wrote %s and list what was applied", stdout, out)
	}
	if !strings.Contains(stderr, "applied: ") || !strings.Contains(stderr, "rendering") {
		t.Errorf("stderr lacks the progress lines:\n%s", stderr)
	}
	lufs, _, err := testmedia.Loudness(context.Background(), testmedia.RequireFFmpeg(t), out)
	if err != nil {
		t.Fatal(err)
	}
	if lufs < -17 || lufs > -15 {
		t.Errorf("output loudness %.1f LUFS, want -16 ±1", lufs)
	}
	nIn, nOut := pauseToSpeech(t, in, segs, total), pauseToSpeech(t, out, segs, total)
	// testEnv has no neural models: the classic chain (measured 2.9 dB here;
	// the neural test below asks for more).
	if nOut > nIn-2 {
		t.Errorf("noise floor %.1f dB -> %.1f dB under the speech, want at least 2 dB lower", nIn, nOut)
	}
	t.Logf("noise floor %.1f -> %.1f dB under the speech, loudness %.1f LUFS\n%s", nIn, nOut, lufs, stdout)
	if after, _ := os.ReadFile(in); !bytes.Equal(before, after) {
		t.Error("the input was modified")
	}

	// An existing output is kept unless -overwrite.
	_, stderr, code = runBinary(t, env, "edit", in, "-i", "normalize to -20 LUFS", "-o", out)
	if code == 0 || !strings.Contains(stderr, "exists") || !strings.Contains(stderr, "-overwrite") {
		t.Errorf("existing output: exit %d, stderr %q; want a refusal naming -overwrite", code, stderr)
	}
	// An instruction that is no edit fails with the reason, non-zero.
	_, stderr, code = runBinary(t, env, "edit", in, "-i", "make it sound like a banana", "-o", filepath.Join(dir, "x.wav"))
	if code == 0 || !strings.Contains(strings.ToLower(stderr), "nothing changed") {
		t.Errorf("unknown instruction: exit %d, stderr %q; want non-zero and the reason", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.wav")); err == nil {
		t.Error("a failed edit wrote its output")
	}
}

// TestHelp checks that help goes to stdout with exit 0, per subcommand,
// and that `models` alone prints its usage.
func TestHelp(t *testing.T) {
	env := testEnv(t, t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "Usage: mcp-audioedit [flags] [command]"},
		{[]string{"-h"}, "edit INPUT..."},
		{[]string{"edit", "--help"}, "Usage: mcp-audioedit [flags] edit INPUT..."},
		{[]string{"edit", "in.wav", "-h"}, "-overwrite"},
		{[]string{"doctor", "-h"}, "Usage: mcp-audioedit [flags] doctor"},
		{[]string{"stdio", "--help"}, "waits for the client"},
		{[]string{"models"}, "Usage: mcp-audioedit [flags] models install"},
		{[]string{"models", "install", "-h"}, "~/.cache/mcp-audioedit/models"},
	} {
		stdout, stderr, code := runBinary(t, env, tc.args...)
		if code != 0 || !strings.Contains(stdout, tc.want) {
			t.Errorf("%v: exit %d, stdout %q (stderr %q); want exit 0 and %q on stdout", tc.args, code, stdout, stderr, tc.want)
		}
	}
	_, stderr, code := runBinary(t, env, "edit", "in.wav", "-o", "out.wav")
	if code == 0 || !strings.Contains(stderr, "no instruction") {
		t.Errorf("edit without -i: exit %d, stderr %q", code, stderr)
	}
}

// TestModelsFoundWithOnlyHome installs the models with `models install`
// and no settings, then runs the binary as a client config would, with only
// HOME (and PATH, to find ffmpeg) in its environment: doctor and the start
// log name the neural denoiser, and an edit runs it. A copy of the binary
// with the models beside it finds them too.
func TestModelsFoundWithOnlyHome(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm missing: models install needs it")
	}
	cache, err := exec.Command(npm, "config", "get", "cache").Output()
	if err != nil {
		t.Fatalf("npm config get cache: %v", err)
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	os.MkdirAll(home, 0o755)
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
	// npm's own cache keeps the install off the network when it can.
	stdout, stderr, code := runBinary(t, append(env, "npm_config_cache="+strings.TrimSpace(string(cache))), "models", "install")
	if code != 0 {
		t.Fatalf("models install: exit %d\n%s\n%s", code, stdout, stderr)
	}
	models := filepath.Join(home, ".cache", "mcp-audioedit", "models")
	if !strings.Contains(stdout, "installing neural models into "+models) || !strings.Contains(stdout, "neural GTCRN") {
		t.Errorf("models install printed %q, want the default folder %s and the neural denoiser", stdout, models)
	}
	stdout, stderr, code = runBinary(t, env, "doctor")
	if code != 0 || !strings.Contains(stdout, "denoiser:    neural GTCRN blended with 30% RNNoise (models in "+models+")") {
		t.Errorf("doctor: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	// stdio with stdin closed: it logs how it starts, then exits.
	_, stderr, _ = runBinary(t, env, "stdio")
	if !strings.Contains(stderr, "denoiser: neural GTCRN") {
		t.Errorf("the start log does not name the neural denoiser:\n%s", stderr)
	}

	in, segs, total := noisySpeech(t, dir)
	out := filepath.Join(dir, "clean.wav")
	stdout, stderr, code = runBinary(t, env, "edit", in, "-i", "remove background noise", "-o", out)
	if code != 0 {
		t.Fatalf("edit: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "denoiser: gtcrn") {
		t.Errorf("the edit did not run the neural denoiser:\n%s", stdout)
	}
	nIn, nOut := pauseToSpeech(t, in, segs, total), pauseToSpeech(t, out, segs, total)
	if nOut > nIn-10 {
		t.Errorf("neural: noise floor %.1f -> %.1f dB under the speech, want at least 10 dB lower", nIn, nOut)
	}
	t.Logf("neural: noise floor %.1f -> %.1f dB under the speech", nIn, nOut)

	// A copy of the binary with the models beside it, and nothing in HOME.
	bin := filepath.Join(dir, "app", "mcp-audioedit")
	copyFile(t, buildBinary(t), bin, 0o755)
	if err := os.CopyFS(filepath.Join(dir, "app", "models"), os.DirFS(models)); err != nil {
		t.Fatal(err)
	}
	env = []string{"HOME=" + filepath.Join(dir, "empty"), "PATH=" + os.Getenv("PATH")}
	cmd := exec.Command(bin, "doctor")
	cmd.Env = env
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "neural GTCRN blended with 30% RNNoise (models in "+filepath.Join(dir, "app", "models")+")") {
		t.Errorf("doctor beside the models: %v\n%s", err, b)
	}
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}
