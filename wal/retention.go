package wal

import (
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio/vfs"
)

// ApplyRetention deletes whole segments from the start of the log: while
// the log would still hold at least Options.RetentionBytes (if set)
// without the oldest segment (as Kafka's retention.bytes), and while the
// oldest segment's newest batch (maxTimestamp) is older than now -
// Options.RetentionTime (unless negative). The active segment is never
// deleted, so a log whose data sits in one segment keeps it (Roll first,
// or let SegmentAge roll it). StartOffset moves up; each removal is made
// durable (directory fsync) before the next, so a crash leaves a
// contiguous log. It blocks for the file removals; safe for concurrent
// use, including with readers, which get ErrOutOfRange for removed
// offsets.
func (l *Log) ApplyRetention(now time.Time) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.st.Lock()
	defer l.st.Unlock()
	if err := l.writableLocked(); err != nil {
		return err
	}
	cutoff := int64(-1 << 63)
	if l.opts.RetentionTime > 0 {
		cutoff = now.Add(-l.opts.RetentionTime).UnixMilli()
	}
	_, err := l.removeOldestLocked(func(s *segment) (bool, []any) {
		bySize := l.opts.RetentionBytes > 0 && l.size.Load()-s.size >= l.opts.RetentionBytes
		byTime := s.maxTS < cutoff
		return bySize || byTime, []any{"by_size", bySize, "by_time", byTime}
	})
	return err
}

// DeleteBefore deletes, oldest first, the closed segments that hold only
// offsets below offset, so StartOffset moves up to at most offset (to the
// base of the segment holding offset). A leader that has written
// everything its older records say in a newer form (a snapshot) frees
// them this way; a follower follows its leader's log start. It returns
// the number of segments removed. The active segment is never deleted;
// removals are made durable as ApplyRetention's are. Safe for concurrent
// use; cheap when there is nothing to delete.
func (l *Log) DeleteBefore(offset int64) (int, error) {
	l.st.RLock()
	some := len(l.st.segs) > 1 && l.st.segs[0].next <= offset
	l.st.RUnlock()
	if !some {
		return 0, nil
	}
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.st.Lock()
	defer l.st.Unlock()
	if err := l.writableLocked(); err != nil {
		return 0, err
	}
	return l.removeOldestLocked(func(s *segment) (bool, []any) {
		return s.next <= offset, []any{"before", offset}
	})
}

// removeOldestLocked removes the oldest segment while drop says so (never
// the active one) and trims the leader-epoch file; syncMu and st held.
func (l *Log) removeOldestLocked(drop func(*segment) (bool, []any)) (int, error) {
	removed := 0
	for len(l.st.segs) > 1 {
		s := l.st.segs[0]
		ok, why := drop(s)
		if !ok {
			break
		}
		// Drop it from the log before touching files: if removal fails
		// the log is fail-stopped and the rest is still contiguous.
		l.st.segs = l.st.segs[1:]
		l.start.Store(l.st.segs[0].base)
		l.size.Add(-s.size)
		if err := s.remove(l.fs); err != nil {
			return removed, l.failLocked(fmt.Errorf("wal: retention: %w", err))
		}
		if err := vfs.SyncDir(l.fs, l.dir); err != nil {
			return removed, l.failLocked(fmt.Errorf("wal: retention: sync dir: %w", err))
		}
		removed++
		l.logger.Info("wal: retention removed segment", append([]any{"base", s.base, "next", s.next, "bytes", s.size}, why...)...)
	}
	if removed > 0 && l.st.epochs.truncateFromStart(l.start.Load()) {
		if err := l.writeEpochsLocked(); err != nil {
			return removed, l.failLocked(err)
		}
	}
	return removed, nil
}
