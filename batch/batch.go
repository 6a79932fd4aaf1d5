package batch

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Header is one record header. A nil Value is encoded as null (-1).
type Header struct {
	Key   string
	Value []byte
}

// Record is one record of a batch. A nil Key or Value is encoded as null
// (length -1); an empty non-nil one as length 0.
type Record struct {
	Key, Value     []byte
	Headers        []Header
	TimestampDelta int64 // ms after the batch's FirstTimestamp
	OffsetDelta    int32 // offset - batch BaseOffset
}

// Batch is a decoded record batch.
type Batch struct {
	BaseOffset      int64
	LeaderEpoch     int32
	Attributes      int16
	LastOffsetDelta int32
	FirstTimestamp  int64
	MaxTimestamp    int64
	ProducerID      int64
	ProducerEpoch   int16
	BaseSequence    int32
	Records         []Record
}

// AppendTo appends the encoding of b to dst and returns the extended
// slice. The header fields are written as given (LastOffsetDelta is not
// derived from the records); recordCount is len(b.Records) and the CRC is
// computed. The encoding is not checked against MaxSize.
func (b *Batch) AppendTo(dst []byte) []byte {
	start := len(dst)
	dst = appendHeader(dst, b.BaseOffset, b.LeaderEpoch, b.Attributes, b.LastOffsetDelta,
		b.FirstTimestamp, b.MaxTimestamp, b.ProducerID, b.ProducerEpoch, b.BaseSequence, int32(len(b.Records)))
	for i := range b.Records {
		r := &b.Records[i]
		dst = appendRecord(dst, r.TimestampDelta, r.OffsetDelta, r.Key, r.Value, r.Headers)
	}
	finish(dst[start:])
	return dst
}

func appendHeader(dst []byte, base int64, epoch int32, attrs int16, lod int32, first, maxTS, pid int64, pepoch int16, seq, count int32) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(base))
	dst = binary.BigEndian.AppendUint32(dst, 0) // length, set by finish
	dst = binary.BigEndian.AppendUint32(dst, uint32(epoch))
	dst = append(dst, Magic)
	dst = binary.BigEndian.AppendUint32(dst, 0) // crc, set by finish
	dst = binary.BigEndian.AppendUint16(dst, uint16(attrs))
	dst = binary.BigEndian.AppendUint32(dst, uint32(lod))
	dst = binary.BigEndian.AppendUint64(dst, uint64(first))
	dst = binary.BigEndian.AppendUint64(dst, uint64(maxTS))
	dst = binary.BigEndian.AppendUint64(dst, uint64(pid))
	dst = binary.BigEndian.AppendUint16(dst, uint16(pepoch))
	dst = binary.BigEndian.AppendUint32(dst, uint32(seq))
	dst = binary.BigEndian.AppendUint32(dst, uint32(count))
	return dst
}

// finish sets batchLength and the CRC of the encoded batch b.
func finish(b []byte) {
	binary.BigEndian.PutUint32(b[LengthOffset:], uint32(len(b)-LogOverhead))
	binary.BigEndian.PutUint32(b[CRCOffset:], Checksum(b[AttributesOffset:]))
}

// varintSize is the size of x as a zigzag varint.
func varintSize(x int64) int {
	ux := uint64(x<<1) ^ uint64(x>>63)
	n := 1
	for ux >= 0x80 {
		ux >>= 7
		n++
	}
	return n
}

func bytesSize(p []byte) int {
	if p == nil {
		return varintSize(-1)
	}
	return varintSize(int64(len(p))) + len(p)
}

func appendBytes(dst, p []byte) []byte {
	if p == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(p)))
	return append(dst, p...)
}

func recordBodySize(tsDelta int64, offDelta int32, key, value []byte, headers []Header) int {
	n := 1 + varintSize(tsDelta) + varintSize(int64(offDelta)) + bytesSize(key) + bytesSize(value)
	n += varintSize(int64(len(headers)))
	for i := range headers {
		h := &headers[i]
		n += varintSize(int64(len(h.Key))) + len(h.Key) + bytesSize(h.Value)
	}
	return n
}

func appendRecord(dst []byte, tsDelta int64, offDelta int32, key, value []byte, headers []Header) []byte {
	dst = binary.AppendVarint(dst, int64(recordBodySize(tsDelta, offDelta, key, value, headers)))
	dst = append(dst, 0) // attributes
	dst = binary.AppendVarint(dst, tsDelta)
	dst = binary.AppendVarint(dst, int64(offDelta))
	dst = appendBytes(dst, key)
	dst = appendBytes(dst, value)
	return appendHeaders(dst, headers)
}

// appendHeaders appends a record's header count and headers.
func appendHeaders(dst []byte, headers []Header) []byte {
	dst = binary.AppendVarint(dst, int64(len(headers)))
	for i := range headers {
		h := &headers[i]
		dst = binary.AppendVarint(dst, int64(len(h.Key)))
		dst = append(dst, h.Key...)
		dst = appendBytes(dst, h.Value)
	}
	return dst
}

// minRecordSize is the smallest encoding of a record including its length.
const minRecordSize = 7

// Decode fully decodes the first batch in buf after validating it as
// Validate does, and returns it with the number of bytes it occupies.
// Record keys and values alias buf (or, for a compressed batch, the
// decompressed records); header keys are copied into strings. Allocation
// is bounded by len(buf), plus the decompressed size (at most MaxSize) for
// a compressed batch; Attributes keeps the codec. Errors wrap ErrTooShort,
// ErrTooLarge, ErrBadMagic, ErrCorrupt or ErrCompressed (an unknown codec).
func Decode(buf []byte) (Batch, int, error) { return DecodeInto(buf, nil) }

// DecodeInto is Decode with the records decoded into recs' array when it
// is large enough (the returned Batch's Records then alias it), so that a
// reader decoding batch after batch allocates no record slice per batch.
// The caller must be done with the previous batch's Records first.
func DecodeInto(buf []byte, recs []Record) (Batch, int, error) {
	n, err := Validate(buf)
	if err != nil {
		return Batch{}, 0, err
	}
	b := buf[:n]
	out := Batch{
		BaseOffset:      BaseOffset(b),
		LeaderEpoch:     LeaderEpoch(b),
		Attributes:      Attributes(b),
		LastOffsetDelta: LastOffsetDelta(b),
		FirstTimestamp:  FirstTimestamp(b),
		MaxTimestamp:    MaxTimestamp(b),
		ProducerID:      ProducerID(b),
		ProducerEpoch:   ProducerEpoch(b),
		BaseSequence:    BaseSequence(b),
	}
	p, err := decompressed(b, 0)
	if err != nil {
		return Batch{}, 0, err
	}
	count := int(RecordCount(b))
	if count > len(p)/minRecordSize {
		return Batch{}, 0, fmt.Errorf("%w: %d records cannot fit in %d bytes", ErrCorrupt, count, len(p))
	}
	if count > 0 {
		if cap(recs) >= count {
			out.Records = recs[:count]
			clear(out.Records)
		} else {
			out.Records = make([]Record, count)
		}
	}
	prev := int32(-1)
	for i := range count {
		r := &out.Records[i]
		var used int
		used, err = decodeRecord(p, r)
		if err != nil {
			return Batch{}, 0, fmt.Errorf("record %d: %w", i, err)
		}
		if r.OffsetDelta <= prev || r.OffsetDelta > out.LastOffsetDelta {
			return Batch{}, 0, fmt.Errorf("%w: record %d offset delta %d", ErrCorrupt, i, r.OffsetDelta)
		}
		prev = r.OffsetDelta
		p = p[used:]
	}
	if len(p) != 0 {
		return Batch{}, 0, fmt.Errorf("%w: %d bytes after the last record", ErrCorrupt, len(p))
	}
	return out, n, nil
}

// reader is a bounds-checked cursor over a record.
type reader struct {
	p   []byte
	err error
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.p)
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad varint", ErrCorrupt)
		return 0
	}
	r.p = r.p[n:]
	return v
}

func (r *reader) varint32() int32 {
	v := r.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.fail("varint out of int32 range")
		return 0
	}
	return int32(v)
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
}

// bytes reads a length-prefixed field; -1 is nil.
func (r *reader) bytes() []byte {
	l := r.varint()
	if r.err != nil {
		return nil
	}
	if l == -1 {
		return nil
	}
	if l < 0 || l > int64(len(r.p)) {
		r.fail("bad field length")
		return nil
	}
	v := r.p[:l:l]
	r.p = r.p[l:]
	return v
}

func decodeRecord(p []byte, rec *Record) (int, error) {
	r := reader{p: p}
	l := r.varint32()
	if r.err != nil {
		return 0, r.err
	}
	if l < minRecordSize-1 || int64(l) > int64(len(r.p)) {
		return 0, fmt.Errorf("%w: record length %d, %d bytes left", ErrCorrupt, l, len(r.p))
	}
	used := len(p) - len(r.p) + int(l)
	r.p = r.p[:l]
	r.p = r.p[1:] // attributes
	rec.TimestampDelta = r.varint()
	rec.OffsetDelta = r.varint32()
	rec.Key = r.bytes()
	rec.Value = r.bytes()
	nh := r.varint32()
	if r.err != nil {
		return 0, r.err
	}
	// Each header takes at least two bytes.
	if nh < 0 || int(nh) > len(r.p)/2 {
		return 0, fmt.Errorf("%w: header count %d", ErrCorrupt, nh)
	}
	if nh > 0 {
		rec.Headers = make([]Header, nh)
	}
	for i := range rec.Headers {
		h := &rec.Headers[i]
		k := r.bytes()
		if k == nil && r.err == nil {
			r.fail("null header key")
		}
		h.Key = string(k)
		h.Value = r.bytes()
	}
	if r.err != nil {
		return 0, r.err
	}
	if len(r.p) != 0 {
		return 0, fmt.Errorf("%w: %d bytes left in record", ErrCorrupt, len(r.p))
	}
	return used, nil
}
