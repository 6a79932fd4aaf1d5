package fluvio

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestConsumerHeldRecordsDoNotChange: records kept by the user after the
// iteration moved on keep their bytes, over many fetches and garbage
// collections. Each fetch answer's frame is allocated without zeroing
// (wire's rawBytes) and filled by the read; a client that reused an
// answer's buffer while a record of it is still held would show here as
// a changed Key or Value.
func TestConsumerHeldRecordsDoNotChange(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	ctx := context.Background()
	createTopic(t, c, "held", TopicConfig{Partitions: 1})
	const n, size = 320, 4 << 10
	value := func(off int64) []byte { return bytes.Repeat(fmt.Appendf(nil, "%08d", off), size/8) }
	p, err := c.Producer("held", WithAcks(AcksLeader), WithBatchSize(32<<10))
	testkit.NoErr(t, err)
	for i := range int64(n) {
		testkit.NoErr(t, p.Send(ctx, fmt.Append(nil, i), value(i)))
	}
	testkit.NoErr(t, p.Close())
	// Fetches of at most 64 KiB: tens of answers, each one over the size
	// from which frames are allocated without zeroing.
	cons, err := c.Consumer("held", FromBeginning(), DisableContinuous(), WithFetchMaxBytes(64<<10))
	testkit.NoErr(t, err)
	var held []Record
	for rec, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		held = append(held, rec)
		if len(held)%16 == 0 {
			runtime.GC() // answers no longer referenced are freed and may be reused
		}
	}
	testkit.Equal(t, len(held), n)
	// Fill the heap with freed buffers of another content, as a reuse would.
	for range 4 {
		runtime.KeepAlive(bytes.Repeat([]byte{0xEE}, 4<<20))
		runtime.GC()
	}
	for i, rec := range held {
		off := int64(i)
		if rec.Offset != off || string(rec.Key) != fmt.Sprint(off) || !bytes.Equal(rec.Value, value(off)) {
			t.Fatalf("held record %d changed: offset %d, key %q, value starts %q", i, rec.Offset, rec.Key, rec.Value[:min(16, len(rec.Value))])
		}
	}
}
