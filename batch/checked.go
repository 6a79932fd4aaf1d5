package batch

import (
	"fmt"
	"iter"
)

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
