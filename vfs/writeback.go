package vfs

import (
	"errors"
	"os"
)

// WritebackStarter is a File that can start writing a range of its dirty
// pages to storage without waiting for them (Linux sync_file_range with
// SYNC_FILE_RANGE_WRITE). It is a hint, not a sync: nothing is durable
// until Sync returns, and an error from it means no more than that the
// hint was not taken (a write error still surfaces at the next Sync).
type WritebackStarter interface {
	StartWriteback(off, n int64) error
}

// ErrNoWriteback is what StartWriteback returns for a File that cannot
// start writeback early (a file system or platform without it, or a File
// implementation that keeps no pages); callers stop asking.
var ErrNoWriteback = errors.New("vfs: early writeback not supported")

// StartWriteback asks f to start writing back bytes [off, off+n) without
// waiting (WritebackStarter). An *os.File does it with sync_file_range;
// another File without the method returns ErrNoWriteback.
func StartWriteback(f File, off, n int64) error {
	switch f := f.(type) {
	case WritebackStarter:
		return f.StartWriteback(off, n)
	case *os.File:
		return startWriteback(f, off, n)
	}
	return ErrNoWriteback
}
