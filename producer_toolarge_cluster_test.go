package fluvio

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// TestClusterBigRecordOverTopicLimit: records larger than the batch size
// travel several to a request; one over the topic's max record size makes
// the SPU refuse its whole request, and the producer sends the batches
// again one per request: only that record fails (with the SPU's
// RecordTooLarge), the others are stored once, in Send order.
func TestClusterBigRecordOverTopicLimit(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	createTopic(t, c, "big", TopicConfig{Partitions: 1, MaxRecordBytes: 4096})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	p, err := c.Producer("big", WithBatchSize(1024), WithLinger(0), WithMaxInFlight(1))
	testkit.NoErr(t, err)
	defer p.Close()
	const n, bad = 40, 25
	value := func(i int) []byte {
		size := 3000
		if i == bad {
			size = 6000
		}
		return bytes.Repeat([]byte{byte('a' + i%26)}, size)
	}
	results := make([]<-chan SendResult, n)
	for i := range n {
		results[i], err = p.SendAsync(ctx, nil, value(i))
		testkit.NoErr(t, err)
	}
	want := int64(0)
	for i, ch := range results {
		r := <-ch
		if i == bad {
			if !errors.Is(r.Err, wire.ErrRecordTooLarge) || !errors.Is(r.Err, ErrRecordTooLarge) {
				t.Fatalf("record %d (over the limit): %v, want RecordTooLarge", i, r.Err)
			}
			continue
		}
		if r.Err != nil {
			t.Fatalf("record %d: %v (stats %+v)", i, r.Err, p.Stats())
		}
		if r.Offset != want {
			t.Fatalf("record %d stored at offset %d, want %d", i, r.Offset, want)
		}
		want++
	}
	testkit.NoErr(t, p.Flush(ctx))
	testkit.NoErr(t, p.Close())
	t.Logf("requests %d, single-batch resends %d", p.Stats().Requests, p.Stats().Retries)

	cons, err := c.Consumer("big", FromBeginning(), DisableContinuous())
	testkit.NoErr(t, err)
	i := 0
	for rec, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		if i == bad {
			i++
		}
		if !bytes.Equal(rec.Value, value(i)) {
			t.Fatalf("offset %d: %d bytes of %q, want record %d", rec.Offset, len(rec.Value), rec.Value[:1], i)
		}
		i++
	}
	testkit.Equal(t, i, n)
}
