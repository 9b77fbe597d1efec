// Package config reads the server's settings. Every setting is an
// environment variable with a command-line flag twin: the environment
// gives the default, a flag overrides it. Secrets (NEMO_TOKEN, AUDIOEDIT_HTTP_TOKEN) are read
// from the environment only, so they never reach argv.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
)

// Backends.
const (
	// BackendLocal edits on this machine with ffmpeg.
	BackendLocal = "local"
	// BackendNemo edits in the NemoVideo cloud.
	BackendNemo = "nemo"
)

// AppName names the app's folders.
const AppName = "mcp-audioedit"

// Config is the server's configuration.
type Config struct {
	// Backend is "local" (ffmpeg on this machine) or "nemo" (cloud).
	// Env AUDIOEDIT_BACKEND, flag -backend; default local.
	Backend string
	// DataDir holds the database (audioedit.db) and the cloud client's
	// id and token. Env AUDIOEDIT_DATA_DIR, flag -data-dir; default the
	// user's data folder: $XDG_DATA_HOME/mcp-audioedit or
	// ~/.local/share/mcp-audioedit on Linux, ~/Library/Application
	// Support/mcp-audioedit on macOS, %LocalAppData%\mcp-audioedit on Windows.
	DataDir string
	// OutputDir receives exports made without an output_path. Env
	// AUDIOEDIT_OUTPUT_DIR, flag -output-dir; default ~/mcp-audioedit-exports,
	// a visible folder inside the default roots, where users find their files.
	OutputDir string
	// Roots are the folders the tools may read and write; paths outside
	// them are refused. Env AUDIOEDIT_ROOTS (an OS path list, ":"-separated
	// on Unix, ";" on Windows), flag -roots; default the home and temp folders.
	Roots fsutil.Roots
	// RootsSet says the user set Roots (env or flag): an MCP client's own
	// roots are then narrowed to them; unset, a client that offers roots
	// uses its roots instead of the default.
	RootsSet bool
	// FFmpeg is the ffmpeg binary. Env AUDIOEDIT_FFMPEG, flag -ffmpeg;
	// default "ffmpeg" on PATH.
	FFmpeg string
	// FFprobe is the ffprobe binary. Env AUDIOEDIT_FFPROBE, flag -ffprobe;
	// default "ffprobe" on PATH.
	FFprobe string
	// LogLevel is debug, info, warn or error. Env AUDIOEDIT_LOG_LEVEL,
	// flag -log-level; default info.
	LogLevel string
	// LogFile receives the log; "" means stderr. Logs never go to stdout,
	// the JSON-RPC channel. Env AUDIOEDIT_LOG_FILE, flag -log-file.
	LogFile string
	// ModelsDir holds the neural denoising models. Env
	// AUDIOEDIT_MODELS_DIR, flag -models-dir; default
	// <user cache folder>/mcp-audioedit/models.
	ModelsDir string
	// HTTPAddr is where the http subcommand listens. Env
	// AUDIOEDIT_HTTP_ADDR, flag -http-addr; default 127.0.0.1:8765 (loopback).
	HTTPAddr string
	// HTTPToken, when set, is the bearer token every HTTP request must
	// carry (Authorization: Bearer <token>). Env AUDIOEDIT_HTTP_TOKEN
	// only, never a flag. Required to listen on a non-loopback address.
	HTTPToken string
	// HTTPAllowedOrigins are browser origins (scheme://host[:port])
	// allowed besides loopback ones. Env AUDIOEDIT_HTTP_ALLOWED_ORIGINS
	// (comma-separated), flag -http-allowed-origins.
	HTTPAllowedOrigins []string

	// AllowPrivateURLs lets URL uploads reach loopback, private and other
	// non-public addresses. Env AUDIOEDIT_ALLOW_PRIVATE_URLS (1/true),
	// flag -allow-private-urls; default off.
	AllowPrivateURLs bool
	// URLTimeout bounds one URL download. Env AUDIOEDIT_URL_TIMEOUT, flag
	// -url-timeout; default 10m.
	URLTimeout time.Duration
	// URLStallTimeout ends a URL download that receives nothing for this
	// long. Env AUDIOEDIT_URL_STALL_TIMEOUT, flag -url-stall-timeout;
	// default 30s.
	URLStallTimeout time.Duration

	// MaxJobs is how many exports render at once; more wait in a queue.
	// Env AUDIOEDIT_MAX_JOBS, flag -max-jobs; default 2.
	MaxJobs int
	// MaxQueuedJobs is how many exports may wait for a render slot; an
	// export beyond it is refused. Env AUDIOEDIT_MAX_QUEUED_JOBS, flag
	// -max-queued-jobs; default 32.
	MaxQueuedJobs int
	// JobTimeout is the longest one render may run before it is stopped.
	// Env AUDIOEDIT_JOB_TIMEOUT, flag -job-timeout; default 2h.
	JobTimeout time.Duration

	// MaxDuration is the longest media accepted for upload. Env
	// AUDIOEDIT_MAX_DURATION, flag -max-duration; default 4h.
	MaxDuration time.Duration
	// MinSampleRate is the lowest audio sample rate accepted (Hz); lower
	// is not ordinary audio (a 400 KB WAV claiming 1 Hz reads as 111
	// hours). Env AUDIOEDIT_MIN_SAMPLE_RATE, flag -min-sample-rate;
	// default 8000.
	MinSampleRate int
	// MaxSessionFiles is the most files one session may hold. Env
	// AUDIOEDIT_MAX_SESSION_FILES, flag -max-session-files; default 50.
	MaxSessionFiles int
	// MaxInstruction is the longest edit instruction kept, in bytes. Env
	// AUDIOEDIT_MAX_INSTRUCTION, flag -max-instruction; default 4096.
	MaxInstruction int

	// NemoAPIURL is the NemoVideo API base. Env NEMO_API_URL, flag
	// -nemo-api-url; "" means the backend's default
	// (https://mega-api-prod.nemovideo.ai).
	NemoAPIURL string
	// NemoWebURL is the NemoVideo web app, used in links. Env
	// NEMO_WEB_URL, flag -nemo-web-url; "" means the backend's default.
	NemoWebURL string
	// NemoToken is a NemoVideo bearer token. Env NEMO_TOKEN only, never a
	// flag; "" means an anonymous starter token is requested.
	NemoToken string
	// NemoTokenStrict refuses to fall back to an anonymous token when
	// NemoToken is rejected. Env NEMO_TOKEN_STRICT=1 only.
	NemoTokenStrict bool
	// NemoClientID identifies this install to NemoVideo. Env
	// NEMO_CLIENT_ID, flag -nemo-client-id; "" means the id in
	// $HOME/.config/nemovideo/client_id (see NemoConfigDir), made once.
	NemoClientID string
	// SkillSource overrides the platform sent as X-Skill-Platform. Env
	// SKILL_SOURCE, flag -skill-source; "" means detected from the install path.
	SkillSource string
	// NemoPollInterval paces render polling. Env NEMO_POLL_INTERVAL (a Go
	// duration such as 30s), flag -nemo-poll-interval; default 30s.
	NemoPollInterval time.Duration

	// Command is the subcommand and its words: [] (serve stdio),
	// ["stdio"], ["http"], ["doctor"], ["models", "install"],
	// ["tools-doc"], ["version"], ["edit"].
	Command []string
	// Args are the words after a subcommand that parses its own flags
	// (edit): `edit in.wav -i "..." -o out.wav` leaves them here unparsed.
	Args []string
}

// OwnFlags names the subcommands that parse their own flags; settings
// flags must come before them.
var OwnFlags = map[string]bool{"edit": true}

// HelpError is returned for -h or --help; Command is the subcommand the
// help was asked for (empty for the program's help). It wraps flag.ErrHelp.
type HelpError struct{ Command []string }

// Error implements error.
func (e *HelpError) Error() string { return "help requested" }

// Unwrap returns flag.ErrHelp.
func (e *HelpError) Unwrap() error { return flag.ErrHelp }

// Getenv looks up an environment variable; os.Getenv in production, a map
// in tests.
type Getenv func(key string) string

// setting is one flag and its environment twin.
type setting struct {
	env, flag, usage string
	def              func(getenv Getenv) string
	dst              *string
}

// Load reads the configuration from getenv and args (without the program
// name), then validates it. Flags may come before or after the
// subcommand. Usage and errors are written to out; -h returns
// flag.ErrHelp.
func Load(args []string, getenv Getenv, out io.Writer) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &Config{}
	var roots, poll, origins, allowPrivate, urlTimeout, urlStall, maxJobs, maxQueued, jobTimeout string
	var maxDuration, minRate, maxFiles, maxInstr string
	settings := []setting{
		{"AUDIOEDIT_BACKEND", "backend", "editing backend: local (ffmpeg here) or nemo (cloud)", constant(BackendLocal), &c.Backend},
		{"AUDIOEDIT_DATA_DIR", "data-dir", "folder for the database and the cloud client id", defaultDataDir, &c.DataDir},
		{"AUDIOEDIT_OUTPUT_DIR", "output-dir", "folder for exports made without an output_path", defaultOutputDir, &c.OutputDir},
		{"AUDIOEDIT_ROOTS", "roots", "folders the tools may read and write (OS path list)", defaultRoots, &roots},
		{"AUDIOEDIT_FFMPEG", "ffmpeg", "ffmpeg binary (name on PATH or path)", constant("ffmpeg"), &c.FFmpeg},
		{"AUDIOEDIT_FFPROBE", "ffprobe", "ffprobe binary (name on PATH or path)", constant("ffprobe"), &c.FFprobe},
		{"AUDIOEDIT_LOG_LEVEL", "log-level", "log level: debug, info, warn, error", constant("info"), &c.LogLevel},
		{"AUDIOEDIT_LOG_FILE", "log-file", "log file (default stderr; never stdout)", constant(""), &c.LogFile},
		{"AUDIOEDIT_MODELS_DIR", "models-dir", "folder of the neural denoising models", defaultModelsDir, &c.ModelsDir},
		{"AUDIOEDIT_HTTP_ADDR", "http-addr", "listen address of the http subcommand", constant("127.0.0.1:8765"), &c.HTTPAddr},
		{"AUDIOEDIT_HTTP_ALLOWED_ORIGINS", "http-allowed-origins", "browser origins the http subcommand accepts besides loopback ones (comma-separated)", constant(""), &origins},
		{"AUDIOEDIT_ALLOW_PRIVATE_URLS", "allow-private-urls", "let URL uploads reach loopback and private addresses (1 or true)", constant("false"), &allowPrivate},
		{"AUDIOEDIT_URL_TIMEOUT", "url-timeout", "longest a URL download may take, a Go duration", constant("10m"), &urlTimeout},
		{"AUDIOEDIT_URL_STALL_TIMEOUT", "url-stall-timeout", "a URL download receiving nothing this long is dropped, a Go duration", constant("30s"), &urlStall},
		{"AUDIOEDIT_MAX_JOBS", "max-jobs", "exports rendered at once (more wait in a queue)", constant("2"), &maxJobs},
		{"AUDIOEDIT_MAX_QUEUED_JOBS", "max-queued-jobs", "exports that may wait for a render slot; more are refused", constant("32"), &maxQueued},
		{"AUDIOEDIT_JOB_TIMEOUT", "job-timeout", "longest one render may run, a Go duration", constant("2h"), &jobTimeout},
		{"AUDIOEDIT_MAX_DURATION", "max-duration", "longest media accepted for upload, a Go duration", constant("4h"), &maxDuration},
		{"AUDIOEDIT_MIN_SAMPLE_RATE", "min-sample-rate", "lowest audio sample rate accepted, in Hz", constant("8000"), &minRate},
		{"AUDIOEDIT_MAX_SESSION_FILES", "max-session-files", "most files one session may hold", constant("50"), &maxFiles},
		{"AUDIOEDIT_MAX_INSTRUCTION", "max-instruction", "longest edit instruction accepted, in bytes", constant("4096"), &maxInstr},
		{"NEMO_API_URL", "nemo-api-url", "NemoVideo API base URL (default https://mega-api-prod.nemovideo.ai)", constant(""), &c.NemoAPIURL},
		{"NEMO_WEB_URL", "nemo-web-url", "NemoVideo web app URL, for links", constant(""), &c.NemoWebURL},
		{"NEMO_CLIENT_ID", "nemo-client-id", "NemoVideo client id (default: created once in the data dir)", constant(""), &c.NemoClientID},
		{"SKILL_SOURCE", "skill-source", "platform sent to NemoVideo (default: detected)", constant(""), &c.SkillSource},
		{"NEMO_POLL_INTERVAL", "nemo-poll-interval", "render polling interval, a Go duration", constant("30s"), &poll},
	}
	fs := flag.NewFlagSet(AppName, flag.ContinueOnError)
	fs.SetOutput(out)
	for _, s := range settings {
		v := getenv(s.env)
		if v == "" {
			v = s.def(getenv)
		}
		fs.StringVar(s.dst, s.flag, v, s.usage+" (env "+s.env+")")
	}
	fs.Usage = func() { usage(fs, out) }

	// Parse flags around the subcommand's words: "-backend nemo http
	// -http-addr :9000" works.
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &HelpError{Command: c.Command}
			}
			return nil, err
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		c.Command = append(c.Command, rest[0])
		rest = rest[1:]
		if len(c.Command) == 1 && OwnFlags[c.Command[0]] {
			c.Args = rest
			break
		}
	}

	var err error
	c.NemoToken = strings.TrimSpace(getenv("NEMO_TOKEN"))
	c.NemoTokenStrict, _ = strconv.ParseBool(strings.TrimSpace(getenv("NEMO_TOKEN_STRICT")))
	c.HTTPToken = strings.TrimSpace(getenv("AUDIOEDIT_HTTP_TOKEN"))
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.HTTPAllowedOrigins = append(c.HTTPAllowedOrigins, strings.TrimSuffix(o, "/"))
		}
	}
	var errs []error
	if c.AllowPrivateURLs, err = strconv.ParseBool(strings.TrimSpace(allowPrivate)); err != nil {
		errs = append(errs, fmt.Errorf("AUDIOEDIT_ALLOW_PRIVATE_URLS (-allow-private-urls) is %q: set it to 1 or 0", allowPrivate))
	}
	if c.URLTimeout, err = time.ParseDuration(strings.TrimSpace(urlTimeout)); err != nil || c.URLTimeout <= 0 {
		errs = append(errs, fmt.Errorf("AUDIOEDIT_URL_TIMEOUT (-url-timeout) is %q: set a positive duration like 10m", urlTimeout))
	}
	if c.URLStallTimeout, err = time.ParseDuration(strings.TrimSpace(urlStall)); err != nil || c.URLStallTimeout <= 0 {
		errs = append(errs, fmt.Errorf("AUDIOEDIT_URL_STALL_TIMEOUT (-url-stall-timeout) is %q: set a positive duration like 30s", urlStall))
	}
	if c.MaxJobs, err = strconv.Atoi(strings.TrimSpace(maxJobs)); err != nil || c.MaxJobs < 1 || c.MaxJobs > 64 {
		errs = append(errs, fmt.Errorf("AUDIOEDIT_MAX_JOBS (-max-jobs) is %q: set a whole number from 1 to 64", maxJobs))
	}
	if c.MaxQueuedJobs, err = strconv.Atoi(strings.TrimSpace(maxQueued)); err != nil || c.MaxQueuedJobs < 1 {
		errs = append(errs, fmt.Errorf("AUDIOEDIT_MAX_QUEUED_JOBS (-max-queued-jobs) is %q: set a whole number of at least 1", maxQueued))
	}
	if c.JobTimeout, err = time.ParseDuration(strings.TrimSpace(jobTimeout)); err != nil || c.JobTimeout <= 0 {
		errs = append(errs, fmt.Errorf("AUDIOEDIT_JOB_TIMEOUT (-job-timeout) is %q: set a positive duration like 2h", jobTimeout))
	}
	if c.MaxDuration, err = time.ParseDuration(strings.TrimSpace(maxDuration)); err != nil || c.MaxDuration <= 0 {
		errs = append(errs, fmt.Errorf("AUDIOEDIT_MAX_DURATION (-max-duration) is %q: set a positive duration like 4h", maxDuration))
	}
	for _, n := range []struct {
		dst       *int
		val       string
		env, flag string
		min       int
	}{
		{&c.MinSampleRate, minRate, "AUDIOEDIT_MIN_SAMPLE_RATE", "min-sample-rate", 1},
		{&c.MaxSessionFiles, maxFiles, "AUDIOEDIT_MAX_SESSION_FILES", "max-session-files", 1},
		{&c.MaxInstruction, maxInstr, "AUDIOEDIT_MAX_INSTRUCTION", "max-instruction", 16},
	} {
		if *n.dst, err = strconv.Atoi(strings.TrimSpace(n.val)); err != nil || *n.dst < n.min {
			errs = append(errs, fmt.Errorf("%s (-%s) is %q: set a whole number of at least %d", n.env, n.flag, n.val, n.min))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c.Roots = fsutil.ParseRoots(roots)
	c.RootsSet = strings.TrimSpace(getenv("AUDIOEDIT_ROOTS")) != ""
	fs.Visit(func(f *flag.Flag) { c.RootsSet = c.RootsSet || f.Name == "roots" })
	if c.NemoPollInterval, err = time.ParseDuration(strings.TrimSpace(poll)); err != nil {
		return nil, fmt.Errorf("NEMO_POLL_INTERVAL (-nemo-poll-interval) %q is not a duration: set it like 30s or 1m", poll)
	}
	if err := c.normalize(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// normalize trims values and makes folders absolute.
func (c *Config) normalize() error {
	c.Backend = strings.ToLower(strings.TrimSpace(c.Backend))
	c.LogLevel = strings.ToLower(strings.TrimSpace(c.LogLevel))
	for _, p := range []*string{&c.DataDir, &c.OutputDir, &c.ModelsDir, &c.LogFile} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(expandHome(*p))
		if err != nil {
			return fmt.Errorf("folder %q: %w", *p, err)
		}
		*p = abs
	}
	return nil
}

// Validate checks the configuration; its error names what to set.
func (c *Config) Validate() error {
	var errs []error
	switch c.Backend {
	case BackendLocal, BackendNemo:
	default:
		errs = append(errs, fmt.Errorf("AUDIOEDIT_BACKEND (-backend) is %q: set it to local or nemo", c.Backend))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("no data folder: set AUDIOEDIT_DATA_DIR (-data-dir) to a writable folder"))
	}
	if c.OutputDir == "" {
		errs = append(errs, errors.New("no output folder: set AUDIOEDIT_OUTPUT_DIR (-output-dir) to a writable folder"))
	}
	if len(c.Roots) == 0 {
		errs = append(errs, errors.New("no roots: set AUDIOEDIT_ROOTS (-roots) to the folders the tools may use, e.g. $HOME"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("AUDIOEDIT_LOG_LEVEL (-log-level) is %q: set it to debug, info, warn or error", c.LogLevel))
	}
	if strings.TrimSpace(c.FFmpeg) == "" || strings.TrimSpace(c.FFprobe) == "" {
		errs = append(errs, errors.New("empty binary: set AUDIOEDIT_FFMPEG and AUDIOEDIT_FFPROBE to ffmpeg's and ffprobe's names or paths, or unset them"))
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("AUDIOEDIT_HTTP_ADDR (-http-addr) is %q: set it to host:port, e.g. 127.0.0.1:8765", c.HTTPAddr))
	}
	for _, o := range c.HTTPAllowedOrigins {
		if p, err := url.Parse(o); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.Path != "" {
			errs = append(errs, fmt.Errorf("AUDIOEDIT_HTTP_ALLOWED_ORIGINS has %q: list origins like https://app.example.com, comma-separated", o))
		}
	}
	for _, u := range []struct{ name, val string }{{"NEMO_API_URL (-nemo-api-url)", c.NemoAPIURL}, {"NEMO_WEB_URL (-nemo-web-url)", c.NemoWebURL}} {
		if u.val == "" {
			continue
		}
		p, err := url.Parse(u.val)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s is %q: set it to an http(s) URL", u.name, u.val))
		}
	}
	if c.NemoPollInterval < time.Second {
		errs = append(errs, fmt.Errorf("NEMO_POLL_INTERVAL (-nemo-poll-interval) is %s: set it to 1s or more (default 30s)", c.NemoPollInterval))
	}
	return errors.Join(errs...)
}

// DBPath is the database file.
func (c *Config) DBPath() string { return filepath.Join(c.DataDir, "audioedit.db") }

// NemoConfigDir holds the cloud client's id (client_id):
// $HOME/.config/nemovideo on every OS, the literal path NemoVideo's own
// skills use, so one client id serves both and the per-client token limit
// is not burnt twice. The skills declare that folder free of credentials,
// so the anonymous token goes to NemoDataDir. Without a home folder it
// falls back to <data dir>/nemo.
func (c *Config) NemoConfigDir() string {
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, ".config", "nemovideo")
	}
	return c.NemoDataDir()
}

// NemoDataDir holds the cloud backend's own files (the anonymous token,
// 0600): <data dir>/nemo.
func (c *Config) NemoDataDir() string { return filepath.Join(c.DataDir, "nemo") }

func constant(v string) func(Getenv) string { return func(Getenv) string { return v } }

// homeDir is the user's home: $HOME (%USERPROFILE% on Windows) from getenv,
// else os.UserHomeDir.
func homeDir(getenv Getenv) string {
	key := "HOME"
	if runtime.GOOS == "windows" {
		key = "USERPROFILE"
	}
	if h := getenv(key); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// defaultDataDir is the user's data folder for the app, by OS.
func defaultDataDir(getenv Getenv) string {
	return dataDirFor(runtime.GOOS, getenv)
}

func dataDirFor(goos string, getenv Getenv) string {
	home := homeDir(getenv)
	switch goos {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, AppName)
		}
		if home != "" {
			return filepath.Join(home, "AppData", "Local", AppName)
		}
	case "darwin", "ios":
		if home != "" {
			return filepath.Join(home, "Library", "Application Support", AppName)
		}
	default:
		if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, AppName)
		}
		if home != "" {
			return filepath.Join(home, ".local", "share", AppName)
		}
	}
	return ""
}

func defaultOutputDir(getenv Getenv) string {
	if home := homeDir(getenv); home != "" {
		return filepath.Join(home, AppName+"-exports")
	}
	return ""
}

func defaultRoots(getenv Getenv) string {
	var r []string
	if home := homeDir(getenv); home != "" {
		r = append(r, home)
	}
	tmp := getenv("TMPDIR")
	if tmp == "" {
		tmp = os.TempDir()
	}
	r = append(r, tmp)
	return strings.Join(r, string(filepath.ListSeparator))
}

// DefaultModelsDir is the models folder used when AUDIOEDIT_MODELS_DIR is
// not set: <user cache>/mcp-audioedit/models (neural.DefaultDir).
func DefaultModelsDir(getenv Getenv) string { return defaultModelsDir(getenv) }

// defaultModelsDir matches neural.DefaultDir: <user cache>/mcp-audioedit/models.
func defaultModelsDir(getenv Getenv) string {
	base := ""
	switch runtime.GOOS {
	case "windows":
		base = getenv("LocalAppData")
	case "darwin", "ios":
		if h := homeDir(getenv); h != "" {
			base = filepath.Join(h, "Library", "Caches")
		}
	default:
		base = getenv("XDG_CACHE_HOME")
		if base == "" || !filepath.IsAbs(base) {
			if h := homeDir(getenv); h != "" {
				base = filepath.Join(h, ".cache")
			}
		}
	}
	if base == "" {
		base = os.TempDir()
	}
	return filepath.Join(base, AppName, "models")
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[1:])
		}
	}
	return p
}

func usage(fs *flag.FlagSet, out io.Writer) {
	fmt.Fprintf(out, `Usage: %s [flags] [command]

Commands:
  stdio            serve MCP over stdin/stdout (the default); it waits for
                   an MCP client (Claude Desktop, Cursor...) on stdin
  http             serve MCP over streamable HTTP on -http-addr
  edit             edit files from the terminal, without an MCP client:
                   edit INPUT... -i "instruction" -o OUTPUT
  doctor           check ffmpeg, models and settings; say which denoiser runs
  models install   install the neural denoising models into -models-dir
  tools-doc        print the tool reference (Markdown)
  version          print the version

"%[1]s COMMAND -h" prints a command's own help. Every flag has an
environment twin, named in its help. NEMO_TOKEN is read
from the environment only, and so is AUDIOEDIT_HTTP_TOKEN.

Flags:
`, AppName)
	fs.PrintDefaults()
}
