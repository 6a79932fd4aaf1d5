package vfstest

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/vfs"
)

// MemFS is an in-memory vfs.FS that remembers what has been synced, so that
// CrashClone can produce the state a power loss could leave behind:
//
//   - file data: everything up to the last File.Sync, plus possibly a
//     random prefix of the bytes appended since, the end of which may read
//     as zeros (the size reached the disk, the data did not);
//   - a truncation below the synced size is either kept or undone;
//   - directory entries (creates, renames, removes) since the directory's
//     last Sync each survive or are undone independently, by chance;
//   - a directory made by MkdirAll since its parent's last Sync survives
//     or is lost (with everything in it), by chance.
//
// Removing a directory is durable at once. MemFS is safe for concurrent
// use.
type MemFS struct {
	mu   sync.Mutex
	dirs map[string]*memDir // guarded by mu
	// newDirs are the directories made since their parent's last Sync.
	newDirs map[string]bool // guarded by mu
}

type memDir struct {
	entries map[string]*memNode // current
	synced  map[string]*memNode // as of the last Sync of the directory
}

type memNode struct {
	data      []byte
	syncedLen int    // data[:syncedLen] is durable; lowered by Truncate
	snapshot  []byte // the synced content, when truncated below it since the last sync
}

// NewCrashableMem returns an empty MemFS with the root directory "/".
func NewCrashableMem() *MemFS {
	m := &MemFS{dirs: map[string]*memDir{}, newDirs: map[string]bool{}}
	m.dirs["/"] = newMemDir()
	return m
}

func newMemDir() *memDir {
	return &memDir{entries: map[string]*memNode{}, synced: map[string]*memNode{}}
}

func clean(name string) string {
	if !filepath.IsAbs(name) {
		name = "/" + name
	}
	return filepath.Clean(name)
}

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// lookup returns the directory of name and its base; mu held.
func (m *MemFS) lookup(op, name string) (*memDir, string, error) {
	name = clean(name)
	d, ok := m.dirs[filepath.Dir(name)]
	if !ok {
		return nil, "", pathErr(op, name, fs.ErrNotExist)
	}
	return d, filepath.Base(name), nil
}

// Create implements FS.
func (m *MemFS) Create(name string) (vfs.File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.lookup("create", name)
	if err != nil {
		return nil, err
	}
	if _, ok := m.dirs[clean(name)]; ok {
		return nil, pathErr("create", name, errors.New("is a directory"))
	}
	n := &memNode{}
	d.entries[base] = n
	return &memFile{fs: m, n: n, name: clean(name), writable: true}, nil
}

func (m *MemFS) open(op, name string, writable bool) (vfs.File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.lookup(op, name)
	if err != nil {
		return nil, err
	}
	n, ok := d.entries[base]
	if !ok {
		return nil, pathErr(op, name, fs.ErrNotExist)
	}
	return &memFile{fs: m, n: n, name: clean(name), writable: writable}, nil
}

// Open implements FS.
func (m *MemFS) Open(name string) (vfs.File, error) { return m.open("open", name, false) }

// OpenAppend implements FS.
func (m *MemFS) OpenAppend(name string) (vfs.File, error) { return m.open("open", name, true) }

// OpenDir implements FS.
func (m *MemFS) OpenDir(name string) (vfs.File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.dirs[clean(name)]
	if !ok {
		return nil, pathErr("open", name, fs.ErrNotExist)
	}
	return &memFile{fs: m, dir: d, name: clean(name)}, nil
}

// Rename implements FS.
func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	od, ob, err := m.lookup("rename", oldname)
	if err != nil {
		return err
	}
	nd, nb, err := m.lookup("rename", newname)
	if err != nil {
		return err
	}
	n, ok := od.entries[ob]
	if !ok {
		return pathErr("rename", oldname, fs.ErrNotExist)
	}
	delete(od.entries, ob)
	nd.entries[nb] = n
	return nil
}

// Remove implements FS.
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = clean(name)
	if d, ok := m.dirs[name]; ok {
		if len(d.entries) > 0 || m.hasSubdir(name) {
			return pathErr("remove", name, errors.New("directory not empty"))
		}
		delete(m.dirs, name)
		delete(m.newDirs, name)
		return nil
	}
	d, base, err := m.lookup("remove", name)
	if err != nil {
		return err
	}
	if _, ok := d.entries[base]; !ok {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	delete(d.entries, base)
	return nil
}

func (m *MemFS) hasSubdir(name string) bool {
	for p := range m.dirs {
		if p != name && filepath.Dir(p) == name {
			return true
		}
	}
	return false
}

// RemoveAll implements FS.
func (m *MemFS) RemoveAll(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = clean(name)
	for p := range m.dirs {
		if p == name || strings.HasPrefix(p, name+"/") {
			delete(m.dirs, p)
			delete(m.newDirs, p)
		}
	}
	if d, ok := m.dirs[filepath.Dir(name)]; ok {
		delete(d.entries, filepath.Base(name))
	}
	return nil
}

// Stat implements FS.
func (m *MemFS) Stat(name string) (os.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = clean(name)
	if _, ok := m.dirs[name]; ok {
		return memInfo{name: filepath.Base(name), dir: true}, nil
	}
	d, base, err := m.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	n, ok := d.entries[base]
	if !ok {
		return nil, pathErr("stat", name, fs.ErrNotExist)
	}
	return memInfo{name: base, size: int64(len(n.data))}, nil
}

// ReadDir implements FS.
func (m *MemFS) ReadDir(name string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = clean(name)
	d, ok := m.dirs[name]
	if !ok {
		return nil, pathErr("readdir", name, fs.ErrNotExist)
	}
	var names []string
	for n := range d.entries {
		names = append(names, n)
	}
	for p := range m.dirs {
		if p != name && filepath.Dir(p) == name {
			names = append(names, filepath.Base(p))
		}
	}
	slices.Sort(names)
	return names, nil
}

// MkdirAll implements FS.
func (m *MemFS) MkdirAll(name string, _ os.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = clean(name)
	for p := name; ; p = filepath.Dir(p) {
		if _, ok := m.dirs[p]; !ok {
			if d, ok := m.dirs[filepath.Dir(p)]; ok {
				if _, isFile := d.entries[filepath.Base(p)]; isFile {
					return pathErr("mkdir", p, errors.New("not a directory"))
				}
			}
			m.dirs[p] = newMemDir()
			m.newDirs[p] = true
		}
		if p == "/" {
			return nil
		}
	}
}

// CrashClone returns a new MemFS holding a state this one could leave
// after a power loss. rng decides which unsynced changes survive;
// unsyncedPercent (0-100) is the chance that each unsynced change (a
// directory entry, a file's unsynced tail) survives: 0 keeps only synced
// state, 100 keeps everything (a process crash rather than a power loss).
func (m *MemFS) CrashClone(rng *rand.Rand, unsyncedPercent int) *MemFS {
	return m.crashClone(rng, unsyncedPercent, nil)
}

// CrashCloneReordered is CrashClone where, in each file whose path holes
// accepts, the surviving unsynced bytes may also miss a span anywhere
// (read as zeros) while the bytes after it survive: the kernel writes a
// file's dirty pages back in no set order, so a power loss can keep a
// later page and lose an earlier one. Other files crash as with
// CrashClone.
func (m *MemFS) CrashCloneReordered(rng *rand.Rand, unsyncedPercent int, holes func(path string) bool) *MemFS {
	return m.crashClone(rng, unsyncedPercent, holes)
}

func (m *MemFS) crashClone(rng *rand.Rand, unsyncedPercent int, holes func(string) bool) *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := func() bool {
		return unsyncedPercent >= 100 || (unsyncedPercent > 0 && rng.IntN(100) < unsyncedPercent)
	}
	out := &MemFS{dirs: map[string]*memDir{}, newDirs: map[string]bool{}}
	clones := map[*memNode]*memNode{}
	// Iterate in a stable order so a seed reproduces the same state.
	dirNames := make([]string, 0, len(m.dirs))
	for p := range m.dirs {
		dirNames = append(dirNames, p)
	}
	slices.Sort(dirNames)
	for _, p := range dirNames {
		d := m.dirs[p]
		// Parents sort before their children: a lost parent takes its
		// subtree with it.
		if _, ok := out.dirs[filepath.Dir(p)]; p != "/" && !ok {
			continue
		}
		if m.newDirs[p] && !keep() {
			continue
		}
		nd := newMemDir()
		out.dirs[p] = nd
		var names []string
		for n := range d.entries {
			names = append(names, n)
		}
		for n := range d.synced {
			if _, ok := d.entries[n]; !ok {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			cur, old := d.entries[name], d.synced[name]
			n := old
			if cur != old && keep() {
				n = cur
			}
			if n == nil {
				continue
			}
			c, ok := clones[n]
			if !ok {
				c = &memNode{data: n.crashData(rng, keep, unsyncedPercent)}
				if holes != nil && holes(filepath.Join(p, name)) {
					n.punchHole(rng, c.data)
				}
				c.syncedLen = len(c.data)
				clones[n] = c
			}
			nd.entries[name] = c
			nd.synced[name] = c
		}
	}
	return out
}

func (n *memNode) crashData(rng *rand.Rand, keep func() bool, pct int) []byte {
	if n.snapshot != nil && !keep() {
		return slices.Clone(n.snapshot)
	}
	// data[:syncedLen] is durable either way: it is what remains of the
	// synced content after any truncation since the last sync.
	base := min(n.syncedLen, len(n.data))
	out := slices.Clone(n.data[:base])
	tail := n.data[base:]
	if len(tail) == 0 || !keep() {
		return out
	}
	k := len(tail)
	if pct < 100 {
		k = rng.IntN(len(tail) + 1)
	}
	out = append(out, tail[:k]...)
	if pct < 100 && k > 0 && rng.IntN(4) == 0 {
		z := base + rng.IntN(k)
		clear(out[z:])
	}
	return out
}

// punchHole zeroes a random span of out (a crash state of n) within the
// bytes n had not synced, keeping at least one surviving byte after it;
// it does nothing when fewer than two unsynced bytes survived or a
// truncation below the synced size is pending.
func (n *memNode) punchHole(rng *rand.Rand, out []byte) {
	base := min(n.syncedLen, len(out))
	if n.snapshot != nil || len(out)-base < 2 {
		return
	}
	a := base + rng.IntN(len(out)-base-1)
	b := a + 1 + rng.IntN(len(out)-1-a)
	clear(out[a:b])
}

type memFile struct {
	fs       *MemFS
	n        *memNode
	dir      *memDir
	name     string
	writable bool
	closed   bool // guarded by fs.mu
}

var errClosed = errors.New("file already closed")

func (f *memFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, pathErr("write", f.name, errClosed)
	}
	if !f.writable || f.n == nil {
		return 0, pathErr("write", f.name, errors.New("bad file descriptor"))
	}
	f.n.data = append(f.n.data, p...)
	return len(p), nil
}

// StartWriteback is a no-op: it makes nothing durable (only Sync does, as
// CrashClone models), which is all early writeback promises.
func (f *memFile) StartWriteback(off, n int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("sync_file_range", f.name, errClosed)
	}
	return nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, pathErr("read", f.name, errClosed)
	}
	if f.n == nil {
		return 0, pathErr("read", f.name, errors.New("is a directory"))
	}
	if off < 0 {
		return 0, pathErr("read", f.name, errors.New("negative offset"))
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("sync", f.name, errClosed)
	}
	if f.dir != nil {
		f.dir.synced = make(map[string]*memNode, len(f.dir.entries))
		for k, v := range f.dir.entries {
			f.dir.synced[k] = v
		}
		for p := range f.fs.newDirs {
			if filepath.Dir(p) == f.name {
				delete(f.fs.newDirs, p)
			}
		}
		return nil
	}
	f.n.syncedLen = len(f.n.data)
	f.n.snapshot = nil
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("truncate", f.name, errClosed)
	}
	if !f.writable || f.n == nil || size < 0 {
		return pathErr("truncate", f.name, errors.New("invalid argument"))
	}
	n := f.n
	if int(size) < n.syncedLen && n.snapshot == nil {
		n.snapshot = slices.Clone(n.data[:n.syncedLen])
	}
	if int(size) <= len(n.data) {
		n.data = n.data[:size:size] // the next append must not overwrite the snapshot's array
	} else {
		n.data = append(n.data, make([]byte, int(size)-len(n.data))...)
	}
	n.syncedLen = min(n.syncedLen, int(size))
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.dir != nil {
		return memInfo{name: filepath.Base(f.name), dir: true}, nil
	}
	return memInfo{name: filepath.Base(f.name), size: int64(len(f.n.data))}, nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, errClosed)
	}
	f.closed = true
	return nil
}

type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() os.FileMode {
	if i.dir {
		return os.ModeDir | 0o755
	}
	return 0o644
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
