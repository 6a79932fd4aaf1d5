package wal

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by every method called after Close (and by
	// Wait when the log is closed while it waits).
	ErrClosed = errors.New("wal: closed")
	// ErrOutOfRange is returned by Read, Truncate and OffsetForTimestamp
	// for an offset outside [StartOffset, EndOffset]; the message gives
	// the valid range.
	ErrOutOfRange = errors.New("wal: offset out of range")
	// ErrCorrupt marks data on disk that fails its checks below the
	// recoverable tail: a CRC failure followed by valid data, a bad batch
	// in a non-last segment, or a gap between segments. Returned by Open
	// and Read, wrapped with the file and position; test with IsCorrupt.
	// The replica should be taken offline and re-replicated.
	ErrCorrupt = errors.New("wal: corrupt batch")
	// ErrInvalidBatch is returned by Check, Append and AppendReplica when the
	// input is not a sequence of valid batches (bad length, magic or CRC;
	// it wraps the batch package's error) or its offsets or epochs go
	// backwards. Nothing is appended. It is the caller's fault, not
	// corruption on disk.
	ErrInvalidBatch = errors.New("wal: invalid batch")
	// ErrTooLarge is returned by Check, Append and AppendReplica for a batch
	// larger than Options.MaxBatchBytes. Nothing is appended.
	ErrTooLarge = errors.New("wal: batch too large")
	// ErrOffsetMismatch is returned by AppendReplica when the first batch
	// does not start at EndOffset. Nothing is appended.
	ErrOffsetMismatch = errors.New("wal: offset mismatch")
	// ErrEpochRegression is returned by Append and AppendReplica for a
	// batch whose leader epoch is below LatestEpoch. Nothing is appended.
	ErrEpochRegression = errors.New("wal: leader epoch regression")
	// ErrFailed is returned by every write (Append, AppendReplica, Sync,
	// Truncate, Roll) after a write or fsync error: the log is
	// fail-stopped, since after a failed fsync the kernel may have dropped
	// the data (fsyncgate). Data not yet durable then is never reported
	// durable. Reopen the log to recover from what is on disk.
	ErrFailed = errors.New("wal: failed")
)

// IsCorrupt reports whether err marks corruption on disk (ErrCorrupt).
func IsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }

// CorruptError is the error Open returns for corruption on disk: the
// segment file and the byte position of the first bad batch. It matches
// ErrCorrupt; get it with errors.AsType[*CorruptError].
type CorruptError struct {
	File   string
	Pos    int64
	Reason string
	err    error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%v: %s at position %d: %s", ErrCorrupt, e.File, e.Pos, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Unwrap returns the cause (the batch package's error), if any.
func (e *CorruptError) Unwrap() error { return e.err }

func corruptf(file string, pos int64, format string, args ...any) error {
	return &CorruptError{File: file, Pos: pos, Reason: fmt.Sprintf(format, args...)}
}

// corruptAt wraps cause as corruption of file at pos.
func corruptAt(file string, pos int64, cause error, format string, args ...any) error {
	return &CorruptError{File: file, Pos: pos, Reason: fmt.Sprintf(format, args...), err: cause}
}

func outOfRange(offset, start, end int64) error {
	return fmt.Errorf("%w: offset %d, log holds [%d, %d)", ErrOutOfRange, offset, start, end)
}
