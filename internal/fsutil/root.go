package fsutil

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// TempPrefix starts the name of every temporary file and folder the
// server makes (export outputs being written, decoded audio, downloads),
// followed by the process id: cleanup at start removes only names with
// this prefix whose process is gone, so it never touches anything else.
const TempPrefix = ".mcp-audioedit-tmp-"

// TempName is a fresh temp name for this process: TempPrefix, the pid, a
// random part, then suffix.
func TempName(suffix string) string {
	var b [6]byte
	rand.Read(b[:])
	return TempPrefix + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:]) + suffix
}

// rootFor returns the root holding path (by its text: no link is
// followed) and path relative to it. With several, the deepest wins.
func (r Roots) rootFor(path string) (root, rel string, err error) {
	if !filepath.IsAbs(path) {
		return "", "", fmt.Errorf("%w: %s is not an absolute path", ErrOutsideRoots, path)
	}
	path = filepath.Clean(path)
	for _, ro := range r {
		ro = filepath.Clean(ro)
		if path != ro && !strings.HasPrefix(path, strings.TrimSuffix(ro, string(filepath.Separator))+string(filepath.Separator)) {
			continue
		}
		if len(ro) > len(root) {
			root = ro
		}
	}
	if root == "" {
		return "", "", &OutsideError{Path: path, Roots: r}
	}
	rel, err = filepath.Rel(root, path)
	return root, rel, err
}

// escaped turns an os.Root refusal into ErrOutsideRoots when path now
// resolves outside root (a link put there after it was checked).
func escaped(err error, root, path string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if ev, e := filepath.EvalSymlinks(path); e == nil {
		if rel, e := filepath.Rel(root, ev); e == nil && (rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))) {
			return fmt.Errorf("%w: %s now leads outside %s (it was replaced by a link?); nothing was read or written through it", ErrOutsideRoots, path, root)
		}
	}
	return err
}

// inRoot runs fn with the root holding path, opened now, and path
// relative to it; a refusal of the root becomes ErrOutsideRoots.
func (r Roots) inRoot(path string, fn func(rt *os.Root, rel string) error) error {
	root, rel, err := r.rootFor(path)
	if err != nil {
		return err
	}
	rt, err := openRoot(root)
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := fn(rt, rel); err != nil {
		return escaped(err, root, path)
	}
	return nil
}

// Open opens path for reading through the root that holds it (os.Root):
// a symbolic link anywhere on the way that leads out of that root is
// refused at the moment of opening, not only when the path was checked.
func (r Roots) Open(path string) (f *os.File, err error) {
	err = r.inRoot(path, func(rt *os.Root, rel string) (err error) {
		f, err = rt.Open(rel)
		return err
	})
	return f, err
}

// Stat is os.Stat through the root that holds path.
func (r Roots) Stat(path string) (st os.FileInfo, err error) {
	err = r.inRoot(path, func(rt *os.Root, rel string) (err error) {
		st, err = rt.Stat(rel)
		return err
	})
	return st, err
}

// openDir opens folder dir through the roots, as an os.Root.
func (r Roots) openDir(dir string) (*os.Root, error) {
	root, rel, err := r.rootFor(dir)
	if err != nil {
		return nil, err
	}
	rt, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	if rel == "." {
		return rt, nil
	}
	defer rt.Close()
	sub, err := rt.OpenRoot(rel)
	if err != nil {
		return nil, escaped(err, root, dir)
	}
	return sub, nil
}

// ErrExist is returned by Output.Commit when the name is taken and
// overwrite was not asked for.
var ErrExist = fs.ErrExist

// Output is a file being written into a folder inside the roots: a temp
// file (TempPrefix, created exclusively) that Commit gives its final name
// without replacing anything, unless asked to. The folder is held open
// from the start and checked again at Commit, so a folder replaced by a
// link meanwhile cannot redirect the file.
type Output struct {
	roots   Roots
	Dir     string // the folder
	dir     *os.File
	tmp     *os.File
	tmpName string
	synced  bool
	done    bool
	// Path is the final path once committed.
	Path string
}

// CreateOutput creates a temp file (mode 0644) in folder dir, which must
// lie inside the roots and be reached without leaving them.
func (r Roots) CreateOutput(dir, suffix string) (*Output, error) {
	rt, err := r.openDir(dir)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	df, err := rt.Open(".")
	if err != nil {
		return nil, err
	}
	name := TempName(suffix)
	f, err := rt.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		df.Close()
		return nil, NoSpace(fmt.Errorf("create a file in %s: %w", dir, err), dir)
	}
	return &Output{roots: r, Dir: filepath.Clean(dir), dir: df, tmp: f, tmpName: name}, nil
}

// File is the temp file to write.
func (o *Output) File() *os.File { return o.tmp }

// Commit gives the temp file its final name in the folder. Without
// overwrite an existing file of that name is never replaced: the error
// is ErrExist and the temp file stays, so the caller can try another
// name. The folder must still be the one opened at CreateOutput.
func (o *Output) Commit(name string, overwrite bool) error {
	if o.done {
		return errors.New("output already committed")
	}
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		return fmt.Errorf("bad output name %q", name)
	}
	if !o.synced {
		if err := o.tmp.Sync(); err != nil {
			return NoSpace(fmt.Errorf("write %s: %w", filepath.Join(o.Dir, name), err), o.Dir)
		}
		o.synced = true
	}
	// Checked at use: the folder reached through the roots now must be
	// the one the file was written in.
	rt, err := o.roots.openDir(o.Dir)
	if err != nil {
		return err
	}
	now, err := rt.Stat(".")
	rt.Close()
	if err != nil {
		return err
	}
	then, err := o.dir.Stat()
	if err != nil {
		return err
	}
	if !os.SameFile(now, then) {
		return fmt.Errorf("%w: the folder %s was moved or replaced while the file was written; nothing was put there: export again", ErrOutsideRoots, o.Dir)
	}
	if overwrite {
		err = renameAt(o.dir, o.Dir, o.tmpName, name)
	} else {
		err = renameNoReplace(o.dir, o.Dir, o.tmpName, name)
	}
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrExist
		}
		return NoSpace(fmt.Errorf("write %s: %w", filepath.Join(o.Dir, name), err), o.Dir)
	}
	o.done = true
	o.Path = filepath.Join(o.Dir, name)
	o.dir.Sync() // the new name survives a crash
	return nil
}

// Close releases the output; an uncommitted temp file is removed.
func (o *Output) Close() error {
	o.tmp.Close()
	if !o.done {
		removeAt(o.dir, o.Dir, o.tmpName)
	}
	return o.dir.Close()
}

// MkdirTemp makes a fresh folder in dir named TempName(suffix).
func MkdirTemp(dir, suffix string) (string, error) {
	p, err := os.MkdirTemp(dir, TempPrefix+strconv.Itoa(os.Getpid())+"-*"+suffix)
	return p, NoSpace(err, dir)
}

// CreateTemp makes a fresh file (mode 0600) in dir named TempName(suffix).
func CreateTemp(dir, suffix string) (*os.File, error) {
	f, err := os.CreateTemp(dir, TempPrefix+strconv.Itoa(os.Getpid())+"-*"+suffix)
	return f, NoSpace(err, dir)
}

// openRoot opens a root folder. os.OpenRoot follows links in the root's
// own path, and roots are resolved to link-free paths when they are set
// (ParseRoots), so a root whose path is a link now, or names another
// folder than the one opened, was swapped after start: refused.
func openRoot(root string) (*os.Root, error) {
	rt, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	opened, err := rt.Stat(".")
	if err != nil {
		rt.Close()
		return nil, err
	}
	now, err := os.Lstat(root)
	if err != nil {
		rt.Close()
		return nil, err
	}
	if now.Mode()&fs.ModeSymlink != 0 || !os.SameFile(opened, now) {
		rt.Close()
		return nil, fmt.Errorf("%w: the folder %s was replaced by a link after the server started; nothing was read or written there", ErrOutsideRoots, root)
	}
	return rt, nil
}
