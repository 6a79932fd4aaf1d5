package batch

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestCompressionRoundTrip: for every codec, a built batch is stored
// compressed (attributes name the codec, the records section differs and,
// for repetitive data, is smaller), passes Validate, and decodes to the
// same records; Recompress moves between any two codecs and back.
func TestCompressionRoundTrip(t *testing.T) {
	var want []Record
	var bd Builder
	bd.Reset(1000)
	for i := range 50 {
		k := []byte(fmt.Sprintf("key-%d", i))
		v := bytes.Repeat([]byte(fmt.Sprintf("value %d ", i)), 20)
		bd.Add(k, v, []Header{{Key: "h", Value: []byte("x")}}, 1000+int64(i))
		want = append(want, Record{Key: k, Value: v})
	}
	plain := bytes.Clone(bd.Bytes())
	for c := None; c <= Zstd; c++ {
		t.Run(c.String(), func(t *testing.T) {
			var b Builder
			b.SetCompression(c)
			b.Reset(1000)
			for i, r := range want {
				b.Add(r.Key, r.Value, []Header{{Key: "h", Value: []byte("x")}}, 1000+int64(i))
			}
			z := b.Bytes()
			if CodecOf(z) != c {
				t.Fatalf("codec %v in the attributes, want %v", CodecOf(z), c)
			}
			if c != None && len(z) >= len(plain) {
				t.Fatalf("%v batch is %d bytes, uncompressed %d", c, len(z), len(plain))
			}
			if _, err := Validate(z); err != nil {
				t.Fatal(err)
			}
			got, n, err := Decode(z)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(z) || len(got.Records) != len(want) || got.FirstTimestamp != 1000 || got.MaxTimestamp != 1049 {
				t.Fatalf("decoded n=%d records=%d first=%d max=%d", n, len(got.Records), got.FirstTimestamp, got.MaxTimestamp)
			}
			for i, r := range got.Records {
				if !bytes.Equal(r.Key, want[i].Key) || !bytes.Equal(r.Value, want[i].Value) || r.OffsetDelta != int32(i) {
					t.Fatalf("record %d: %q=%q delta %d", i, r.Key, r.Value, r.OffsetDelta)
				}
			}
			for to := None; to <= Zstd; to++ {
				other, err := Recompress(nil, z, to, 0)
				if err != nil {
					t.Fatalf("%v -> %v: %v", c, to, err)
				}
				back, err := Recompress(nil, other, None, 0)
				if err != nil {
					t.Fatalf("%v -> %v -> none: %v", c, to, err)
				}
				if CodecOf(other) != to || !bytes.Equal(back, plain) {
					t.Fatalf("%v -> %v -> none differs from the plain batch", c, to)
				}
			}
		})
	}
}

// TestCompressionBadInput: an unknown codec name is a clear error; data
// that does not decompress is ErrCorrupt; a batch that decompresses past
// the limit is ErrTooLarge.
func TestCompressionBadInput(t *testing.T) {
	if _, err := ParseCodec("brotli"); err == nil || err.Error() != `unknown compression "brotli": use none, gzip, snappy, lz4 or zstd` {
		t.Fatalf("ParseCodec(brotli): %v", err)
	}
	for _, name := range []string{"none", "GZIP", "snappy", "lz4", "Zstd"} {
		c, err := ParseCodec(name)
		if err != nil || !c.Valid() {
			t.Fatalf("ParseCodec(%s) = %v, %v", name, c, err)
		}
	}
	var b Builder
	b.Reset(0)
	b.Add(nil, bytes.Repeat([]byte("a"), 100000), nil, 0)
	for c := Gzip; c <= Zstd; c++ {
		b.SetCompression(c)
		z := bytes.Clone(b.Bytes())
		if _, err := Recompress(nil, z, None, 1000); err == nil {
			t.Fatalf("%v: decompressed past the limit", c)
		} else {
			testkit.ErrIs(t, err, ErrTooLarge)
		}
		bad := bytes.Clone(z)
		for i := RecordsOffset; i < len(bad); i++ {
			bad[i] ^= 0x5a
		}
		_, _, err := Decode(reCRC(bad))
		testkit.ErrIs(t, err, ErrCorrupt)
	}
}

// FuzzDecodeCompressed: Decode never panics on compressed input.
func FuzzDecodeCompressed(f *testing.F) {
	var b Builder
	b.Reset(0)
	b.Add([]byte("k"), []byte("v"), nil, 0)
	for c := Gzip; c <= Zstd; c++ {
		b.SetCompression(c)
		f.Add(bytes.Clone(b.Bytes()))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) >= HeaderSize {
			p = reCRC(p)
		}
		_, _, _ = Decode(p)
	})
}

// TestCheckCompressed: Check accepts a valid compressed batch of every
// codec and checks its decompressed records as it checks plain ones.
func TestCheckCompressed(t *testing.T) {
	var b Builder
	b.Reset(5)
	b.Add([]byte("k"), []byte("v"), nil, 5)
	b.Add(nil, bytes.Repeat([]byte("w"), 300), nil, 6)
	for c := None; c <= Zstd; c++ {
		b.SetCompression(c)
		z := bytes.Clone(b.Bytes())
		if n, err := Check(z, MaxSize); err != nil || n != len(z) {
			t.Fatalf("%v: Check = %d, %v", c, n, err)
		}
		// A record count the compressed records do not match is refused.
		bad := bytes.Clone(z)
		bad[RecordCountOffset+3] = 1
		bad[LastOffsetDeltaOffset+3] = 0
		if _, err := Check(reCRC(bad), MaxSize); err == nil {
			t.Fatalf("%v: a header that does not match its compressed records passed Check", c)
		} else {
			testkit.ErrIs(t, err, ErrInvalid)
		}
	}
}

// BenchmarkCompression builds and compresses a 64 KiB batch of
// JSON-like records per codec, then decodes it; it reports the
// compressed size as a ratio of the plain one.
func BenchmarkCompression(b *testing.B) {
	var plain Builder
	plain.Reset(0)
	var recs [][]byte
	for i := 0; plain.Size() < 64<<10; i++ {
		v := fmt.Appendf(nil, `{"user":"user-%d","event":"click","page":"/products/%d","ms":%d}`, i%97, i%1000, 1700000000000+int64(i))
		recs = append(recs, v)
		plain.Add(nil, v, nil, int64(i))
	}
	size := len(plain.Bytes())
	for c := None; c <= Zstd; c++ {
		b.Run("codec="+c.String(), func(b *testing.B) {
			var bd Builder
			bd.SetCompression(c)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			var z []byte
			for b.Loop() {
				bd.Reset(0)
				for i, v := range recs {
					bd.Add(nil, v, nil, int64(i))
				}
				z = bd.Bytes()
				if _, _, err := Decode(z); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(z))/float64(size), "size-ratio")
		})
	}
}
