package tools

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// Resources: a session's timeline, its media and its exports, as
// audioedit:// URIs.
const (
	uriScheme        = "audioedit://sessions/"
	timelineTemplate = uriScheme + "{id}/timeline"
	exportTemplate   = uriScheme + "{id}/exports/{name}"
	mediaTemplate    = uriScheme + "{id}/media/{name}"
)

// maxInlineBytes is the largest file sent inline as a blob: base64 makes
// it 4/3 larger, and clients drop messages over 10 MiB (the TypeScript SDK
// closes the connection), so 7 MiB (9.3 MiB encoded) is the most that fits.
// A larger file is read as a link (text/uri-list) to open from its path.
const maxInlineBytes = 7 << 20

func timelineURI(sid string) string { return uriScheme + url.PathEscape(sid) + "/timeline" }
func exportURI(sid, name string) string {
	return uriScheme + url.PathEscape(sid) + "/exports/" + url.PathEscape(name)
}
func mediaURI(sid, name string) string {
	return uriScheme + url.PathEscape(sid) + "/media/" + url.PathEscape(name)
}

// extras is what the server keeps beyond the tools: the sessions each
// client has worked on (listed as resources), resource subscriptions,
// the export jobs being watched, and the client log.
type extras struct {
	d   *deps
	srv *server.MCPServer
	cl  *ClientLog

	mu       sync.Mutex
	sessions map[string][]string        // client session -> audioedit sessions, oldest first
	subs     map[string]map[string]bool // client session -> subscribed URIs
	watching map[string]bool            // job ids being watched
	wg       sync.WaitGroup
}

func newExtras(d *deps, cl *ClientLog) *extras {
	return &extras{d: d, cl: cl, sessions: map[string][]string{}, subs: map[string]map[string]bool{}, watching: map[string]bool{}}
}

// serverOptions are the capabilities and hooks the extras need.
func (x *extras) serverOptions(hooks *server.Hooks) []server.ServerOption {
	hooks.AddAfterSubscribe(func(ctx context.Context, _ any, m *mcp.SubscribeRequest, _ *mcp.EmptyResult) {
		x.subscribe(clientID(ctx), m.Params.URI, true)
	})
	hooks.AddAfterUnsubscribe(func(ctx context.Context, _ any, m *mcp.UnsubscribeRequest, _ *mcp.EmptyResult) {
		x.subscribe(clientID(ctx), m.Params.URI, false)
	})
	hooks.AddOnUnregisterSession(func(_ context.Context, s server.ClientSession) {
		x.mu.Lock()
		delete(x.sessions, s.SessionID())
		delete(x.subs, s.SessionID())
		x.mu.Unlock()
	})
	hooks.AddAfterListResources(func(ctx context.Context, _ any, _ *mcp.ListResourcesRequest, res *mcp.ListResourcesResult) {
		if res != nil {
			res.Resources = append(res.Resources, x.list(ctx)...)
		}
	})
	return []server.ServerOption{
		server.WithResourceCapabilities(true, true),
		server.WithPromptCapabilities(false),
		server.WithTaskCapabilities(true, true, true),
		server.WithTaskHooks(exportTasks.hooks(hooks)),
		server.WithToolHandlerMiddleware(x.middleware),
		server.WithToolHandlerMiddleware(x.cl.middleware), // clientlog.go
	}
}

// register adds the resource templates and prompts to s.
func (x *extras) register(s *server.MCPServer) {
	x.srv = s
	if x.cl != nil {
		x.cl.attach(s)
	}
	s.AddResourceTemplate(mcp.NewResourceTemplate(timelineTemplate, "timeline",
		mcp.WithTemplateTitle("Session timeline"),
		mcp.WithTemplateDescription("A session's timeline as JSON: the summary, the draft, the media, the edit history and the export jobs (what the state tool returns)."),
		mcp.WithTemplateMIMEType("application/json")), x.readTimeline)
	s.AddResourceTemplate(mcp.NewResourceTemplate(exportTemplate, "export",
		mcp.WithTemplateTitle("Exported file"),
		mcp.WithTemplateDescription("A finished export of a session, by file name: the file itself (a blob) when under 7 MB, else a link to it (text/uri-list)."),
	), x.readFile(false))
	s.AddResourceTemplate(mcp.NewResourceTemplate(mediaTemplate, "media",
		mcp.WithTemplateTitle("Session media"),
		mcp.WithTemplateDescription("A media file uploaded to a session, by name: a blob when under 7 MB, else a link to it (text/uri-list)."),
	), x.readFile(true))
	for _, p := range prompts() {
		s.AddPrompt(p.def, p.handler)
	}
}

// clientID is the MCP client session of ctx, "" when there is none.
func clientID(ctx context.Context) string {
	if s := server.ClientSessionFromContext(ctx); s != nil {
		return s.SessionID()
	}
	return ""
}

func (x *extras) subscribe(client, uri string, on bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.subs[client] == nil {
		x.subs[client] = map[string]bool{}
	}
	if on {
		x.subs[client][uri] = true
	} else {
		delete(x.subs[client], uri)
	}
}

// remember records that the client worked on session sid; it reports
// whether the session is new to the client.
func (x *extras) remember(client, sid string) bool {
	if sid == "" {
		return false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if slices.Contains(x.sessions[client], sid) {
		return false
	}
	x.sessions[client] = append(x.sessions[client], sid)
	return true
}

// middleware watches tool results: it remembers the sessions a client
// works on (for resources/list), adds the audioedit:// link of a finished
// export, and follows a running export so its completion reaches the
// client (notifications/resources/updated, a log message).
func (x *extras) middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if req.Params.Task != nil {
			ctx = withTask(ctx)
		}
		res, err := next(ctx, req)
		if err != nil || res == nil || res.StructuredContent == nil {
			return res, err
		}
		var out struct {
			SessionID string `json:"session_id"`
			JobID     string `json:"job_id"`
			Status    string `json:"status"`
		}
		b, jerr := json.Marshal(res.StructuredContent)
		if jerr != nil || json.Unmarshal(b, &out) != nil {
			return res, err
		}
		client := clientID(ctx)
		if x.remember(client, out.SessionID) {
			x.notify(client, mcp.MethodNotificationResourcesListChanged, nil)
		}
		if out.JobID == "" || (req.Params.Name != "export" && req.Params.Name != "export_status") {
			return res, err
		}
		var job JobOutput
		_ = json.Unmarshal(b, &job)
		if job.Status == backend.JobCompleted && job.Path != "" {
			name := filepath.Base(job.Path)
			res.Content = append(res.Content, mcp.NewResourceLink(exportURI(job.SessionID, name), name,
				"Exported "+job.Format+": read it with resources/read", mimeType(job.Path, job.Format)))
		}
		switch job.Status {
		case backend.JobQueued, backend.JobRunning:
			x.watch(ctx, client, job.JobID)
		default:
			x.jobDone(ctx, client, &job)
		}
		return res, err
	}
}

// watch follows a running job in the background until it ends.
func (x *extras) watch(ctx context.Context, client, jobID string) {
	x.mu.Lock()
	if x.watching[jobID] {
		x.mu.Unlock()
		return
	}
	x.watching[jobID] = true
	x.mu.Unlock()
	x.log(ctx, client, mcp.LoggingLevelInfo, "export "+jobID+" is rendering", map[string]any{"job_id": jobID})
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		defer func() {
			x.mu.Lock()
			delete(x.watching, jobID)
			x.mu.Unlock()
		}()
		for {
			j, err := x.d.b.ExportStatus(context.Background(), jobID, MaxWaitSeconds*time.Second)
			if err != nil {
				x.d.log.Info("stopped following an export", zap.String("job", jobID), zap.Error(err))
				return
			}
			if j.Done() {
				out := jobOutput(j)
				x.jobDone(context.Background(), client, &out)
				return
			}
		}
	}()
}

// jobDone tells the client that a job ended: a log message at info
// (completed) or warning (failed, cancelled), and
// notifications/resources/updated for the session's timeline and the
// export when the client subscribed to them.
func (x *extras) jobDone(ctx context.Context, client string, j *JobOutput) {
	// The log message is told once, when it can be: a client on protocol
	// 2026-07-28 hears it only on a call (clientlog.go).
	reaches := x.cl != nil && x.cl.reaches(ctx, client)
	x.mu.Lock()
	first := !x.watching[j.JobID+"/done"]
	x.watching[j.JobID+"/done"] = true
	unlogged := reaches && !x.watching[j.JobID+"/logged"]
	if unlogged {
		x.watching[j.JobID+"/logged"] = true
	}
	x.mu.Unlock()
	if unlogged {
		data := map[string]any{"job_id": j.JobID, "session_id": j.SessionID, "status": j.Status}
		switch j.Status {
		case backend.JobCompleted:
			data["path"] = j.Path
			x.log(ctx, client, mcp.LoggingLevelInfo, fmt.Sprintf("export %s completed: %s", j.JobID, j.Path), data)
		default:
			data["error"] = j.Error
			x.log(ctx, client, mcp.LoggingLevelWarning, fmt.Sprintf("export %s %s: %s", j.JobID, j.Status, j.Error), data)
		}
	}
	if !first {
		return
	}
	uris := []string{timelineURI(j.SessionID)}
	if j.Path != "" {
		uris = append(uris, exportURI(j.SessionID, filepath.Base(j.Path)))
	}
	x.mu.Lock()
	var send []string
	for _, u := range uris {
		if x.subs[client][u] {
			send = append(send, u)
		}
	}
	x.mu.Unlock()
	for _, u := range send {
		x.notify(client, mcp.MethodNotificationResourceUpdated, map[string]any{"uri": u})
	}
	if j.Status == backend.JobCompleted {
		x.notify(client, mcp.MethodNotificationResourcesListChanged, nil)
	}
}

// notify sends a notification to one client; a client that is gone or
// busy misses it.
func (x *extras) notify(client, method string, params map[string]any) {
	if x.srv == nil || client == "" {
		return
	}
	if err := x.srv.SendNotificationToSpecificClient(client, method, params); err != nil {
		x.d.log.Debug("notification not sent", zap.String("method", method), zap.Error(err))
	}
}

// log sends a job event to the client at level (mcp-go drops it below
// the level the client set).
func (x *extras) log(ctx context.Context, client string, level mcp.LoggingLevel, msg string, data map[string]any) {
	if x.cl != nil {
		x.cl.sendTo(ctx, client, level, msg, data)
	}
}

// list is the resources of the sessions the client worked on, and of the
// backend's current session: each timeline, media file and finished export.
func (x *extras) list(ctx context.Context) []mcp.Resource {
	x.mu.Lock()
	sids := slices.Clone(x.sessions[clientID(ctx)])
	x.mu.Unlock()
	if st, err := x.d.b.State(ctx, ""); err == nil && !slices.Contains(sids, st.SessionID) {
		sids = append(sids, st.SessionID)
	}
	var out []mcp.Resource
	for _, sid := range sids {
		st, err := x.d.b.State(ctx, sid)
		if err != nil {
			continue
		}
		out = append(out, mcp.NewResource(timelineURI(sid), "timeline "+sid,
			mcp.WithResourceDescription(st.Summary), mcp.WithMIMEType("application/json")))
		for _, m := range st.Media {
			out = append(out, mcp.NewResource(mediaURI(sid, m.Name), m.Name,
				mcp.WithResourceDescription(fmt.Sprintf("%s %s, %.1f s, uploaded to session %s", m.Kind, m.Format, m.DurationS, sid)),
				mcp.WithMIMEType(mimeOf(m.Name, m.Kind)), mcp.WithResourceSize(m.SizeBytes)))
		}
		for _, j := range st.Jobs {
			if j.Status != backend.JobCompleted || j.Path == "" {
				continue
			}
			name := filepath.Base(j.Path)
			out = append(out, mcp.NewResource(exportURI(sid, name), name,
				mcp.WithResourceDescription(fmt.Sprintf("export %s of session %s, %.1f s", j.ID, sid, j.DurationS)),
				mcp.WithMIMEType(mimeType(j.Path, j.Format)), mcp.WithResourceSize(j.SizeBytes)))
		}
	}
	return out
}

// templateArg is a URI template variable, percent-decoded.
func templateArg(req mcp.ReadResourceRequest, name string) string {
	var v string
	switch a := req.Params.Arguments[name].(type) {
	case string:
		v = a
	case []string:
		if len(a) > 0 {
			v = a[0]
		}
	}
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

func (x *extras) readTimeline(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	st, err := x.d.b.State(ctx, templateArg(req, "id"))
	if err != nil {
		return nil, resourceError(err)
	}
	b, err := json.MarshalIndent(stateOutput(st), "", "  ")
	if err != nil {
		return nil, err
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}, nil
}

// readFile reads a session's export (or, with media, its upload) by name.
func (x *extras) readFile(media bool) server.ResourceTemplateHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		sid, name := templateArg(req, "id"), templateArg(req, "name")
		st, err := x.d.b.State(ctx, sid)
		if err != nil {
			return nil, resourceError(err)
		}
		var path, link, mime string
		if media {
			for _, m := range st.Media {
				if m.Name == name || m.ID == name {
					path, link, mime = m.Path, m.URL, mimeOf(m.Name, m.Kind)
					break
				}
			}
		} else {
			for _, j := range st.Jobs {
				if j.Status == backend.JobCompleted && ((j.Path != "" && filepath.Base(j.Path) == name) || j.ID == name) {
					path, link, mime = j.Path, j.URL, mimeType(j.Path+j.URL, j.Format)
					break
				}
			}
		}
		switch {
		case path != "":
			return x.fileContents(ctx, req.Params.URI, path, mime)
		case link != "":
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/uri-list", Text: link + "\r\n"}}, nil
		}
		what := "export"
		if media {
			what = "media file"
		}
		return nil, fmt.Errorf("session %s has no %s named %q: list them with resources/list or the state tool: %w", sid, what, name, server.ErrResourceNotFound)
	}
}

// fileContents is the file at path as a blob, or a link when it is too
// large for one message. The path is checked against the roots again
// (the client's, when it offers roots): they may have narrowed since the
// file was made.
func (x *extras) fileContents(ctx context.Context, uri, path, mime string) ([]mcp.ResourceContents, error) {
	abs, err := x.d.check(x.d.cr.apply(ctx), path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v: %w", filepath.Base(abs), err, server.ErrResourceNotFound)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxInlineBytes {
		text := fmt.Sprintf("# %s is %s, over the %s one MCP message can carry: open it from its path\r\n%s\r\n",
			filepath.Base(abs), humanBytes(st.Size()), humanBytes(maxInlineBytes), fileURI(abs))
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "text/uri-list", Text: text}}, nil
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return []mcp.ResourceContents{mcp.BlobResourceContents{URI: uri, MIMEType: mime, Blob: base64.StdEncoding.EncodeToString(b)}}, nil
}

// resourceError turns a backend error into a read error with the user's
// sentence.
func resourceError(err error) error {
	if msg, ok := backend.UserMessage(err); ok {
		return fmt.Errorf("%s: %w", msg, server.ErrResourceNotFound)
	}
	return err
}

// mimeOf is the MIME type of an uploaded file by its name.
func mimeOf(name, _ string) string {
	if m := mimeType(name, ""); m != "application/octet-stream" {
		return m
	}
	switch strings.ToLower(strings.TrimPrefix(filepath.Ext(name), ".")) {
	case "jpg", "jpeg":
		return "image/jpeg"
	case "png":
		return "image/png"
	case "gif":
		return "image/gif"
	case "webp":
		return "image/webp"
	case "avi":
		return "video/x-msvideo"
	case "ogg", "oga":
		return "audio/ogg"
	case "flac":
		return "audio/flac"
	}
	return "application/octet-stream"
}
