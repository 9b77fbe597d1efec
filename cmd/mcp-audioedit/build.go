package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/config"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/local"
	"github.com/mcp-audioedit/mcp-audioedit/internal/neural"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// app is the wired server: the backend and what it holds open.
type app struct {
	backend backend.Backend
	closers []func()
}

// Close releases everything, last opened first.
func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// build opens the store and builds the configured backend.
func build(ctx context.Context, cfg *config.Config, log *zap.Logger) (*app, error) {
	a := &app{}
	st, err := store.Open(cfg.DBPath())
	if err != nil {
		return nil, fmt.Errorf("open database in AUDIOEDIT_DATA_DIR (%s): %w", cfg.DataDir, err)
	}
	a.closers = append(a.closers, func() { st.Close() })

	switch cfg.Backend {
	case config.BackendNemo:
		b, err := newNemo(cfg, st, log)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.backend = b
	default:
		pool := neural.NewPool(cfg.ModelsDir)
		a.closers = append(a.closers, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = pool.Close(ctx)
		})
		eng, engErr := engine.New(engine.Options{FFmpeg: cfg.FFmpeg, FFprobe: cfg.FFprobe, Logger: log, Neural: pool})
		switch {
		case errors.Is(engErr, engine.ErrFFmpegMissing):
			// Serve anyway: the client completes the handshake and each
			// media tool says what to install, instead of a bare
			// "server disconnected".
			log.Error("ffmpeg missing: upload, edit and export will refuse until it is installed and the server restarted", zap.Error(engErr))
		case engErr != nil:
			a.Close()
			return nil, engErr
		}
		if err := os.MkdirAll(cfg.OutputDir, 0o755); err != nil {
			a.Close()
			return nil, fmt.Errorf("create the output folder (AUDIOEDIT_OUTPUT_DIR): %w", err)
		}
		b, err := local.New(local.Options{Store: st, Engine: eng, EngineErr: engErr, OutputDir: cfg.OutputDir, Logger: log,
			Fetch: local.FetchOptions{AllowPrivate: cfg.AllowPrivateURLs, Timeout: cfg.URLTimeout, StallTimeout: cfg.URLStallTimeout},
			Roots: cfg.Roots, Protected: protectedFolders(cfg),
			Limits: local.Limits{MaxDuration: cfg.MaxDuration, MinSampleRate: cfg.MinSampleRate,
				MaxSessionFiles: cfg.MaxSessionFiles, MaxInstruction: cfg.MaxInstruction},
			Jobs: local.JobOptions{MaxRunning: cfg.MaxJobs, MaxQueued: cfg.MaxQueuedJobs, Deadline: cfg.JobTimeout}})
		if err != nil {
			a.Close()
			return nil, err
		}
		a.backend = b
		if eng != nil {
			log.Info("local engine", zap.String("ffmpeg", eng.FFmpeg()), zap.Strings("neural", eng.NeuralModels()))
		}
	}
	a.closers = append(a.closers, func() {
		if err := a.backend.Close(); err != nil {
			log.Warn("close backend", zap.Error(err))
		}
	})
	return a, nil
}

// doctor prints what is installed and configured; it fails when the local
// backend cannot find ffmpeg.
func doctor(ctx context.Context, cfg *config.Config, out interface{ Write([]byte) (int, error) }) error {
	fmt.Fprintf(out, "mcp-audioedit %s\n", appVersion())
	fmt.Fprintf(out, "backend:     %s\n", cfg.Backend)
	fmt.Fprintf(out, "data dir:    %s\n", cfg.DataDir)
	fmt.Fprintf(out, "output dir:  %s\n", cfg.OutputDir)
	rootsNote := "default; a client that offers roots uses its own instead"
	if cfg.RootsSet {
		rootsNote = "AUDIOEDIT_ROOTS; a client's own roots are narrowed to these"
	}
	fmt.Fprintf(out, "roots:       %s (%s)\n", strings.Join(cfg.Roots, string(os.PathListSeparator)), rootsNote)
	var missing error
	for _, bin := range []struct{ name, configured string }{{"ffmpeg", cfg.FFmpeg}, {"ffprobe", cfg.FFprobe}} {
		p, err := exec.LookPath(bin.configured)
		if err != nil {
			fmt.Fprintf(out, "%-12s missing (looked for %q)\n", bin.name+":", bin.configured)
			missing = engine.ErrFFmpegMissing
			continue
		}
		fmt.Fprintf(out, "%-12s %s (%s)\n", bin.name+":", p, binVersion(ctx, p))
	}
	fmt.Fprintf(out, "denoiser:    %s\n", denoiserStatus(cfg, os.Getenv))
	if cfg.Backend == config.BackendNemo {
		tok := "anonymous starter token"
		if cfg.NemoToken != "" {
			tok = "NEMO_TOKEN set"
		}
		fmt.Fprintf(out, "nemo:        %s\n", tok)
	}
	if missing != nil && cfg.Backend == config.BackendLocal {
		return missing
	}
	return nil
}

// binVersion is the first line of `bin -version`, shortened.
func binVersion(ctx context.Context, bin string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	b, err := exec.CommandContext(ctx, bin, "-hide_banner", "-version").Output()
	if err != nil {
		return "version unknown: " + err.Error()
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if i := strings.Index(line, " Copyright"); i > 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}

// installModels installs the neural models into the models folder.
func installModels(ctx context.Context, cfg *config.Config, out interface{ Write([]byte) (int, error) }) error {
	fmt.Fprintf(out, "installing neural models into %s\n", cfg.ModelsDir)
	if err := neural.Install(ctx, cfg.ModelsDir); err != nil {
		return fmt.Errorf("models install: %w", err)
	}
	fmt.Fprintf(out, "installed: %s\n", strings.Join(neural.NewPool(cfg.ModelsDir).Available(), ", "))
	fmt.Fprintf(out, "denoiser:  %s\n", denoiserStatus(cfg, os.Getenv))
	return nil
}

// protectedFolders are the folders no export may write into, even inside
// the roots: the database's, the models' and the cache.
func protectedFolders(cfg *config.Config) []string {
	p := []string{cfg.DataDir, cfg.ModelsDir}
	if c, err := os.UserCacheDir(); err == nil {
		p = append(p, filepath.Join(c, config.AppName))
	}
	return p
}
