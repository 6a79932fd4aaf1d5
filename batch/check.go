package batch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
)

// KnownAttributes are the batch attribute bits this version understands:
// the compression codec only. Kafka's timestamp-type, transactional and
// control bits, and any others, are refused by [Check].
const KnownAttributes = CompressionMask

// Check validates the first batch in buf in one pass, as the SPU does
// before it appends anything (leader and follower alike): everything
// [ValidateMax] checks (length, limit, magic, CRC), then that no unknown
// attribute bit is set, that the codec is known and the records
// decompress (a compressed batch is checked on its decompressed records:
// the only case that allocates) and every one decodes, that the record count equals lastOffsetDelta + 1 (at least one
// record), that record i has offset delta i, that every record timestamp
// (firstTimestamp + delta) neither overflows nor exceeds maxTimestamp, and
// that the records fill the batch exactly. It returns the batch's total
// size. Errors wrap ErrTooShort, ErrTooLarge,
// ErrBadMagic, ErrCompressed or ErrInvalid (records that do not match the
// header); a failed CRC wraps ErrCorrupt.
func Check(buf []byte, maxSize int) (int, error) {
	n, err := ValidateMax(buf, maxSize)
	if err != nil {
		return 0, err
	}
	if err := checkContents(buf[:n]); err != nil {
		return 0, err
	}
	return n, nil
}

// Checked is a run of concatenated batches that passed [Check], every one,
// in a single pass ([CheckAll]); it remembers what the pass learned, so
// walking the batches again ([Checked.All]) needs no checks and cannot
// fail. Only CheckAll makes a non-empty one. Its batches alias the checked
// buffer: their base offset and leader epoch (outside the CRC) may be set
// in place; any other change voids the check (check the new bytes again).
type Checked struct {
	buf     []byte
	batches int
	records int64 // offsets covered: the sum of LastOffsetDelta+1
	last    int   // where the last batch starts in buf
}

// CheckAll checks every batch in buf with [Check] and maxSize, in one pass.
// An error names the batch ("batch 2: ...") and wraps Check's errors; an
// empty buf is ErrTooShort.
func CheckAll(buf []byte, maxSize int) (Checked, error) {
	if len(buf) == 0 {
		return Checked{}, fmt.Errorf("%w: no batch", ErrTooShort)
	}
	c := Checked{buf: buf}
	for p := 0; p < len(buf); c.batches++ {
		n, err := Check(buf[p:], maxSize)
		if err != nil {
			return Checked{}, fmt.Errorf("batch %d: %w", c.batches, err)
		}
		c.records += int64(LastOffsetDelta(buf[p:])) + 1
		c.last = p
		p += n
	}
	return c, nil
}

// CheckSummed is CheckAll of buf holding exactly one batch whose CRC-32C
// (of its bytes from AttributesOffset on) the caller computed as the
// batch arrived (UpdateChecksum): the same checks, without a second pass
// over the bytes for the CRC. A buf that holds more or less than one
// batch is refused (ErrInvalid, ErrTooShort).
func CheckSummed(buf []byte, maxSize int, sum uint32) (Checked, error) {
	n, err := validate(buf, maxSize, &sum)
	if err == nil && n != len(buf) {
		err = fmt.Errorf("%w: %d bytes after the batch", ErrInvalid, len(buf)-n)
	}
	if err == nil {
		err = checkContents(buf)
	}
	if err != nil {
		return Checked{}, fmt.Errorf("batch 0: %w", err)
	}
	return Checked{buf: buf, batches: 1, records: int64(LastOffsetDelta(buf)) + 1}, nil
}

// Bytes returns the checked batches, concatenated.
func (c Checked) Bytes() []byte { return c.buf }

// Len returns the number of batches.
func (c Checked) Len() int { return c.batches }

// Records returns the offsets the batches cover (for a checked batch, its
// record count).
func (c Checked) Records() int64 { return c.records }

// Last returns the last batch (nil if there is none).
func (c Checked) Last() []byte {
	if c.batches == 0 {
		return nil
	}
	return c.buf[c.last:]
}

// All yields each batch, in order (aliasing the checked buffer).
func (c Checked) All() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for p := c.buf; len(p) > 0; {
			n := int(Length(p)) + LogOverhead
			if !yield(p[:n:n]) {
				return
			}
			p = p[n:]
		}
	}
}

// checkContents is Check after the CRC: b is exactly one batch.
func checkContents(b []byte) error {
	attrs := Attributes(b)
	if unknown := uint16(attrs) &^ KnownAttributes; unknown != 0 {
		return fmt.Errorf("%w: unknown attribute bits %#x (attributes %#x)", ErrInvalid, unknown, uint16(attrs))
	}
	p, err := decompressed(b, 0)
	if err != nil {
		if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTooLarge) {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return err
	}
	lod, count := LastOffsetDelta(b), RecordCount(b)
	if int64(count) != int64(lod)+1 {
		return fmt.Errorf("%w: %d records but lastOffsetDelta %d (want %d)", ErrInvalid, count, lod, int64(count)-1)
	}
	first, maxTS := FirstTimestamp(b), MaxTimestamp(b)
	if maxTS < first {
		return fmt.Errorf("%w: maxTimestamp %d before firstTimestamp %d", ErrInvalid, maxTS, first)
	}
	if int64(count) > int64(len(p)/minRecordSize) {
		return fmt.Errorf("%w: %d records cannot fit in %d bytes", ErrInvalid, count, len(p))
	}
	for i := range count {
		used, tsDelta, offDelta, err := scanRecord(p)
		if err != nil {
			return fmt.Errorf("%w: record %d: %v", ErrInvalid, i, err)
		}
		if offDelta != i {
			return fmt.Errorf("%w: record %d has offset delta %d (want %d)", ErrInvalid, i, offDelta, i)
		}
		if (tsDelta > 0 && first > math.MaxInt64-tsDelta) || (tsDelta < 0 && first < math.MinInt64-tsDelta) {
			return fmt.Errorf("%w: record %d timestamp delta %d overflows firstTimestamp %d", ErrInvalid, i, tsDelta, first)
		}
		if ts := first + tsDelta; ts > maxTS {
			return fmt.Errorf("%w: record %d timestamp %d after maxTimestamp %d", ErrInvalid, i, ts, maxTS)
		}
		p = p[used:]
	}
	if len(p) != 0 {
		return fmt.Errorf("%w: %d bytes after the last record (the batch size does not match its records)", ErrInvalid, len(p))
	}
	return nil
}

// scanRecord checks the record at the start of p without copying it and
// returns its size, timestamp delta and offset delta. Its errors wrap no
// sentinel: the caller names the record. It decodes varints inline (one
// byte is the common case), as this runs for every record produced.
func scanRecord(p []byte) (used int, tsDelta int64, offDelta int32, err error) {
	l, n := varint(p)
	if n <= 0 {
		return 0, 0, 0, errors.New("bad varint in the record length")
	}
	if l < minRecordSize-1 || l > int64(len(p)-n) {
		return 0, 0, 0, fmt.Errorf("record length %d, %d bytes left in the batch", l, len(p)-n)
	}
	used = n + int(l)
	r := p[n:used]
	if a := r[0]; a != 0 {
		return 0, 0, 0, fmt.Errorf("record attributes %#x (must be 0)", a)
	}
	r = r[1:]
	if tsDelta, n = varint(r); n <= 0 {
		return 0, 0, 0, errors.New("bad varint in the timestamp delta")
	}
	r = r[n:]
	od, n := varint(r)
	if n <= 0 || od < math.MinInt32 || od > math.MaxInt32 {
		return 0, 0, 0, errors.New("bad varint in the offset delta")
	}
	r = r[n:]
	if r, err = skipField(r, true, "key"); err != nil {
		return 0, 0, 0, err
	}
	if r, err = skipField(r, true, "value"); err != nil {
		return 0, 0, 0, err
	}
	nh, n := varint(r)
	if n <= 0 {
		return 0, 0, 0, errors.New("bad varint in the header count")
	}
	r = r[n:]
	if nh < 0 || nh > int64(len(r)/2) {
		return 0, 0, 0, fmt.Errorf("header count %d", nh)
	}
	for range nh {
		if r, err = skipField(r, false, "header key"); err != nil {
			return 0, 0, 0, err
		}
		if r, err = skipField(r, true, "header value"); err != nil {
			return 0, 0, 0, err
		}
	}
	if len(r) != 0 {
		return 0, 0, 0, fmt.Errorf("%d bytes left inside the record (its length does not match its fields)", len(r))
	}
	return used, tsDelta, int32(od), nil
}

// skipField skips a length-prefixed field (-1 is null, allowed if
// nullable).
func skipField(r []byte, nullable bool, what string) ([]byte, error) {
	l, n := varint(r)
	if n <= 0 {
		return nil, fmt.Errorf("bad varint in the %s length", what)
	}
	r = r[n:]
	if l == -1 && nullable {
		return r, nil
	}
	if l < 0 || l > int64(len(r)) {
		return nil, fmt.Errorf("bad %s length %d, %d bytes left in the record", what, l, len(r))
	}
	return r[l:], nil
}

// varint is binary.Varint with the one-byte case first.
func varint(p []byte) (int64, int) {
	if len(p) > 0 && p[0] < 0x80 {
		u := uint64(p[0])
		return int64(u>>1) ^ -int64(u&1), 1
	}
	return binary.Varint(p)
}
