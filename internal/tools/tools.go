// Package tools is the MCP face of mcp-audioedit: it defines the tools an
// agent calls (upload, edit, state, credits, export, export_status), their
// typed input and output schemas, and the server that serves them. It is
// the only package that knows MCP; the tools call a backend.Backend.
package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
)

// ServerName is the name the server reports in initialize.
const ServerName = "mcp-audioedit"

// Instructions tell the agent how the tools fit together; the server sends
// them in its initialize result.
const Instructions = `mcp-audioedit edits audio and video files on the user's behalf.
Workflow: upload -> edit -> state -> export.
1. upload: pass absolute file paths (or http(s) URLs). Never send file contents or base64.
2. edit: describe the change in plain language, e.g. "remove background noise, trim silence and normalize to -16 LUFS". Call edit once per request; it returns what was applied.
3. state: read the timeline summary, media and edit history to check the result.
4. export: render to a file (mp4 by default; mp3/wav/m4a/aac for audio only). Exports wait up to wait_seconds (default 45); a job still running comes back with a job_id: call export_status with that job_id until its status is completed, then give the user the path.
credits shows the account balance. Tools that fail return a sentence saying what to do next: follow it.`

// Options configures the tools and the server.
type Options struct {
	// Roots are the folders the tools may read from and write to; every
	// path argument is checked against them before the backend sees it.
	// A client that offers roots (MCP roots/list) uses its own instead:
	// see roots.go.
	Roots fsutil.Roots
	// RootsBound says the user set Roots (AUDIOEDIT_ROOTS): a client's
	// roots are then narrowed to them, never wider.
	RootsBound bool
	// RootsTimeout bounds the wait for a client's roots/list answer; 0
	// means DefaultRootsTimeout.
	RootsTimeout time.Duration
	// Version is the server version reported to clients.
	Version string
	// Logger receives call logs and internal errors; nil means none.
	Logger *zap.Logger
	// ClientLog, teed into the backend's logger, sends its warnings to the
	// clients; nil means only job events reach them.
	ClientLog *ClientLog
	// Capabilities say what the tools do when there is no backend (the
	// tool reference, schema goldens); with a backend its own are used.
	// Neither gives MCP's defaults (backend.UnknownHints).
	Capabilities *backend.Capabilities
	// Folders are where the server writes (data, output, temp folders):
	// a "disk full" error names the fullest of them.
	Folders []string

	clientRoots *clientRoots // set by NewServer
}

// Tool is one MCP tool: its definition (name, description, schemas,
// annotations) and the handler that serves it.
type Tool struct {
	// Def is the tool's definition as listed by tools/list.
	Def mcp.Tool
	// Handler serves tools/call for the tool.
	Handler server.ToolHandlerFunc
}

// All returns every tool, in the order they are listed: the single registry
// the server, the README reference and the golden schema tests read.
func All(b backend.Backend, opts Options) []Tool {
	d := newDeps(b, opts)
	return []Tool{
		upload(d),
		edit(d),
		state(d),
		credits(d),
		export(d),
		exportStatus(d),
		preview(d),
	}
}

// NewServer returns an MCP server serving All(b, opts), with progress
// notifications ordered before results, panic recovery and call logging.
func NewServer(b backend.Backend, opts Options) *server.MCPServer {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	hooks := &server.Hooks{}
	if ender, ok := b.(backend.ClientSessionEnder); ok {
		hooks.AddOnUnregisterSession(func(ctx context.Context, cs server.ClientSession) { ender.EndClientSession(cs.SessionID()) })
	}
	hooks.AddOnError(func(ctx context.Context, id any, method mcp.MCPMethod, message any, err error) {
		log.Warn("mcp request failed", zap.String("method", string(method)), zap.Error(err))
	})
	if cn, ok := b.(backend.ClientNamer); ok {
		hooks.AddAfterInitialize(func(ctx context.Context, id any, req *mcp.InitializeRequest, res *mcp.InitializeResult) {
			cn.SetClientName(req.Params.ClientInfo.Name)
		})
	}
	cl := opts.ClientLog
	if cl == nil {
		cl = NewClientLog()
	}
	cl.hooks(hooks)
	opts.clientRoots = newClientRoots(opts, log)
	x := newExtras(newDeps(b, opts), cl)
	s := server.NewMCPServer(ServerName, version, append([]server.ServerOption{
		server.WithInstructions(Instructions),
		server.WithToolCapabilities(false),
		server.WithLogging(),
		server.WithHooks(hooks),
		// Results are checked against the output schemas. Arguments are
		// checked by each tool (see typed) rather than by mcp-go's input
		// validator, whose messages print Go structs instead of the fix.
		server.WithOutputSchemaValidation(),
		// Middlewares run outermost first: log the call, order progress
		// before the result, then recover panics in the handler.
		server.WithToolHandlerMiddleware(logMiddleware(log)),
		server.WithToolHandlerMiddleware(progressMiddleware(log, defaultProgressInterval)),
		server.WithRecovery(),
	}, x.serverOptions(hooks)...)...)
	for _, t := range All(b, opts) {
		s.AddTool(t.Def, t.Handler)
	}
	x.register(s) // resources, prompts, client log: resources.go
	opts.clientRoots.register(s, hooks)
	return s
}

// deps is what every tool handler needs.
type deps struct {
	b       backend.Backend
	roots   fsutil.Roots
	log     *zap.Logger
	caps    backend.Capabilities
	folders []string
	cr      *clientRoots // nil: the configured roots only
}

func newDeps(b backend.Backend, opts Options) *deps {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	caps := backend.Capabilities{
		Upload: backend.UnknownHints, Edit: backend.UnknownHints, State: backend.UnknownHints,
		Credits: backend.UnknownHints, Export: backend.UnknownHints, ExportStatus: backend.UnknownHints,
	}
	switch {
	case b != nil:
		caps = b.Capabilities()
	case opts.Capabilities != nil:
		caps = *opts.Capabilities
	}
	return &deps{b: b, roots: opts.Roots, log: log, caps: caps, folders: opts.Folders, cr: opts.clientRoots}
}

// annotations sets the display title and all four hints explicitly, from
// what the backend says the tool does (mcp.NewTool would default a tool
// to destructive and open-world).
func annotations(title string, h backend.ToolHints) mcp.ToolOption {
	return func(t *mcp.Tool) {
		t.Title = title
		t.Annotations = mcp.ToolAnnotation{
			Title:           title,
			ReadOnlyHint:    mcp.ToBoolPtr(h.ReadOnly),
			DestructiveHint: mcp.ToBoolPtr(h.Destructive),
			IdempotentHint:  mcp.ToBoolPtr(h.Idempotent),
			OpenWorldHint:   mcp.ToBoolPtr(h.OpenWorld),
		}
	}
}

// typed wraps a handler with typed input: it checks the arguments against
// the tool's input schema (unknown names, missing required fields, enums,
// types), with a message that says how to fix the call, binds them, and
// hands the raw argument object along so handlers can tell an absent field
// from a zero one.
func typed[In any](d *deps, def mcp.Tool, h func(ctx context.Context, in In, raw map[string]json.RawMessage) (*mcp.CallToolResult, error)) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		// The backend keeps the current session per MCP client session; a
		// client without one (stateless HTTP) has no current session.
		clientID := ""
		if cs := server.ClientSessionFromContext(ctx); cs != nil {
			clientID = cs.SessionID()
		}
		ctx = backend.WithClientSession(ctx, clientID)
		ctx = d.cr.apply(ctx) // the client's roots, when it offers them
		var in In
		raw := map[string]json.RawMessage{}
		if req.Params.Arguments != nil || len(req.Params.RawArguments) > 0 {
			if err := req.BindArguments(&raw); err != nil {
				return mcp.NewToolResultError(fmt.Sprintf("The arguments of %s must be a JSON object: %v.", def.Name, err)), nil
			}
		}
		if coerceArrays(def, raw) {
			b, _ := json.Marshal(raw)
			req.Params.Arguments, req.Params.RawArguments = nil, b
		}
		if msg := checkArgs(def, raw); msg != "" {
			return mcp.NewToolResultError(msg), nil
		}
		if len(raw) > 0 {
			if err := req.BindArguments(&in); err != nil {
				return mcp.NewToolResultError(fmt.Sprintf("Invalid arguments for %s: %v. Check the tool's input schema and call it again.", def.Name, err)), nil
			}
		}
		return h(ctx, in, raw)
	}
}

// coerceArrays wraps a lone string given for an array-of-strings argument
// ("paths": "/a.wav" for ["/a.wav"]), a common slip of models, and reports
// whether it changed raw.
func coerceArrays(def mcp.Tool, raw map[string]json.RawMessage) bool {
	changed := false
	for name, v := range raw {
		p, _ := def.InputSchema.Properties[name].(map[string]any)
		var s string
		if schemaType(p) == "string[]" && json.Unmarshal(v, &s) == nil {
			raw[name], _ = json.Marshal([]string{s})
			changed = true
		}
	}
	return changed
}

// checkArgs checks raw against the tool's input schema and returns a
// sentence naming the argument to fix, or "".
func checkArgs(def mcp.Tool, raw map[string]json.RawMessage) string {
	schema := def.InputSchema
	allowed := strings.Join(propertyNames(schema), ", ")
	if allowed == "" {
		allowed = "no arguments"
	}
	for _, name := range sortedKeys(raw) {
		if _, ok := schema.Properties[name]; !ok {
			return fmt.Sprintf("Unknown argument %q: %s takes %s.", name, def.Name, allowed)
		}
	}
	for _, name := range schema.Required {
		if v, ok := raw[name]; !ok || string(v) == "null" {
			return fmt.Sprintf("Missing argument %q: %s needs it (%s).", name, def.Name, describe(schema, name))
		}
	}
	for _, name := range sortedKeys(raw) {
		p, _ := schema.Properties[name].(map[string]any)
		v := raw[name]
		if string(v) == "null" {
			continue
		}
		if !hasType(v, schemaType(p)) {
			return fmt.Sprintf("Argument %q must be %s, got %s: %s.", name, article(schemaType(p)), string(v), describe(schema, name))
		}
		if enum, ok := p["enum"].([]any); ok {
			var s string
			_ = json.Unmarshal(v, &s)
			var vals []string
			found := false
			for _, e := range enum {
				vals = append(vals, fmt.Sprint(e))
				found = found || fmt.Sprint(e) == s
			}
			if !found {
				return fmt.Sprintf("Argument %q is %s; use one of %s.", name, string(v), strings.Join(vals, ", "))
			}
		}
	}
	return ""
}

// hasType reports whether the JSON value v has the schema type t
// ("string", "integer", "number", "boolean", "object", "string[]"...).
func hasType(v json.RawMessage, t string) bool {
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return false
	}
	switch t {
	case "any", "":
		return true
	case "string":
		_, ok := x.(string)
		return ok
	case "number":
		_, ok := x.(float64)
		return ok
	case "integer":
		f, ok := x.(float64)
		return ok && f == float64(int64(f))
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "object":
		_, ok := x.(map[string]any)
		return ok
	}
	if elem, ok := strings.CutSuffix(t, "[]"); ok {
		arr, ok := x.([]any)
		if !ok {
			return false
		}
		for _, e := range arr {
			b, _ := json.Marshal(e)
			if !hasType(b, elem) {
				return false
			}
		}
		return true
	}
	return true
}

func article(t string) string {
	if elem, ok := strings.CutSuffix(t, "[]"); ok {
		return "an array of " + elem + "s"
	}
	if strings.IndexAny(t, "aeiou") == 0 {
		return "an " + t
	}
	return "a " + t
}

// describe is a property's description, for error messages.
func describe(s mcp.ToolInputSchema, name string) string {
	p, _ := s.Properties[name].(map[string]any)
	d, _ := p["description"].(string)
	return strings.TrimSuffix(d, ".")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// maxTextCopy bounds the JSON text copy of a structured result: clients
// drop messages over 10 MiB, and a large draft would be sent twice.
const maxTextCopy = 1 << 20

// result is a successful tool result: a sentence for the reader, the
// structured output, and the same output as JSON text for clients that
// read only text (left out when larger than maxTextCopy).
func result(text string, out any, extra ...mcp.Content) *mcp.CallToolResult {
	content := []mcp.Content{mcp.NewTextContent(text)}
	if b, err := json.Marshal(out); err == nil && len(b) <= maxTextCopy {
		content = append(content, mcp.NewTextContent(string(b)))
	}
	content = append(content, extra...)
	return &mcp.CallToolResult{Content: content, StructuredContent: out}
}

// fail turns a backend error into a tool result: a fixable error carries
// its own sentence; anything else is logged in full and reported briefly.
func (d *deps) fail(ctx context.Context, tool string, err error) *mcp.CallToolResult {
	if msg, ok := backend.UserMessage(err); ok {
		d.log.Info("tool call refused", zap.String("tool", tool), zap.Error(err))
		return mcp.NewToolResultError(msg)
	}
	if fsutil.IsNoSpace(err) {
		d.log.Error("disk full", zap.String("tool", tool), zap.Error(err))
		var ne *fsutil.NoSpaceError
		if !errors.As(err, &ne) || ne.Folder == "" {
			ne = &fsutil.NoSpaceError{Folder: fsutil.FullFolder(d.folders...), Err: err}
		}
		return mcp.NewToolResultError(tool + " failed: " + ne.Error())
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return mcp.NewToolResultError(tool + " was cancelled; call it again to retry")
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return mcp.NewToolResultError(tool + " timed out; call it again, or try a shorter file")
	}
	short := tool + " failed"
	var sr interface{ SafeReason() string }
	if errors.As(err, &sr) {
		if r := strings.TrimSpace(sr.SafeReason()); r != "" {
			short = tool + " failed: " + r
		}
	}
	d.log.Error("tool call failed", zap.String("tool", tool), zap.Error(err))
	return mcp.NewToolResultError("internal error: " + short + "; see the server log")
}

// checkPath resolves a path argument against the calling client's
// roots (see roots.go) or the configured ones; the error result names
// them and says what to do.
func (d *deps) checkPath(ctx context.Context, p string) (string, *mcp.CallToolResult) {
	abs, err := d.check(ctx, p)
	if err != nil {
		return "", mcp.NewToolResultError(err.Error())
	}
	return abs, nil
}

// check resolves path against the calling client's roots, or the
// configured ones.
func (d *deps) check(ctx context.Context, path string) (string, error) {
	if sc, ok := fsutil.ScopeFrom(ctx); ok {
		return sc.Check(path)
	}
	return d.roots.Check(path)
}

// nonNil returns s, or an empty slice for nil, so required arrays never
// marshal as null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// timestamp formats t as RFC 3339, "" for the zero time.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// rawJSON returns raw as a decoded JSON value, nil when empty or invalid.
func rawJSON(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	return v
}

// logMiddleware logs every tool call: name, duration and outcome.
func logMiddleware(log *zap.Logger) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			start := time.Now()
			res, err := next(ctx, req)
			fields := []zap.Field{zap.String("tool", req.Params.Name), zap.Duration("took", time.Since(start))}
			switch {
			case err != nil:
				log.Error("tool call error", append(fields, zap.Error(err))...)
			case res != nil && res.IsError:
				log.Info("tool call returned an error result", fields...)
			default:
				log.Info("tool call", fields...)
			}
			return res, err
		}
	}
}

// names returns the tool names of all, in order.
func names(all []Tool) []string {
	out := make([]string, 0, len(all))
	for _, t := range all {
		out = append(out, t.Def.Name)
	}
	return out
}
