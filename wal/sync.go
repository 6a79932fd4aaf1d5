package wal

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/fluvio-go/fluvio/vfs"
)

// Sync makes every record appended so far durable: it returns after an
// fsync covering EndOffset (possibly one done by a concurrent caller).
// It blocks for the fsync. After a failed fsync the log is fail-stopped
// and Sync returns ErrFailed, now and later. Safe for concurrent use.
func (l *Log) Sync() error {
	l.st.RLock()
	err := l.writableLocked()
	l.st.RUnlock()
	if err != nil {
		return err
	}
	return l.syncTo(l.leo.Load())
}

// syncTo returns once DurableOffset >= target. Group commit: one caller
// at a time runs an fsync round covering everything written so far; the
// others wait for the round to end (without queueing on a lock), and
// return if it covered their data, or one of them starts the next round.
func (l *Log) syncTo(target int64) error {
	for {
		if l.durable.Load() >= target {
			return nil
		}
		l.gc.Lock()
		if l.gc.running {
			// Wait for the round in progress to end, then look again.
			round := l.gc.round
			l.gc.waiters++
			for l.gc.running && l.gc.round == round {
				l.gc.cond.Wait()
			}
			l.gc.Unlock()
			continue
		}
		if l.durable.Load() >= target {
			l.gc.Unlock()
			return nil
		}
		l.gc.running = true
		l.gc.round++
		l.gc.Unlock()
		// Let appenders that are writing (often those just released by
		// the previous round) finish, so this round covers them too.
		runtime.Gosched()
		if l.gc.concurrent.Load() {
			for t0 := time.Now(); time.Since(t0) < groupCommitWait; {
				runtime.Gosched()
			}
		}
		for i := 0; i < 8 && l.writers.Load() > 0; i++ {
			runtime.Gosched()
		}

		l.syncMu.Lock()
		err := l.syncOnce(target)
		l.syncMu.Unlock()

		l.gc.Lock()
		l.gc.running = false
		l.gc.concurrent.Store(l.gc.waiters > 0)
		l.gc.waiters = 0
		l.gc.Unlock()
		l.gc.cond.Broadcast()
		if err != nil {
			return err
		}
		if l.durable.Load() < target && l.leo.Load() < target {
			return fmt.Errorf("wal: offsets up to %d were truncated before they were synced", target)
		}
	}
}

// syncOnce fsyncs the sealed segments still unsynced, then the active
// segment, if target is not yet durable; syncMu held.
func (l *Log) syncOnce(target int64) error {
	if l.durable.Load() >= target {
		return nil
	}
	l.st.RLock()
	if err := l.writableLocked(); err != nil {
		l.st.RUnlock()
		return err
	}
	sealed := l.unsyncedLocked()
	f := l.st.segs[len(l.st.segs)-1].log
	end := l.leo.Load()
	created := l.st.created
	l.st.RUnlock()
	if err := l.syncDir(created); err != nil {
		return err
	}
	if err := l.syncSealed(sealed); err != nil {
		return err
	}
	l.fsyncs.Add(1)
	if err := f.Sync(); err != nil {
		return l.fail(fmt.Errorf("wal: fsync: %w", err))
	}
	// Offsets below end were all written to f or to older segments,
	// which were fsynced when rolled or just now.
	l.advanceDurable(end)
	return nil
}

// syncDir fsyncs the directory if segments were created since the last
// round's (created is st.created as read with the segments the caller
// syncs), so their entries are durable before anything in or after them
// is called durable; syncMu held.
func (l *Log) syncDir(created int64) error {
	if created == l.dirSynced {
		return nil
	}
	if err := vfs.SyncDir(l.fs, l.dir); err != nil {
		return l.fail(fmt.Errorf("wal: sync dir: %w", err))
	}
	l.dirSynced = created
	return nil
}

// syncSealed fsyncs the sealed segments a deferred roll left unsynced
// (unsyncedLocked's run, oldest first), then moves the recovery point
// past them, then DurableOffset: in that order, so that recovery never
// cuts what DurableOffset reported durable. syncMu held, st not.
func (l *Log) syncSealed(sealed []*segment) error {
	if len(sealed) == 0 {
		return nil
	}
	for _, s := range sealed {
		if err := s.syncFiles(); err != nil {
			return l.fail(err)
		}
	}
	last := sealed[len(sealed)-1]
	if err := l.writeRecoveryPoint(last.next); err != nil {
		return l.fail(err)
	}
	l.st.Lock()
	for _, s := range sealed {
		s.unsynced = false
	}
	l.st.Unlock()
	l.advanceDurable(last.next)
	return nil
}

// syncSealedNow is the background goroutine's answer to a roll that left
// its segment unsynced: fsync the directory and the sealed segments (not
// the active one). Asked for the recovery point (askRecoveryPointLocked),
// it writes one if there is none: at the active segment's base, below
// which every segment was fsynced at its roll (no roll is deferred
// without a recovery point on disk).
func (l *Log) syncSealedNow() {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.st.RLock()
	if l.writableLocked() != nil {
		l.st.RUnlock()
		return
	}
	sealed := l.unsyncedLocked()
	created := l.st.created
	base := l.st.segs[len(l.st.segs)-1].base
	l.st.RUnlock()
	if _, ok := l.recoveryPoint(); !ok {
		if err := l.writeRecoveryPoint(base); err != nil {
			_ = l.fail(err)
		}
		return
	}
	// A failure fail-stops the log; failLocked has logged it.
	if l.syncDir(created) == nil {
		_ = l.syncSealed(sealed)
	}
}

// fail is failLocked for a caller that does not hold st.
func (l *Log) fail(err error) error {
	l.st.Lock()
	defer l.st.Unlock()
	return l.failLocked(err)
}

// groupCommitWait is how long a group-commit round waits for more
// appenders before its fsync, when the previous round had company.
const groupCommitWait = 30 * time.Microsecond

// startBackground runs the log's background goroutine until Close: the
// SyncInterval fsync every Options.SyncEvery, the fsync of the segments a
// roll sealed (recoverypoint.go) and the early writeback (writeback.go),
// one goroutine per log rather than three.
func (l *Log) startBackground() {
	l.wg.Go(func() {
		var tick <-chan time.Time // nil (never ready) unless SyncInterval
		if l.opts.Sync == SyncInterval {
			t := time.NewTicker(l.opts.SyncEvery)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case <-l.stop:
				return
			case <-l.sealKick: // nil when rolls fsync
				l.syncSealedNow()
			case <-l.wbKick: // nil (never ready) when early writeback is off
				l.writeback()
			case <-tick:
				if err := l.Sync(); err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrFailed) {
					l.logger.Error("wal: background sync", "dir", l.dir, "err", err)
				}
			}
		}
	})
}
