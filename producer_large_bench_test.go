package fluvio

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
)

// BenchmarkProduceLarge is the producer's rung of the 1 MiB latency
// ladder (spu's BenchmarkLargeLadder has the rungs below it): Send of 1
// MiB records through the library to an in-process cluster with G9's
// window (WithMaxBuffered(1000, 1 MiB): one record in flight, so each is a
// full round trip), acks=leader, sync interval. records/s × 1 MiB is the
// throughput; 1/records/s the round trip.
func BenchmarkProduceLarge(b *testing.B) {
	cl := fluviotest.Start(b, fluviotest.Options{SPUs: 1})
	c := connectCluster(b, cl)
	ctx := context.Background()
	const size = 1 << 20
	topic := fmt.Sprintf("bench-large-%d", benchTopics.Add(1))
	createTopic(b, c, topic, TopicConfig{Partitions: 1, Sync: "interval", MaxRecordBytes: 2 * size})
	p, err := c.Producer(topic, WithAcks(AcksLeader), WithMaxBuffered(1000, size))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	warmUp(b, p)
	value := make([]byte, size)
	b.SetBytes(size)
	start := time.Now()
	n := 0
	for b.Loop() {
		if err := p.Send(ctx, nil, value); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(n), "us/record")
}
