// Command mcp-audioedit is an MCP server that edits audio and video in
// plain language. It serves MCP on stdio (the default) or streamable HTTP,
// and has a few maintenance subcommands: doctor, models install,
// tools-doc, version. Logs go to stderr or a file, never to stdout, which
// carries JSON-RPC.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/config"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/local"
	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo"
	"github.com/mcp-audioedit/mcp-audioedit/internal/tools"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT says
// otherwise. On Linux the neural models' wasm memories live outside the Go
// heap (a 1-hour GTCRN export peaks at 65 MB RSS); elsewhere each instance
// keeps a ~17 MB memory on it, and with GOGC alone the heap doubled past
// them (230 MB peak on Linux before the move); this limit makes the GC
// collect first (146 MB) at no measurable cost in speed.
const defaultMemoryLimit = 125 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "mcp-audioedit:", err)
		os.Exit(1)
	}
}

// run is main without the exit: it reads the configuration and runs the
// subcommand.
func run(args []string, stdout, stderr io.Writer) error {
	var cfgOut bytes.Buffer
	cfg, err := config.Load(args, os.Getenv, &cfgOut)
	var help *config.HelpError
	if errors.As(err, &help) {
		printHelp(stdout, help.Command, cfgOut.String()) // help is asked for: stdout, exit 0
		return nil
	}
	if err != nil {
		_, _ = stderr.Write(cfgOut.Bytes())
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd := strings.Join(cfg.Command, " ")
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "mcp-audioedit", appVersion())
		return nil
	case "tools-doc":
		fmt.Fprint(stdout, tools.Markdown(tools.All(nil, tools.Options{Roots: fsutil.Roots{}, Capabilities: capabilities(cfg.Backend)})))
		return nil
	case "doctor":
		if cmd == "http" {
			// Before anything opens: a refused address starts nothing.
			if err := checkListen(cfg.HTTPAddr, cfg.HTTPToken); err != nil {
				return err
			}
		}
		resolveModelsDir(cfg, os.Getenv)
		return doctor(ctx, cfg, stdout)
	case "models install":
		return installModels(ctx, cfg, stdout)
	case "models":
		printHelp(stdout, cfg.Command, "")
		return nil
	case "edit":
		var help *config.HelpError
		if err := runEdit(ctx, cfg, os.Getenv, cfg.Args, stdout, stderr); errors.As(err, &help) {
			printHelp(stdout, help.Command, "")
			return nil
		} else if err != nil {
			return err
		}
		return nil
	case "", "stdio", "http":
	default:
		return fmt.Errorf("unknown command %q: use stdio, http, edit, doctor, models install, tools-doc or version (see -h)", cmd)
	}
	if cmd == "http" {
		// Before anything opens: a refused address starts nothing.
		if err := checkListen(cfg.HTTPAddr, cfg.HTTPToken); err != nil {
			return err
		}
	}
	resolveModelsDir(cfg, os.Getenv)

	log, closeLog, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	// Warnings also go to the MCP clients, at the level each one set.
	clientLog := tools.NewClientLog()
	log = log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, clientLog) }))
	app, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()

	s := tools.NewServer(app.backend, tools.Options{Roots: cfg.Roots, RootsBound: cfg.RootsSet, Version: appVersion(), Logger: log, ClientLog: clientLog,
		Folders: []string{cfg.DataDir, cfg.OutputDir, os.TempDir()}})
	log.Info("serving", zap.String("transport", transportName(cmd)), zap.String("backend", cfg.Backend),
		zap.String("version", appVersion()), zap.Strings("roots", cfg.Roots))
	if cfg.Backend == config.BackendLocal {
		log.Info("denoiser: "+denoiserStatus(cfg, os.Getenv), zap.String("models_dir", cfg.ModelsDir))
	}
	if cmd == "http" {
		return serveHTTP(ctx, s, httpOptions{Addr: cfg.HTTPAddr, Token: cfg.HTTPToken, AllowedOrigins: cfg.HTTPAllowedOrigins}, log)
	}
	return serveStdio(ctx, s, log)
}

// capabilities are what the tools do on the named backend, for the tool
// reference printed without starting one.
func capabilities(name string) *backend.Capabilities {
	if name == config.BackendNemo {
		return &nemo.Hints
	}
	return &local.Hints
}

func transportName(cmd string) string {
	if cmd == "http" {
		return "http"
	}
	return "stdio"
}

// stdioWorkers is how many tool calls the stdio server runs at once.
const stdioWorkers = 64 // mcp-go caps it at 100

// serveStdio serves MCP on stdin/stdout until stdin closes or ctx ends.
func serveStdio(ctx context.Context, s *server.MCPServer, log *zap.Logger) error {
	// mcp-go runs tool calls on 5 workers by default, and a call that waits
	// (an export's wait_seconds, a URL upload) keeps its worker meanwhile:
	// five waits queued every other call behind them. Waiting is cheap (the
	// render queue bounds the real work: AUDIOEDIT_MAX_JOBS), so give calls
	// enough workers that a quick state or edit never waits behind them.
	stdio := server.NewStdioServer(s)
	server.WithWorkerPoolSize(stdioWorkers)(stdio)
	stdio.SetErrorLogger(zap.NewStdLog(log))
	err := stdio.Listen(ctx, os.Stdin, os.Stdout)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("serve stdio: %w", err)
	}
	return nil
}

// appVersion is the version to report.
func appVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// newLogger returns a zap logger writing JSON lines to the log file, or to
// stderr when there is none — never to stdout.
func newLogger(cfg *config.Config, stderr io.Writer) (*zap.Logger, func(), error) {
	level, err := zapcore.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, nil, fmt.Errorf("AUDIOEDIT_LOG_LEVEL: %w", err)
	}
	var w zapcore.WriteSyncer = zapcore.AddSync(stderr)
	closeFn := func() {}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file (AUDIOEDIT_LOG_FILE): %w", err)
		}
		w = zapcore.Lock(f)
		closeFn = func() { f.Close() }
	} else {
		w = zapcore.Lock(w)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), w, level)
	log := zap.New(core, zap.ErrorOutput(w))
	return log, func() { _ = log.Sync(); closeFn() }, nil
}
