package spu

import (
	"time"

	"github.com/fluvio-go/fluvio/vfs"
)

// timedFS wraps a replica log's filesystem to time every fsync (files and
// directories) into the SPU's fsync histogram. Everything else passes
// through.
type timedFS struct {
	vfs.FS
	m *metrics
}

// timeSyncs returns fs (vfs.Default when nil) with its fsyncs timed, or fs
// itself when the SPU keeps no metrics.
func (m *metrics) timeSyncs(fs vfs.FS) vfs.FS {
	if m == nil {
		return fs
	}
	if fs == nil {
		fs = vfs.Default
	}
	return timedFS{FS: fs, m: m}
}

func (t timedFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return timedFile{File: f, m: t.m}, nil
}

func (t timedFS) Create(name string) (vfs.File, error)     { return t.wrap(t.FS.Create(name)) }
func (t timedFS) Open(name string) (vfs.File, error)       { return t.wrap(t.FS.Open(name)) }
func (t timedFS) OpenAppend(name string) (vfs.File, error) { return t.wrap(t.FS.OpenAppend(name)) }
func (t timedFS) OpenDir(name string) (vfs.File, error)    { return t.wrap(t.FS.OpenDir(name)) }

// timedFile times Sync.
type timedFile struct {
	vfs.File
	m *metrics
}

func (f timedFile) Sync() error {
	start := time.Now()
	err := f.File.Sync()
	f.m.observeSync(time.Since(start))
	return err
}

// StartWriteback passes the WAL's early-writeback hint through (it is not
// an fsync and is not timed).
func (f timedFile) StartWriteback(off, n int64) error { return vfs.StartWriteback(f.File, off, n) }
