package wire

import (
	"bufio"
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"runtime"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestRecycledAnswersNeverHeld: large answers that nothing refers to any
// more are recycled for later answers (not under the race detector, which
// recycles nothing); an answer still held, if only by a small slice of
// its middle (as a record's Value is), is never reused: its bytes stay as
// they were over every later answer and garbage collection.
func TestRecycledAnswersNeverHeld(t *testing.T) {
	const n, size = 60, 1 << 20
	rng := rand.New(rand.NewPCG(5, 6))
	answers := make([][]byte, n)
	for i := range answers {
		answers[i] = make([]byte, size)
		for j := range answers[i] {
			answers[i][j] = byte(rng.Uint32())
		}
	}
	addr := scriptedServer(t, func(nc net.Conn, br *bufio.Reader) {
		for i, recs := range answers {
			if _, _, err := readRequestInto(br, DefaultMaxFrameSize, nil); err != nil {
				return
			}
			if _, err := nc.Write(responseFrameBytes(t, int32(i), &FetchResponse{Partitions: []FetchPartitionResponse{{Topic: "t", Records: recs}}})); err != nil {
				return
			}
		}
		_, _ = br.ReadByte() // until the client closes
	})
	c := dial(t, addr)
	type heldSlice struct {
		i int
		b []byte
	}
	var held []heldSlice
	reused0, made0 := frameRecycler.counts()
	for i := range n {
		resp, err := c.Fetch(context.Background(), &FetchRequest{Partitions: []FetchPartition{{Topic: "t"}}})
		testkit.NoErr(t, err)
		recs := resp.Partitions[0].Records
		if !bytes.Equal(recs, answers[i]) {
			t.Fatalf("answer %d is not its own bytes", i)
		}
		if i%3 == 0 {
			held = append(held, heldSlice{i, recs[size/2 : size/2+16 : size/2+16]})
		}
		runtime.GC() // the answers dropped become garbage, then free buffers
	}
	for _, h := range held {
		if !bytes.Equal(h.b, answers[h.i][size/2:size/2+16]) {
			t.Fatalf("held slice of answer %d changed", h.i)
		}
	}
	reused, made := frameRecycler.counts()
	reused, made = reused-reused0, made-made0
	t.Logf("answers: %d on recycled buffers, %d on new ones", reused, made)
	if recycleFrames && reused < n/3 {
		t.Fatalf("%d of %d answers on recycled buffers: the dropped ones were not recycled", reused, n)
	}
	if !recycleFrames && reused != 0 {
		t.Fatalf("%d answers on recycled buffers under the race detector", reused)
	}
	testkit.Equal(t, reused+made, n)
}
