package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/fsutil"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// JobOptions bounds exports.
type JobOptions struct {
	// MaxRunning is how many renders run at once; 0 means 2.
	MaxRunning int
	// MaxQueued is how many exports may wait for a render slot; an export
	// beyond it is refused. 0 means 32.
	MaxQueued int
	// Deadline is the longest one render may run; 0 means 2 hours.
	Deadline time.Duration
}

func (o *JobOptions) defaults() {
	if o.MaxRunning <= 0 {
		o.MaxRunning = 2
	}
	if o.MaxQueued <= 0 {
		o.MaxQueued = 32
	}
	if o.Deadline <= 0 {
		o.Deadline = 2 * time.Hour
	}
}

// enqueue records the job and puts it in the render queue, or refuses it
// when the queue is full. The queue is first in, first out; at most
// MaxRunning jobs render at once.
func (b *Backend) enqueue(ctx context.Context, jb *job, sj *store.Job) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return backend.Userf("the server is stopping: export again once it has restarted")
	}
	if len(b.queue) >= b.jobOpt.MaxQueued {
		return backend.Userf("%d exports are already waiting for a render slot (%d render at once), so this one was not started: follow them with export_status (or cancel one with cancel: true) and export again later; AUDIOEDIT_MAX_QUEUED_JOBS raises the limit",
			len(b.queue), b.jobOpt.MaxRunning)
	}
	if err := b.st.PutJob(ctx, sj); err != nil {
		return err
	}
	b.jobs[jb.j.ID] = jb
	b.queue = append(b.queue, jb)
	b.dispatchLocked()
	return nil
}

// dispatchLocked starts queued jobs while slots are free and renumbers
// the rest. b.mu is held.
func (b *Backend) dispatchLocked() {
	for !b.closed && b.running < b.jobOpt.MaxRunning && len(b.queue) > 0 {
		jb := b.queue[0]
		b.queue = b.queue[1:]
		b.running++
		jctx, cancel := context.WithTimeout(b.ctx, b.jobOpt.Deadline)
		if sc := jb.plan.scope; sc != nil {
			jctx = fsutil.WithScope(jctx, *sc)
		}
		jb.mu.Lock()
		jb.cancel = cancel
		jb.j.Status, jb.j.QueuePosition, jb.j.UpdatedAt = backend.JobRunning, 0, now().UTC()
		jb.mu.Unlock()
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			defer cancel()
			b.run(jctx, jb, jb.plan)
			b.mu.Lock()
			b.running--
			b.dispatchLocked()
			b.mu.Unlock()
		}()
	}
	for i, jb := range b.queue {
		jb.mu.Lock()
		jb.j.QueuePosition = i + 1
		jb.mu.Unlock()
	}
}

func queuedMessage(pos int) string {
	if pos <= 1 {
		return "queued: next to render"
	}
	return fmt.Sprintf("queued: %d exports ahead", pos-1)
}

// CancelJob stops a job: a queued one never starts, a running one has its
// ffmpeg killed and its partial output removed. It returns the job once it
// has ended. Cancelling a finished job changes nothing.
func (b *Backend) CancelJob(ctx context.Context, jobID string) (*backend.Job, error) {
	b.mu.Lock()
	jb := b.jobs[jobID]
	if jb == nil {
		b.mu.Unlock()
		sj, err := b.st.GetJob(ctx, jobID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && sj.Backend != "local") {
			return nil, backend.Userf("unknown job_id %q: state lists a session's jobs", jobID)
		}
		if err != nil {
			return nil, err
		}
		j, err := b.jobFromStore(sj)
		if err != nil {
			return nil, err
		}
		if !j.Done() && sj.Owner != b.owner && ownerAlive(sj.Owner) {
			return nil, backend.Userf("job %s is rendered by another mcp-audioedit process on this data folder, so it was not cancelled: cancel it through that server", jobID)
		}
		return j, nil
	}
	const why = "the export was cancelled on request (export_status with cancel: true, or tasks/cancel): export again to render"
	for i, q := range b.queue {
		if q == jb { // never started: end it here
			b.queue = append(b.queue[:i:i], b.queue[i+1:]...)
			b.dispatchLocked()
			jb.mu.Lock()
			jb.j.Status, jb.j.Error, jb.j.QueuePosition, jb.j.UpdatedAt = backend.JobCancelled, why, 0, now().UTC()
			jb.mu.Unlock()
			close(jb.done)
			b.mu.Unlock()
			b.save(jb, true)
			return jb.snapshot(), nil
		}
	}
	b.mu.Unlock()
	jb.mu.Lock()
	cancel := jb.cancel
	if jb.cancelled == "" && !jb.j.Done() {
		jb.cancelled = why
	}
	jb.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	select {
	case <-jb.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return jb.snapshot(), nil
}

// stopQueue ends the jobs still waiting when the server stops.
func (b *Backend) stopQueue() {
	b.mu.Lock()
	b.closed = true
	queued := b.queue
	b.queue = nil
	b.mu.Unlock()
	for _, jb := range queued {
		jb.mu.Lock()
		jb.j.Status, jb.j.Error, jb.j.QueuePosition = backend.JobCancelled, "the server stopped before this export started: export again to render", 0
		jb.mu.Unlock()
		close(jb.done)
		b.save(jb, true)
	}
}

// processOwner names this process for the jobs it runs: its pid, its
// start time and the boot it runs in, so a reused pid is not mistaken for
// it. On systems without /proc it is the pid alone.
func processOwner() string {
	return ownerOf(os.Getpid())
}

func ownerOf(pid int) string {
	return fmt.Sprintf("pid:%d:%s:%s", pid, procStart(pid), bootID())
}

// ownerAlive reports whether the process that owns a job still runs. Jobs
// without an owner (written by older versions) count as orphaned.
func ownerAlive(owner string) bool {
	rest, ok := strings.CutPrefix(owner, "pid:")
	if !ok {
		return false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 {
		return false
	}
	pid, err := strconv.Atoi(parts[0])
	if err != nil || pid <= 0 {
		return false
	}
	if parts[2] != bootID() {
		return false
	}
	if parts[1] != "" || procStart(pid) != "" {
		return procStart(pid) == parts[1]
	}
	return pidAlive(pid) // no /proc: the pid alone
}

// procStart is the process's start time in clock ticks since boot (field
// 22 of /proc/PID/stat), "" when unknown.
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19] // field 22 counts from field 3 here
}

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
