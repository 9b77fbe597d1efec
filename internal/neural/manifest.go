package neural

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Model names one neural denoiser.
type Model string

const (
	// GTCRN is the default, best-quality model (48k parameters, 768-sample
	// frames at 48 kHz).
	GTCRN Model = "gtcrn"
	// RNNoise is the fast model (480-sample frames at 48 kHz).
	RNNoise Model = "rnnoise"
)

// SampleRate is the only sample rate the models accept and produce.
const SampleRate = 48000

// InstallHint is the sentence that tells a user how to (re)install models.
const InstallHint = "run `mcp-audioedit models install` or `make models`"

var (
	// ErrNotInstalled reports that a model's file is missing from the models folder.
	ErrNotInstalled = errors.New("neural model not installed")
	// ErrChecksum reports that a model file does not match its pinned sha256
	// (corrupt, truncated or a different version).
	ErrChecksum = errors.New("neural model checksum mismatch")
	// ErrNpmMissing reports that npm, needed by Install, is not on PATH.
	ErrNpmMissing = errors.New("npm not found on PATH: install Node.js (which ships npm) to install the neural models")
)

// Info describes one installed model file.
type Info struct {
	// Model is the model this file implements.
	Model Model
	// Package is the npm package that ships the file.
	Package string
	// Version is the pinned package version.
	Version string
	// License is the package's SPDX license.
	License string
	// File is the file's path inside the package.
	File string
	// SHA256 is the hex sha256 of the file.
	SHA256 string
}

// Path returns where the file lies inside the models folder dir once
// installed with npm --prefix dir.
func (i Info) Path(dir string) string {
	return filepath.Join(dir, "node_modules", filepath.FromSlash(i.Package), filepath.FromSlash(i.File))
}

var manifest = []Info{
	{
		Model:   GTCRN,
		Package: "@sapphi-red/web-noise-suppressor",
		Version: "0.4.1",
		License: "MIT",
		File:    "dist/gtcrn.wasm",
		SHA256:  "01a5286ddaa1ce6d0dd5510bd9241f3bf0cc727a05d5767ae6881d85d9983719",
	},
	{
		Model:   RNNoise,
		Package: "@sapphi-red/web-noise-suppressor",
		Version: "0.4.1",
		License: "MIT",
		File:    "dist/rnnoise_simd.wasm",
		SHA256:  "378fd17c294db15ee4e818ba5ef072242a21c8ad7445b483f7f46d7dc4f2c253",
	},
}

// Manifest returns the pinned model files: package@version, license, path
// inside the package and sha256, best model first.
func Manifest() []Info {
	return append([]Info(nil), manifest...)
}

func lookup(m Model) (Info, bool) {
	for _, i := range manifest {
		if i.Model == m {
			return i, true
		}
	}
	return Info{}, false
}

// DefaultDir returns the models folder: env AUDIOEDIT_MODELS_DIR, else
// <os.UserCacheDir()>/mcp-audioedit/models (falling back to the system temp
// folder when there is no user cache folder).
func DefaultDir() string {
	if d := os.Getenv("AUDIOEDIT_MODELS_DIR"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil || base == "" {
		base = os.TempDir()
	}
	return filepath.Join(base, "mcp-audioedit", "models")
}

// Install runs `npm install --prefix dir --no-save --ignore-scripts
// pkg@version` (argv, no shell) for the pinned packages and verifies the
// checksums. It returns at once when every model is already installed and
// verified. npm is found with exec.LookPath; a missing npm is ErrNpmMissing.
func Install(ctx context.Context, dir string) error {
	if len(Available(dir)) == len(manifest) {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("install models: %w", ErrNpmMissing)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("install models: %w", err)
	}
	// npm keeps a package whose version matches even when a file in it was
	// damaged: remove packages with a bad file so npm extracts them afresh.
	for _, i := range manifest {
		if err := verify(i, dir); errors.Is(err, ErrChecksum) {
			if err := os.RemoveAll(filepath.Join(dir, "node_modules", filepath.FromSlash(i.Package))); err != nil {
				return fmt.Errorf("install models: %w", err)
			}
		}
	}
	// One npm call for all packages: with --no-save, a second call would
	// prune the packages the first one installed.
	args := []string{"install", "--prefix", dir, "--no-save", "--ignore-scripts", "--no-audit", "--no-fund"}
	seen := map[string]bool{}
	for _, i := range manifest {
		spec := i.Package + "@" + i.Version
		if !seen[spec] {
			seen[spec] = true
			args = append(args, spec)
		}
	}
	cmd := exec.CommandContext(ctx, npm, args...)
	var stderr limitedBuffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("install models: %w", ctx.Err())
		}
		return fmt.Errorf("install models: npm %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	for _, i := range manifest {
		if err := verify(i, dir); err != nil {
			return fmt.Errorf("install models: %w", err)
		}
	}
	return nil
}

// Available lists the models whose files exist in dir with the right
// checksum, best first. Checksums are cached per path, mtime and size.
func Available(dir string) []Model {
	var out []Model
	for _, i := range manifest {
		if verify(i, dir) == nil {
			out = append(out, i.Model)
		}
	}
	return out
}

type fileKey struct {
	path  string
	size  int64
	mtime time.Time
}

var sumCache sync.Map // fileKey -> hex sha256

// verify checks that i's file exists in dir and matches its pinned sha256.
// It returns an error wrapping ErrNotInstalled or ErrChecksum.
func verify(i Info, dir string) error {
	_, err := readVerified(i, dir, false)
	return err
}

// readVerified checks i's file in dir and, when read is set, returns its
// bytes (hashed again, so that what is loaded is what was checked).
func readVerified(i Info, dir string, read bool) ([]byte, error) {
	p := i.Path(dir)
	st, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %s missing: %w; %s", i.Model, p, ErrNotInstalled, InstallHint)
		}
		return nil, fmt.Errorf("%s: %w", i.Model, err)
	}
	key := fileKey{p, st.Size(), st.ModTime()}
	if !read {
		if sum, ok := sumCache.Load(key); ok {
			return nil, checkSum(i, p, sum.(string))
		}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", i.Model, err)
	}
	h := sha256.Sum256(b)
	sum := hex.EncodeToString(h[:])
	sumCache.Store(key, sum)
	if err := checkSum(i, p, sum); err != nil {
		return nil, err
	}
	return b, nil
}

func checkSum(i Info, path, got string) error {
	if got != i.SHA256 {
		return fmt.Errorf("%s: %s has sha256 %s, want %s (%s@%s): %w; to reinstall, %s",
			i.Model, path, got, i.SHA256, i.Package, i.Version, ErrChecksum, InstallHint)
	}
	return nil
}

// ParseModel maps a model name ("gtcrn", "rnnoise", case-insensitive) to a Model.
func ParseModel(name string) (Model, error) {
	m := Model(strings.ToLower(strings.TrimSpace(name)))
	if _, ok := lookup(m); !ok {
		names := make([]string, 0, len(manifest))
		for _, i := range manifest {
			names = append(names, string(i.Model))
		}
		sort.Strings(names)
		return "", fmt.Errorf("unknown neural model %q (want one of %s)", name, strings.Join(names, ", "))
	}
	return m, nil
}

// limitedBuffer keeps the first 4 KiB written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - len(l.b); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		l.b = append(l.b, p[:room]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
