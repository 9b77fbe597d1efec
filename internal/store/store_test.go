package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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

// Eight writers adding media to one session at once, each call a
// read-then-write transaction, must all succeed: a deferred transaction
// that reads, then tries to write after another writer committed, gets
// "database is locked" at once (no busy wait can save it).
func TestAddMediaConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	if err := s.CreateSession(ctx, &Session{ID: "s", Backend: "local"}); err != nil {
		t.Fatal(err)
	}
	const writers, calls = 8, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				m := &Media{ID: fmt.Sprintf("m%d_%d", w, i), Name: "a.wav"}
				if err := s.AddMedia(ctx, "s", []*Media{m}); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d of %d AddMedia calls failed; first: %v", len(failed), writers*calls, failed[0])
	}
	media, err := s.ListMedia(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(media) != writers*calls {
		t.Fatalf("%d media, want %d", len(media), writers*calls)
	}
	for i, m := range media {
		if m.Seq != i+1 {
			t.Fatalf("media %d has seq %d: numbering has a gap or a duplicate", i, m.Seq)
		}
	}
}

// The database records its schema version, and the pragmas that make a
// commit durable and writers wait for each other are in force.
func TestSchemaVersionAndPragmas(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	var v, sync int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != len(migrations) || v < 2 {
		t.Fatalf("user_version = %d, want %d", v, len(migrations))
	}
	if err := s.db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if sync != 2 { // FULL
		t.Fatalf("synchronous = %d, want 2 (FULL)", sync)
	}
	s.Close()
	// Reopening runs no migration twice and keeps the version.
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("reopened user_version = %d, %v", v, err)
	}
}

// A database written by a newer server is refused, not mangled.
func TestNewerSchemaRefused(t *testing.T) {
	s, path := open(t)
	if _, err := s.db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s2, err := Open(path); err == nil {
		s2.Close()
		t.Fatal("Open accepted a database from a newer version")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("err = %v, want it to say the database is newer", err)
	}
}

func TestListSessionsAndJobOwner(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	for _, id := range []string{"a", "b"} {
		if err := s.CreateSession(ctx, &Session{ID: id, Backend: "local"}); err != nil {
			t.Fatal(err)
		}
	}
	s.CreateSession(ctx, &Session{ID: "n", Backend: "nemo"})
	s.AddMedia(ctx, "a", []*Media{{ID: "m1", Name: "x.wav"}, {ID: "m2", Name: "y.mp4"}})
	time.Sleep(2 * time.Millisecond) // updated_at has millisecond resolution
	s.AppendEdit(ctx, &Edit{SessionID: "b", Instruction: "cut 0-1"})
	got, err := s.ListSessions(ctx, "local", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].SessionID != "b" || got[1].SessionID != "a" {
		t.Fatalf("sessions = %+v, want b then a (most recent first, local only)", got)
	}
	if got[0].Edits != 1 || got[0].LastEdit.IsZero() || len(got[1].Files) != 2 || got[1].Files[1] != "y.mp4" || !got[1].LastEdit.IsZero() {
		t.Fatalf("sessions = %+v", got)
	}
	if one, _ := s.ListSessions(ctx, "local", 1); len(one) != 1 {
		t.Fatalf("limit 1 gave %d", len(one))
	}
	if err := s.PutJob(ctx, &Job{ID: "j", SessionID: "a", Backend: "local", Status: "running", Owner: "pid:1:2:boot"}); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.GetJob(ctx, "j"); j.Owner != "pid:1:2:boot" {
		t.Fatalf("owner = %q", j.Owner)
	}
}
