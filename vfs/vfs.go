package vfs

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// File is an open file. Write always appends at the end of the file (the
// WAL only ever appends, then truncates when it must). Not every File is
// safe for concurrent use: callers serialise Write, Truncate and Sync;
// ReadAt may run concurrently with them.
type File interface {
	io.Writer
	io.ReaderAt
	io.Closer
	// Sync flushes the file's data and size to stable storage. For a
	// directory opened with OpenDir it makes the directory's entries
	// (creates, renames, removes) durable.
	Sync() error
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Stat returns the file's info.
	Stat() (os.FileInfo, error)
}

// FS is the filesystem the WAL uses. Implementations are safe for
// concurrent use.
type FS interface {
	// Create creates name (truncating it if it exists) for reading and
	// appending.
	Create(name string) (File, error)
	// Open opens an existing file read-only.
	Open(name string) (File, error)
	// OpenAppend opens an existing file for reading and appending.
	OpenAppend(name string) (File, error)
	// OpenDir opens a directory so that Sync makes its entries durable.
	OpenDir(name string) (File, error)
	// Rename renames oldname to newname, replacing newname if it exists.
	Rename(oldname, newname string) error
	// Remove removes a file or empty directory.
	Remove(name string) error
	// RemoveAll removes name and everything under it.
	RemoveAll(name string) error
	// Stat returns the info of name.
	Stat(name string) (os.FileInfo, error)
	// ReadDir returns the sorted names of the entries of directory name.
	ReadDir(name string) ([]string, error)
	// MkdirAll creates a directory and its parents.
	MkdirAll(name string, perm os.FileMode) error
}

// Default is the operating system's filesystem.
var Default FS = osFS{}

type osFS struct{}

func (osFS) Create(name string) (File, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
}

func (osFS) Open(name string) (File, error) { return os.Open(name) }

func (osFS) OpenAppend(name string) (File, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_APPEND, 0)
}

func (osFS) OpenDir(name string) (File, error) { return os.Open(name) }

func (osFS) Rename(o, n string) error { return os.Rename(o, n) }

func (osFS) Remove(name string) error { return os.Remove(name) }

func (osFS) RemoveAll(name string) error { return os.RemoveAll(name) }

func (osFS) Stat(name string) (os.FileInfo, error) { return os.Stat(name) }

func (osFS) ReadDir(name string) ([]string, error) {
	es, err := os.ReadDir(name)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.Name()
	}
	slices.Sort(names)
	return names, nil
}

func (osFS) MkdirAll(name string, perm os.FileMode) error { return os.MkdirAll(name, perm) }

// SyncDir opens dir on fs and syncs it.
func SyncDir(fs FS, dir string) error {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteFileAtomic replaces name with data durably: write a temporary file,
// fsync it, rename it over name, fsync the directory.
func WriteFileAtomic(fs FS, name string, data []byte) error {
	if err := replaceFile(fs, name, data, true); err != nil {
		return err
	}
	return SyncDir(fs, filepath.Dir(name))
}

// ReplaceFile replaces name with data atomically but not durably: write a
// temporary file and rename it over name, with no fsync. After a crash
// name may hold the old content, the new one, or (where the file system
// does not order the rename after the data) an empty or partial file; it
// is for files whose reader tolerates all of those (a hint that can be
// rebuilt), where two fsyncs per write would cost more than the hint
// saves.
func ReplaceFile(fs FS, name string, data []byte) error {
	return replaceFile(fs, name, data, false)
}

// replaceFile writes data to name+".tmp", fsyncs it if sync, and renames
// it over name.
func replaceFile(fs FS, name string, data []byte, sync bool) error {
	tmp := name + ".tmp"
	f, err := fs.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fs.Rename(tmp, name)
}

// ReadFile reads the whole of name, refusing files larger than maxSize.
func ReadFile(fs FS, name string, maxSize int64) ([]byte, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxSize {
		return nil, fmt.Errorf("vfs: %s is %d bytes, limit %d", name, st.Size(), maxSize)
	}
	buf := make([]byte, st.Size())
	n, err := f.ReadAt(buf, 0)
	if err == io.EOF && n == len(buf) {
		err = nil
	}
	return buf[:n], err
}
