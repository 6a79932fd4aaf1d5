package batch

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Layout of the batch header. Each XxxOffset is the byte position of the
// field within an encoded batch.
const (
	BaseOffsetOffset      = 0
	LengthOffset          = 8
	LeaderEpochOffset     = 12
	MagicOffset           = 16
	CRCOffset             = 17
	AttributesOffset      = 21
	LastOffsetDeltaOffset = 23
	FirstTimestampOffset  = 27
	MaxTimestampOffset    = 35
	ProducerIDOffset      = 43
	ProducerEpochOffset   = 51
	BaseSequenceOffset    = 53
	RecordCountOffset     = 57
	RecordsOffset         = 61

	// HeaderSize is the size of the fixed batch header.
	HeaderSize = 61
	// LogOverhead is the size of the fields before and including
	// batchLength: total size = batchLength + LogOverhead.
	LogOverhead = 12
	// Magic is the only supported format version.
	Magic = 2
	// MaxSize is the hard cap on the total size of one batch (1 GiB).
	// Callers usually enforce a smaller limit with [ValidateMax].
	MaxSize = 1 << 30
	// CompressionMask selects the compression codec bits of attributes.
	CompressionMask = 0x07
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC-32C of p (the batch bytes from AttributesOffset to
// the end).
func Checksum(p []byte) uint32 { return crc32.Checksum(p, castagnoli) }

// Size returns the total size of the batch starting at b as stated by its
// batchLength field (b need not hold all of it). It returns ErrTooShort if
// b holds fewer than LogOverhead bytes, ErrCorrupt if the length is smaller
// than a header, and ErrTooLarge if the total exceeds MaxSize.
func Size(b []byte) (int, error) {
	if len(b) < LogOverhead {
		return 0, fmt.Errorf("%w: %d bytes, need %d for the length", ErrTooShort, len(b), LogOverhead)
	}
	l := int64(int32(binary.BigEndian.Uint32(b[LengthOffset:])))
	if l < HeaderSize-LogOverhead {
		return 0, fmt.Errorf("%w: batch length %d below header size", ErrCorrupt, l)
	}
	if l+LogOverhead > MaxSize {
		return 0, fmt.Errorf("%w: batch length %d", ErrTooLarge, l)
	}
	return int(l) + LogOverhead, nil
}

// The raw accessors read and write header fields of an encoded batch
// without decoding it. They require len(b) >= HeaderSize.

// BaseOffset returns the baseOffset field.
func BaseOffset(b []byte) int64 { return int64(binary.BigEndian.Uint64(b[BaseOffsetOffset:])) }

// SetBaseOffset sets the baseOffset field (not covered by the CRC).
func SetBaseOffset(b []byte, off int64) {
	binary.BigEndian.PutUint64(b[BaseOffsetOffset:], uint64(off))
}

// LeaderEpoch returns the partitionLeaderEpoch field.
func LeaderEpoch(b []byte) int32 { return int32(binary.BigEndian.Uint32(b[LeaderEpochOffset:])) }

// SetLeaderEpoch sets the partitionLeaderEpoch field (not covered by the CRC).
func SetLeaderEpoch(b []byte, e int32) {
	binary.BigEndian.PutUint32(b[LeaderEpochOffset:], uint32(e))
}

// Length returns the batchLength field (total size - LogOverhead), unchecked.
func Length(b []byte) int32 { return int32(binary.BigEndian.Uint32(b[LengthOffset:])) }

// CRC returns the stored crc field.
func CRC(b []byte) uint32 { return binary.BigEndian.Uint32(b[CRCOffset:]) }

// Attributes returns the attributes field.
func Attributes(b []byte) int16 { return int16(binary.BigEndian.Uint16(b[AttributesOffset:])) }

// LastOffsetDelta returns the lastOffsetDelta field: the batch covers
// offsets [BaseOffset, BaseOffset+LastOffsetDelta].
func LastOffsetDelta(b []byte) int32 {
	return int32(binary.BigEndian.Uint32(b[LastOffsetDeltaOffset:]))
}

// LastOffset returns BaseOffset(b) + LastOffsetDelta(b).
func LastOffset(b []byte) int64 { return BaseOffset(b) + int64(LastOffsetDelta(b)) }

// NextOffset returns the offset after the batch: LastOffset(b) + 1.
func NextOffset(b []byte) int64 { return LastOffset(b) + 1 }

// FirstTimestamp returns the firstTimestamp field (ms).
func FirstTimestamp(b []byte) int64 {
	return int64(binary.BigEndian.Uint64(b[FirstTimestampOffset:]))
}

// MaxTimestamp returns the maxTimestamp field (ms).
func MaxTimestamp(b []byte) int64 { return int64(binary.BigEndian.Uint64(b[MaxTimestampOffset:])) }

// ProducerID returns the producerId field.
func ProducerID(b []byte) int64 { return int64(binary.BigEndian.Uint64(b[ProducerIDOffset:])) }

// ProducerEpoch returns the producerEpoch field.
func ProducerEpoch(b []byte) int16 {
	return int16(binary.BigEndian.Uint16(b[ProducerEpochOffset:]))
}

// BaseSequence returns the baseSequence field.
func BaseSequence(b []byte) int32 { return int32(binary.BigEndian.Uint32(b[BaseSequenceOffset:])) }

// RecordCount returns the recordCount field.
func RecordCount(b []byte) int32 { return int32(binary.BigEndian.Uint32(b[RecordCountOffset:])) }

// Validate checks the first batch in buf: enough bytes, batchLength within
// MaxSize, magic, CRC, and sane lastOffsetDelta and recordCount. It does not
// decode records. It returns the batch's total size. Errors wrap
// ErrTooShort, ErrTooLarge, ErrBadMagic or ErrCorrupt.
func Validate(buf []byte) (n int, err error) { return ValidateMax(buf, MaxSize) }

// ValidateMax is Validate with a caller's limit on the total batch size;
// a larger batch gets ErrTooLarge before its CRC is computed.
func ValidateMax(buf []byte, maxSize int) (n int, err error) { return validate(buf, maxSize, nil) }

// UpdateChecksum returns crc updated with p: the CRC-32C of a batch's
// bytes from AttributesOffset on, computed piece by piece as they arrive
// (start from 0), equals Checksum of them whole.
func UpdateChecksum(crc uint32, p []byte) uint32 { return crc32.Update(crc, castagnoli, p) }

// validate is ValidateMax; when sum is set it is the CRC-32C of the
// batch's bytes from AttributesOffset on, already computed (as the batch
// arrived: UpdateChecksum), and is compared instead of computing it.
func validate(buf []byte, maxSize int, sum *uint32) (n int, err error) {
	n, err = Size(buf)
	if err != nil {
		return 0, err
	}
	if n > maxSize {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, maxSize)
	}
	if len(buf) < n {
		return 0, fmt.Errorf("%w: have %d bytes of a %d-byte batch", ErrTooShort, len(buf), n)
	}
	if buf[MagicOffset] != Magic {
		return 0, fmt.Errorf("%w: %d", ErrBadMagic, int8(buf[MagicOffset]))
	}
	got := uint32(0)
	if sum != nil {
		got = *sum
	} else {
		got = Checksum(buf[AttributesOffset:n])
	}
	if want := CRC(buf); got != want {
		return 0, fmt.Errorf("%w: crc %08x, computed %08x", ErrCorrupt, want, got)
	}
	lod, rc := LastOffsetDelta(buf), RecordCount(buf)
	if lod < 0 || rc < 0 || int64(rc) > int64(lod)+1 {
		return 0, fmt.Errorf("%w: lastOffsetDelta %d, recordCount %d", ErrCorrupt, lod, rc)
	}
	return n, nil
}
