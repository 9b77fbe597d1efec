package tools

import (
	"context"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
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
// which the transports cancel as soon as the create result is sent; so the
// render runs detached from it, and tasks/cancel reaches it through the
// task hooks. mcp-go does not tell the handler its task id, so the task is
// found by its request: the task-created hook and the handler see the same
// per-request *server.RequestProtocolInfo in their contexts (mcp-go makes
// one for every request), which pairs them exactly however many exports
// start at once.
//
// tasks/cancel is answered once the render has stopped (no ffmpeg left, no
// partial file), and tasks/result of a cancelled export says so in its
// first line (mcp-go itself would return no content).

type taskKey struct{}

// withTask marks ctx as a call running as an MCP task.
func withTask(ctx context.Context) context.Context { return context.WithValue(ctx, taskKey{}, true) }

// inTask reports whether the call runs as an MCP task.
func inTask(ctx context.Context) bool { v, _ := ctx.Value(taskKey{}).(bool); return v }

// taskStopWait bounds how long tasks/cancel and tasks/result wait for a
// cancelled render to stop.
const taskStopWait = 30 * time.Second

// keepEnded is how many finished export tasks are remembered (for
// tasks/result of a cancelled one).
const keepEnded = 256

// exportTask is one export running as a task.
type exportTask struct {
	claimed   bool
	cancelled bool               // tasks/cancel came
	cancel    context.CancelFunc // stops the render, once claimed
	done      chan struct{}      // closed when the handler returned
	result    *mcp.CallToolResult
}

// taskJobs pairs export tasks with their handlers.
type taskJobs struct {
	mu    sync.Mutex
	byReq map[*server.RequestProtocolInfo]string // creating request -> task id, until claimed
	tasks map[string]*exportTask
	ended []string // finished task ids, oldest first
}

var exportTasks = &taskJobs{byReq: map[*server.RequestProtocolInfo]string{}, tasks: map[string]*exportTask{}}

// hooks records export tasks, cancels their renders on tasks/cancel, and
// (through h) makes tasks/cancel wait for the render to stop and
// tasks/result of a cancelled export carry the handler's result.
func (tj *taskJobs) hooks(h *server.Hooks) *server.TaskHooks {
	th := &server.TaskHooks{}
	th.AddOnTaskCreated(func(ctx context.Context, m server.TaskMetrics) {
		info := server.RequestProtocolInfoFromContext(ctx)
		if m.ToolName != "export" || info == nil {
			return
		}
		tj.mu.Lock()
		tj.byReq[info] = m.TaskID
		tj.tasks[m.TaskID] = &exportTask{done: make(chan struct{})}
		tj.mu.Unlock()
	})
	// Runs under mcp-go's task lock: only mark and signal here.
	th.AddOnTaskCancelled(func(_ context.Context, m server.TaskMetrics) {
		tj.mu.Lock()
		t := tj.tasks[m.TaskID]
		if t != nil {
			t.cancelled = true
			if t.cancel != nil {
				t.cancel()
			}
		}
		tj.mu.Unlock()
	})
	// A task that ended without its handler claiming it (arguments refused
	// before the handler ran) is forgotten.
	forget := func(_ context.Context, m server.TaskMetrics) {
		tj.mu.Lock()
		defer tj.mu.Unlock()
		if t := tj.tasks[m.TaskID]; t == nil || t.claimed {
			return
		}
		delete(tj.tasks, m.TaskID)
		for info, id := range tj.byReq {
			if id == m.TaskID {
				delete(tj.byReq, info)
			}
		}
	}
	th.AddOnTaskCompleted(forget)
	th.AddOnTaskFailed(forget)
	h.AddAfterCancelTask(func(ctx context.Context, _ any, req *mcp.CancelTaskRequest, _ *mcp.CancelTaskResult) {
		tj.wait(ctx, req.Params.TaskId)
	})
	h.AddAfterTaskResult(func(ctx context.Context, _ any, req *mcp.TaskResultRequest, res *mcp.TaskResultResult) {
		if res == nil || len(res.Content) > 0 {
			return
		}
		if r := tj.wait(ctx, req.Params.TaskId); r != nil {
			res.Content, res.StructuredContent, res.IsError = r.Content, r.StructuredContent, r.IsError
		}
	})
	return th
}

// wait waits (a bounded time) for a claimed export task's handler to
// return, and gives its result when the task was cancelled.
func (tj *taskJobs) wait(ctx context.Context, id string) *mcp.CallToolResult {
	tj.mu.Lock()
	t := tj.tasks[id]
	tj.mu.Unlock()
	if t == nil || !t.claimed {
		return nil
	}
	timer := time.NewTimer(taskStopWait)
	defer timer.Stop()
	select {
	case <-t.done:
	case <-ctx.Done():
		return nil
	case <-timer.C:
		return nil
	}
	tj.mu.Lock()
	defer tj.mu.Unlock()
	if !t.cancelled {
		return nil
	}
	return t.result
}

// claim finds the export task ctx's request created, detaches the work
// from the request context and returns a context that tasks/cancel
// cancels, and a release to call with the handler's result.
func (tj *taskJobs) claim(ctx context.Context) (context.Context, func(*mcp.CallToolResult)) {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	info := server.RequestProtocolInfoFromContext(ctx)
	tj.mu.Lock()
	id, ok := tj.byReq[info]
	delete(tj.byReq, info)
	t := tj.tasks[id]
	if ok && t != nil {
		t.claimed, t.cancel = true, cancel
		if t.cancelled { // cancelled before the handler ran
			cancel()
		}
	}
	tj.mu.Unlock()
	return wctx, func(res *mcp.CallToolResult) {
		cancel()
		if t == nil {
			return
		}
		tj.mu.Lock()
		defer tj.mu.Unlock()
		if t.cancelled {
			t.result = res
		}
		close(t.done)
		tj.ended = append(tj.ended, id)
		if len(tj.ended) > keepEnded {
			delete(tj.tasks, tj.ended[0])
			tj.ended = tj.ended[1:]
		}
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
