package attack

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Sandbox is one case's folder tree (see the package comment).
type Sandbox struct {
	Dir     string // the whole tree
	Root    string // the only root
	In      string // inputs inside the root
	Data    string // AUDIOEDIT_DATA_DIR, inside the root
	Out     string // AUDIOEDIT_OUTPUT_DIR, inside the root
	Outside string // canaries outside the root
	Tmp     string // TMPDIR of the server
	Home    string // HOME of the server (outside the root)
	Cache   string // XDG_CACHE_HOME of the server: downloaded media
	Models  string // AUDIOEDIT_MODELS_DIR (empty: the classic denoiser)
	// Watch are further folders outside the root that must stay unread
	// and unwritten, like Outside (add them before the first server starts).
	Watch []string
	// Secret is a random marker written into outside/secret.txt: it must
	// never appear in a tool result, a log line or an output.
	Secret string

	top    map[string]bool      // top-level names of Dir at the start
	before map[string]fileState // outside tree at the start
	inputs map[string]string    // root/in checksums at the start
	old    time.Time            // access time set on every outside entry
}

type fileState struct {
	sum  string // "" for a folder
	link string // symlink target
}

// CanaryDuration is the length of outside/canary.wav: an output of this
// length means the canary was read.
const CanaryDuration = 2.345

// NewSandbox makes the tree under parent, the canaries and two inputs:
// in/tone.wav (1 s) and in/long.wav (3 s).
func NewSandbox(parent string) (*Sandbox, error) {
	dir, err := os.MkdirTemp(parent, "attack-")
	if err != nil {
		return nil, err
	}
	dir, err = filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "root")
	sb := &Sandbox{
		Dir: dir, Root: root, In: filepath.Join(root, "in"), Data: filepath.Join(root, "data"),
		Out: filepath.Join(root, "out"), Outside: filepath.Join(dir, "outside"), Tmp: filepath.Join(dir, "tmp"),
		Home: filepath.Join(dir, "home"), Cache: filepath.Join(dir, "cache"), Models: filepath.Join(dir, "models"),
	}
	for _, d := range []string{sb.In, sb.Data, sb.Out, sb.Outside, sb.Tmp, sb.Home, sb.Cache, sb.Models, filepath.Join(sb.Outside, "dir")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	sb.Secret = "CANARY-" + hex.EncodeToString(b[:])
	files := map[string][]byte{
		filepath.Join(sb.Outside, "secret.txt"):      []byte(sb.Secret + "\n"),
		filepath.Join(sb.Outside, "canary.wav"):      ToneWAV(CanaryDuration, 48000, 880),
		filepath.Join(sb.Outside, "dir", "keep.wav"): ToneWAV(CanaryDuration, 48000, 660),
		filepath.Join(sb.In, "tone.wav"):             ToneWAV(1, 48000, 440),
		filepath.Join(sb.In, "long.wav"):             ToneWAV(3, 48000, 330),
	}
	for p, data := range files {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
	}
	return sb, nil
}

// Env is the server environment for this sandbox; extra entries
// (KEY=VALUE) override it.
func (sb *Sandbox) Env(extra ...string) []string {
	env := map[string]string{
		"PATH":                 os.Getenv("PATH"),
		"HOME":                 sb.Home,
		"XDG_CACHE_HOME":       sb.Cache,
		"XDG_CONFIG_HOME":      filepath.Join(sb.Home, ".config"),
		"XDG_DATA_HOME":        filepath.Join(sb.Home, ".local", "share"),
		"TMPDIR":               sb.Tmp,
		"AUDIOEDIT_ROOTS":      sb.Root,
		"AUDIOEDIT_DATA_DIR":   sb.Data,
		"AUDIOEDIT_OUTPUT_DIR": sb.Out,
		"AUDIOEDIT_MODELS_DIR": sb.Models,
		"AUDIOEDIT_LOG_LEVEL":  "debug",
		"GORACE":               "halt_on_error=0",
	}
	for _, k := range []string{"AUDIOEDIT_FFMPEG", "AUDIOEDIT_FFPROBE"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		if rest, ok := strings.CutPrefix(v, "ROOT/"); ok { // a folder inside the root
			v = filepath.Join(sb.Root, rest)
		}
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Snapshot records the state the invariants compare against: the
// outside tree (checksums, then access times moved into the past) and the
// inputs. Call it after the case has laid out its files, before the
// server touches them.
func (sb *Sandbox) Snapshot() error {
	var err error
	if sb.before, err = trees(sb.watched()); err != nil {
		return err
	}
	if sb.inputs, err = sums(sb.In); err != nil {
		return err
	}
	sb.top = map[string]bool{}
	ents, err := os.ReadDir(sb.Dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		sb.top[e.Name()] = true
	}
	// relatime moves the access time on a read when it is older than the
	// modification time: set it a year before, and the mtime a day after.
	sb.old = time.Now().Add(-365 * 24 * time.Hour).Truncate(time.Second)
	mod := sb.old.Add(24 * time.Hour)
	// Walk first, then set the times: listing a folder moves its own.
	var paths []string
	for _, dir := range sb.watched() {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type()&fs.ModeSymlink == 0 {
				paths = append(paths, p)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, p := range paths {
		if err := os.Chtimes(p, sb.old, mod); err != nil {
			return err
		}
	}
	return nil
}

func (sb *Sandbox) watched() []string { return append([]string{sb.Outside}, sb.Watch...) }

// trees records every entry under dirs.
func trees(dirs []string) (map[string]fileState, error) {
	out := map[string]fileState{}
	for _, d := range dirs {
		t, err := tree(d)
		if err != nil {
			return nil, err
		}
		for k, v := range t {
			out[k] = v
		}
	}
	return out, nil
}

// Verify checks the invariants: nothing outside the root read (access
// times), written, created or removed; no input changed; the secret in no
// text given. It returns every breach found.
func (sb *Sandbox) Verify(texts ...string) error {
	var errs []error
	// Access times first: checksumming reads the files.
	for _, dir := range sb.watched() {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.Type()&fs.ModeSymlink != 0 {
				return nil
			}
			var st syscall.Stat_t
			if syscall.Lstat(p, &st) == nil {
				at := time.Unix(st.Atim.Sec, st.Atim.Nsec)
				if at.After(sb.old.Add(time.Second)) {
					what := "read"
					if d.IsDir() {
						what = "listed"
					}
					errs = append(errs, fmt.Errorf("outside the roots %s was %s", rel(sb.Dir, p), what))
				}
			}
			return nil
		})
	}
	after, err := trees(sb.watched())
	if err != nil {
		errs = append(errs, err)
	}
	for p, st := range after {
		if b, ok := sb.before[p]; !ok {
			errs = append(errs, fmt.Errorf("outside the roots %s was created", rel(sb.Dir, p)))
		} else if b != st {
			errs = append(errs, fmt.Errorf("outside the roots %s was changed", rel(sb.Dir, p)))
		}
	}
	for p := range sb.before {
		if _, ok := after[p]; !ok {
			errs = append(errs, fmt.Errorf("outside the roots %s was removed", rel(sb.Dir, p)))
		}
	}
	ents, _ := os.ReadDir(sb.Dir)
	for _, e := range ents {
		if !sb.top[e.Name()] {
			errs = append(errs, fmt.Errorf("outside the roots %s was created", e.Name()))
		}
	}
	now, err := sums(sb.In)
	if err != nil {
		errs = append(errs, err)
	}
	for p, s := range sb.inputs {
		if now[p] != s {
			errs = append(errs, fmt.Errorf("input %s was changed or removed", rel(sb.Dir, p)))
		}
	}
	// Checksumming read the canaries: put their access times back so that
	// a later Verify sees only the server's reads.
	mod := sb.old.Add(24 * time.Hour)
	for p, st := range sb.before {
		if st.link == "" {
			_ = os.Chtimes(p, sb.old, mod)
		}
	}
	for _, t := range texts {
		if strings.Contains(t, sb.Secret) {
			errs = append(errs, errors.New("the outside secret appeared in what the server said"))
			break
		}
	}
	return errors.Join(errs...)
}

// tree records every entry under dir.
func tree(dir string) (map[string]fileState, error) {
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[p] = fileState{link: l}
		case d.IsDir():
			out[p] = fileState{}
		default:
			s, err := sum(p)
			if err != nil {
				return err
			}
			out[p] = fileState{sum: s}
		}
		return nil
	})
	return out, err
}

// sums checksums the regular files under dir (symlinks are not followed).
func sums(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			s, err := sum(p)
			if err != nil {
				return err
			}
			out[p] = s
		}
		return nil
	})
	return out, err
}

func sum(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func rel(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}
