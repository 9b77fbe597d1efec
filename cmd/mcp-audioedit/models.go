package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mcp-audioedit/mcp-audioedit/internal/config"
	"github.com/mcp-audioedit/mcp-audioedit/internal/neural"
)

// modelsDirs are the folders searched for the neural models, in order,
// when AUDIOEDIT_MODELS_DIR (or -models-dir) is not set: the default
// folder `models install` and `make models` fill, then beside the binary
// (<binary dir>/models, for a copied install), then <binary dir>/../.models
// (where `make models` put them before they moved to the default folder).
// A folder that was set explicitly is the only one searched.
func modelsDirs(cfg *config.Config, getenv config.Getenv) []string {
	dirs := []string{cfg.ModelsDir}
	if cfg.ModelsDir != config.DefaultModelsDir(getenv) {
		return dirs
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		for _, d := range []string{filepath.Join(dir, "models"), filepath.Join(filepath.Dir(dir), ".models")} {
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs
}

// resolveModelsDir points cfg.ModelsDir at the first searched folder that
// holds a model; it stays at the configured folder when none does.
func resolveModelsDir(cfg *config.Config, getenv config.Getenv) {
	for _, d := range modelsDirs(cfg, getenv) {
		if len(neural.Available(d)) > 0 {
			cfg.ModelsDir = d
			return
		}
	}
}

// installCommand is the exact command that installs the models where this
// configuration reads them.
func installCommand(cfg *config.Config, getenv config.Getenv) string {
	exe, err := os.Executable()
	if err != nil {
		exe = config.AppName
	}
	cmd := shellQuote(exe)
	if cfg.ModelsDir != config.DefaultModelsDir(getenv) {
		cmd += " -models-dir " + shellQuote(cfg.ModelsDir)
	}
	return cmd + " models install"
}

// denoiserStatus says which denoiser noise removal will use and, when the
// neural models are missing, what installs them.
func denoiserStatus(cfg *config.Config, getenv config.Getenv) string {
	models := neural.Available(cfg.ModelsDir)
	has := func(m neural.Model) bool { return slices.Contains(models, m) }
	switch {
	case has(neural.GTCRN) && has(neural.RNNoise):
		return fmt.Sprintf("neural GTCRN blended with 30%% RNNoise (models in %s)", cfg.ModelsDir)
	case has(neural.GTCRN):
		return fmt.Sprintf("neural GTCRN (models in %s)", cfg.ModelsDir)
	case has(neural.RNNoise):
		return fmt.Sprintf("neural RNNoise (models in %s; GTCRN missing, install it with: %s)", cfg.ModelsDir, installCommand(cfg, getenv))
	}
	return fmt.Sprintf("classic ffmpeg chain: no neural model in %s; for better noise removal install them with: %s",
		strings.Join(modelsDirs(cfg, getenv), " or "), installCommand(cfg, getenv))
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[](){}<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
