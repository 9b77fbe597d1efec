package tools

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/local"
	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo"
)

var update = flag.Bool("update", false, "rewrite the golden tool schemas in testdata/ and the README tool reference")

// goldenBackends are the backends whose tool definitions are kept in
// testdata: <tool>.json for local, <tool>.<backend>.json for the others.
// Only the annotations differ, from each backend's Capabilities.
var goldenBackends = []struct {
	name, suffix string
	caps         *backend.Capabilities
}{
	{"local", "", &local.Hints},
	{"nemo", ".nemo", &nemo.Hints},
}

// TestToolSchemasGolden snapshots each tool's definition (name,
// description, schemas, annotations) per backend in testdata/, so a schema
// or annotation change shows up in review. Regenerate with go test
// ./internal/tools -update.
func TestToolSchemasGolden(t *testing.T) {
	for _, gb := range goldenBackends {
		all := All(nil, Options{Roots: fsutil.Roots{t.TempDir()}, Capabilities: gb.caps})
		if diff := cmp.Diff([]string{"upload", "edit", "state", "credits", "export", "export_status", "preview"}, names(all)); diff != "" {
			t.Errorf("tool names (-want +got):\n%s", diff)
		}
		for _, tool := range all {
			got, err := json.MarshalIndent(tool.Def, "", "  ")
			if err != nil {
				t.Fatalf("marshal %s: %v", tool.Def.Name, err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tool.Def.Name+gb.suffix+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v: run go test ./internal/tools -update to create it", err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("%s tool %s drifted from %s (-want +got):\n%s\nIf the change is intended, run go test ./internal/tools -update.",
					gb.name, tool.Def.Name, path, cmp.Diff(string(want), string(got)))
			}
		}
	}
}

// TestAnnotationsFromCapabilities: the hints follow the backend: with
// nemo every tool reaches the cloud; state, which can change the current
// session, never claims read-only; without a backend, MCP's defaults.
func TestAnnotationsFromCapabilities(t *testing.T) {
	t.Parallel()
	hints := func(caps *backend.Capabilities) map[string]mcp.ToolAnnotation {
		m := map[string]mcp.ToolAnnotation{}
		for _, tool := range All(nil, Options{Capabilities: caps}) {
			m[tool.Def.Name] = tool.Def.Annotations
		}
		return m
	}
	loc, cloud, none := hints(&local.Hints), hints(&nemo.Hints), hints(nil)
	for _, name := range []string{"upload", "edit", "state", "credits", "export", "export_status"} {
		if !*cloud[name].OpenWorldHint {
			t.Errorf("nemo %s: openWorldHint false", name)
		}
		if !*none[name].OpenWorldHint || !*none[name].DestructiveHint || *none[name].ReadOnlyHint {
			t.Errorf("no backend %s: %+v, want MCP's defaults", name, none[name])
		}
	}
	for _, name := range []string{"edit", "state", "credits", "export", "export_status"} {
		if *loc[name].OpenWorldHint {
			t.Errorf("local %s: openWorldHint true", name)
		}
	}
	if !*loc["upload"].OpenWorldHint {
		t.Errorf("local upload fetches URLs: openWorldHint false")
	}
	if *loc["state"].ReadOnlyHint || *cloud["state"].ReadOnlyHint {
		t.Errorf("state changes the current session but claims read-only")
	}
	if !*loc["credits"].ReadOnlyHint || !*cloud["credits"].ReadOnlyHint {
		t.Errorf("credits should be read-only")
	}
}

// TestToolDefinitions checks what every tool must have: a description,
// all four annotations set explicitly, an object input schema with
// properties, and an output schema.
func TestToolDefinitions(t *testing.T) {
	t.Parallel()
	for _, tool := range All(nil, Options{}) {
		d := tool.Def
		if d.Description == "" || d.Title == "" {
			t.Errorf("%s: missing description or title", d.Name)
		}
		a := d.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil {
			t.Errorf("%s: annotations not all set: %+v", d.Name, a)
		}
		if *a.ReadOnlyHint && *a.DestructiveHint {
			t.Errorf("%s: read-only and destructive", d.Name)
		}
		if d.InputSchema.Type != "object" || d.InputSchema.Properties == nil || d.RawInputSchema != nil {
			t.Errorf("%s: input schema = %+v", d.Name, d.InputSchema)
		}
		if d.OutputSchema.Type != "object" || len(d.OutputSchema.Properties) == 0 {
			t.Errorf("%s: no output schema", d.Name)
		}
		b, _ := json.Marshal(d)
		if strings.Contains(string(b), `"null"`) {
			t.Errorf("%s: schema still has a null type: %s", d.Name, b)
		}
		if tool.Handler == nil {
			t.Errorf("%s: no handler", d.Name)
		}
	}
}

// TestReadmeToolReference checks README.md's tool reference is the one
// generated from the registry.
func TestReadmeToolReference(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read README.md: %v", err)
	}
	want := Markdown(All(nil, Options{Capabilities: &local.Hints}))
	s := string(readme)
	start := strings.Index(s, MarkdownStart)
	end := strings.Index(s, MarkdownEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md lacks the markers %s and %s: add them, then paste the output of go run ./cmd/mcp-audioedit tools-doc between them", MarkdownStart, MarkdownEnd)
	}
	got := s[start+len(MarkdownStart) : end]
	if *update {
		s = s[:start+len(MarkdownStart)] + "\n" + want + s[end:]
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if strings.TrimSpace(got) != strings.TrimSpace(want) {
		t.Errorf("README.md tool reference is stale: run go run ./cmd/mcp-audioedit tools-doc and paste it between the markers (or go test ./internal/tools -update)\n%s",
			cmp.Diff(strings.TrimSpace(want), strings.TrimSpace(got)))
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	md := Markdown(All(nil, Options{Capabilities: &local.Hints}))
	for _, want := range []string{
		"### `upload` — Upload media",
		"| `paths` | string[] | no |",
		"| `instruction` | string | yes |",
		"| `format` | string | no | Output format, default mp4. Audio only: mp3 wav m4a aac. One of `mp4`, `mov`",
		"| `job_id` | string | yes |",
		"_read-only, idempotent_",
		"No arguments.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	// Input fields keep their declaration order.
	if i, j := strings.Index(md, "`paths`"), strings.Index(md, "`urls`"); i < 0 || j < i {
		t.Errorf("paths should come before urls")
	}
}

func TestCheckArgs(t *testing.T) {
	t.Parallel()
	defs := map[string]mcp.Tool{}
	for _, tool := range All(nil, Options{}) {
		defs[tool.Def.Name] = tool.Def
	}
	tests := []struct {
		tool, args, want string // want "" means valid
	}{
		{"upload", `{"paths":["/a.wav"],"session_id":"s"}`, ""},
		{"upload", `{"path":"/a.wav"}`, `Unknown argument "path": upload takes paths, urls, session_id, new_session.`},
		{"upload", `{"paths":[1]}`, `Argument "paths" must be an array of strings, got [1]`},
		{"edit", `{}`, `Missing argument "instruction": edit needs it`},
		{"edit", `{"instruction":null}`, `Missing argument "instruction"`},
		{"export", `{"format":"exe"}`, `Argument "format" is "exe"; use one of mp4, mov, mkv, webm, mp3, wav, m4a, aac.`},
		{"export", `{"format":"mp3","wait_seconds":10}`, ""},
		{"export", `{"wait_seconds":1.5}`, `Argument "wait_seconds" must be an integer, got 1.5`},
		{"export", `{"wait_seconds":"ten"}`, `Argument "wait_seconds" must be an integer, got "ten"`},
		{"credits", `{"x":1}`, `Unknown argument "x": credits takes no arguments.`},
		{"credits", `{}`, ""},
	}
	for _, tt := range tests {
		raw := map[string]json.RawMessage{}
		if err := json.Unmarshal([]byte(tt.args), &raw); err != nil {
			t.Fatal(err)
		}
		got := checkArgs(defs[tt.tool], raw)
		if (tt.want == "") != (got == "") || !strings.HasPrefix(got, tt.want) {
			t.Errorf("checkArgs(%s, %s) = %q, want prefix %q", tt.tool, tt.args, got, tt.want)
		}
	}
}

func TestCoerceArrays(t *testing.T) {
	t.Parallel()
	def := upload(newDeps(nil, Options{})).Def
	raw := map[string]json.RawMessage{"paths": json.RawMessage(`"/a.wav"`), "session_id": json.RawMessage(`"s"`)}
	if !coerceArrays(def, raw) || string(raw["paths"]) != `["/a.wav"]` || string(raw["session_id"]) != `"s"` {
		t.Errorf("coerceArrays: %s", raw)
	}
}
