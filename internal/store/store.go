// Package store keeps sessions, media, edit history and jobs in SQLite
// (modernc.org/sqlite, pure Go) in WAL mode. Every write is one
// transaction, so a crash leaves either the old or the new state.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
)

// ErrNotFound is returned when a session, media or job does not exist.
var ErrNotFound = errors.New("not found")

// Store is the database. It is safe for concurrent use.
type Store struct {
	db *sql.DB
}

// migrations are the schema's versions, in order: migrations[i] takes a
// database from version i to i+1 (PRAGMA user_version). Append only; never
// edit a step that has shipped. Step 1 is the original schema, written with
// IF NOT EXISTS so databases made before versioning (version 0) pass it.
var migrations = []string{schemaV1,
	// 2: the process that owns a running job, so a second server on the same
	// data folder leaves the first one's jobs alone at start.
	`ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
	CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(backend, updated_at);`,
}

const schemaV1 = `
CREATE TABLE IF NOT EXISTS sessions (
	id         TEXT PRIMARY KEY,
	backend    TEXT NOT NULL,
	remote_id  TEXT NOT NULL DEFAULT '',
	data       TEXT NOT NULL DEFAULT '{}',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS media (
	id         TEXT PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	name       TEXT NOT NULL,
	path       TEXT NOT NULL DEFAULT '',
	info       TEXT NOT NULL DEFAULT '{}',
	created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS media_session ON media(session_id, seq);
CREATE TABLE IF NOT EXISTS edits (
	session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	instruction TEXT NOT NULL,
	target      TEXT NOT NULL DEFAULT '',
	ops         TEXT NOT NULL DEFAULT '[]',
	undone      INTEGER NOT NULL DEFAULT 0,
	at          INTEGER NOT NULL,
	PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS jobs (
	id         TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	backend    TEXT NOT NULL,
	status     TEXT NOT NULL,
	progress   REAL NOT NULL DEFAULT 0,
	remote_id  TEXT NOT NULL DEFAULT '',
	request    TEXT NOT NULL DEFAULT '{}',
	result     TEXT NOT NULL DEFAULT '{}',
	error      TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);
CREATE TABLE IF NOT EXISTS kv (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`

// Open opens (creating when absent) the database at path, in WAL mode,
// and brings its schema up to date. ":memory:" is not supported: tests use
// a temp dir.
//
// Transactions begin IMMEDIATE (_txlock=immediate): every transaction here
// reads then writes, and a deferred one that read before another writer
// committed cannot upgrade its lock, so SQLite fails it at once with
// "database is locked" whatever the busy timeout. Taking the write lock at
// BEGIN makes writers queue on the busy timeout instead. synchronous=FULL
// makes each commit durable across a power cut, not only a crash.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	dsn := "file:" + path + "?_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// migrate runs the migrations the database has not had, each in its own
// transaction with its version, so a crash leaves a whole version.
func migrate(db *sql.DB) error {
	ctx := context.Background()
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		var v int
		if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
			tx.Rollback()
			return fmt.Errorf("schema version: %w", err)
		}
		if v > len(migrations) {
			tx.Rollback()
			return fmt.Errorf("the database has schema version %d, newer than this server's %d: upgrade mcp-audioedit, or point AUDIOEDIT_DATA_DIR at another folder", v, len(migrations))
		}
		if v == len(migrations) {
			return tx.Rollback()
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("schema migration %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("schema migration %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("schema migration %d: %w", v+1, err)
		}
	}
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func now() int64 { return time.Now().UnixMilli() }

func ms(t int64) time.Time { return time.UnixMilli(t).UTC() }

func orEmpty(b json.RawMessage, def string) string {
	if len(b) == 0 {
		return def
	}
	return string(b)
}

// Session is an editing session.
type Session struct {
	ID       string
	Backend  string
	RemoteID string // the cloud's session id, for the nemo backend
	// Data is backend-specific JSON (the local draft, the cloud's task id).
	Data      json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateSession inserts a new session; CreatedAt/UpdatedAt are set.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	t := now()
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions(id, backend, remote_id, data, created_at, updated_at) VALUES(?,?,?,?,?,?)`,
		sess.ID, sess.Backend, sess.RemoteID, orEmpty(sess.Data, "{}"), t, t)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	sess.CreatedAt, sess.UpdatedAt = ms(t), ms(t)
	return nil
}

// GetSession returns a session, or an error wrapping ErrNotFound.
func (s *Store) GetSession(ctx context.Context, id string) (*Session, error) {
	var sess Session
	var data string
	var c, u int64
	err := s.db.QueryRowContext(ctx, `SELECT id, backend, remote_id, data, created_at, updated_at FROM sessions WHERE id=?`, id).
		Scan(&sess.ID, &sess.Backend, &sess.RemoteID, &data, &c, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get session: %w", err)
	}
	sess.Data = json.RawMessage(data)
	sess.CreatedAt, sess.UpdatedAt = ms(c), ms(u)
	return &sess, nil
}

// UpdateSession writes a session's remote id and data.
func (s *Store) UpdateSession(ctx context.Context, sess *Session) error {
	t := now()
	res, err := s.db.ExecContext(ctx, `UPDATE sessions SET remote_id=?, data=?, updated_at=? WHERE id=?`,
		sess.RemoteID, orEmpty(sess.Data, "{}"), t, sess.ID)
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session %q: %w", sess.ID, ErrNotFound)
	}
	sess.UpdatedAt = ms(t)
	return nil
}

// ListSessions returns a backend's sessions, most recently changed first,
// at most limit of them (Current is left for the backend to mark).
func (s *Store) ListSessions(ctx context.Context, backendName string, limit int) ([]backend.SessionInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.created_at, s.updated_at,
		(SELECT COUNT(*) FROM edits e WHERE e.session_id=s.id),
		(SELECT COALESCE(MAX(at),0) FROM edits e WHERE e.session_id=s.id)
		FROM sessions s WHERE s.backend=? ORDER BY s.updated_at DESC, s.id LIMIT ?`, backendName, limit)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := []backend.SessionInfo{}
	for rows.Next() {
		var si backend.SessionInfo
		var c, u, last int64
		if err := rows.Scan(&si.SessionID, &c, &u, &si.Edits, &last); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		si.UpdatedAt, si.Files = ms(u), []string{}
		if last > 0 {
			si.LastEdit = ms(last)
		}
		out = append(out, si)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	for i := range out {
		media, err := s.ListMedia(ctx, out[i].SessionID)
		if err != nil {
			return nil, err
		}
		for _, m := range media {
			out[i].Files = append(out[i].Files, m.Name)
		}
	}
	return out, nil
}

// Get reads a key of the key-value table ("" and no error when absent).
func (s *Store) Get(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM kv WHERE key=?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get %s: %w", key, err)
	}
	return v, nil
}

// Set writes a key of the key-value table.
func (s *Store) Set(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO kv(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	return nil
}

// Media is a file added to a session.
type Media struct {
	ID        string
	SessionID string
	Seq       int // 1-based order within the session
	Name      string
	Path      string
	Info      json.RawMessage
	CreatedAt time.Time
}

// AddMedia appends media to a session in one transaction, numbering them.
func (s *Store) AddMedia(ctx context.Context, sessionID string, items []*Media) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add media: %w", err)
	}
	defer tx.Rollback()
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq),0) FROM media WHERE session_id=?`, sessionID).Scan(&seq); err != nil {
		return fmt.Errorf("add media: %w", err)
	}
	t := now()
	for _, m := range items {
		seq++
		m.SessionID, m.Seq, m.CreatedAt = sessionID, seq, ms(t)
		if _, err := tx.ExecContext(ctx, `INSERT INTO media(id, session_id, seq, name, path, info, created_at) VALUES(?,?,?,?,?,?,?)`,
			m.ID, sessionID, seq, m.Name, m.Path, orEmpty(m.Info, "{}"), t); err != nil {
			return fmt.Errorf("add media %s: %w", m.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET updated_at=? WHERE id=?`, t, sessionID); err != nil {
		return fmt.Errorf("add media: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add media: %w", err)
	}
	return nil
}

// ListMedia returns a session's media in upload order.
func (s *Store) ListMedia(ctx context.Context, sessionID string) ([]*Media, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, session_id, seq, name, path, info, created_at FROM media WHERE session_id=? ORDER BY seq`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list media: %w", err)
	}
	defer rows.Close()
	var out []*Media
	for rows.Next() {
		var m Media
		var info string
		var c int64
		if err := rows.Scan(&m.ID, &m.SessionID, &m.Seq, &m.Name, &m.Path, &info, &c); err != nil {
			return nil, fmt.Errorf("list media: %w", err)
		}
		m.Info, m.CreatedAt = json.RawMessage(info), ms(c)
		out = append(out, &m)
	}
	return out, rows.Err()
}

// Edit is one entry of a session's history.
type Edit struct {
	SessionID   string
	Seq         int
	Instruction string
	Target      string // media id the edit applies to; "" = all
	Ops         json.RawMessage
	Undone      bool
	At          time.Time
}

// AppendEdit records a new edit. Like any editor's history, a new edit
// discards the undone edits after it (the redo stack), in the same
// transaction.
func (s *Store) AppendEdit(ctx context.Context, e *Edit) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("append edit: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM edits WHERE session_id=? AND undone=1`, e.SessionID); err != nil {
		return fmt.Errorf("append edit: %w", err)
	}
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq),0) FROM edits WHERE session_id=?`, e.SessionID).Scan(&seq); err != nil {
		return fmt.Errorf("append edit: %w", err)
	}
	t := now()
	e.Seq, e.At, e.Undone = seq+1, ms(t), false
	if _, err := tx.ExecContext(ctx, `INSERT INTO edits(session_id, seq, instruction, target, ops, undone, at) VALUES(?,?,?,?,?,0,?)`,
		e.SessionID, e.Seq, e.Instruction, e.Target, orEmpty(e.Ops, "[]"), t); err != nil {
		return fmt.Errorf("append edit: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET updated_at=? WHERE id=?`, t, e.SessionID); err != nil {
		return fmt.Errorf("append edit: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("append edit: %w", err)
	}
	return nil
}

// ListEdits returns a session's history, oldest first, undone entries included.
func (s *Store) ListEdits(ctx context.Context, sessionID string) ([]*Edit, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT session_id, seq, instruction, target, ops, undone, at FROM edits WHERE session_id=? ORDER BY seq`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list edits: %w", err)
	}
	defer rows.Close()
	var out []*Edit
	for rows.Next() {
		var e Edit
		var ops string
		var undone int
		var at int64
		if err := rows.Scan(&e.SessionID, &e.Seq, &e.Instruction, &e.Target, &ops, &undone, &at); err != nil {
			return nil, fmt.Errorf("list edits: %w", err)
		}
		e.Ops, e.Undone, e.At = json.RawMessage(ops), undone != 0, ms(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// Undo marks the last n applied edits undone and returns how many it marked.
func (s *Store) Undo(ctx context.Context, sessionID string, n int) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE edits SET undone=1 WHERE session_id=? AND seq IN
		(SELECT seq FROM edits WHERE session_id=? AND undone=0 ORDER BY seq DESC LIMIT ?)`, sessionID, sessionID, n)
	if err != nil {
		return 0, fmt.Errorf("undo: %w", err)
	}
	k, _ := res.RowsAffected()
	return int(k), nil
}

// Redo marks the first n undone edits applied again and returns how many.
func (s *Store) Redo(ctx context.Context, sessionID string, n int) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE edits SET undone=0 WHERE session_id=? AND seq IN
		(SELECT seq FROM edits WHERE session_id=? AND undone=1 ORDER BY seq ASC LIMIT ?)`, sessionID, sessionID, n)
	if err != nil {
		return 0, fmt.Errorf("redo: %w", err)
	}
	k, _ := res.RowsAffected()
	return int(k), nil
}

// Job is a render job.
type Job struct {
	ID        string
	SessionID string
	Backend   string
	Status    string
	Progress  float64
	RemoteID  string // the cloud's render id
	Request   json.RawMessage
	Result    json.RawMessage
	Error     string
	// Owner names the process running the job (see local's owner id);
	// "" for jobs written before owners were recorded.
	Owner     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PutJob inserts or replaces a job.
func (s *Store) PutJob(ctx context.Context, j *Job) error {
	t := now()
	if j.CreatedAt.IsZero() {
		j.CreatedAt = ms(t)
	}
	j.UpdatedAt = ms(t)
	_, err := s.db.ExecContext(ctx, `INSERT INTO jobs(id, session_id, backend, status, progress, remote_id, request, result, error, owner, created_at, updated_at)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET status=excluded.status, progress=excluded.progress, remote_id=excluded.remote_id,
		request=excluded.request, result=excluded.result, error=excluded.error, owner=excluded.owner, updated_at=excluded.updated_at`,
		j.ID, j.SessionID, j.Backend, j.Status, j.Progress, j.RemoteID, orEmpty(j.Request, "{}"), orEmpty(j.Result, "{}"), j.Error,
		j.Owner, j.CreatedAt.UnixMilli(), t)
	if err != nil {
		return fmt.Errorf("put job: %w", err)
	}
	return nil
}

// GetJob returns a job, or an error wrapping ErrNotFound.
func (s *Store) GetJob(ctx context.Context, id string) (*Job, error) {
	row := s.db.QueryRowContext(ctx, `SELECT id, session_id, backend, status, progress, remote_id, request, result, error, owner, created_at, updated_at FROM jobs WHERE id=?`, id)
	j, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	return j, err
}

// ListJobs returns a session's jobs ("" = all sessions), newest first.
func (s *Store) ListJobs(ctx context.Context, sessionID string) ([]*Job, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, session_id, backend, status, progress, remote_id, request, result, error, owner, created_at, updated_at
		FROM jobs WHERE ?='' OR session_id=? ORDER BY created_at DESC`, sessionID, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanJob(r scanner) (*Job, error) {
	var j Job
	var req, res string
	var c, u int64
	if err := r.Scan(&j.ID, &j.SessionID, &j.Backend, &j.Status, &j.Progress, &j.RemoteID, &req, &res, &j.Error, &j.Owner, &c, &u); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("scan job: %w", err)
	}
	j.Request, j.Result, j.CreatedAt, j.UpdatedAt = json.RawMessage(req), json.RawMessage(res), ms(c), ms(u)
	return &j, nil
}
