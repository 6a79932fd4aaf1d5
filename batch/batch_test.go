package batch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"pgregory.net/rapid"
)

func sample() Batch {
	return Batch{
		BaseOffset: 42, LeaderEpoch: 7, LastOffsetDelta: 2,
		FirstTimestamp: 1000, MaxTimestamp: 1005,
		ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []Record{
			{Key: []byte("k0"), Value: []byte("v0"), OffsetDelta: 0},
			{Key: nil, Value: []byte{}, TimestampDelta: 5, OffsetDelta: 1,
				Headers: []Header{{Key: "h", Value: []byte("x")}, {Key: "", Value: nil}}},
			{Value: nil, OffsetDelta: 2, TimestampDelta: -3},
		},
	}
}

func TestBatchRoundTrip(t *testing.T) {
	b := sample()
	enc := b.AppendTo(nil)
	testkit.Equal(t, RecordCount(enc), 3)
	testkit.Equal(t, BaseOffset(enc), 42)
	testkit.Equal(t, LeaderEpoch(enc), 7)
	testkit.Equal(t, LastOffsetDelta(enc), 2)
	testkit.Equal(t, MaxTimestamp(enc), 1005)
	testkit.Equal(t, FirstTimestamp(enc), 1000)
	got, n, err := Decode(append(enc, 1, 2, 3))
	testkit.NoErr(t, err)
	testkit.Equal(t, n, len(enc))
	if !batchEqual(got, b) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, b)
	}
	size, err := Size(enc)
	testkit.NoErr(t, err)
	testkit.Equal(t, size, len(enc))
}

// batchEqual compares two batches, telling nil from empty byte slices.
func batchEqual(a, b Batch) bool {
	ra, rb := a.Records, b.Records
	a.Records, b.Records = nil, nil
	if !reflect.DeepEqual(a, b) || len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		x, y := ra[i], rb[i]
		if !bytesEq(x.Key, y.Key) || !bytesEq(x.Value, y.Value) || x.TimestampDelta != y.TimestampDelta ||
			x.OffsetDelta != y.OffsetDelta || len(x.Headers) != len(y.Headers) {
			return false
		}
		for j := range x.Headers {
			if x.Headers[j].Key != y.Headers[j].Key || !bytesEq(x.Headers[j].Value, y.Headers[j].Value) {
				return false
			}
		}
	}
	return true
}

func bytesEq(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func TestBaseOffsetAndEpochOutsideCRC(t *testing.T) {
	b := sample()
	enc := b.AppendTo(nil)
	SetBaseOffset(enc, 1<<40)
	SetLeaderEpoch(enc, 99)
	_, err := Validate(enc)
	testkit.NoErr(t, err)
	testkit.Equal(t, BaseOffset(enc), 1<<40)
	testkit.Equal(t, LeaderEpoch(enc), 99)
	testkit.Equal(t, NextOffset(enc), 1<<40+3)
}

func TestBuilder(t *testing.T) {
	var bl Builder
	bl.Reset(100)
	bl.Add([]byte("a"), []byte("1"), nil, 100)
	bl.Add(nil, []byte("2"), []Header{{Key: "k", Value: []byte("v")}}, 107)
	bl.Add([]byte("c"), nil, nil, 103)
	testkit.Equal(t, bl.Len(), 3)
	enc := bl.Bytes()
	testkit.Equal(t, bl.Size(), len(enc))
	got, _, err := Decode(enc)
	testkit.NoErr(t, err)
	want := Batch{
		LastOffsetDelta: 2, FirstTimestamp: 100, MaxTimestamp: 107,
		ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []Record{
			{Key: []byte("a"), Value: []byte("1")},
			{Value: []byte("2"), Headers: []Header{{Key: "k", Value: []byte("v")}}, TimestampDelta: 7, OffsetDelta: 1},
			{Key: []byte("c"), TimestampDelta: 3, OffsetDelta: 2},
		},
	}
	if !batchEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	// Same bytes as the general encoder.
	if !bytes.Equal(enc, want.AppendTo(nil)) {
		t.Fatal("builder and AppendTo disagree")
	}
}

func TestBuilderZeroAlloc(t *testing.T) {
	var bl Builder
	key, val := []byte("key"), make([]byte, 100)
	hdrs := []Header{{Key: "h", Value: []byte("v")}}
	run := func() {
		bl.Reset(1)
		for i := range 100 {
			bl.Add(key, val, hdrs, int64(i))
		}
		_ = bl.Bytes()
	}
	run()
	if a := testing.AllocsPerRun(20, run); a != 0 {
		t.Fatalf("builder allocates %v per batch", a)
	}
	enc := bl.Bytes()
	if a := testing.AllocsPerRun(20, func() { _, _ = Validate(enc) }); a != 0 {
		t.Fatalf("Validate allocates %v", a)
	}
}

func TestBadInput(t *testing.T) {
	b := sample()
	good := b.AppendTo(nil)
	mut := func(f func(p []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTooShort},
		{"11 bytes", good[:11], ErrTooShort},
		{"header only", good[:HeaderSize], ErrTooShort},
		{"one short", good[:len(good)-1], ErrTooShort},
		{"bad magic", mut(func(p []byte) []byte { p[MagicOffset] = 1; return p }), ErrBadMagic},
		{"bit flip in records", mut(func(p []byte) []byte { p[len(p)-2] ^= 0x10; return p }), ErrCorrupt},
		{"bit flip in crc", mut(func(p []byte) []byte { p[CRCOffset] ^= 1; return p }), ErrCorrupt},
		{"length below header", mut(func(p []byte) []byte {
			binary.BigEndian.PutUint32(p[LengthOffset:], 10)
			return p
		}), ErrCorrupt},
		{"negative length", mut(func(p []byte) []byte {
			binary.BigEndian.PutUint32(p[LengthOffset:], 0xffffffff)
			return p
		}), ErrCorrupt},
		{"max length", mut(func(p []byte) []byte {
			binary.BigEndian.PutUint32(p[LengthOffset:], math.MaxInt32)
			return p
		}), ErrTooLarge},
		{"zeroed", make([]byte, 200), ErrCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Validate(tc.in)
			testkit.ErrIs(t, err, tc.want)
			_, _, err = Decode(tc.in)
			testkit.ErrIs(t, err, tc.want)
		})
	}
	_, err := ValidateMax(good, len(good)-1)
	testkit.ErrIs(t, err, ErrTooLarge)
}

// reCRC recomputes the CRC so record-level checks are reached.
func reCRC(p []byte) []byte {
	binary.BigEndian.PutUint32(p[CRCOffset:], Checksum(p[AttributesOffset:]))
	return p
}

func TestDecodeRecordLevelCorruption(t *testing.T) {
	b := sample()
	good := b.AppendTo(nil)
	cases := map[string]func(p []byte) []byte{
		"record count too high": func(p []byte) []byte {
			binary.BigEndian.PutUint32(p[RecordCountOffset:], 3)
			binary.BigEndian.PutUint32(p[LastOffsetDeltaOffset:], 1000)
			binary.BigEndian.PutUint32(p[RecordCountOffset:], 1000)
			return p
		},
		"record count above offsets": func(p []byte) []byte {
			binary.BigEndian.PutUint32(p[RecordCountOffset:], 4)
			return p
		},
		"negative last offset delta": func(p []byte) []byte {
			binary.BigEndian.PutUint32(p[LastOffsetDeltaOffset:], 0xffffffff)
			return p
		},
		"trailing bytes": func(p []byte) []byte {
			p = append(p, 0)
			binary.BigEndian.PutUint32(p[LengthOffset:], uint32(len(p)-LogOverhead))
			return p
		},
		"huge record length": func(p []byte) []byte {
			p[RecordsOffset] = 0xfe
			return p
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			p := reCRC(f(bytes.Clone(good)))
			_, _, err := Decode(p)
			testkit.ErrIs(t, err, ErrCorrupt)
		})
	}
	c := sample()
	c.Attributes = 1 // gzip, but the records are not gzip data
	_, _, err := Decode(c.AppendTo(nil))
	testkit.ErrIs(t, err, ErrCorrupt)
	c.Attributes = 5 // no such codec
	_, _, err = Decode(c.AppendTo(nil))
	testkit.ErrIs(t, err, ErrCompressed)
}

func TestAll(t *testing.T) {
	var buf []byte
	for i := range 5 {
		b := sample()
		b.BaseOffset = int64(i * 3)
		buf = b.AppendTo(buf)
	}
	n := 0
	for p, err := range All(buf) {
		testkit.NoErr(t, err)
		testkit.Equal(t, BaseOffset(p), int64(n*3))
		n++
	}
	testkit.Equal(t, n, 5)
	nb, recs, err := Split(buf)
	testkit.NoErr(t, err)
	testkit.Equal(t, nb, 5)
	testkit.Equal(t, recs, 15)
	_, _, err = Split(buf[:len(buf)-3])
	testkit.ErrIs(t, err, ErrTooShort)
}

func genBatch(t *rapid.T) Batch {
	nrec := rapid.IntRange(1, 20).Draw(t, "records")
	genBytes := func(label string) []byte {
		if rapid.Bool().Draw(t, label+"-nil") {
			return nil
		}
		return rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, label)
	}
	b := Batch{
		BaseOffset:     rapid.Int64().Draw(t, "base"),
		LeaderEpoch:    rapid.Int32().Draw(t, "epoch"),
		Attributes:     rapid.Int16().Draw(t, "attrs") &^ CompressionMask,
		FirstTimestamp: rapid.Int64Range(-1<<50, 1<<50).Draw(t, "first"),
		MaxTimestamp:   rapid.Int64().Draw(t, "max"),
		ProducerID:     rapid.Int64().Draw(t, "pid"),
		ProducerEpoch:  rapid.Int16().Draw(t, "pepoch"),
		BaseSequence:   rapid.Int32().Draw(t, "seq"),
	}
	delta := int32(0)
	for i := range nrec {
		delta += int32(rapid.IntRange(0, 5).Draw(t, "gap"))
		if i > 0 {
			delta++
		}
		r := Record{
			Key: genBytes("key"), Value: genBytes("value"),
			TimestampDelta: rapid.Int64Range(-1<<40, 1<<40).Draw(t, "tsd"),
			OffsetDelta:    delta,
		}
		for range rapid.IntRange(0, 3).Draw(t, "headers") {
			r.Headers = append(r.Headers, Header{Key: rapid.String().Draw(t, "hk"), Value: genBytes("hv")})
		}
		b.Records = append(b.Records, r)
	}
	b.LastOffsetDelta = delta + int32(rapid.IntRange(0, 3).Draw(t, "tail"))
	return b
}

func TestRapidRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := genBatch(t)
		enc := b.AppendTo(nil)
		got, n, err := Decode(enc)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if n != len(enc) || !batchEqual(got, b) {
			t.Fatalf("round trip mismatch:\n got %+v\nwant %+v", got, b)
		}
		// Any single bit flip after the CRC field is detected.
		i := rapid.IntRange(AttributesOffset, len(enc)-1).Draw(t, "flip")
		enc[i] ^= 1 << rapid.IntRange(0, 7).Draw(t, "bit")
		if _, err := Validate(enc); err == nil {
			t.Fatalf("bit flip at %d not detected", i)
		}
	})
}

func TestRapidBuilderMatchesAppendTo(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var bl Builder
		first := rapid.Int64Range(0, 1<<45).Draw(t, "first")
		bl.Reset(first)
		want := Batch{FirstTimestamp: first, MaxTimestamp: first, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}
		for i := range rapid.IntRange(1, 30).Draw(t, "n") {
			k := rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "k")
			v := rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "v")
			ts := first + rapid.Int64Range(-1000, 1000).Draw(t, "ts")
			bl.Add(k, v, nil, ts)
			want.Records = append(want.Records, Record{Key: k, Value: v, TimestampDelta: ts - first, OffsetDelta: int32(i)})
			want.MaxTimestamp = max(want.MaxTimestamp, ts)
			want.LastOffsetDelta = int32(i)
		}
		if !bytes.Equal(bl.Bytes(), want.AppendTo(nil)) {
			t.Fatal("builder differs from AppendTo")
		}
	})
}

// TestSeedCorpus checks that testdata/fuzz/FuzzDecode holds the seeds this
// test generates (so go test runs them as regression inputs); with
// WRITE_SEED_CORPUS=1 it writes them instead.
func TestSeedCorpus(t *testing.T) {
	write := os.Getenv("WRITE_SEED_CORPUS") == "1"
	b := sample()
	valid := b.AppendTo(nil)
	maxLen := bytes.Clone(valid[:HeaderSize])
	binary.BigEndian.PutUint32(maxLen[LengthOffset:], math.MaxInt32)
	seeds := map[string][]byte{
		"empty":         {},
		"valid":         valid,
		"valid-garbage": append(bytes.Clone(valid), "garbage\x00\xff"...),
		"max-length":    maxLen,
		"two-batches":   append(bytes.Clone(valid), valid...),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
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
			t.Errorf("seed %s is missing or stale (%v): regenerate with WRITE_SEED_CORPUS=1 go test -run TestSeedCorpus ./batch", path, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	b := sample()
	f.Add(b.AppendTo(nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, n, err := Decode(in)
		vn, verr := Validate(in)
		if (verr == nil) != (err == nil) && !isRecordErr(err) {
			t.Fatalf("Validate %v vs Decode %v", verr, err)
		}
		if err != nil {
			return
		}
		if n != vn || n > len(in) {
			t.Fatalf("n %d, validate %d, len %d", n, vn, len(in))
		}
		// A decoded batch re-encodes to a batch that decodes the same.
		re := got.AppendTo(nil)
		again, _, err := Decode(re)
		if err != nil || !batchEqual(again, got) {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

func isRecordErr(err error) bool {
	return err != nil && (errors.Is(err, ErrCorrupt) || errors.Is(err, ErrCompressed))
}

// FuzzDecodeRecords fixes up length and CRC so the fuzzer reaches the
// record decoder behind the checksum.
func FuzzDecodeRecords(f *testing.F) {
	b := sample()
	f.Add(b.AppendTo(nil)[AttributesOffset:])
	f.Fuzz(func(t *testing.T, body []byte) {
		p := make([]byte, AttributesOffset, AttributesOffset+len(body))
		p[MagicOffset] = Magic
		p = append(p, body...)
		if len(p) < HeaderSize {
			return
		}
		binary.BigEndian.PutUint32(p[LengthOffset:], uint32(len(p)-LogOverhead))
		reCRC(p)
		got, _, err := Decode(p)
		if err != nil {
			return
		}
		again, _, err := Decode(got.AppendTo(nil))
		if err != nil || !batchEqual(again, got) {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

// DecodeInto decodes into the given array when it is large enough: a
// batch decoded after another into the same array has exactly its own
// records (no header, key or value left from the one before), and
// decoding allocates nothing for records without headers.
func TestDecodeIntoReusesRecords(t *testing.T) {
	s := sample()
	first := s.AppendTo(nil) // record 1 has headers
	var bl Builder
	bl.Reset(50)
	for i := range 3 {
		bl.Add(nil, []byte{byte('a' + i)}, nil, 50+int64(i))
	}
	second := append([]byte(nil), bl.Bytes()...)
	scratch := make([]Record, 0, 8)
	got, _, err := DecodeInto(first, scratch)
	testkit.NoErr(t, err)
	if !batchEqual(got, sample()) {
		t.Fatalf("first: %+v", got)
	}
	if &got.Records[0] != &scratch[:1][0] {
		t.Fatal("the records were not decoded into the given array")
	}
	got, _, err = DecodeInto(second, scratch)
	testkit.NoErr(t, err)
	want, _, err := Decode(second)
	testkit.NoErr(t, err)
	if !batchEqual(got, want) || got.Records[1].Headers != nil || got.Records[0].Key != nil {
		t.Fatalf("second into the same array: %+v, want %+v", got, want)
	}
	if a := testing.AllocsPerRun(20, func() { _, _, _ = DecodeInto(second, scratch) }); a != 0 {
		t.Fatalf("DecodeInto allocates %v per batch", a)
	}
	// Too small an array: a new one, the given one untouched.
	small := make([]Record, 1, 2)
	small[0].Key = []byte("keep")
	got, _, err = DecodeInto(first, small[:0])
	testkit.NoErr(t, err)
	if len(got.Records) != 3 || string(small[0].Key) != "keep" {
		t.Fatalf("decoded into a too small array: %d records, given record %+v", len(got.Records), small[0])
	}
}
