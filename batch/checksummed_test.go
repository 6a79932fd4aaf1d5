package batch

import (
	"errors"
	"testing"
)

// TestCheckSummed: a CRC computed piece by piece (UpdateChecksum) equals
// the whole one, CheckSummed accepts a good batch with it like CheckAll,
// and refuses a wrong sum (ErrCorrupt), bad records (as Check does) and
// a buffer that is not exactly one batch.
func TestCheckSummed(t *testing.T) {
	var bl Builder
	bl.Reset(1000)
	for i := range 5 {
		bl.Add(nil, make([]byte, 100*i), nil, 1000)
	}
	b := append([]byte(nil), bl.Bytes()...)
	sum := uint32(0)
	for p := b[AttributesOffset:]; len(p) > 0; p = p[min(len(p), 77):] {
		sum = UpdateChecksum(sum, p[:min(len(p), 77)])
	}
	if sum != CRC(b) {
		t.Fatalf("piecewise CRC %08x, header says %08x", sum, CRC(b))
	}
	c, err := CheckSummed(b, MaxSize, sum)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 1 || c.Records() != 5 || len(c.Bytes()) != len(b) || len(c.Last()) != len(b) {
		t.Fatalf("checked %d batches, %d records", c.Len(), c.Records())
	}
	if _, err := CheckSummed(b, MaxSize, sum+1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("wrong sum: %v, want ErrCorrupt", err)
	}
	if _, err := CheckSummed(b, len(b)-1, sum); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v, want ErrTooLarge", err)
	}
	two := append(append([]byte(nil), b...), b...)
	if _, err := CheckSummed(two, MaxSize, sum); !errors.Is(err, ErrInvalid) {
		t.Fatalf("two batches: %v, want ErrInvalid", err)
	}
	if _, err := CheckSummed(b[:len(b)-1], MaxSize, sum); !errors.Is(err, ErrTooShort) {
		t.Fatalf("short: %v, want ErrTooShort", err)
	}
	// Records that do not match the header, with a matching CRC.
	bad := append([]byte(nil), b...)
	bad[RecordCountOffset+3]++
	bad = refinish(bad)
	if _, err := CheckSummed(bad, MaxSize, Checksum(bad[AttributesOffset:])); err == nil {
		t.Fatal("a record count that does not match passed")
	}
}
