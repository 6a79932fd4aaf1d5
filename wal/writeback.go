package wal

import (
	"errors"

	"github.com/fluvio-go/fluvio/vfs"
)

// Early writeback. Under SyncInterval and SyncNever an Append returns once
// its bytes are in the page cache. Left alone, the kernel lets dirty pages
// pile up until its background threshold (dirty_background_ratio), then
// throttles every writer in write(2) once they pass the next one: a
// partition written faster than the disk for a few GiB would see its
// appends, and so its acks, stall in the kernel, and the fsync at each
// segment roll would wait for the whole segment. So, as RocksDB's
// bytes_per_sync does, every Options.WritebackBytes appended to the active
// segment a goroutine asks the kernel to start writing that span
// (vfs.StartWriteback: sync_file_range(SYNC_FILE_RANGE_WRITE)) without
// waiting for it. It is a hint: it makes nothing durable (DurableOffset
// moves only with an fsync), adds no fsync, and its errors are only
// logged: a write error shows at the next fsync, which fail-stops the log
// as before. Appends never wait for it; under SyncAlways every append is
// fsynced anyway and it is off.

// kickWritebackLocked wakes the writeback goroutine when the active
// segment s holds WritebackBytes not yet handed to it; st held for
// writing. It never blocks.
func (l *Log) kickWritebackLocked(s *segment) {
	if l.wbKick == nil || l.wbOff.Load() {
		return
	}
	if s.size-s.wbAsked < l.opts.WritebackBytes {
		return
	}
	s.wbAsked = s.size
	select {
	case l.wbKick <- struct{}{}:
	default: // already kicked: that round takes these bytes too
	}
}

// writeback starts the writeback of the active segment's bytes appended
// since the last round. It holds syncMu, so no file is closed under it
// and no fsync runs at the same time (an fsync round writes them anyway).
func (l *Log) writeback() {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.st.RLock()
	if l.writableLocked() != nil {
		l.st.RUnlock()
		return
	}
	s := l.st.segs[len(l.st.segs)-1]
	to := s.size
	l.st.RUnlock()
	from := int64(0)
	if l.wb.seg == s {
		from = l.wb.done
	}
	if to <= from {
		return
	}
	err := vfs.StartWriteback(s.log, from, to-from)
	l.wb.seg, l.wb.done = s, to
	switch {
	case errors.Is(err, vfs.ErrNoWriteback):
		l.wbOff.Store(true)
		l.logger.Debug("wal: early writeback not supported here; off", "dir", l.dir, "err", err)
	case err != nil:
		l.logger.Warn("wal: early writeback (a hint; the next fsync reports write errors)", "dir", l.dir, "err", err)
	}
}

// clampWritebackLocked brings the early writeback's marks back to the
// active segment's size after a truncate cut it; syncMu and st held.
func (l *Log) clampWritebackLocked() {
	s := l.st.segs[len(l.st.segs)-1]
	if l.wb.seg == s {
		l.wb.done = min(l.wb.done, s.size)
	}
	s.wbAsked = min(s.wbAsked, s.size)
}
