package wal

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"strconv"
	"strings"

	"github.com/fluvio-go/fluvio/vfs"
)

// The recovery point (file recovery-point) says where the known-durable
// part of the log ends, as Kafka's recovery-point-offset-checkpoint does:
//
//	0              format version
//	1342           offset R: every segment that ends at or below R was fsynced
//
// Under SyncInterval and SyncNever (without Options.SyncAtRoll) a roll
// seals the active segment without fsyncing it: the background goroutine
// fsyncs the sealed segments, in order, and only then writes R (the base
// of the segment that was active when it started) and moves DurableOffset
// past them. After a power loss, a sealed segment at or past R may be
// short or hold zeroed pages while later segments hold data (the kernel
// writes pages back in no particular order): recovery cuts the log at its
// first damage there and removes every later segment, as for a torn tail
// of the active segment. So does the last segment when it starts at or
// past R, even with valid batches after the damage (it may be a sealed
// segment whose successor's entry was lost, whose pages the same reorder
// can tear; and the active segment's unsynced pages are written back in
// no set order too). Damage in a segment that ends at or below R is
// corruption (IsCorrupt), as before.
//
// The file is replaced atomically and durably (temp file, fsync, rename,
// fsync dir) before DurableOffset moves past what it covers, so after a
// crash it holds the last value written or the one before; both are at or
// below every durable sealed segment's end, and R only rises while the
// segments below it stay fsynced. Truncate and Reset lower it when they
// cut below it. A missing file means every sealed segment is durable: it
// is written before the first roll that leaves a segment unsynced, and
// Open removes it under SyncAlways and SyncAtRoll, where every roll
// fsyncs (so there damage anywhere stays corruption).

const (
	recoveryPointFile = "recovery-point"
	recoveryPointMax  = 4 << 10
)

func formatRecoveryPoint(r int64) []byte { return fmt.Appendf(nil, "0\n%d\n", r) }

func parseRecoveryPoint(b []byte) (int64, error) {
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || lines[0] != "0" {
		return 0, fmt.Errorf("%s: bad format %q", recoveryPointFile, b)
	}
	r, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || r < 0 {
		return 0, fmt.Errorf("%s: bad offset %q", recoveryPointFile, lines[1])
	}
	return r, nil
}

// readRecoveryPoint returns the recovery point, or ok false when the file
// is missing. An unreadable or invalid file is reported and taken as
// missing: every sealed segment is then held to the stricter rule (damage
// is corruption), never cut.
func (l *Log) readRecoveryPoint() (r int64, ok bool) {
	buf, err := vfs.ReadFile(l.fs, l.path(recoveryPointFile), recoveryPointMax)
	if errors.Is(err, iofs.ErrNotExist) {
		return 0, false
	}
	if err == nil {
		if r, err = parseRecoveryPoint(buf); err == nil {
			return r, true
		}
	}
	l.logger.Warn("wal: recovery point unreadable; every sealed segment is checked as durable", "err", err)
	return 0, false
}

// writeRecoveryPoint replaces the recovery point with r durably. Its
// callers hold syncMu (or run in Open), which orders the writes; l.rp is
// not held during the file operations, so a roll reading it never waits
// for them.
func (l *Log) writeRecoveryPoint(r int64) error {
	if cur, ok := l.recoveryPoint(); ok && cur == r {
		return nil
	}
	if err := vfs.WriteFileAtomic(l.fs, l.path(recoveryPointFile), formatRecoveryPoint(r)); err != nil {
		return fmt.Errorf("wal: write %s: %w", recoveryPointFile, err)
	}
	l.rp.Lock()
	l.rp.onDisk, l.rp.value = true, r
	l.rp.Unlock()
	return nil
}

// removeRecoveryPoint removes the recovery point durably (SyncAlways and
// SyncAtRoll, where every sealed segment is fsynced at its roll).
func (l *Log) removeRecoveryPoint() error {
	if err := l.fs.Remove(l.path(recoveryPointFile)); err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("wal: remove %s: %w", recoveryPointFile, err)
	}
	if err := vfs.SyncDir(l.fs, l.dir); err != nil {
		return fmt.Errorf("wal: sync dir: %w", err)
	}
	l.rp.Lock()
	l.rp.onDisk = false
	l.rp.Unlock()
	return nil
}

// recoveryPoint returns the recovery point on disk, or ok false when
// there is none.
func (l *Log) recoveryPoint() (r int64, ok bool) {
	l.rp.Lock()
	defer l.rp.Unlock()
	return l.rp.value, l.rp.onDisk
}

// deferRolls reports whether a roll leaves the sealed segment's fsync to
// the background (SyncInterval and SyncNever without SyncAtRoll).
func (o Options) deferRolls() bool { return o.Sync != SyncAlways && !o.SyncAtRoll }

// TornSealed describes the cut Open made at a sealed segment torn by a
// power loss before its background fsync (recoverypoint.go).
type TornSealed struct {
	Segment         int64 // base offset of the torn segment
	Position        int64 // byte position of the cut in its .log
	End             int64 // the log's end offset after the cut
	OldEnd          int64 // where the torn segment ended before the crash
	DroppedSegments int   // later segments removed
}

// TornSealed returns the cut Open made at a torn sealed segment, or nil
// if it made none. Records from End on were never fsynced: the replica
// layer fetches them again like a torn tail.
func (l *Log) TornSealed() *TornSealed { return l.torn }
