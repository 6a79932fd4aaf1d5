//go:build linux

package vfs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback runs sync_file_range(SYNC_FILE_RANGE_WRITE) on f: the
// kernel queues the range's dirty pages for writing and returns (it may
// block while the device's queue is full).
func startWriteback(f *os.File, off, n int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	}); err != nil {
		return err
	}
	if errors.Is(serr, unix.ENOSYS) || errors.Is(serr, unix.EINVAL) || errors.Is(serr, unix.ESPIPE) {
		return errors.Join(ErrNoWriteback, serr)
	}
	return serr
}
