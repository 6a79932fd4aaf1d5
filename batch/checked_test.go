package batch

import (
	"bytes"
	"strings"
	"testing"
)

func TestCheckAll(t *testing.T) {
	var buf [][]byte
	var all []byte
	for i := range 3 {
		b := sample()
		b.BaseOffset = 0
		b.Records = b.Records[:i+1]
		b.LastOffsetDelta = int32(i)
		b.MaxTimestamp = b.FirstTimestamp + 5
		enc := b.AppendTo(nil)
		buf = append(buf, enc)
		all = append(all, enc...)
	}
	c, err := CheckAll(all, MaxSize)
	requireNoErr(t, err)
	requireEqual(t, c.Len(), 3)
	requireEqual(t, c.Records(), 1+2+3)
	if !bytes.Equal(c.Last(), buf[2]) {
		t.Fatal("Last is not the last batch")
	}
	i := 0
	for b := range c.All() {
		if !bytes.Equal(b, buf[i]) {
			t.Fatalf("batch %d differs", i)
		}
		SetBaseOffset(b, int64(10*i)) // in place, outside the CRC
		i++
	}
	requireEqual(t, i, 3)
	requireEqual(t, BaseOffset(c.Bytes()[len(buf[0]):]), 10)
	if _, err := CheckAll(c.Bytes(), MaxSize); err != nil {
		t.Fatalf("base offsets set through All void the check: %v", err)
	}

	// An error names the batch and wraps Check's.
	bad := bytes.Clone(all)
	bad[len(buf[0])+len(buf[1])-1] ^= 1 // the CRC of batch 1
	_, err = CheckAll(bad, MaxSize)
	requireErrIs(t, err, ErrCorrupt)
	if !strings.HasPrefix(err.Error(), "batch 1: ") {
		t.Fatalf("error %q does not name batch 1", err)
	}
	_, err = CheckAll(all, len(buf[2])-1)
	requireErrIs(t, err, ErrTooLarge)
	_, err = CheckAll(all[:len(all)-3], MaxSize)
	requireErrIs(t, err, ErrTooShort)
	_, err = CheckAll(nil, MaxSize)
	requireErrIs(t, err, ErrTooShort)

	var zero Checked
	requireEqual(t, zero.Len(), 0)
	if zero.Last() != nil {
		t.Fatal("an empty Checked has a last batch")
	}
	for range zero.All() {
		t.Fatal("an empty Checked yields a batch")
	}
}
