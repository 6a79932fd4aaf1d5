package wal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/vfs"
)

// Log is the segmented write-ahead log of one partition replica. All its
// methods are safe for concurrent use. Lock order: gc, syncMu, st, rp,
// notify (gc is never held while taking another); no lock is held while waiting
// for data or for an fsync done by another goroutine.
type Log struct {
	dir    string
	opts   Options
	fs     vfs.FS
	logger *slog.Logger

	// syncMu is held by the goroutine doing an fsync of the active
	// segment and by operations that close or remove segment files, so
	// that no fsync runs on a closed file.
	syncMu sync.Mutex

	// gc is the group-commit state: at most one fsync round runs; the
	// appenders waiting for it wait on cond (which releases the mutex),
	// not in a queue on a lock.
	gc struct {
		sync.Mutex
		cond       sync.Cond // signalled when a round ends; L is &gc.Mutex
		running    bool
		round      uint64
		waiters    int         // callers that waited for the running round
		concurrent atomic.Bool // the last round had waiters
	}

	st struct {
		sync.RWMutex
		segs   []*segment // sorted by base offset; the last is active
		epochs epochCache
		failed error // first write or fsync error: fail-stop
		closed bool
		// created counts the segments a deferred roll created without
		// fsyncing the directory; dirSynced (under syncMu) is the count
		// the last directory fsync of a sync round covered.
		created int64
		rpAsked bool // askRecoveryPointLocked kicked the background
	}
	dirSynced int64 // guarded by syncMu

	// rp is the recovery point on disk (recoverypoint.go). The mutex
	// guards these fields only: the file's writers hold syncMu (or run
	// in Open), which orders them.
	rp struct {
		sync.Mutex
		onDisk bool
		value  int64
	}

	// sealKick wakes the background goroutine to fsync sealed segments
	// (nil when rolls fsync: SyncAlways, Options.SyncAtRoll).
	sealKick chan struct{}

	notify struct {
		sync.Mutex
		ch     chan struct{} // closed on the next change if used
		used   bool          // someone holds ch
		closed bool
	}

	leo      atomic.Int64 // next offset to assign; written under st
	durable  atomic.Int64 // offsets below it are fsynced
	start    atomic.Int64 // first offset held; written under st
	size     atomic.Int64 // bytes of all .log files; written under st
	latestEp atomic.Int32 // written under st
	fsyncs   atomic.Int64 // fsync rounds of the group commit, for benchmarks
	writers  atomic.Int64 // Appends between their start and their write
	streams  struct {
		committed, aborted atomic.Int64 // Streams (stream.go), for tests and benchmarks
	}

	// Early writeback (writeback.go): wbKick wakes its goroutine (nil
	// when off); wbOff turns it off when the files cannot take the hint;
	// wb is where the last round ended, guarded by syncMu.
	wbKick chan struct{}
	wbOff  atomic.Bool
	wb     struct {
		seg  *segment
		done int64
	}

	stop chan struct{} // closed by Close to stop the background goroutine
	wg   sync.WaitGroup

	repaired *Repair     // set by Open under TruncateAtCorruption; read-only after
	torn     *TornSealed // set by Open when it cut a torn sealed segment; read-only after

	// creation is what SyncCreate still has to make durable when Open ran
	// under Options.DeferCreateSync (recovery.go).
	creation struct {
		sync.Mutex
		pending bool
		levels  int // directory levels Open made
	}
}

// Dir returns the log's directory.
func (l *Log) Dir() string { return l.dir }

// EndOffset returns the log end offset (LEO): the offset the next
// appended record gets. Records below it are readable; they are durable
// only below DurableOffset. It does not block.
func (l *Log) EndOffset() int64 { return l.leo.Load() }

// DurableOffset returns the end of the fsynced prefix of the log: every
// record below it survives a power loss. It never exceeds EndOffset and
// never advances after the log has failed. It does not block.
func (l *Log) DurableOffset() int64 { return l.durable.Load() }

// StartOffset returns the first offset the log holds (raised by
// retention). It does not block.
func (l *Log) StartOffset() int64 { return l.start.Load() }

// Size returns the bytes in the log's segment files (indexes excluded).
func (l *Log) Size() int64 { return l.size.Load() }

// LatestEpoch returns the highest leader epoch of any batch in the log,
// or UndefinedEpoch (-1) if none.
func (l *Log) LatestEpoch() int32 { return l.latestEp.Load() }

// EndOffsetForEpoch answers a follower's KIP-101 query: the largest epoch
// <= epoch that this log holds batches of, and the offset where the next
// higher epoch starts (EndOffset for the latest epoch). If the log knows
// no such epoch it returns (UndefinedEpoch, UndefinedOffset); if epoch is
// below every known epoch it returns (epoch, start of the first epoch).
func (l *Log) EndOffsetForEpoch(epoch int32) (epochOut int32, endOffset int64) {
	l.st.RLock()
	defer l.st.RUnlock()
	return l.st.epochs.endOffsetFor(epoch, l.leo.Load())
}

// Epochs returns a copy of the leader-epoch table as (epoch, start
// offset) pairs, for diagnostics.
func (l *Log) Epochs() [][2]int64 {
	l.st.RLock()
	defer l.st.RUnlock()
	out := make([][2]int64, len(l.st.epochs.entries))
	for i, e := range l.st.epochs.entries {
		out[i] = [2]int64{int64(e.epoch), e.start}
	}
	return out
}

// Failed returns the write or fsync error that fail-stopped the log, or
// nil. A failed log refuses writes until it is closed and opened again.
func (l *Log) Failed() error {
	l.st.RLock()
	defer l.st.RUnlock()
	return l.st.failed
}

// writableLocked returns why the log cannot be written, if it cannot;
// st held.
func (l *Log) writableLocked() error {
	if l.st.closed {
		return ErrClosed
	}
	if l.st.failed != nil {
		return fmt.Errorf("%w: %w", ErrFailed, l.st.failed)
	}
	return nil
}

// failLocked fail-stops the log after a write or fsync error; st held
// for writing. It returns the error to give the caller.
func (l *Log) failLocked(err error) error {
	if l.st.failed == nil {
		l.st.failed = err
		l.logger.Error("wal: write failed; refusing further writes", "dir", l.dir, "err", err)
	}
	return fmt.Errorf("%w: %w", ErrFailed, err)
}

// Check validates the concatenated batches in b in one pass (size limit,
// length, magic, CRC, every record decoding and matching the header as
// batch.Check says) for AppendChecked. Errors wrap ErrInvalidBatch or
// ErrTooLarge and name the batch. It reads b only.
func (l *Log) Check(b []byte) (batch.Checked, error) {
	if len(b) == 0 {
		return batch.Checked{}, fmt.Errorf("%w: no batch", ErrInvalidBatch)
	}
	c, err := batch.CheckAll(b, l.opts.MaxBatchBytes)
	if errors.Is(err, batch.ErrTooLarge) {
		return batch.Checked{}, fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	if err != nil {
		return batch.Checked{}, fmt.Errorf("%w: %w", ErrInvalidBatch, err)
	}
	return c, nil
}

// CheckSummed is Check of b holding exactly one batch whose CRC-32C the
// caller computed as it arrived (batch.CheckSummed): a Stream's batch,
// checked without a second pass for the CRC.
func (l *Log) CheckSummed(b []byte, sum uint32) (batch.Checked, error) {
	c, err := batch.CheckSummed(b, l.opts.MaxBatchBytes, sum)
	if errors.Is(err, batch.ErrTooLarge) {
		return batch.Checked{}, fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	if err != nil {
		return batch.Checked{}, fmt.Errorf("%w: %w", ErrInvalidBatch, err)
	}
	return c, nil
}

// Append appends b, which holds one or more concatenated encoded batches,
// as the partition leader: Check, then AppendChecked.
func (l *Log) Append(b []byte) (base int64, err error) {
	c, err := l.Check(b)
	if err != nil {
		return -1, err
	}
	return l.AppendChecked(c)
}

// AppendChecked appends batches that passed Check, as the partition
// leader: it assigns base offsets in place starting at EndOffset (the
// CRC does not cover base offsets), writes the batches and returns the
// first one's base offset. Nothing is appended if a leader epoch goes
// backwards (ErrEpochRegression).
//
// The leader epoch stored is the one each batch carries (the caller
// stamps it with batch.SetLeaderEpoch); it must not be below LatestEpoch.
// A higher epoch is recorded in the leader-epoch file before the data is
// written.
//
// AppendChecked blocks while it writes. Under SyncAlways it returns only
// after an fsync covering the batches (shared with concurrent appends:
// group commit), so the records are durable on return; under SyncInterval
// and SyncNever they are readable on return and durable after the next
// (background or explicit) Sync. After a write or fsync error it returns
// ErrFailed, as does every later write. Safe for concurrent use; the
// batches of one call are contiguous.
func (l *Log) AppendChecked(c batch.Checked) (base int64, err error) {
	if c.Len() == 0 {
		return -1, fmt.Errorf("%w: no batch", ErrInvalidBatch)
	}
	l.writers.Add(1)
	l.st.Lock()
	if err := l.writableLocked(); err != nil {
		l.st.Unlock()
		l.writers.Add(-1)
		return -1, err
	}
	base = l.leo.Load()
	off, epoch := base, int32(math.MinInt32)
	for p := range c.All() {
		if err := epochAfter(p, &epoch); err != nil {
			l.st.Unlock()
			l.writers.Add(-1)
			return -1, err
		}
		batch.SetBaseOffset(p, off)
		off = batch.NextOffset(p)
	}
	end, err := l.appendLocked(c)
	l.st.Unlock()
	l.writers.Add(-1)
	if err != nil {
		return -1, err
	}
	l.changed()
	if l.opts.Sync == SyncAlways {
		if err := l.syncTo(end); err != nil {
			return -1, err
		}
	}
	return base, nil
}

// AppendReplica appends b (one or more concatenated batches) as a
// follower: base offsets are kept, and the first must equal EndOffset
// (else ErrOffsetMismatch) and each batch must start where the previous
// ends (else ErrInvalidBatch). Validation (Check), epochs, blocking and
// durability are as for Append. Safe for concurrent use.
func (l *Log) AppendReplica(b []byte) error {
	c, err := l.Check(b)
	if err != nil {
		return err
	}
	next, epoch := batch.BaseOffset(b), int32(math.MinInt32)
	for p := range c.All() {
		if got := batch.BaseOffset(p); got != next {
			return fmt.Errorf("%w: batch at offset %d where %d was expected", ErrInvalidBatch, got, next)
		}
		if err := epochAfter(p, &epoch); err != nil {
			return err
		}
		next = batch.NextOffset(p)
	}
	l.st.Lock()
	if err := l.writableLocked(); err != nil {
		l.st.Unlock()
		return err
	}
	if first, leo := batch.BaseOffset(b), l.leo.Load(); first != leo {
		l.st.Unlock()
		return fmt.Errorf("%w: first batch at offset %d, log ends at %d", ErrOffsetMismatch, first, leo)
	}
	end, err := l.appendLocked(c)
	l.st.Unlock()
	if err != nil {
		return err
	}
	l.changed()
	if l.opts.Sync == SyncAlways {
		return l.syncTo(end)
	}
	return nil
}

// epochAfter checks that batch p's leader epoch does not go below
// *epoch (the previous batch's) and moves *epoch to it.
func epochAfter(p []byte, epoch *int32) error {
	e := batch.LeaderEpoch(p)
	if e < *epoch {
		return fmt.Errorf("%w: batch at offset %d: leader epoch %d after %d", ErrEpochRegression, batch.BaseOffset(p), e, *epoch)
	}
	*epoch = e
	return nil
}

// appendLocked writes checked batches whose first base offset is
// EndOffset and whose leader epochs do not go backwards (epochAfter); st
// held for writing. It returns the new end offset. Nothing is written if
// the first epoch is below the log's latest.
func (l *Log) appendLocked(c batch.Checked) (int64, error) {
	b := c.Bytes()
	if e := batch.LeaderEpoch(b); e < l.st.epochs.latest() {
		return 0, fmt.Errorf("%w: batch epoch %d, log at epoch %d", ErrEpochRegression, e, l.st.epochs.latest())
	}
	active := l.st.segs[len(l.st.segs)-1]
	end := batch.NextOffset(c.Last())
	if active.size > 0 && (active.size+int64(len(b)) > l.opts.SegmentBytes ||
		l.opts.Now().Sub(active.created) >= l.opts.SegmentAge ||
		end-active.base > math.MaxUint32) {
		if err := l.rollLocked(); err != nil {
			return 0, err
		}
		active = l.st.segs[len(l.st.segs)-1]
	}
	// Record new epochs durably before the data that carries them.
	changed := false
	for p := range c.All() {
		changed = l.st.epochs.assign(batch.LeaderEpoch(p), batch.BaseOffset(p)) || changed
	}
	if changed {
		if err := l.writeEpochsLocked(); err != nil {
			return 0, l.failLocked(err)
		}
	}
	before := active.size
	if err := active.append(c); err != nil {
		return 0, l.failLocked(err)
	}
	l.size.Add(active.size - before)
	l.leo.Store(end)
	l.kickWritebackLocked(active)
	if !l.st.rpAsked && active.size >= l.opts.SegmentBytes/16 {
		l.askRecoveryPointLocked()
	}
	if invariants {
		l.checkInvariantsLocked()
	}
	return end, nil
}

func (l *Log) writeEpochsLocked() error {
	l.latestEp.Store(l.st.epochs.latest())
	if err := vfs.WriteFileAtomic(l.fs, l.path(epochFileName), formatEpochFile(l.st.epochs.entries)); err != nil {
		return fmt.Errorf("wal: write %s: %w", epochFileName, err)
	}
	return nil
}

// Roll seals the active segment and starts a new one at EndOffset; a
// no-op when the active segment is empty. Under SyncAlways and
// Options.SyncAtRoll it fsyncs the sealed segment first; under
// SyncInterval and SyncNever it leaves that fsync to the background
// goroutine (recoverypoint.go says how recovery copes). It blocks for its
// file operations. Safe for concurrent use.
func (l *Log) Roll() error {
	l.st.Lock()
	defer l.st.Unlock()
	if err := l.writableLocked(); err != nil {
		return err
	}
	return l.rollLocked()
}

// rollLocked seals the active segment and starts the next one; st held
// for writing. When rolls fsync (SyncAlways, SyncAtRoll, or no recovery
// point on disk yet): fsync the active segment and its indexes, create
// the next segment, fsync the directory. When they are deferred: write
// the sealed segment's index entries, mark it unsynced and create the
// next segment; the background goroutine fsyncs the directory, then the
// sealed segment (syncSealed), and DurableOffset waits for both.
func (l *Log) rollLocked() error {
	active := l.st.segs[len(l.st.segs)-1]
	if active.size == 0 {
		return nil
	}
	deferred := false
	if l.opts.deferRolls() {
		// No recovery point means every sealed segment is durable: this
		// roll fsyncs, and the background goroutine writes one so that
		// the next rolls need not (askRecoveryPointLocked).
		_, deferred = l.recoveryPoint()
	}
	if deferred {
		if err := active.flushIndexes(); err != nil {
			return l.failLocked(err)
		}
		active.unsynced = true
	} else {
		if err := active.syncAll(); err != nil {
			return l.failLocked(err)
		}
		l.advanceDurable(active.next)
	}
	s, err := createSegment(l.fs, l.dir, active.next, int64(l.opts.IndexIntervalBytes), l.opts.Now())
	if err != nil {
		return l.failLocked(err)
	}
	if deferred {
		l.st.created++ // its entry is made durable by the next sync round
	} else if err := vfs.SyncDir(l.fs, l.dir); err != nil {
		s.close()
		return l.failLocked(fmt.Errorf("wal: sync dir: %w", err))
	}
	l.st.segs = append(l.st.segs, s)
	l.logger.Debug("wal: rolled segment", "dir", l.dir, "base", s.base, "deferred_fsync", deferred)
	if deferred {
		l.kickSealLocked()
	} else {
		l.askRecoveryPointLocked()
	}
	return nil
}

// kickSealLocked wakes the background goroutine to fsync sealed segments
// or write the recovery point; st held. It never blocks.
func (l *Log) kickSealLocked() {
	select {
	case l.sealKick <- struct{}{}:
	default: // already kicked: that round takes this too
	}
}

// askRecoveryPointLocked asks the background goroutine, once, to write
// the recovery point when rolls are to be deferred and there is none on
// disk: it is written there (two fsyncs), not under the log's lock at a
// roll. Called at a roll that had to fsync for want of it, and when the
// active segment is a sixteenth full: early enough for the write (which
// waits for the filesystem's journal, so for some of the data written
// before it) to be done by the roll, late enough that logs that never
// fill a segment never write one. st held for writing.
func (l *Log) askRecoveryPointLocked() {
	if l.sealKick == nil || l.st.rpAsked {
		return
	}
	if _, ok := l.recoveryPoint(); ok {
		return
	}
	l.st.rpAsked = true
	l.kickSealLocked()
}

// unsyncedLocked returns the sealed segments whose fsync is still to be
// done, oldest first: always a run just before the active segment, as
// they are synced in order; st held.
func (l *Log) unsyncedLocked() []*segment {
	sealed := l.st.segs[:len(l.st.segs)-1]
	i := len(sealed)
	for i > 0 && sealed[i-1].unsynced {
		i--
	}
	if i == len(sealed) {
		return nil
	}
	return slices.Clone(sealed[i:])
}

// lowerRecoveryPointLocked brings the recovery point down to the active
// segment's base after a truncation cut below it; syncMu and st held.
func (l *Log) lowerRecoveryPointLocked() error {
	active := l.st.segs[len(l.st.segs)-1]
	active.unsynced = false // cut and fsynced, or new
	if r, ok := l.recoveryPoint(); ok && r > active.base {
		if err := l.writeRecoveryPoint(active.base); err != nil {
			return l.failLocked(err)
		}
	}
	return nil
}

// Truncate removes every record at or after offset, for a follower whose
// log diverged (KIP-101): the new EndOffset is offset, or the base of the
// batch containing offset if offset falls inside a batch. Segments after
// it are removed, the segment holding it is cut and fsynced, indexes and
// the leader-epoch file are updated. Truncating at or beyond EndOffset is
// a no-op; at or below StartOffset it empties the log, which then starts
// at offset. It blocks for the file operations and fsyncs; waiters in
// Wait are woken. Safe for concurrent use, but a leader should not
// truncate while appending.
func (l *Log) Truncate(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("%w: negative offset %d", ErrOutOfRange, offset)
	}
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.st.Lock()
	err := l.truncateLocked(offset)
	if err == nil {
		err = l.lowerRecoveryPointLocked()
	}
	l.clampWritebackLocked()
	l.st.Unlock()
	l.changed()
	return err
}

// Reset empties the log and restarts it at offset: every segment is
// removed, a new empty one starts at base offset offset (which may be
// past EndOffset), and the leader-epoch table is cleared. It is Kafka's
// truncate-fully-and-start-at, for a follower whose log ends below its
// leader's log start (retention removed what it lacks): it continues at
// the leader's start instead of never catching up. Durable on return.
// Safe for concurrent use.
func (l *Log) Reset(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("%w: negative offset %d", ErrOutOfRange, offset)
	}
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.st.Lock()
	err := l.resetLocked(offset)
	if err == nil {
		err = l.lowerRecoveryPointLocked()
	}
	l.st.Unlock()
	l.changed()
	return err
}

func (l *Log) resetLocked(offset int64) error {
	if err := l.writableLocked(); err != nil {
		return err
	}
	// The old segments go first, newest first, each removal durable: a
	// crash meanwhile leaves a prefix of the old log (the follower resets
	// again), never a gap before the new segment.
	for j := len(l.st.segs) - 1; j >= 0; j-- {
		if err := l.st.segs[j].remove(l.fs); err != nil {
			return l.failLocked(err)
		}
		if err := vfs.SyncDir(l.fs, l.dir); err != nil {
			return l.failLocked(err)
		}
		l.st.segs = l.st.segs[:j]
	}
	s, err := createSegment(l.fs, l.dir, offset, int64(l.opts.IndexIntervalBytes), l.opts.Now())
	if err != nil {
		return l.failLocked(err)
	}
	if err := vfs.SyncDir(l.fs, l.dir); err != nil {
		s.close()
		return l.failLocked(err)
	}
	l.st.segs = []*segment{s}
	l.start.Store(offset)
	l.leo.Store(offset)
	l.durable.Store(offset)
	l.recountSizeLocked()
	l.st.epochs.entries = nil
	if err := l.writeEpochsLocked(); err != nil {
		return l.failLocked(err)
	}
	l.logger.Info("wal: reset: the log restarts empty", "dir", l.dir, "start", offset)
	return nil
}

func (l *Log) truncateLocked(offset int64) error {
	if err := l.writableLocked(); err != nil {
		return err
	}
	if offset >= l.leo.Load() {
		return nil
	}
	segs := l.st.segs
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base > offset }) - 1
	if offset <= l.start.Load() {
		i = -1
	}
	// Remove the segments wholly after offset, newest first, making each
	// removal durable so a crash cannot leave a hole.
	for j := len(segs) - 1; j > i; j-- {
		if err := segs[j].remove(l.fs); err != nil {
			return l.failLocked(err)
		}
		if err := vfs.SyncDir(l.fs, l.dir); err != nil {
			return l.failLocked(err)
		}
		l.st.segs = segs[:j]
	}
	if i < 0 {
		s, err := createSegment(l.fs, l.dir, offset, int64(l.opts.IndexIntervalBytes), l.opts.Now())
		if err != nil {
			return l.failLocked(err)
		}
		if err := vfs.SyncDir(l.fs, l.dir); err != nil {
			s.close()
			return l.failLocked(err)
		}
		l.st.segs = []*segment{s}
		l.start.Store(offset)
		l.durable.Store(offset) // an empty, synced log
	} else {
		s := segs[i]
		pos, _, err := l.findBatchLocked(s, offset)
		if err != nil {
			return err
		}
		if err := s.truncateAt(pos); err != nil {
			return l.failLocked(err)
		}
	}
	active := l.st.segs[len(l.st.segs)-1]
	l.leo.Store(active.next)
	if i >= 0 {
		l.durable.Store(min(l.durable.Load(), active.next))
	}
	l.recountSizeLocked()
	if l.st.epochs.truncateFromEnd(active.next) {
		if err := l.writeEpochsLocked(); err != nil {
			return l.failLocked(err)
		}
	}
	l.logger.Info("wal: truncated", "dir", l.dir, "offset", offset, "end", active.next)
	return nil
}

func (l *Log) recountSizeLocked() {
	var n int64
	for _, s := range l.st.segs {
		n += s.size
	}
	l.size.Store(n)
}

// advanceDurable raises the durable offset to end (never lowers it).
func (l *Log) advanceDurable(end int64) {
	for {
		cur := l.durable.Load()
		if end <= cur || l.durable.CompareAndSwap(cur, end) {
			return
		}
	}
}

// Changed returns a channel closed at the next change of the log (append,
// truncate, close). Call it, then check the state, then wait on the
// channel, to never miss a change. Safe for concurrent use.
func (l *Log) Changed() <-chan struct{} {
	l.notify.Lock()
	defer l.notify.Unlock()
	l.notify.used = true
	return l.notify.ch
}

// changed wakes the holders of the Changed channel; the channel is closed
// outside the lock and replaced only if someone took it.
func (l *Log) changed() {
	l.notify.Lock()
	if !l.notify.used || l.notify.closed {
		l.notify.Unlock()
		return
	}
	old := l.notify.ch
	l.notify.ch = make(chan struct{})
	l.notify.used = false
	l.notify.Unlock()
	close(old)
}

// Wait blocks until EndOffset() > offset, ctx is done (ctx.Err()) or the
// log is closed (ErrClosed). It holds no lock while waiting. Safe for
// concurrent use.
func (l *Log) Wait(ctx context.Context, offset int64) error {
	for {
		l.notify.Lock()
		l.notify.used = true
		ch, closed := l.notify.ch, l.notify.closed
		l.notify.Unlock()
		if l.leo.Load() > offset {
			return nil
		}
		if closed {
			return ErrClosed
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Close stops the background goroutine, fsyncs the sealed segments still
// unsynced, the active segment and the directory (unless the log has
// failed) and closes the files. Later calls return ErrClosed, as do all
// other methods. Blocked Waits return ErrClosed. It blocks for the fsyncs.
func (l *Log) Close() error {
	l.st.Lock()
	if l.st.closed {
		l.st.Unlock()
		return ErrClosed
	}
	l.st.closed = true
	l.st.Unlock()

	l.notify.Lock()
	l.notify.closed = true
	ch := l.notify.ch
	l.notify.Unlock()
	close(ch)

	close(l.stop)
	l.wg.Wait()

	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.st.Lock()
	defer l.st.Unlock()
	var err error
	if l.st.failed == nil && len(l.st.segs) > 0 {
		sealed := l.unsyncedLocked()
		for _, s := range sealed {
			if err = s.syncFiles(); err != nil {
				break
			}
			s.unsynced = false
		}
		active := l.st.segs[len(l.st.segs)-1]
		if err == nil {
			err = active.syncAll()
		}
		if err == nil && l.st.created != l.dirSynced {
			if err = vfs.SyncDir(l.fs, l.dir); err == nil {
				l.dirSynced = l.st.created
			}
		}
		if err == nil && len(sealed) > 0 {
			err = l.writeRecoveryPoint(active.base)
		}
		if err == nil {
			l.advanceDurable(active.next)
		}
	}
	for _, s := range l.st.segs {
		s.close()
	}
	return err
}

// Remove closes the log (if open) and deletes its directory.
func (l *Log) Remove() error {
	if err := l.Close(); err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrFailed) {
		l.logger.Warn("wal: close before remove", "dir", l.dir, "err", err)
	}
	return Delete(l.dir, l.opts)
}

// Delete removes the log directory dir on opts.FS (default the OS) without
// opening it, e.g. to drop a corrupt replica before re-replicating it.
func Delete(dir string, opts Options) error {
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	if err := fs.RemoveAll(dir); err != nil {
		return fmt.Errorf("wal: remove %s: %w", dir, err)
	}
	return nil
}
