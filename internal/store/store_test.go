package store

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "db", "audioedit.db")
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p
}

func TestSessionsMediaPersist(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	if _, err := s.GetSession(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetSession unknown: err = %v, want ErrNotFound", err)
	}
	sess := &Session{ID: "s1", Backend: "local"}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMedia(ctx, "s1", []*Media{{ID: "m1", Name: "a.wav"}, {ID: "m2", Name: "b.mp4", Info: json.RawMessage(`{"x":1}`)}}); err != nil {
		t.Fatal(err)
	}
	// A failed batch (duplicate id) adds nothing.
	if err := s.AddMedia(ctx, "s1", []*Media{{ID: "m3", Name: "c.wav"}, {ID: "m1", Name: "dup"}}); err == nil {
		t.Fatal("want duplicate id error")
	}
	sess.RemoteID = "r1"
	if err := s.UpdateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "local.current", "s1"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.GetSession(ctx, "s1")
	if err != nil || got.RemoteID != "r1" {
		t.Fatalf("reopened session = %+v, %v", got, err)
	}
	media, err := s2.ListMedia(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(media) != 2 || media[0].Seq != 1 || media[1].Seq != 2 || string(media[1].Info) != `{"x":1}` {
		t.Fatalf("media = %+v", media)
	}
	if v, _ := s2.Get(ctx, "local.current"); v != "s1" {
		t.Fatalf("kv = %q", v)
	}
}

func TestUndoRedoHistory(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	s.CreateSession(ctx, &Session{ID: "s", Backend: "local"})
	for _, in := range []string{"a", "b", "c"} {
		if err := s.AppendEdit(ctx, &Edit{SessionID: "s", Instruction: in}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.Undo(ctx, "s", 2); n != 2 {
		t.Fatalf("undo 2 = %d", n)
	}
	if n, _ := s.Redo(ctx, "s", 1); n != 1 {
		t.Fatalf("redo 1 = %d", n)
	}
	state := func() string {
		es, _ := s.ListEdits(ctx, "s")
		out := ""
		for _, e := range es {
			mark := "+"
			if e.Undone {
				mark = "-"
			}
			out += e.Instruction + mark
		}
		return out
	}
	if got := state(); got != "a+b+c-" {
		t.Fatalf("history = %s", got)
	}
	// A new edit drops the redo stack.
	s.AppendEdit(ctx, &Edit{SessionID: "s", Instruction: "d"})
	if got := state(); got != "a+b+d+" {
		t.Fatalf("history after new edit = %s", got)
	}
	if n, _ := s.Redo(ctx, "s", 1); n != 0 {
		t.Fatalf("redo with empty stack = %d", n)
	}
	if n, _ := s.Undo(ctx, "s", 10); n != 3 {
		t.Fatalf("undo all = %d", n)
	}
}

func TestJobsConcurrent(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			j := &Job{ID: "j", SessionID: "s", Backend: "local", Status: "running", Progress: float64(i)}
			if err := s.PutJob(ctx, j); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	j, err := s.GetJob(ctx, "j")
	if err != nil || j.Status != "running" {
		t.Fatalf("job = %+v %v", j, err)
	}
	j.Status, j.RemoteID = "completed", "render_1"
	s.PutJob(ctx, j)
	js, _ := s.ListJobs(ctx, "s")
	if len(js) != 1 || js[0].Status != "completed" || js[0].RemoteID != "render_1" {
		t.Fatalf("jobs = %+v", js)
	}
	if _, err := s.GetJob(ctx, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown job err = %v", err)
	}
}
