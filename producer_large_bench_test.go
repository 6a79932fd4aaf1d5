package fluvio

import (
	"context"
	"fmt"
	"testing"

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
	n, elapsed := sendLoop(ctx, b, p, value)
	b.ReportMetric(float64(elapsed.Microseconds())/float64(n), "us/record")
}
