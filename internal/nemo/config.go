package nemo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	mcpaudioedit "github.com/mcp-audioedit/mcp-audioedit"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
)

// Defaults.
const (
	DefaultAPIURL   = "https://mega-api-prod.nemovideo.ai"
	DefaultWebURL   = "https://nemovideo.com"
	DefaultLanguage = "en"
	// SkillSource is the X-Skill-Source header value.
	SkillSource = "audio-editor-free"
	// MaxUploadSize is the largest file the API accepts (500 MB).
	MaxUploadSize = 500 << 20
)

// SupportedFormats are the file extensions the API accepts for upload.
var SupportedFormats = []string{"mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac"}

// Config configures the client and the backend. The zero value of every
// field but the store and logger gives the production behaviour.
type Config struct {
	// APIURL is the API base (env NEMO_API_URL); default DefaultAPIURL.
	// It may carry a path prefix.
	APIURL string
	// WebURL is the web app (env NEMO_WEB_URL), used in links; default DefaultWebURL.
	WebURL string
	// Token is a bearer token used as is (env NEMO_TOKEN). Empty: an
	// anonymous token is requested with the client id. When the API
	// rejects it, the client falls back once to an anonymous token (and
	// says so in every result) unless TokenStrict is set.
	Token string
	// TokenStrict (env NEMO_TOKEN_STRICT=1) makes a rejected Token an
	// error instead of a fallback to an anonymous token.
	TokenStrict bool
	// ClientID identifies this install (env NEMO_CLIENT_ID). Empty: the id
	// in ConfigDir/client_id, used as it is whoever made it (a UUID, or
	// the skills' own "client-<ts>-<random>"), else a UUID created there
	// once (0600).
	ClientID string
	// ConfigDir holds client_id, shared with NemoVideo's skills; default
	// $HOME/.config/nemovideo on every OS (the skills' literal path). No
	// credentials go there.
	ConfigDir string
	// DataDir holds the anonymous token (token.json, 0600); default
	// <os.UserConfigDir()>/mcp-audioedit/nemo.
	DataDir string
	// SkillSource overrides the detected platform (env SKILL_SOURCE).
	SkillSource string
	// SkillName and SkillVersion are sent as attribution; default from
	// SKILL.md's frontmatter (mcpaudioedit.Skill).
	SkillName, SkillVersion string
	// ExecPath is the install path the platform is detected from;
	// default os.Executable().
	ExecPath string
	// PollInterval paces render polling and disconnect recovery (env
	// NEMO_POLL_INTERVAL); default 30s. Recovery waits 1x, then 2x.
	PollInterval time.Duration
	// MaxPolls caps the render status polls of one export or
	// export_status call (the skills poll every 30 s, 10 times); a render
	// still running then is reported as such, with its job and render id.
	// Default 10.
	MaxPolls int
	// Transcode converts the cloud's mp4 (src) into another format at dst
	// (quality high, medium or low), atomically. The cloud renders mp4
	// only; nil (no ffmpeg here) refuses other formats with the reason.
	// Main injects one built on internal/engine.
	Transcode func(ctx context.Context, src, dst, format, quality string) error
	// RetryWait is the wait before retrying a 429 without Retry-After;
	// default 30s.
	RetryWait time.Duration
	// MaxRetryWait caps a Retry-After the client will sit out; a longer
	// one fails at once. Default 2 minutes.
	MaxRetryWait time.Duration
	// StuckAfter gives up on a stream that sent only keep-alives for this
	// long; default 10 minutes.
	StuckAfter time.Duration
	// StreamTimeout caps one message stream; default 15 minutes.
	StreamTimeout time.Duration
	// CallTimeout caps one API call but a message stream, an upload or a
	// download (their own limits apply); default 3 minutes (it covers a
	// 429 wait).
	CallTimeout time.Duration
	// UploadTimeout caps one upload request; default 30 minutes.
	UploadTimeout time.Duration
	// RecoveryReads is how many unchanged state reads after a broken
	// stream mean failure; default 5.
	RecoveryReads int
	// OutputDir receives exports without an output path; default the
	// current directory.
	OutputDir string
	// Language is the session language (ISO code: en, zh-CN, ja, es);
	// default "en".
	Language string
	// HTTPClient sends the requests; default a client without a timeout
	// (streams are long; every call carries a context).
	HTTPClient *http.Client
}

// withDefaults returns c with every empty field filled.
func (c Config) withDefaults() (Config, error) {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.WebURL == "" {
		c.WebURL = DefaultWebURL
	}
	c.WebURL = strings.TrimRight(c.WebURL, "/")
	if c.SkillName == "" || c.SkillVersion == "" {
		n, v := mcpaudioedit.Skill()
		if c.SkillName == "" {
			c.SkillName = n
		}
		if c.SkillVersion == "" {
			c.SkillVersion = v
		}
	}
	if c.ExecPath == "" {
		c.ExecPath, _ = os.Executable()
	}
	if c.ConfigDir == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return c, fmt.Errorf("nemo config: no home folder (set ConfigDir): %w", err)
		}
		c.ConfigDir = filepath.Join(h, ".config", "nemovideo")
	}
	if c.DataDir == "" {
		d, err := os.UserConfigDir()
		if err != nil {
			return c, fmt.Errorf("nemo config: no user config dir (set DataDir): %w", err)
		}
		c.DataDir = filepath.Join(d, "mcp-audioedit", "nemo")
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 30 * time.Second
	}
	if c.MaxPolls <= 0 {
		c.MaxPolls = 10
	}
	if c.RetryWait <= 0 {
		c.RetryWait = 30 * time.Second
	}
	if c.MaxRetryWait <= 0 {
		c.MaxRetryWait = 2 * time.Minute
	}
	if c.StuckAfter <= 0 {
		c.StuckAfter = 10 * time.Minute
	}
	if c.StreamTimeout <= 0 {
		c.StreamTimeout = 15 * time.Minute
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 3 * time.Minute
	}
	if c.UploadTimeout <= 0 {
		c.UploadTimeout = 30 * time.Minute
	}
	if c.RecoveryReads <= 0 {
		c.RecoveryReads = 5
	}
	if c.Language == "" {
		c.Language = DefaultLanguage
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	return c, nil
}

// Platform is the X-Skill-Platform value, first match: source (env
// SKILL_SOURCE) when set; else the MCP client's name (clientInfo.name
// from initialize, see ClientPlatform); else "clawhub" or "cursor" from
// the install path; else "unknown".
func Platform(source, clientName, execPath string) string {
	if s := strings.TrimSpace(source); s != "" {
		return s
	}
	if p := ClientPlatform(clientName); p != "" {
		return p
	}
	p := filepath.ToSlash(execPath)
	switch {
	case strings.Contains(p, "/.clawhub/"):
		return "clawhub"
	case strings.Contains(p, "/.cursor/skills/"):
		return "cursor"
	}
	return "unknown"
}

// maxPlatform caps a platform made from a client's name.
const maxPlatform = 32

// ClientPlatform maps an MCP client's name to a platform: a name holding
// "claude-code" is claude_code; "claude-ai" or "claude desktop",
// claude_desktop; "cursor", cursor; "visual studio code" or "vscode",
// vscode; "windsurf", windsurf (case ignored). Any other name is
// lower-cased with each run of characters outside [a-z0-9] written as
// one "_", 32 characters at most. A blank name gives "".
func ClientPlatform(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	switch {
	case n == "":
		return ""
	case strings.Contains(n, "claude-code"):
		return "claude_code"
	case strings.Contains(n, "claude-ai"), strings.Contains(n, "claude desktop"):
		return "claude_desktop"
	case strings.Contains(n, "cursor"):
		return "cursor"
	case strings.Contains(n, "visual studio code"), strings.Contains(n, "vscode"):
		return "vscode"
	case strings.Contains(n, "windsurf"):
		return "windsurf"
	}
	var b strings.Builder
	run := false
	for _, r := range n {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			run = false
		} else if !run {
			b.WriteByte('_')
			run = true
		}
		if b.Len() >= maxPlatform {
			break
		}
	}
	return b.String()
}

// validClientID accepts the ids the skills make: a UUID, or their
// fallback "client-<ts>-<random>" (SKILL.md v1.5 to v1.9, section 1);
// any short run of letters, digits, '.', '_', ':' and '-'.
func validClientID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r)
		if !ok {
			return false
		}
	}
	return true
}

// readClientID returns the valid id in dir/client_id, or "".
func readClientID(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "client_id"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read client id: %w", err)
	}
	if id := strings.TrimSpace(string(b)); validClientID(id) {
		return id, nil
	}
	return "", nil
}

// loadClientID returns the id in dir/client_id as it is (the skills'
// "client-<ts>-<random>" included), creating a UUID there (0600) only
// when the file is absent, empty or not an id.
func loadClientID(dir string) (string, error) {
	id, err := readClientID(dir)
	if err != nil || id != "" {
		return id, err
	}
	return newClientID(dir)
}

// newClientID writes a fresh UUID to dir/client_id (0600) unless the
// file holds a valid id already (one the skills made is never
// overwritten); the fresh id is returned either way.
func newClientID(dir string) (string, error) {
	id := uuid.NewString()
	if cur, err := readClientID(dir); err != nil || cur != "" {
		return id, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("save client id: %w", err)
	}
	if _, err := fsutil.WriteFile(filepath.Join(dir, "client_id"), strings.NewReader(id+"\n"), true); err != nil {
		return "", fmt.Errorf("save client id: %w", err)
	}
	return id, nil
}

// savedToken is the anonymous token as kept on disk (0600): the API
// issues one per client id per 7 days, so a restart must reuse it.
type savedToken struct {
	Token     string    `json:"token,omitempty"`
	UserID    string    `json:"user_id,omitempty"`
	ClientID  string    `json:"client_id"`
	IssuedAt  time.Time `json:"issued_at,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitempty"`
}

func tokenPath(dir string) string { return filepath.Join(dir, "token.json") }

// readToken returns the saved record, with or without a token.
func readToken(dir string) (savedToken, bool) {
	b, err := os.ReadFile(tokenPath(dir))
	if err != nil {
		return savedToken{}, false
	}
	var t savedToken
	if json.Unmarshal(b, &t) != nil {
		return savedToken{}, false
	}
	return t, true
}

func loadToken(dir, clientID string) (savedToken, bool) {
	t, ok := readToken(dir)
	if !ok || t.Token == "" || t.ClientID != clientID {
		return savedToken{}, false
	}
	if !t.ExpiresAt.IsZero() && time.Now().After(t.ExpiresAt) {
		return savedToken{}, false
	}
	return t, true
}

func saveToken(dir string, t savedToken) error {
	b, _ := json.Marshal(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	if _, err := fsutil.WriteFile(tokenPath(dir), strings.NewReader(string(b)), true); err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	return nil
}

// forgetToken drops the saved token but keeps when it was issued, which
// dates the end of the one-token-per-7-days limit.
func forgetToken(dir string) {
	t, ok := readToken(dir)
	if !ok || t.Token == "" {
		return
	}
	t.Token, t.ExpiresAt = "", time.Time{}
	if t.IssuedAt.IsZero() {
		_ = os.Remove(tokenPath(dir))
		return
	}
	_ = saveToken(dir, t)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
