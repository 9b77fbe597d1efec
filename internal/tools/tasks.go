package tools

import (
	"context"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// Tasks (MCP 2025-11-25): export has optional task support. A client that
// sends task parameters gets a task at once (mcp-go runs the handler in the
// background) and polls tasks/get, then reads tasks/result; in a task the
// handler follows the render to its end instead of returning a job id
// after wait_seconds, and tasks/cancel stops the render. Other clients keep
// wait_seconds and export_status.
//
// mcp-go runs a task under the context of the request that created it,
// which the stdio transport cancels as soon as the create result is sent;
// so the render runs detached from it, and tasks/cancel reaches it through
// the task hooks: each export task of a client is paired, in creation
// order, with the export its handler starts.

type taskKey struct{}

// withTask marks ctx as a call running as an MCP task.
func withTask(ctx context.Context) context.Context { return context.WithValue(ctx, taskKey{}, true) }

// inTask reports whether the call runs as an MCP task.
func inTask(ctx context.Context) bool { v, _ := ctx.Value(taskKey{}).(bool); return v }

// taskJobs pairs export tasks with their renders.
type taskJobs struct {
	mu      sync.Mutex
	pending map[string][]string           // client -> export task ids not yet claimed, oldest first
	cancel  map[string]context.CancelFunc // task id -> stops its render
}

var exportTasks = &taskJobs{pending: map[string][]string{}, cancel: map[string]context.CancelFunc{}}

// hooks records export tasks and cancels their renders on tasks/cancel.
func (tj *taskJobs) hooks() *server.TaskHooks {
	h := &server.TaskHooks{}
	h.AddOnTaskCreated(func(_ context.Context, m server.TaskMetrics) {
		if m.ToolName == "export" {
			tj.mu.Lock()
			tj.pending[m.SessionID] = append(tj.pending[m.SessionID], m.TaskID)
			tj.mu.Unlock()
		}
	})
	h.AddOnTaskCancelled(func(_ context.Context, m server.TaskMetrics) {
		tj.mu.Lock()
		c := tj.cancel[m.TaskID]
		tj.mu.Unlock()
		if c != nil {
			c()
		}
	})
	return h
}

// claim detaches a task's work from the request context and returns a
// context that tasks/cancel cancels, and a release to call when done.
func (tj *taskJobs) claim(ctx context.Context) (context.Context, func()) {
	client := clientID(ctx)
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	tj.mu.Lock()
	var id string
	if q := tj.pending[client]; len(q) > 0 {
		id, tj.pending[client] = q[0], q[1:]
		tj.cancel[id] = cancel
	}
	tj.mu.Unlock()
	return wctx, func() {
		tj.mu.Lock()
		delete(tj.cancel, id)
		tj.mu.Unlock()
		cancel()
	}
}

// followJob waits for job to end, for a call running as a task. When the
// task is cancelled the render is stopped.
func (d *deps) followJob(ctx context.Context, job *backend.Job) (*backend.Job, error) {
	for !job.Done() {
		j, err := d.b.ExportStatus(ctx, job.ID, MaxWaitSeconds*time.Second)
		if ctx.Err() != nil {
			d.log.Info("export task cancelled", zap.String("job", job.ID))
			if c, ok := d.b.(backend.JobCanceller); ok {
				return c.CancelJob(context.WithoutCancel(ctx), job.ID)
			}
			return job, ctx.Err()
		}
		if err != nil {
			return nil, err
		}
		job = j
	}
	return job, nil
}
