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
	removed := 0
	for len(l.st.segs) > 1 {
		s := l.st.segs[0]
		bySize := l.opts.RetentionBytes > 0 && l.size.Load()-s.size >= l.opts.RetentionBytes
		byTime := s.maxTS < cutoff
		if !bySize && !byTime {
			break
		}
		// Drop it from the log before touching files: if removal fails
		// the log is fail-stopped and the rest is still contiguous.
		l.st.segs = l.st.segs[1:]
		l.start.Store(l.st.segs[0].base)
		l.size.Add(-s.size)
		if err := s.remove(l.fs); err != nil {
			return l.failLocked(fmt.Errorf("wal: retention: %w", err))
		}
		if err := vfs.SyncDir(l.fs, l.dir); err != nil {
			return l.failLocked(fmt.Errorf("wal: retention: sync dir: %w", err))
		}
		removed++
		l.logger.Info("wal: retention removed segment", "base", s.base, "next", s.next,
			"bytes", s.size, "by_size", bySize, "by_time", byTime)
	}
	if removed > 0 && l.st.epochs.truncateFromStart(l.start.Load()) {
		if err := l.writeEpochsLocked(); err != nil {
			return l.failLocked(err)
		}
	}
	return nil
}
