package vfstest

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/fluvio-go/fluvio/vfs"
)

// ErrInjected is the error an Injector returns.
var ErrInjected = errors.New("vfstest: injected error")

// Op is a kind of filesystem operation an Injector counts and can fail.
type Op uint32

// The operations an Injector sees. OpAll matches every mutating one.
const (
	OpWrite    Op = 1 << iota // File.Write on a regular file
	OpSync                    // File.Sync on a regular file
	OpDirSync                 // File.Sync on a directory
	OpRename                  // FS.Rename
	OpCreate                  // FS.Create
	OpTruncate                // File.Truncate
	OpRemove                  // FS.Remove and FS.RemoveAll
	// OpWriteback is vfs.StartWriteback (early writeback, a hint that
	// makes nothing durable); it is not among OpAll, so crash points
	// enumerated over OpAll are the same with or without it.
	OpWriteback
	OpAll = OpWrite | OpSync | OpDirSync | OpRename | OpCreate | OpTruncate | OpRemove
)

// Injector decides which operations of a WithErrors filesystem fail. It
// counts operations of each kind; FailAt arms it to fail the k-th
// operation among a set of kinds. A failed Write first writes half of its
// bytes (a torn write). It is safe for concurrent use.
type Injector struct {
	mu      sync.Mutex
	counts  map[Op]int // guarded by mu
	seen    int        // operations matching ops so far; guarded by mu
	ops     Op         // guarded by mu
	at      int        // guarded by mu
	sticky  bool       // guarded by mu
	tripped bool       // guarded by mu
	every   Op         // FailEvery's kinds; guarded by mu
	errno   error      // FailEvery's error; guarded by mu
}

// NewInjector returns an Injector that fails nothing until FailAt.
func NewInjector() *Injector { return &Injector{counts: map[Op]int{}} }

// FailAt arms the injector: the k-th (1-based, counted from now) operation
// whose kind is in ops fails. With sticky, every mutating operation after
// it fails too, as if the process had died at that point.
func (i *Injector) FailAt(ops Op, k int, sticky bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.ops, i.at, i.sticky, i.seen, i.tripped = ops, k, sticky, 0, false
}

// FailEvery arms the injector to fail every operation whose kind is in
// ops with err (for example syscall.ENOSPC, a full disk, or syscall.EIO)
// until Heal. A failed Write writes half of its bytes first.
func (i *Injector) FailEvery(ops Op, err error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.every, i.errno = ops, err
}

// Heal disarms FailEvery and FailAt: nothing fails from now on.
func (i *Injector) Heal() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.every, i.errno, i.ops, i.at, i.sticky = 0, nil, 0, 0, false
}

// Count returns how many operations of kind op have been attempted.
func (i *Injector) Count(op Op) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.counts[op]
}

// Tripped reports whether an error has been injected.
func (i *Injector) Tripped() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.tripped
}

func (i *Injector) check(op Op) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.counts[op]++
	if i.every&op != 0 {
		i.tripped = true
		return i.errno
	}
	if i.tripped && i.sticky {
		return fmt.Errorf("%w (after the crash point)", ErrInjected)
	}
	if i.ops&op == 0 || i.at <= 0 {
		return nil
	}
	i.seen++
	if i.seen == i.at {
		i.tripped = true
		return ErrInjected
	}
	return nil
}

// WithErrors wraps fs so that inj can fail its mutating operations.
func WithErrors(fs vfs.FS, inj *Injector) vfs.FS { return &errFS{fs: fs, inj: inj} }

type errFS struct {
	fs  vfs.FS
	inj *Injector
}

func (e *errFS) wrap(f vfs.File, err error, dir bool) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &errFile{File: f, inj: e.inj, dir: dir}, nil
}

func (e *errFS) Create(name string) (vfs.File, error) {
	if err := e.inj.check(OpCreate); err != nil {
		return nil, &os.PathError{Op: "create", Path: name, Err: err}
	}
	f, err := e.fs.Create(name)
	return e.wrap(f, err, false)
}

func (e *errFS) Open(name string) (vfs.File, error) {
	f, err := e.fs.Open(name)
	return e.wrap(f, err, false)
}

func (e *errFS) OpenAppend(name string) (vfs.File, error) {
	f, err := e.fs.OpenAppend(name)
	return e.wrap(f, err, false)
}

func (e *errFS) OpenDir(name string) (vfs.File, error) {
	f, err := e.fs.OpenDir(name)
	return e.wrap(f, err, true)
}

func (e *errFS) Rename(o, n string) error {
	if err := e.inj.check(OpRename); err != nil {
		return &os.LinkError{Op: "rename", Old: o, New: n, Err: err}
	}
	return e.fs.Rename(o, n)
}

func (e *errFS) Remove(name string) error {
	if err := e.inj.check(OpRemove); err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	return e.fs.Remove(name)
}

func (e *errFS) RemoveAll(name string) error {
	if err := e.inj.check(OpRemove); err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	return e.fs.RemoveAll(name)
}

func (e *errFS) Stat(name string) (os.FileInfo, error)        { return e.fs.Stat(name) }
func (e *errFS) ReadDir(name string) ([]string, error)        { return e.fs.ReadDir(name) }
func (e *errFS) MkdirAll(name string, perm os.FileMode) error { return e.fs.MkdirAll(name, perm) }

type errFile struct {
	vfs.File
	inj *Injector
	dir bool
}

func (f *errFile) Write(p []byte) (int, error) {
	if err := f.inj.check(OpWrite); err != nil {
		n := 0
		//nolint:errorlint // identity: the crash point itself, not a sticky failure after it
		if err == ErrInjected || !errors.Is(err, ErrInjected) {
			// A torn write: half of the bytes reach the file.
			n, _ = f.File.Write(p[:len(p)/2])
		}
		return n, err
	}
	return f.File.Write(p)
}

func (f *errFile) Sync() error {
	op := OpSync
	if f.dir {
		op = OpDirSync
	}
	if err := f.inj.check(op); err != nil {
		return err
	}
	return f.File.Sync()
}

// StartWriteback passes the hint to the wrapped file (vfs.StartWriteback)
// unless the injector fails it.
func (f *errFile) StartWriteback(off, n int64) error {
	if err := f.inj.check(OpWriteback); err != nil {
		return err
	}
	return vfs.StartWriteback(f.File, off, n)
}

func (f *errFile) Truncate(size int64) error {
	if err := f.inj.check(OpTruncate); err != nil {
		return err
	}
	return f.File.Truncate(size)
}
