package batch

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// refinish recomputes the length and CRC of a hand-edited batch, so that
// only Check's record-level rules can refuse it.
func refinish(b []byte) []byte {
	finish(b)
	return b
}

// poisonVarint is the first poison batch: a valid CRC over a
// record whose varints do not decode.
func poisonVarint() []byte {
	b := sample()
	b.Records = b.Records[:1]
	b.LastOffsetDelta = 0
	enc := b.AppendTo(nil)
	for i := RecordsOffset + 1; i < len(enc); i++ {
		enc[i] = 0xff
	}
	return refinish(enc)
}

// poisonDelta is the second: one record, lastOffsetDelta 0x7ffffff0.
func poisonDelta() []byte {
	b := sample()
	b.Records = b.Records[:1]
	b.LastOffsetDelta = 0x7ffffff0
	return b.AppendTo(nil)
}

func TestCheckAcceptsWhatProducersBuild(t *testing.T) {
	b := sample()
	enc := b.AppendTo(nil)
	n, err := Check(enc, MaxSize)
	testkit.NoErr(t, err)
	testkit.Equal(t, n, len(enc))

	var bl Builder
	bl.Reset(5000)
	bl.SetProducer(7, 1, 0)
	bl.Add(nil, []byte("v"), nil, 5000)
	bl.Add([]byte("k"), nil, []Header{{Key: "h", Value: nil}}, 4000) // an earlier timestamp
	bl.Add([]byte{}, []byte{}, nil, 9000)
	out := bl.Bytes()
	n, err = Check(append(bytes.Clone(out), "next batch"...), MaxSize)
	testkit.NoErr(t, err)
	testkit.Equal(t, n, len(out))
}

func TestCheckRefuses(t *testing.T) {
	edit := func(f func(b *Batch)) []byte {
		b := sample()
		f(&b)
		return b.AppendTo(nil)
	}
	put32 := func(off int, v uint32) []byte {
		b := sample()
		enc := b.AppendTo(nil)
		binary.BigEndian.PutUint32(enc[off:], v)
		return refinish(enc)
	}
	extra := func() []byte {
		b := sample()
		enc := append(b.AppendTo(nil), 0, 0, 0)
		return refinish(enc)
	}
	recAttr := func() []byte {
		b := sample()
		enc := b.AppendTo(nil)
		enc[RecordsOffset+1] = 0x40 // the first record's attributes
		return refinish(enc)
	}
	badCRC := func() []byte {
		b := sample()
		enc := b.AppendTo(nil)
		enc[len(enc)-1] ^= 1
		return enc
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"records do not decode", poisonVarint(), ErrInvalid, "record 0"},
		{"lastOffsetDelta far beyond the records", poisonDelta(), ErrInvalid, "1 records but lastOffsetDelta 2147483632"},
		{"fewer records than offsets", edit(func(b *Batch) { b.LastOffsetDelta = 3 }), ErrInvalid, "3 records but lastOffsetDelta 3"},
		{"more records than offsets", put32(LastOffsetDeltaOffset, 1), ErrCorrupt, "recordCount 3"},
		{"zero records", edit(func(b *Batch) { b.Records, b.LastOffsetDelta = nil, -1 }), ErrCorrupt, "lastOffsetDelta -1"},
		{"offset delta out of order", edit(func(b *Batch) { b.Records[1].OffsetDelta = 2; b.Records[2].OffsetDelta = 1 }), ErrInvalid, "record 1 has offset delta 2"},
		{"offset delta skips", edit(func(b *Batch) { b.Records[2].OffsetDelta = 5; b.LastOffsetDelta = 2 }), ErrInvalid, "record 2 has offset delta 5"},
		{"timestamp after maxTimestamp", edit(func(b *Batch) { b.Records[1].TimestampDelta = 6 }), ErrInvalid, "timestamp 1006 after maxTimestamp 1005"},
		{"timestamp overflows", edit(func(b *Batch) {
			b.FirstTimestamp, b.MaxTimestamp, b.Records[1].TimestampDelta = math.MaxInt64-1, math.MaxInt64, 5
		}), ErrInvalid, "overflows"},
		{"maxTimestamp before firstTimestamp", edit(func(b *Batch) { b.MaxTimestamp = 999 }), ErrInvalid, "maxTimestamp 999 before"},
		{"unknown attribute bit", edit(func(b *Batch) { b.Attributes = 0x10 }), ErrInvalid, "unknown attribute bits 0x10"},
		{"timestamp-type bit", edit(func(b *Batch) { b.Attributes = 0x08 }), ErrInvalid, "unknown attribute bits 0x8"},
		{"gzip that is not gzip data", edit(func(b *Batch) { b.Attributes = 1 }), ErrInvalid, "gzip records do not decompress"},
		{"unknown codec", edit(func(b *Batch) { b.Attributes = 5 }), ErrCompressed, "codec 5"},
		{"size beyond the records", extra(), ErrInvalid, "3 bytes after the last record"},
		{"record attributes", recAttr(), ErrInvalid, "record attributes 0x40"},
		{"bad CRC", badCRC(), ErrCorrupt, "crc"},
		{"truncated", poisonDelta()[:HeaderSize+1], ErrTooShort, "have"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Check(tc.in, MaxSize)
			testkit.ErrIs(t, err, tc.want)
			if !bytes.Contains([]byte(err.Error()), []byte(tc.msg)) {
				t.Fatalf("error %q does not say %q", err, tc.msg)
			}
		})
	}
	_, err := Check(poisonVarint(), 10)
	testkit.ErrIs(t, err, ErrTooLarge)
}

// TestCheckSeedCorpus checks that testdata/fuzz/FuzzCheck holds the seeds
// this test generates; with WRITE_SEED_CORPUS=1 it writes them instead.
func TestCheckSeedCorpus(t *testing.T) {
	write := os.Getenv("WRITE_SEED_CORPUS") == "1"
	b := sample()
	valid := b.AppendTo(nil)
	var bl Builder
	bl.Reset(1)
	bl.Add([]byte("key"), []byte("value"), []Header{{Key: "a", Value: []byte("b")}}, 2)
	seeds := map[string][]byte{
		"empty":          {},
		"valid":          valid,
		"builder":        bytes.Clone(bl.Bytes()),
		"poison-varint":  poisonVarint(),
		"poison-delta":   poisonDelta(),
		"valid-trailing": append(bytes.Clone(valid), valid[:20]...),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzCheck")
	for name, s := range seeds {
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		path := filepath.Join(dir, name)
		if write {
			testkit.NoErr(t, os.MkdirAll(dir, 0o755))
			testkit.NoErr(t, os.WriteFile(path, []byte(data), 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != data {
			t.Errorf("seed %s is missing or stale (%v): regenerate with WRITE_SEED_CORPUS=1 go test -run TestCheckSeedCorpus ./batch", path, err)
		}
	}
}

// FuzzCheck: Check never panics, and a batch it accepts decodes, has one
// record per offset, and re-encodes to the same bytes. Each input is
// checked as is and with its length and CRC made to hold (a poison batch
// from a buggy producer), so the fuzzer reaches the record rules.
func FuzzCheck(f *testing.F) {
	b := sample()
	f.Add(b.AppendTo(nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkOne(t, in)
		if len(in) >= HeaderSize && len(in) <= 1<<20 {
			checkOne(t, refinish(bytes.Clone(in)))
		}
	})
}

func checkOne(t *testing.T, in []byte) {
	t.Helper()
	n, err := Check(in, MaxSize)
	if err != nil {
		return
	}
	got, dn, err := Decode(in)
	if err != nil {
		t.Fatalf("Check accepted a batch Decode refuses: %v", err)
	}
	if dn != n {
		t.Fatalf("Check size %d, Decode size %d", n, dn)
	}
	if int64(len(got.Records)) != int64(got.LastOffsetDelta)+1 {
		t.Fatalf("%d records, lastOffsetDelta %d", len(got.Records), got.LastOffsetDelta)
	}
	for i, r := range got.Records {
		if r.OffsetDelta != int32(i) {
			t.Fatalf("record %d offset delta %d", i, r.OffsetDelta)
		}
		if ts := got.FirstTimestamp + r.TimestampDelta; ts > got.MaxTimestamp {
			t.Fatalf("record %d timestamp %d after max %d", i, ts, got.MaxTimestamp)
		}
	}
	if re := got.AppendTo(nil); !bytes.Equal(re, in[:n]) {
		t.Fatal("an accepted batch does not re-encode to its bytes")
	}
}

// BenchmarkCheck compares the full check with the CRC-only Validate on a
// batch of 1,000 records of 100 bytes.
func BenchmarkCheck(b *testing.B) {
	var bl Builder
	bl.Reset(1)
	v := bytes.Repeat([]byte("v"), 100)
	for range 1000 {
		bl.Add(nil, v, nil, 1)
	}
	enc := bl.Bytes()
	b.Run("validate", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			if _, err := Validate(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			if _, err := Check(enc, MaxSize); err != nil {
				b.Fatal(err)
			}
		}
	})
}

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
	testkit.NoErr(t, err)
	testkit.Equal(t, c.Len(), 3)
	testkit.Equal(t, c.Records(), 1+2+3)
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
	testkit.Equal(t, i, 3)
	testkit.Equal(t, BaseOffset(c.Bytes()[len(buf[0]):]), 10)
	if _, err := CheckAll(c.Bytes(), MaxSize); err != nil {
		t.Fatalf("base offsets set through All void the check: %v", err)
	}

	// An error names the batch and wraps Check's.
	bad := bytes.Clone(all)
	bad[len(buf[0])+len(buf[1])-1] ^= 1 // the CRC of batch 1
	_, err = CheckAll(bad, MaxSize)
	testkit.ErrIs(t, err, ErrCorrupt)
	if !strings.HasPrefix(err.Error(), "batch 1: ") {
		t.Fatalf("error %q does not name batch 1", err)
	}
	_, err = CheckAll(all, len(buf[2])-1)
	testkit.ErrIs(t, err, ErrTooLarge)
	_, err = CheckAll(all[:len(all)-3], MaxSize)
	testkit.ErrIs(t, err, ErrTooShort)
	_, err = CheckAll(nil, MaxSize)
	testkit.ErrIs(t, err, ErrTooShort)

	var zero Checked
	testkit.Equal(t, zero.Len(), 0)
	if zero.Last() != nil {
		t.Fatal("an empty Checked has a last batch")
	}
	for range zero.All() {
		t.Fatal("an empty Checked yields a batch")
	}
}
