package nemo

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo/nemotest"
)

func newClient(t *testing.T, fake *nemotest.Server, mod ...func(*Config)) *Client {
	cfg := testConfig(t, fake)
	for _, m := range mod {
		m(&cfg)
	}
	c, err := NewClient(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPlatform(t *testing.T) {
	t.Parallel()
	tests := []struct{ source, client, exec, want string }{
		{"", "", "/home/u/.clawhub/skills/x/bin", "clawhub"},
		{"", "", "/home/u/.cursor/skills/x/bin", "cursor"},
		{"", "", "/usr/local/bin/mcp-audioedit", "unknown"},
		{"custom", "", "/home/u/.cursor/skills/x/bin", "custom"},
		{"", "", `C:\Users\u\.cursor\skills\x.exe`, "unknown"}, // backslashes only on Windows
		// The MCP client's name (issue 12, item 3).
		{"custom", "claude-code", "/usr/local/bin/x", "custom"},
		{"", "claude-code", "/home/u/.clawhub/skills/x/bin", "claude_code"},
		{"", "Claude-Code (CLI)", "", "claude_code"},
		{"", "claude-ai", "", "claude_desktop"},
		{"", "Claude Desktop", "", "claude_desktop"},
		{"", "Cursor", "", "cursor"},
		{"", "cursor-vscode", "", "cursor"},
		{"", "Visual Studio Code", "", "vscode"},
		{"", "vscode-copilot", "", "vscode"},
		{"", "Windsurf Editor", "", "windsurf"},
		{"", "Zed  Editor/1.2", "", "zed_editor_1_2"},
		{"", "  ", "/usr/local/bin/x", "unknown"},
		{"", "An Extremely Long Client Name That Goes On And On", "", "an_extremely_long_client_name_th"},
		{"", "客户端 X", "", "_x"},
	}
	for _, tt := range tests {
		if got := Platform(tt.source, tt.client, tt.exec); got != tt.want {
			t.Errorf("Platform(%q, %q, %q) = %q, want %q", tt.source, tt.client, tt.exec, got, tt.want)
		}
	}
}

// TestPlatformFollowsClientName: every request after the client's name
// is known carries the platform made from it.
func TestPlatformFollowsClientName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	if _, err := e.b.Credits(ctx); err != nil {
		t.Fatal(err)
	}
	n := len(e.fake.Requests())
	e.b.SetClientName("claude-ai")
	if _, err := e.b.Credits(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	if got := reqs[0].Header.Get("X-Skill-Platform"); got != "unknown" {
		t.Errorf("before initialize: %q", got)
	}
	for _, r := range reqs[n:] {
		if got := r.Header.Get("X-Skill-Platform"); got != "claude_desktop" {
			t.Errorf("%s %s: X-Skill-Platform %q", r.Method, r.Path, got)
		}
	}
}

func TestHeadersOnEveryCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.ExecPath = "/home/u/.cursor/skills/audio/bin/mcp-audioedit" })
	ctx := ctxT(t)
	if _, err := e.b.Edit(ctx, editReq("", "add a title")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.Credits(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	if len(reqs) < 5 {
		t.Fatalf("only %d requests", len(reqs))
	}
	for _, r := range reqs {
		if r.Header.Get("X-Skill-Source") != "audio-editor-free" || r.Header.Get("X-Skill-Version") == "" || r.Header.Get("X-Skill-Platform") != "cursor" {
			t.Errorf("%s %s: attribution headers %v", r.Method, r.Path, r.Header)
		}
		if r.Path == "/api/auth/anonymous-token" {
			if r.Header.Get("Authorization") != "" || r.Header.Get("X-Client-Id") == "" {
				t.Errorf("token call headers: %v", r.Header)
			}
			continue
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer nmv_usr_") {
			t.Errorf("%s %s: no bearer", r.Method, r.Path)
		}
	}
}

func TestMissingHeaderIs402(t *testing.T) {
	t.Parallel()
	fake := nemotest.New(t)
	req, _ := http.NewRequest(http.MethodGet, fake.URL+"/api/credits/balance/simple", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestClientIDPersisted(t *testing.T) {
	t.Parallel()
	fake := nemotest.New(t)
	dir := t.TempDir()
	c1 := newClient(t, fake, func(c *Config) { c.ConfigDir = dir })
	c2 := newClient(t, fake, func(c *Config) { c.ConfigDir = dir })
	if c1.ClientID() == "" || c1.ClientID() != c2.ClientID() {
		t.Fatalf("client ids %q %q", c1.ClientID(), c2.ClientID())
	}
	fi, err := os.Stat(filepath.Join(dir, "client_id"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("client_id file: %v %v", fi, err)
	}
	c3 := newClient(t, fake, func(c *Config) { c.ConfigDir = dir; c.ClientID = "from-env" })
	if c3.ClientID() != "from-env" {
		t.Fatal("NEMO_CLIENT_ID not used")
	}
}

func TestTokenReusedAfterRestart(t *testing.T) {
	t.Parallel()
	fake := nemotest.New(t)
	dir := t.TempDir()
	ctx := ctxT(t)
	c1 := newClient(t, fake, func(c *Config) { c.ConfigDir = dir; c.DataDir = dir })
	if _, err := c1.Credits(ctx); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(tokenPath(dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}
	// A second process: the fake would answer 429 to a second token request.
	c2 := newClient(t, fake, func(c *Config) { c.ConfigDir = dir; c.DataDir = dir })
	if _, err := c2.Credits(ctx); err != nil {
		t.Fatal(err)
	}
	if n := fake.Count(http.MethodPost, "/api/auth/anonymous-token"); n != 1 {
		t.Fatalf("%d token calls, want 1", n)
	}
}

func TestConfigTokenUsedAsIs(t *testing.T) {
	t.Parallel()
	fake := nemotest.New(t)
	fake.AddToken("nmv_usr_registered")
	c := newClient(t, fake, func(c *Config) { c.Token = "nmv_usr_registered" })
	if _, err := c.Credits(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := fake.Count(http.MethodPost, "/api/auth/anonymous-token"); n != 0 {
		t.Fatalf("%d token calls with NEMO_TOKEN set", n)
	}
	if c.Anonymous() {
		t.Error("a given token counts as registered")
	}
}

func TestReauthOnce(t *testing.T) {
	t.Parallel()
	for _, code := range []int{1001, 1010, 1011, 401} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			fake := nemotest.New(t)
			fake.SetTokenError(code)
			c := newClient(t, fake)
			ctx := ctxT(t)
			if _, err := c.Credits(ctx); err != nil {
				t.Fatal(err)
			}
			id := c.ClientID()
			fake.ExpireTokens()
			if _, err := c.Credits(ctx); err != nil {
				t.Fatalf("after expiry: %v", err)
			}
			if n := fake.Count(http.MethodPost, "/api/auth/anonymous-token"); n != 2 {
				t.Fatalf("%d token calls, want 2", n)
			}
			reqs := fake.Requests()
			var ids []string
			for _, r := range reqs {
				if r.Path == "/api/auth/anonymous-token" {
					ids = append(ids, r.Header.Get("X-Client-Id"))
				}
			}
			if ids[0] != id || ids[1] != id {
				t.Fatalf("client ids %v, want %s twice", ids, id)
			}
		})
	}
}

func TestReauthNotLooping(t *testing.T) {
	t.Parallel()
	fake := nemotest.New(t)
	fake.SetTokenWindow(0)
	c := newClient(t, fake)
	ctx := ctxT(t)
	if _, err := c.Credits(ctx); err != nil {
		t.Fatal(err)
	}
	fake.RejectTokens(true)
	_, err := c.Credits(ctx)
	if !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("err = %v, want ErrTokenExpired", err)
	}
	if got := fake.Count(http.MethodGet, "/api/credits/balance/simple"); got != 3 {
		t.Fatalf("%d credit calls, want 3 (1 ok + 1 + one retry)", got)
	}
	if got := fake.Count(http.MethodPost, "/api/auth/anonymous-token"); got != 2 {
		t.Fatalf("%d token calls, want 2", got)
	}
}

func TestDownloadNoBearerToOtherHost(t *testing.T) {
	t.Parallel()
	fake := nemotest.New(t)
	var auth []string
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		_, _ = io.WriteString(w, "bytes")
	}))
	defer cdn.Close()
	c := newClient(t, fake)
	ctx := ctxT(t)
	if _, err := c.Credits(ctx); err != nil { // holds a token now
		t.Fatal(err)
	}
	rc, err := c.Download(ctx, "render_x", cdn.URL+"/o.mp4")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "bytes" || len(auth) != 1 || auth[0] != "" {
		t.Fatalf("body %q, auth %q", b, auth)
	}
}

func TestRateLimitRetryOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter string
		limits     int
		wantErr    bool
		minWait    time.Duration
	}{
		{"no header uses RetryWait", "", 1, false, 5 * time.Millisecond},
		{"retry-after honoured", "1", 1, false, time.Second},
		{"second 429 fails", "", 2, true, 0},
		{"retry-after too long fails at once", "3600", 1, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := nemotest.New(t)
			c := newClient(t, fake)
			ctx := ctxT(t)
			if _, err := c.Credits(ctx); err != nil {
				t.Fatal(err)
			}
			fake.SetRetryAfter(tt.retryAfter)
			fake.RateLimit("/api/credits/balance/simple", tt.limits)
			start := time.Now()
			_, err := c.Credits(ctx)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, ErrRateLimited) {
				t.Fatalf("err = %v, want ErrRateLimited", err)
			}
			if el := time.Since(start); el < tt.minWait {
				t.Fatalf("waited %v, want >= %v", el, tt.minWait)
			}
		})
	}
}

func TestTokenRateLimitedPerClient(t *testing.T) {
	t.Parallel()
	fake := nemotest.New(t)
	dir1, dir2 := t.TempDir(), t.TempDir()
	ctx := ctxT(t)
	c1 := newClient(t, fake, func(c *Config) { c.DataDir = dir1; c.ClientID = "same" })
	if _, err := c1.Credits(ctx); err != nil {
		t.Fatal(err)
	}
	// Same client id, no saved token: the fake's window says 429, twice.
	c2 := newClient(t, fake, func(c *Config) { c.DataDir = dir2; c.ClientID = "same" })
	_, err := c2.Credits(ctx)
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if n := fake.Count(http.MethodPost, "/api/auth/anonymous-token"); n != 3 {
		t.Fatalf("%d token calls, want 3 (1 + one retry)", n)
	}
}

func TestMissingClientIDRetried(t *testing.T) {
	t.Parallel()
	fake := nemotest.New(t)
	fake.FailClientIDOnce(1)
	c := newClient(t, fake)
	old := c.ClientID()
	if _, err := c.Credits(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if c.ClientID() == old {
		t.Fatal("client id not renewed after 400")
	}
}

// TestClientIDFromSkills: an id the skills made with their fallback
// ("client-<ts>-<random>", SKILL.md v1.5-v1.9 section 1) is used as it
// is and never overwritten, not even when a 400 makes this process use
// another id (issue 12, item 7).
func TestClientIDFromSkills(t *testing.T) {
	t.Parallel()
	fake := nemotest.New(t)
	dir := t.TempDir()
	const skillID = "client-1764547200-12345"
	if err := os.WriteFile(filepath.Join(dir, "client_id"), []byte(skillID+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, fake, func(c *Config) { c.ConfigDir = dir })
	if c.ClientID() != skillID {
		t.Fatalf("client id %q, want the skills' %q", c.ClientID(), skillID)
	}
	fake.FailClientIDOnce(1)
	if _, err := c.Credits(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	if got := reqs[0].Header.Get("X-Client-Id"); got != skillID {
		t.Errorf("first token call sent X-Client-Id %q", got)
	}
	b, err := os.ReadFile(filepath.Join(dir, "client_id"))
	if err != nil || string(b) != skillID+"\n" {
		t.Fatalf("client_id file now %q (%v): the skills' id was overwritten", b, err)
	}
	// An empty or garbled file is replaced by a UUID.
	dir2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir2, "client_id"), []byte("not an id!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c2 := newClient(t, fake, func(c *Config) { c.ConfigDir = dir2 })
	if _, err := uuid.Parse(c2.ClientID()); err != nil {
		t.Fatalf("garbled file: client id %q", c2.ClientID())
	}
}

// TestTokenKeptOutOfSharedFolder: the anonymous token goes to our own
// data folder (0600), never to the skills' folder, which they declare
// free of credentials (SKILL.md v1.8-v1.9 section 1).
func TestTokenKeptOutOfSharedFolder(t *testing.T) {
	t.Parallel()
	fake := nemotest.New(t)
	shared, data := t.TempDir(), t.TempDir()
	c := newClient(t, fake, func(c *Config) { c.ConfigDir = shared; c.DataDir = data })
	if _, err := c.Credits(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(shared)
	if len(ents) != 1 || ents[0].Name() != "client_id" {
		t.Errorf("shared folder holds %v, want only client_id", ents)
	}
	fi, err := os.Stat(filepath.Join(data, "token.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file in the data folder: %v %v", fi, err)
	}
}

func TestEnvelopeShapes(t *testing.T) {
	t.Parallel()
	for _, shape := range []int{nemotest.EnvelopeCode, nemotest.EnvelopeSuccess, nemotest.EnvelopeBare} {
		t.Run([]string{"code", "success", "bare"}[shape], func(t *testing.T) {
			t.Parallel()
			fake := nemotest.New(t)
			fake.SetEnvelope(shape)
			c := newClient(t, fake)
			ctx := ctxT(t)
			s, err := c.CreateSession(ctx, "")
			if err != nil || s.SessionID == "" || s.TaskID == "" {
				t.Fatalf("session %+v %v", s, err)
			}
			st, err := c.State(ctx, s.SessionID)
			if err != nil || string(st.Draft) == "" || st.SessionID != s.SessionID {
				t.Fatalf("state %+v %v", st, err)
			}
			b, err := c.Credits(ctx)
			if err != nil || b.Available != 100 || b.Total != 100 {
				t.Fatalf("credits %+v %v", b, err)
			}
			if link := c.TaskLink(s.TaskID, s.SessionID); link != DefaultWebURL+"/workspace/task/"+s.TaskID+"?session="+s.SessionID {
				t.Fatalf("link %q", link)
			}
			fake.LoseSession(s.SessionID)
			if _, err := c.State(ctx, s.SessionID); !errors.Is(err, ErrSessionNotFound) {
				t.Fatalf("lost session: %v", err)
			}
		})
	}
}

func TestNoTokenInURLs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	writeMedia(t, e, "a.mp4")
	if _, err := e.b.Export(ctx, exportReq(e, "")); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.fake.Requests() {
		for _, tok := range e.fake.Tokens() {
			if strings.Contains(r.Path, tok) || strings.Contains(string(r.Body), tok) {
				t.Errorf("token in %s %s", r.Method, r.Path)
			}
		}
	}
}

func TestUploadStreamsFromDisk(t *testing.T) {
	// Not parallel: it measures allocations.
	fake := nemotest.New(t)
	c := newClient(t, fake)
	ctx := ctxT(t)
	s, err := c.CreateSession(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	p := filepath.Join(t.TempDir(), "big.mp4")
	f, _ := os.Create(p)
	f.Truncate(size) // sparse: reads zeros
	f.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := c.UploadFiles(ctx, s.SessionID, []string{p})
	runtime.ReadMemStats(&after)
	if err != nil || len(r.Files) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	// Client and fake together allocate far less than the file: it was streamed.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Fatalf("allocated %d MB for a %d MB upload", alloc>>20, size>>20)
	}
}

func TestServerEchoOfTokenRedacted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	if _, err := e.b.Credits(ctx); err != nil {
		t.Fatal(err)
	}
	tok := e.fake.Tokens()[0]
	e.fake.Script(nemotest.Reply{Status: http.StatusInternalServerError, Body: `{"detail":"bad bearer ` + tok + `"}`})
	_, err := e.b.Edit(ctx, editReq("", "add a title"))
	e.note(err)
	if err == nil || strings.Contains(err.Error(), tok) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("err = %v", err)
	}
}
