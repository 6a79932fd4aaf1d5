package batch

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// A batch with large values (copied and summed as they go, addSummed:
// by chunks into a reused buffer, or while the buffer grows) is
// byte for byte the batch the plain path builds, whatever mix of small
// and large records, keys and headers it holds, also when records are
// added after Bytes and with compression; and its CRC is the one Validate
// computes. The plain reference is built with appendRecord and finish.
func TestBuilderSummedLargeValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	sizes := []int{0, 10, sumMin - 1, sumMin, sumMin + 1, sumChunk*3 + 17, 1 << 20}
	summedBatches, grown, chunked := 0, 0, 0
	var reused Builder // half the rounds reuse its buffer: the chunked path
	for round := range 60 {
		var fresh Builder
		b := &fresh
		if round%2 == 0 {
			b = &reused
		}
		b.Reset(1000)
		var recs []byte
		n := 1 + rng.IntN(4)
		large := false
		for i := range n {
			v := make([]byte, sizes[rng.IntN(len(sizes))])
			for j := range v {
				v[j] = byte(rng.Uint32())
			}
			var key []byte
			if rng.IntN(2) == 0 {
				key = []byte("key")
			}
			var hs []Header
			if rng.IntN(2) == 0 {
				hs = []Header{{Key: "h", Value: []byte{byte(i)}}}
			}
			large = large || len(v) >= sumMin
			if len(v) >= sumMin && cap(b.buf)-len(b.buf) >= len(v)+16 {
				chunked++
			} else if len(v) >= sumMin {
				grown++
			}
			ts := 1000 + int64(i)
			b.Add(key, v, hs, ts)
			recs = appendRecord(recs, ts-1000, int32(i), key, v, hs)
			if rng.IntN(3) == 0 {
				_ = b.Bytes() // adding after Bytes continues the batch
			}
		}
		got := b.Bytes()
		want := refBatch(recs, n)
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: summed batch differs from the plain one (CRC %08x, want %08x)", round, CRC(got), CRC(want))
		}
		if _, err := Validate(got); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if large {
			summedBatches++
			b.SetCompression(Gzip) // the compressed copy is made from the summed batch
			z := b.Bytes()
			dec, _, err := Decode(z)
			testkit.NoErr(t, err)
			testkit.Equal(t, len(dec.Records), n)
			b.SetCompression(None)
		}
	}
	if summedBatches < 20 || grown < 5 || chunked < 5 {
		t.Fatalf("%d of 60 batches had a large value, %d copied while growing the buffer, %d by chunks: a path was hardly tested", summedBatches, grown, chunked)
	}
	t.Logf("%d batches with large values: %d values copied while growing, %d by chunks", summedBatches, grown, chunked)
}

// refBatch is the plain encoding of n records (recs, appendRecord) with
// timestamps 1000, 1001, ... and no producer, as Builder.Bytes makes it.
func refBatch(recs []byte, n int) []byte {
	p := appendHeader(nil, 0, 0, 0, int32(n-1), 1000, 1000+int64(n)-1, -1, -1, -1, int32(n))
	p = append(p, recs...)
	finish(p)
	return p
}
