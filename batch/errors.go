package batch

import "errors"

var (
	// ErrCorrupt is returned when a batch fails its CRC check or its
	// contents are inconsistent (bad lengths, record count, offsets).
	ErrCorrupt = errors.New("batch: corrupt")
	// ErrTooShort is returned when the buffer ends before the batch does:
	// fewer than 12 bytes, or fewer than the batch length says. On disk at
	// the end of a log this is a torn write.
	ErrTooShort = errors.New("batch: too short")
	// ErrBadMagic is returned when the magic byte is not [Magic].
	ErrBadMagic = errors.New("batch: bad magic")
	// ErrTooLarge is returned when batchLength exceeds the limit given to
	// [ValidateMax] or the hard cap [MaxSize].
	ErrTooLarge = errors.New("batch: too large")
	// ErrCompressed is returned by [Decode] and [Recompress] for a batch
	// whose attributes name a compression codec this package does not know
	// (5-7; see [Codec]).
	ErrCompressed = errors.New("batch: unknown compression codec")
	// ErrInvalid is returned by [Check] for a batch whose CRC holds but
	// whose contents do not match its header or the format: records that
	// do not decode, a record count that is not lastOffsetDelta + 1,
	// offset or timestamp deltas out of range, unknown attribute bits.
	ErrInvalid = errors.New("invalid record batch")
)
