package wal

import (
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/vfs"
)

// SyncPolicy says when appended data is fsynced.
type SyncPolicy int

const (
	// SyncAlways (the default) fsyncs before Append returns. Concurrent
	// Appends share one fsync (group commit).
	SyncAlways SyncPolicy = iota
	// SyncInterval fsyncs in the background every Options.SyncEvery; an
	// Append returns once written (page cache) and is durable after the
	// next background or explicit Sync.
	SyncInterval
	// SyncNever fsyncs only on Sync and Close, and in the background the
	// segments a roll sealed; for data whose durability comes from
	// replication.
	SyncNever
)

func (p SyncPolicy) String() string {
	switch p {
	case SyncAlways:
		return "always"
	case SyncInterval:
		return "interval"
	case SyncNever:
		return "never"
	}
	return fmt.Sprintf("SyncPolicy(%d)", int(p))
}

// Defaults of Options. A zero field takes its default.
const (
	DefaultSegmentBytes       = 256 << 20
	DefaultSegmentAge         = 7 * 24 * time.Hour
	DefaultRetentionTime      = 7 * 24 * time.Hour
	DefaultMaxBatchBytes      = 1<<20 + batch.HeaderSize
	DefaultIndexIntervalBytes = 4 << 10
	DefaultSyncEvery          = time.Second
	DefaultWritebackBytes     = 1 << 20
	// MaxSegmentBytes bounds SegmentBytes: index positions are 32-bit.
	MaxSegmentBytes = math.MaxInt32
)

// Options configures a Log. The zero value is valid: every zero field
// means its default.
type Options struct {
	// FS is the filesystem; default vfs.Default (the OS).
	FS vfs.FS
	// TruncateAtCorruption makes Open cut the log at the first corrupt
	// batch instead of failing with ErrCorrupt: the bytes from it are
	// kept in <segment>.log.broken and the later segments are removed
	// (see Log.Repaired). For a replica that re-fetches the rest from a
	// healthy one, or an operator's explicit repair; never by default.
	TruncateAtCorruption bool
	// TrustClosedIndexes makes Open check each closed segment only from
	// its last index entry on, as it did before every batch was checked:
	// for a log re-opened by the process that opened (and so checked) it
	// before, whose closed segments are immutable since their roll (for
	// example after a storage failure, where a full read per retry would
	// stall). Damage found later is still caught when a batch is read.
	TrustClosedIndexes bool
	// SegmentBytes is the size at which the active segment is rolled;
	// default 256 MiB, at most MaxSegmentBytes. One Append is never split,
	// so a segment can exceed it by one Append.
	SegmentBytes int64
	// SegmentAge rolls a non-empty active segment this long after it was
	// created (or opened); default 7 days.
	SegmentAge time.Duration
	// RetentionTime lets ApplyRetention delete a segment whose newest
	// batch (maxTimestamp) is older than this; default 7 days; negative
	// keeps data forever.
	RetentionTime time.Duration
	// RetentionBytes lets ApplyRetention delete the oldest segment while
	// the rest still holds at least this many bytes; default 0: no size
	// limit.
	RetentionBytes int64
	// MaxBatchBytes is the largest batch Append accepts (ErrTooLarge
	// beyond it); default 1 MiB + the 61-byte header.
	MaxBatchBytes int
	// IndexIntervalBytes is the spacing in bytes of sparse index entries;
	// default 4 KiB.
	IndexIntervalBytes int
	// Sync is the fsync policy; default SyncAlways.
	Sync SyncPolicy
	// SyncEvery is the period of background fsyncs under SyncInterval;
	// default 1 s.
	SyncEvery time.Duration
	// SyncAtRoll makes a roll fsync the segment it seals before the next
	// one starts, under the log's lock, as SyncAlways does, instead of
	// leaving that fsync to the background (recoverypoint.go). For a
	// caller that opens the log SyncNever and calls Sync after every
	// append (the SPU's sync=always): there damage anywhere in a sealed
	// segment stays corruption at open.
	SyncAtRoll bool
	// WritebackBytes: under SyncInterval and SyncNever, every this many
	// bytes appended to the active segment the log asks the kernel to
	// start writing them back without waiting (writeback.go; a hint, no
	// fsync, no durability change); default 1 MiB; negative: never.
	WritebackBytes int64
	// Logger receives recovery and failure reports; nil discards them.
	Logger *slog.Logger
	// Now is the clock for segment age and retention; default time.Now.
	Now func() time.Time
	// SyncParent makes the log directory's entry in its parent durable.
	// Open calls it when the log holds nothing yet (it created the
	// directory, or an earlier creation was cut short), after the
	// directory's own entries are synced; an error fails Open. Nil: Open
	// fsyncs the parent itself. A caller creating many logs under one
	// parent passes a shared group commit (one fsync for many logs
	// created at the same time).
	SyncParent func() error
	// DeferCreateSync makes Open return before the creation of a log
	// that holds nothing yet is durable (the fsyncs of its directory and
	// parent): the caller calls Log.SyncCreate before the log is used.
	// For a caller opening many logs: their fsyncs, issued once all of
	// them are created, share the filesystem's journal commits.
	DeferCreateSync bool
}

// Validate reports the first invalid field of o (zero fields are valid).
func (o Options) Validate() error {
	switch {
	case o.SegmentBytes < 0 || o.SegmentBytes > MaxSegmentBytes:
		return fmt.Errorf("wal: SegmentBytes %d out of [0, %d]", o.SegmentBytes, MaxSegmentBytes)
	case o.SegmentAge < 0:
		return fmt.Errorf("wal: negative SegmentAge %v", o.SegmentAge)
	case o.RetentionBytes < 0:
		return fmt.Errorf("wal: negative RetentionBytes %d", o.RetentionBytes)
	case o.MaxBatchBytes < 0 || o.MaxBatchBytes > batch.MaxSize:
		return fmt.Errorf("wal: MaxBatchBytes %d out of [0, %d]", o.MaxBatchBytes, batch.MaxSize)
	case o.MaxBatchBytes > 0 && o.MaxBatchBytes < batch.HeaderSize:
		return fmt.Errorf("wal: MaxBatchBytes %d below the batch header size", o.MaxBatchBytes)
	case o.IndexIntervalBytes < 0:
		return fmt.Errorf("wal: negative IndexIntervalBytes %d", o.IndexIntervalBytes)
	case o.Sync < SyncAlways || o.Sync > SyncNever:
		return fmt.Errorf("wal: unknown sync policy %d", int(o.Sync))
	case o.SyncEvery < 0:
		return fmt.Errorf("wal: negative SyncEvery %v", o.SyncEvery)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.SegmentAge == 0 {
		o.SegmentAge = DefaultSegmentAge
	}
	if o.RetentionTime == 0 {
		o.RetentionTime = DefaultRetentionTime
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.IndexIntervalBytes == 0 {
		o.IndexIntervalBytes = DefaultIndexIntervalBytes
	}
	if o.SyncEvery == 0 {
		o.SyncEvery = DefaultSyncEvery
	}
	if o.WritebackBytes == 0 {
		o.WritebackBytes = DefaultWritebackBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
