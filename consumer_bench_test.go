package fluvio

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
)

// BenchmarkConsume reads a topic of 1 KiB records from the beginning to
// the end through the library, against an in-process cluster.
func BenchmarkConsume(b *testing.B) {
	cl := fluviotest.Start(b, fluviotest.Options{SPUs: 1})
	c := connectCluster(b, cl)
	ctx := context.Background()
	for _, parts := range []int32{1, 3} {
		b.Run(fmt.Sprintf("partitions=%d/size=1KiB", parts), func(b *testing.B) {
			topic := fmt.Sprintf("consume-%d-%d", parts, benchTopics.Add(1))
			createTopic(b, c, topic, TopicConfig{Partitions: parts})
			p, err := c.Producer(topic, WithAcks(AcksLeader))
			if err != nil {
				b.Fatal(err)
			}
			warmUp(b, p)
			const n = 50_000
			value := make([]byte, 1024)
			for range n {
				if err := p.Send(ctx, nil, value); err != nil {
					b.Fatal(err)
				}
			}
			if err := p.Close(); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(n * 1024)
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				cons, err := c.Consumer(topic, FromBeginning(), DisableContinuous())
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for _, err := range cons.Records(ctx) {
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got < n {
					b.Fatalf("read %d records, want at least %d", got, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "records/s")
		})
	}
}

// BenchmarkCommitOffsets commits one named consumer's offset (one record
// in the consumer-offset topic, acks=all, fsync) and reads it back, on
// an in-process cluster of 1 and of 3 SPUs (3 replicas).
func BenchmarkCommitOffsets(b *testing.B) {
	for _, spus := range []int{1, 3} {
		b.Run(fmt.Sprintf("spus=%d", spus), func(b *testing.B) {
			cl := fluviotest.Start(b, fluviotest.Options{SPUs: spus})
			c := connectCluster(b, cl)
			ctx := context.Background()
			createTopic(b, c, "bench-commit", TopicConfig{})
			var i int64
			b.Run("commit", func(b *testing.B) {
				for b.Loop() {
					i++
					if err := c.CommitOffsets(ctx, ConsumerOffset{Consumer: "bench", Topic: "bench-commit", Offset: i}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("list", func(b *testing.B) {
				for b.Loop() {
					if _, err := c.ListConsumers(ctx, "bench", "bench-commit"); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
