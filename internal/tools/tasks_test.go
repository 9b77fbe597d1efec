package tools

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// rpcIDs numbers the requests rpc sends, apart from the client's own.
var rpcIDs atomic.Int64

// rpc sends one JSON-RPC request through the client's transport (the
// mcp-go client has no call for a task-augmented tools/call) and decodes
// its result into out; a JSON-RPC error is returned.
func (e *testEnv) rpc(method string, params, out any) error {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := rpcIDs.Add(1)
	res, err := e.c.GetTransport().SendRequest(ctx, transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(1_000_000 + id), Method: method, Params: params,
	})
	if err != nil {
		e.t.Fatalf("%s: %v", method, err)
	}
	if res.Error != nil {
		return res.Error.AsError()
	}
	if out != nil {
		if err := json.Unmarshal(res.Result, out); err != nil {
			e.t.Fatalf("%s: result %s: %v", method, res.Result, err)
		}
	}
	return nil
}

// startTask calls tool as a task and returns the task the server created.
func (e *testEnv) startTask(tool string, args map[string]any) mcp.Task {
	e.t.Helper()
	var created mcp.CreateTaskResult
	params := map[string]any{"name": tool, "arguments": args, "task": map[string]any{"ttl": 600000}}
	if err := e.rpc("tools/call", params, &created); err != nil {
		e.t.Fatalf("%s as a task: %v", tool, err)
	}
	if created.Task.TaskId == "" || created.Task.Status != mcp.TaskStatusWorking {
		e.t.Fatalf("%s as a task: created %+v", tool, created.Task)
	}
	return created.Task
}

// taskResult waits for the task to end and returns its tool result.
func (e *testEnv) taskResult(id string) *mcp.CallToolResult {
	e.t.Helper()
	var raw json.RawMessage
	if err := e.rpc("tasks/result", map[string]any{"taskId": id}, &raw); err != nil {
		e.t.Fatalf("tasks/result %s: %v", id, err)
	}
	res, err := mcp.ParseCallToolResult(&raw)
	if err != nil {
		e.t.Errorf("tasks/result %s: %s: %v", id, raw, err)
		return &mcp.CallToolResult{}
	}
	return res
}

// taskStatus is the task's state as tasks/get reports it.
func (e *testEnv) taskStatus(id string) mcp.Task {
	e.t.Helper()
	var got mcp.GetTaskResult
	if err := e.rpc("tasks/get", map[string]any{"taskId": id}, &got); err != nil {
		e.t.Fatalf("tasks/get %s: %v", id, err)
	}
	return got.Task
}

// toneWAV writes a 440 Hz tone of secs seconds at 16 kHz (small files).
func toneWAV(t *testing.T, dir, name string, secs float64) string {
	t.Helper()
	const rate = 16000
	s := make([]float32, int(secs*rate))
	for i := range s {
		s[i] = float32(0.2 * math.Sin(2*math.Pi*440*float64(i)/rate))
	}
	p := filepath.Join(dir, name)
	if err := testmedia.WriteWAV(p, s, rate, 1); err != nil {
		t.Fatal(err)
	}
	return p
}

// wavSeconds measures the duration of an output by decoding it.
func wavSeconds(t *testing.T, path string) float64 {
	t.Helper()
	pcm, err := testmedia.ReadPCM(context.Background(), testmedia.FFmpeg(), path, 8000, 1)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return float64(len(pcm)) / 8000
}

// Two exports of different sessions run as tasks at the same time: each
// task ends with its own session's render.
func TestExportTasksInParallel(t *testing.T) {
	e := newTestEnv(t)
	secs := []float64{2, 3.5}
	var sessions []string
	for i, s := range secs {
		var up UploadOutput
		decode(t, e.call("upload", map[string]any{"paths": []string{toneWAV(t, e.dir, []string{"a.wav", "b.wav"}[i], s)}, "new_session": true}), &up)
		sessions = append(sessions, up.SessionID)
	}
	outs := []string{filepath.Join(e.dir, "out-a.wav"), filepath.Join(e.dir, "out-b.wav")}
	tasks := make([]mcp.Task, len(secs))
	var wg sync.WaitGroup
	for i := range secs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tasks[i] = e.startTask("export", map[string]any{"session_id": sessions[i], "format": "wav", "output_path": outs[i]})
		}()
	}
	wg.Wait()
	for i := range secs {
		res := e.taskResult(tasks[i].TaskId)
		job := completed(t, res)
		if job.SessionID != sessions[i] || job.Path != outs[i] {
			t.Errorf("task %d: job %+v, want session %s into %s", i, job, sessions[i], outs[i])
		}
		if got := wavSeconds(t, outs[i]); math.Abs(got-secs[i]) > 0.05 {
			t.Errorf("task %d: output %s is %.2f s, want %.2f s (its own session)", i, outs[i], got, secs[i])
		}
		if st := e.taskStatus(tasks[i].TaskId); st.Status != mcp.TaskStatusCompleted {
			t.Errorf("task %d: tasks/get = %+v", i, st)
		}
	}
}

// tasks/cancel stops the task's own render, even after an export task that
// was refused before it rendered anything: by the time the cancel is
// answered no ffmpeg runs for it and no output was left, and tasks/get,
// tasks/result and export_status all say cancelled.
func TestExportTaskCancel(t *testing.T) {
	e := newTestEnv(t)
	// A minute of small video, rendered at 1080p: a render that lasts.
	video := filepath.Join(e.dir, "long.mp4")
	tone := make([]float32, 60*testmedia.Rate)
	for i := range tone {
		tone[i] = float32(0.2 * math.Sin(2*math.Pi*440*float64(i)/testmedia.Rate))
	}
	if err := testmedia.Video(context.Background(), "", video, tone, 320, 240, 25); err != nil {
		t.Fatal(err)
	}
	var up UploadOutput
	decode(t, e.call("upload", map[string]any{"paths": []string{video}}), &up)

	// A task refused at once (a folder the server may not write).
	refused := e.startTask("export", map[string]any{"format": "wav", "output_path": "/proc/out.wav"})
	wantError(t, e.taskResult(refused.TaskId), "/proc/out.wav")

	out := filepath.Join(e.dir, "cancelled.mp4")
	task := e.startTask("export", map[string]any{"format": "mp4", "resolution": "1080p", "output_path": out})
	var job JobOutput
	for job.Status != "running" || job.Progress <= 0 {
		var st StateOutput
		decode(t, e.call("state", map[string]any{"session_id": up.SessionID}), &st)
		if len(st.Jobs) == 1 {
			job = st.Jobs[0]
		}
		if job.done() {
			t.Fatalf("render ended before it could be cancelled: %+v", job)
		}
		time.Sleep(50 * time.Millisecond)
	}

	var cancelled mcp.CancelTaskResult
	if err := e.rpc("tasks/cancel", map[string]any{"taskId": task.TaskId}, &cancelled); err != nil {
		t.Fatalf("tasks/cancel: %v", err)
	}
	if kids := testmedia.FFmpegChildren(t); len(kids) > 0 {
		t.Errorf("ffmpeg still runs after tasks/cancel was answered: pids %v", kids)
	}
	if cancelled.Status != mcp.TaskStatusCancelled {
		t.Errorf("tasks/cancel = %+v", cancelled.Task)
	}
	if st := e.taskStatus(task.TaskId); st.Status != mcp.TaskStatusCancelled {
		t.Errorf("tasks/get = %+v", st)
	}
	res := e.taskResult(task.TaskId)
	first, _, _ := strings.Cut(text(res), "\n")
	if !res.IsError || !strings.Contains(first, "cancelled") || !strings.Contains(first, job.JobID) {
		t.Errorf("tasks/result: error %v, first line %q; want an error saying job %s was cancelled", res.IsError, first, job.JobID)
	}
	status := e.call("export_status", map[string]any{"job_id": job.JobID, "wait_seconds": 0})
	wantError(t, status, "Export "+job.JobID+" cancelled")
	if st, _ := status.StructuredContent.(map[string]any); st["status"] != "cancelled" {
		t.Errorf("export_status = %v", status.StructuredContent)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output %s after cancel: %v, want none", out, err)
	}
	ents, _ := os.ReadDir(e.dir)
	for _, ent := range ents {
		if strings.Contains(ent.Name(), "cancelled") {
			t.Errorf("partial output left: %s", ent.Name())
		}
	}
}
