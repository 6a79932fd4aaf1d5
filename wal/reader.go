package wal

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"

	"github.com/fluvio-go/fluvio/batch"
)

// Chunk is a run of whole batches read from the log: the bytes as stored,
// ready to send to a consumer or follower. Its buffer comes from a pool:
// call Close when done (once), and do not use the bytes after.
type Chunk struct {
	buf    []byte
	pooled *[]byte
	next   int64
}

// Len returns the size of the chunk in bytes (0 when there was nothing to
// read).
func (c *Chunk) Len() int { return len(c.buf) }

// NextOffset returns the offset after the last batch of the chunk (the
// offset to read next), or the offset asked for if the chunk is empty.
func (c *Chunk) NextOffset() int64 { return c.next }

// Bytes returns the chunk's bytes; they alias the chunk's buffer. The
// error is always nil today: it leaves room for chunks read lazily.
func (c *Chunk) Bytes() ([]byte, error) { return c.buf, nil }

// WriteTo writes the chunk to w (one Write call).
func (c *Chunk) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(c.buf)
	return int64(n), err
}

// Close returns the chunk's buffer to the pool.
func (c *Chunk) Close() error {
	if c.pooled != nil {
		*c.pooled = c.buf[:0]
		chunkPool.Put(c.pooled)
		c.pooled = nil
	}
	c.buf = nil
	return nil
}

var chunkPool = sync.Pool{New: func() any { return new([]byte) }}

// Read returns whole batches starting with the one that contains offset,
// up to maxBytes in total but at least one batch, from one segment. See
// ReadUpTo.
func (l *Log) Read(offset int64, maxBytes int) (Chunk, error) {
	return l.ReadUpTo(offset, maxBytes, math.MaxInt64)
}

// ReadUpTo is Read limited to batches that lie entirely below limit (a
// leader passes its high watermark). Reading at EndOffset, or where the
// first batch reaches limit, returns an empty chunk. An offset below
// StartOffset or above EndOffset returns ErrOutOfRange, naming the valid
// range. Every batch returned has passed its CRC check; one that fails
// gives an error matching IsCorrupt. Readers never see a partly written
// batch: they see the log as of the last completed Append. ReadUpTo does
// not wait for data (see Wait); it blocks only for the read from the
// page cache or disk. Safe for concurrent use, with appends too.
func (l *Log) ReadUpTo(offset int64, maxBytes int, limit int64) (Chunk, error) {
	l.st.RLock()
	defer l.st.RUnlock()
	if l.st.closed {
		return Chunk{}, ErrClosed
	}
	start, end := l.start.Load(), l.leo.Load()
	if offset < start || offset > end {
		return Chunk{}, outOfRange(offset, start, end)
	}
	if offset == end || offset >= limit {
		return Chunk{next: offset}, nil
	}
	s := l.segmentForLocked(offset)
	pos, hdr, err := l.findBatchLocked(s, offset)
	if err != nil {
		return Chunk{}, err
	}
	first, err := batch.Size(hdr[:])
	if err != nil || pos+int64(first) > s.size {
		return Chunk{}, corruptf(s.path(logSuffix), pos, "batch length: %v", err)
	}
	if batch.LastOffset(hdr[:]) >= limit {
		return Chunk{next: offset}, nil
	}
	want := min(max(int64(maxBytes), int64(first)), s.size-pos)
	c := Chunk{pooled: chunkPool.Get().(*[]byte)}
	buf := *c.pooled
	if int64(cap(buf)) < want {
		buf = make([]byte, want)
	}
	buf = buf[:want]
	if m, err := s.log.ReadAt(buf, pos); int64(m) < want {
		*c.pooled = buf[:0]
		chunkPool.Put(c.pooled)
		return Chunk{}, fmt.Errorf("wal: read %s at %d: %w", s.path(logSuffix), pos, err)
	}
	// Keep the whole batches below limit; check each one's CRC.
	n, next := 0, offset
	for n < len(buf) {
		size, err := batch.Validate(buf[n:])
		if err != nil {
			if n > 0 && errors.Is(err, batch.ErrTooShort) {
				break // the next batch does not fit in maxBytes
			}
			*c.pooled = buf[:0]
			chunkPool.Put(c.pooled)
			return Chunk{}, corruptf(s.path(logSuffix), pos+int64(n), "%v", err)
		}
		if batch.LastOffset(buf[n:]) >= limit {
			break
		}
		next = batch.NextOffset(buf[n:])
		n += size
	}
	c.buf, c.next = buf[:n], next
	return c, nil
}

// segmentForLocked returns the segment holding offset (StartOffset <=
// offset < EndOffset); st held.
func (l *Log) segmentForLocked(offset int64) *segment {
	segs := l.st.segs
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base > offset }) - 1
	return segs[max(i, 0)]
}

// findBatchLocked returns the position and header of the batch of s
// containing offset (or the first batch after it); st held.
func (l *Log) findBatchLocked(s *segment, offset int64) (int64, [batch.HeaderSize]byte, error) {
	var hdr [batch.HeaderSize]byte
	rel := offset - s.base
	pos := lookupIndex(s.index, uint32(min(max(rel, 0), math.MaxUint32)))
	for pos < s.size {
		if err := readHeader(s.log, pos, &hdr); err != nil {
			return 0, hdr, corruptf(s.path(logSuffix), pos, "reading batch header: %v", err)
		}
		if hdr[batch.MagicOffset] != batch.Magic {
			return 0, hdr, corruptf(s.path(logSuffix), pos, "bad magic %d", hdr[batch.MagicOffset])
		}
		if batch.NextOffset(hdr[:]) > offset {
			return pos, hdr, nil
		}
		size := int64(batch.Length(hdr[:])) + batch.LogOverhead
		if size < batch.HeaderSize {
			return 0, hdr, corruptf(s.path(logSuffix), pos, "batch length %d", size)
		}
		pos += size
	}
	return 0, hdr, fmt.Errorf("%w: offset %d not in segment %d", ErrOutOfRange, offset, s.base)
}

// OffsetForTimestamp returns the base offset of the first batch whose
// maxTimestamp is >= ts (ms), or EndOffset if there is none (a consumer
// starting there waits for new data). It blocks for index lookups and
// header reads. Safe for concurrent use.
func (l *Log) OffsetForTimestamp(ts int64) (int64, error) {
	l.st.RLock()
	defer l.st.RUnlock()
	if l.st.closed {
		return 0, ErrClosed
	}
	for _, s := range l.st.segs {
		if s.size == 0 || s.maxTS < ts {
			continue
		}
		pos, _, err := l.findBatchLocked(s, s.base+int64(lookupTime(s.times, ts)))
		if err != nil {
			return 0, err
		}
		var hdr [batch.HeaderSize]byte
		for pos < s.size {
			if err := readHeader(s.log, pos, &hdr); err != nil {
				return 0, corruptf(s.path(logSuffix), pos, "reading batch header: %v", err)
			}
			if batch.MaxTimestamp(hdr[:]) >= ts {
				return batch.BaseOffset(hdr[:]), nil
			}
			size := int64(batch.Length(hdr[:])) + batch.LogOverhead
			if size < batch.HeaderSize {
				return 0, corruptf(s.path(logSuffix), pos, "batch length %d", size)
			}
			pos += size
		}
	}
	return l.leo.Load(), nil
}
