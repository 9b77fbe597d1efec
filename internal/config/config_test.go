package config

import (
	"errors"
	"flag"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
)

func env(m map[string]string) Getenv {
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	tmp := t.TempDir()
	base := map[string]string{"HOME": home, "USERPROFILE": home, "TMPDIR": tmp, "XDG_DATA_HOME": "", "XDG_CACHE_HOME": ""}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	type want struct {
		Backend, DataDir, OutputDir, LogLevel, HTTPAddr, FFmpeg, NemoToken, NemoAPIURL string
		Roots                                                                          fsutil.Roots
		Poll                                                                           time.Duration
		Command                                                                        []string
	}
	defaults := want{
		Backend: "local", DataDir: dataDirFor(runtime.GOOS, env(base)), OutputDir: filepath.Join(home, "mcp-audioedit-exports"),
		LogLevel: "info", HTTPAddr: "127.0.0.1:8765", FFmpeg: "ffmpeg", Roots: fsutil.ParseRoots(home + string(filepath.ListSeparator) + tmp),
		Poll: 30 * time.Second,
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    func(w *want)
		wantErr string
	}{
		{name: "defaults", env: base, want: func(*want) {}},
		{name: "env", env: with("AUDIOEDIT_BACKEND", "NEMO", "AUDIOEDIT_LOG_LEVEL", "debug", "NEMO_TOKEN", " tok ", "NEMO_POLL_INTERVAL", "5s", "AUDIOEDIT_ROOTS", tmp, "AUDIOEDIT_DATA_DIR", filepath.Join(tmp, "d")),
			want: func(w *want) {
				w.Backend, w.LogLevel, w.NemoToken, w.Poll, w.Roots, w.DataDir = "nemo", "debug", "tok", 5*time.Second, fsutil.ParseRoots(tmp), filepath.Join(tmp, "d")
			}},
		{name: "flag overrides env", env: with("AUDIOEDIT_BACKEND", "nemo", "AUDIOEDIT_FFMPEG", "/env/ffmpeg"), args: []string{"-backend", "local", "-ffmpeg", "/flag/ffmpeg"},
			want: func(w *want) { w.FFmpeg = "/flag/ffmpeg" }},
		{name: "subcommand with flags after it", env: base, args: []string{"-log-level", "warn", "http", "-http-addr", "127.0.0.1:9000"},
			want: func(w *want) { w.LogLevel, w.HTTPAddr, w.Command = "warn", "127.0.0.1:9000", []string{"http"} }},
		{name: "two-word subcommand", env: base, args: []string{"models", "install"},
			want: func(w *want) { w.Command = []string{"models", "install"} }},
		{name: "xdg data home", env: with("XDG_DATA_HOME", filepath.Join(tmp, "xdg")),
			want: func(w *want) {
				if runtime.GOOS == "linux" {
					w.DataDir = filepath.Join(tmp, "xdg", "mcp-audioedit")
				}
			}},
		{name: "nemo url", env: with("NEMO_API_URL", "https://api.example.com/base"), want: func(w *want) { w.NemoAPIURL = "https://api.example.com/base" }},
		{name: "bad backend", env: with("AUDIOEDIT_BACKEND", "cloud"), wantErr: "AUDIOEDIT_BACKEND"},
		{name: "bad level", args: []string{"-log-level", "loud"}, env: base, wantErr: "AUDIOEDIT_LOG_LEVEL"},
		{name: "bad poll", env: with("NEMO_POLL_INTERVAL", "30"), wantErr: "NEMO_POLL_INTERVAL"},
		{name: "short poll", env: with("NEMO_POLL_INTERVAL", "10ms"), wantErr: "NEMO_POLL_INTERVAL"},
		{name: "bad addr", env: with("AUDIOEDIT_HTTP_ADDR", "8765"), wantErr: "AUDIOEDIT_HTTP_ADDR"},
		{name: "bad url", env: with("NEMO_API_URL", "ftp://x"), wantErr: "NEMO_API_URL"},
		{name: "no roots", env: with("AUDIOEDIT_ROOTS", string(filepath.ListSeparator)), wantErr: "AUDIOEDIT_ROOTS"},
		{name: "token is not a flag", env: base, args: []string{"-nemo-token", "x"}, wantErr: "flag provided but not defined"},
		{name: "http token is not a flag", env: base, args: []string{"-http-token", "x"}, wantErr: "flag provided but not defined"},
		{name: "bad allow private", env: with("AUDIOEDIT_ALLOW_PRIVATE_URLS", "maybe"), wantErr: "AUDIOEDIT_ALLOW_PRIVATE_URLS"},
		{name: "bad url timeout", env: with("AUDIOEDIT_URL_TIMEOUT", "0s"), wantErr: "AUDIOEDIT_URL_TIMEOUT"},
		{name: "bad stall timeout", env: with("AUDIOEDIT_URL_STALL_TIMEOUT", "x"), wantErr: "AUDIOEDIT_URL_STALL_TIMEOUT"},
		{name: "bad max jobs", env: with("AUDIOEDIT_MAX_JOBS", "0"), wantErr: "AUDIOEDIT_MAX_JOBS"},
		{name: "bad max queued", env: with("AUDIOEDIT_MAX_QUEUED_JOBS", "x"), wantErr: "AUDIOEDIT_MAX_QUEUED_JOBS"},
		{name: "bad job timeout", env: with("AUDIOEDIT_JOB_TIMEOUT", "-1h"), wantErr: "AUDIOEDIT_JOB_TIMEOUT"},
		{name: "bad max duration", env: with("AUDIOEDIT_MAX_DURATION", "4"), wantErr: "AUDIOEDIT_MAX_DURATION"},
		{name: "bad min rate", env: with("AUDIOEDIT_MIN_SAMPLE_RATE", "0"), wantErr: "AUDIOEDIT_MIN_SAMPLE_RATE"},
		{name: "bad max files", env: with("AUDIOEDIT_MAX_SESSION_FILES", "x"), wantErr: "AUDIOEDIT_MAX_SESSION_FILES"},
		{name: "bad max instruction", env: with("AUDIOEDIT_MAX_INSTRUCTION", "3"), wantErr: "AUDIOEDIT_MAX_INSTRUCTION"},
		{name: "bad origin", env: with("AUDIOEDIT_HTTP_ALLOWED_ORIGINS", "https://ok.example, evil"), wantErr: "AUDIOEDIT_HTTP_ALLOWED_ORIGINS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(tt.args, env(tt.env), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			w := defaults
			tt.want(&w)
			got := want{
				Backend: c.Backend, DataDir: c.DataDir, OutputDir: c.OutputDir, LogLevel: c.LogLevel, HTTPAddr: c.HTTPAddr,
				FFmpeg: c.FFmpeg, NemoToken: c.NemoToken, NemoAPIURL: c.NemoAPIURL, Roots: c.Roots, Poll: c.NemoPollInterval, Command: c.Command,
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadNetwork: the URL and HTTP settings, from env and flags.
func TestLoadNetwork(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	c, err := Load(nil, env(map[string]string{"HOME": home}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.AllowPrivateURLs || c.URLTimeout != 10*time.Minute || c.URLStallTimeout != 30*time.Second || c.HTTPToken != "" || c.HTTPAllowedOrigins != nil {
		t.Errorf("defaults: %v %v %v %q %q", c.AllowPrivateURLs, c.URLTimeout, c.URLStallTimeout, c.HTTPToken, c.HTTPAllowedOrigins)
	}
	c, err = Load([]string{"-url-stall-timeout", "5s"}, env(map[string]string{"HOME": home, "AUDIOEDIT_ALLOW_PRIVATE_URLS": "1",
		"AUDIOEDIT_URL_TIMEOUT": "2m", "AUDIOEDIT_HTTP_TOKEN": " s3cret ", "AUDIOEDIT_HTTP_ALLOWED_ORIGINS": "https://a.example/, http://b.example:8080"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.AllowPrivateURLs || c.URLTimeout != 2*time.Minute || c.URLStallTimeout != 5*time.Second || c.HTTPToken != "s3cret" ||
		!cmp.Equal(c.HTTPAllowedOrigins, []string{"https://a.example", "http://b.example:8080"}) {
		t.Errorf("set: %v %v %v %q %q", c.AllowPrivateURLs, c.URLTimeout, c.URLStallTimeout, c.HTTPToken, c.HTTPAllowedOrigins)
	}
}

func TestLoadHelp(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	_, err := Load([]string{"-h"}, env(map[string]string{"HOME": t.TempDir()}), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(-h) error = %v, want flag.ErrHelp", err)
	}
	for _, s := range []string{"AUDIOEDIT_ROOTS", "NEMO_POLL_INTERVAL", "doctor", "NEMO_TOKEN is read"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("usage lacks %q:\n%s", s, out.String())
		}
	}
}

func TestDataDirFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"linux", map[string]string{"HOME": "/h"}, filepath.Join("/h", ".local", "share", "mcp-audioedit")},
		{"linux", map[string]string{"HOME": "/h", "XDG_DATA_HOME": "/x"}, filepath.Join("/x", "mcp-audioedit")},
		{"linux", map[string]string{"HOME": "/h", "XDG_DATA_HOME": "rel"}, filepath.Join("/h", ".local", "share", "mcp-audioedit")},
		{"darwin", map[string]string{"HOME": "/h"}, filepath.Join("/h", "Library", "Application Support", "mcp-audioedit")},
		{"windows", map[string]string{"LocalAppData": "/l", "HOME": "/h", "USERPROFILE": "/h"}, filepath.Join("/l", "mcp-audioedit")},
	}
	for _, tt := range tests {
		if got := dataDirFor(tt.goos, env(tt.env)); got != tt.want {
			t.Errorf("dataDirFor(%s, %v) = %q, want %q", tt.goos, tt.env, got, tt.want)
		}
	}
}

func TestLoadOwnFlagsAndCommandHelp(t *testing.T) {
	t.Parallel()
	getenv := env(map[string]string{"HOME": t.TempDir()})
	c, err := Load([]string{"-backend", "local", "edit", "in.wav", "-i", "remove noise", "-o", "out.wav"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"edit"}, c.Command); diff != "" {
		t.Errorf("Command (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"in.wav", "-i", "remove noise", "-o", "out.wav"}, c.Args); diff != "" {
		t.Errorf("Args (-want +got):\n%s", diff)
	}
	_, err = Load([]string{"doctor", "--help"}, getenv, io.Discard)
	var he *HelpError
	if !errors.As(err, &he) || !errors.Is(err, flag.ErrHelp) || len(he.Command) != 1 || he.Command[0] != "doctor" {
		t.Errorf("Load(doctor --help) error = %#v, want a HelpError for doctor", err)
	}
}

func TestLoadJobs(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	c, err := Load(nil, env(map[string]string{"HOME": home}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxJobs != 2 || c.MaxQueuedJobs != 32 || c.JobTimeout != 2*time.Hour {
		t.Errorf("defaults: %d %d %v", c.MaxJobs, c.MaxQueuedJobs, c.JobTimeout)
	}
	c, err = Load([]string{"-job-timeout", "30m"}, env(map[string]string{"HOME": home, "AUDIOEDIT_MAX_JOBS": "4", "AUDIOEDIT_MAX_QUEUED_JOBS": "5"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxJobs != 4 || c.MaxQueuedJobs != 5 || c.JobTimeout != 30*time.Minute {
		t.Errorf("set: %d %d %v", c.MaxJobs, c.MaxQueuedJobs, c.JobTimeout)
	}
}

func TestLoadLimits(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	c, err := Load(nil, env(map[string]string{"HOME": home}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxDuration != 4*time.Hour || c.MinSampleRate != 8000 || c.MaxSessionFiles != 50 || c.MaxInstruction != 4096 {
		t.Errorf("defaults: %v %d %d %d", c.MaxDuration, c.MinSampleRate, c.MaxSessionFiles, c.MaxInstruction)
	}
	c, err = Load([]string{"-max-duration", "30m", "-max-session-files", "3"}, env(map[string]string{"HOME": home,
		"AUDIOEDIT_MIN_SAMPLE_RATE": "16000", "AUDIOEDIT_MAX_INSTRUCTION": "100"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxDuration != 30*time.Minute || c.MinSampleRate != 16000 || c.MaxSessionFiles != 3 || c.MaxInstruction != 100 {
		t.Errorf("set: %v %d %d %d", c.MaxDuration, c.MinSampleRate, c.MaxSessionFiles, c.MaxInstruction)
	}
}

// TestRootsSet: only roots the user set (env or flag) bound a client's
// own roots; the default does not.
func TestRootsSet(t *testing.T) {
	home := t.TempDir()
	base := map[string]string{"HOME": home, "TMPDIR": t.TempDir()}
	for _, c := range []struct {
		env  map[string]string
		args []string
		want bool
	}{
		{base, nil, false},
		{map[string]string{"HOME": home, "AUDIOEDIT_ROOTS": home}, nil, true},
		{base, []string{"-roots", home}, true},
	} {
		cfg, err := Load(c.args, env(c.env), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.RootsSet != c.want {
			t.Errorf("env %v args %v: RootsSet = %v, want %v", c.env, c.args, cfg.RootsSet, c.want)
		}
	}
}
