package wal

import (
	"bytes"
	"fmt"
	"math"

	"github.com/fluvio-go/fluvio/batch"
)

// Stream is a leader's append of one batch that is written to the active
// segment while it still arrives (a large produce request read from the
// network in chunks), so that the copy into the page cache overlaps the
// transfer instead of following it. Nothing of it is visible until
// Commit: the segment's size, the index, EndOffset and DurableOffset move
// only there, after the caller checked the whole batch (Check), so no
// reader, follower, high watermark or end offset ever covers unchecked
// bytes. Abort (a bad batch, a short frame, a dead or slow client) cuts
// the file back to where the batch began; a crash in the middle leaves a
// torn tail past the last whole batch, which recovery cuts like any torn
// write.
//
// A Stream holds the log's lock from BeginStream to Commit or Abort:
// appends, reads and rolls of this log wait for it, so the caller must
// bound how long it streams (the SPU aborts and falls back to reading the
// request whole when it takes longer than a few milliseconds).
type Stream struct {
	l       *Log
	seg     *segment
	pos     int64 // where the batch starts in seg's .log
	n       int64 // the batch's size
	written int64
	base    int64
	end     int64
	done    bool
}

// BeginStream starts appending one batch of n bytes, whose first bytes
// (at least batch.HeaderSize) are hdr, as the partition leader: it
// assigns the batch's base offset (stamped into hdr, like AppendChecked)
// and rolls the active segment first if the batch would not fit. It
// returns (nil, nil), and changes nothing, when the batch cannot be
// streamed and must go through Check and AppendChecked instead: the log
// is busy (an append, a read or a roll holds its lock: streaming only
// when uncontended keeps others from waiting behind a transfer), hdr is
// not the header of one batch of exactly n bytes, n is over
// Options.MaxBatchBytes, or the batch starts a new leader epoch (whose
// entry must be durable before the data). It returns an error only when
// the log cannot be written (closed, failed, or the roll failed).
func (l *Log) BeginStream(hdr []byte, n int) (*Stream, error) {
	if len(hdr) < batch.HeaderSize || n > l.opts.MaxBatchBytes || n < batch.HeaderSize {
		return nil, nil
	}
	if size, err := batch.Size(hdr); err != nil || size != n {
		return nil, nil
	}
	if d := batch.LastOffsetDelta(hdr); d < 0 || batch.RecordCount(hdr) != d+1 {
		return nil, nil
	}
	if !l.st.TryLock() {
		return nil, nil
	}
	if err := l.writableLocked(); err != nil {
		l.st.Unlock()
		return nil, err
	}
	if batch.LeaderEpoch(hdr) != l.st.epochs.latest() {
		l.st.Unlock()
		return nil, nil
	}
	base := l.leo.Load()
	end := base + int64(batch.LastOffsetDelta(hdr)) + 1
	active := l.st.segs[len(l.st.segs)-1]
	if active.size > 0 && (active.size+int64(n) > l.opts.SegmentBytes ||
		l.opts.Now().Sub(active.created) >= l.opts.SegmentAge ||
		end-active.base > math.MaxUint32) {
		if err := l.rollLocked(); err != nil {
			l.st.Unlock()
			return nil, err
		}
		active = l.st.segs[len(l.st.segs)-1]
	}
	batch.SetBaseOffset(hdr, base)
	return &Stream{l: l, seg: active, pos: active.size, n: int64(n), base: base, end: end}, nil
}

// BaseOffset is the offset the batch gets.
func (s *Stream) BaseOffset() int64 { return s.base }

// Write appends the next bytes of the batch to the segment file (not yet
// visible). Writing more than the batch's size is an error. After a
// write error the log fails (ErrFailed), as for Append; the caller
// still calls Abort.
func (s *Stream) Write(p []byte) error {
	if s.done {
		return fmt.Errorf("wal: write to a finished stream")
	}
	if s.written+int64(len(p)) > s.n {
		return fmt.Errorf("wal: stream of %d bytes given %d", s.n, s.written+int64(len(p)))
	}
	if _, err := s.seg.log.Write(p); err != nil {
		return s.l.failLocked(fmt.Errorf("wal: write %s: %w", s.seg.path(logSuffix), err))
	}
	s.written += int64(len(p))
	return nil
}

// Commit makes the streamed batch part of the log once the caller has
// checked all of it: c must be the Check of exactly the bytes written
// (one batch, the header BeginStream stamped). It moves the segment's
// size, index, EndOffset and the log's size, wakes readers and, under
// SyncAlways, waits for an fsync covering it, like AppendChecked. If c
// does not match what was written, the stream is aborted and Commit
// fails with ErrInvalidBatch.
func (s *Stream) Commit(c batch.Checked) (base int64, err error) {
	if s.done {
		return -1, fmt.Errorf("wal: commit of a finished stream")
	}
	b := c.Bytes()
	if c.Len() != 1 || int64(len(b)) != s.n || s.written != s.n || batch.BaseOffset(b) != s.base ||
		!bytes.Equal(b[:batch.HeaderSize], s.header()) {
		s.Abort()
		return -1, fmt.Errorf("%w: the checked batch is not the one streamed (%d of %d bytes written)", ErrInvalidBatch, s.written, s.n)
	}
	l := s.l
	s.done = true
	before := s.seg.size
	s.seg.observe(b)
	l.size.Add(s.seg.size - before)
	l.leo.Store(s.end)
	l.kickWritebackLocked(s.seg)
	if !l.st.rpAsked && s.seg.size >= l.opts.SegmentBytes/16 {
		l.askRecoveryPointLocked()
	}
	if invariants {
		l.checkInvariantsLocked()
	}
	l.st.Unlock()
	l.streams.committed.Add(1)
	l.changed()
	if l.opts.Sync == SyncAlways {
		if err := l.syncTo(s.end); err != nil {
			return -1, err
		}
	}
	return s.base, nil
}

// header reads back the batch header written to the file (the first
// bytes of the stream), so Commit can check it is the one checked.
func (s *Stream) header() []byte {
	var h [batch.HeaderSize]byte
	if err := readHeader(s.seg.log, s.pos, &h); err != nil {
		return nil
	}
	return h[:]
}

// Abort gives the stream up: the segment file is cut back to where the
// batch began (the log fails, ErrFailed, if that truncate fails) and the
// log's lock is released. Abort after Commit or Abort does nothing.
func (s *Stream) Abort() {
	if s.done {
		return
	}
	s.done = true
	l := s.l
	if s.written > 0 {
		if err := s.seg.log.Truncate(s.pos); err != nil {
			_ = l.failLocked(fmt.Errorf("wal: cut an aborted stream from %s: %w", s.seg.path(logSuffix), err))
		}
	}
	if invariants {
		l.checkInvariantsLocked()
	}
	l.st.Unlock()
	l.streams.aborted.Add(1)
}

// Streams returns how many Streams were committed and how many aborted
// since the log was opened.
func (l *Log) Streams() (committed, aborted int64) {
	return l.streams.committed.Load(), l.streams.aborted.Load()
}
