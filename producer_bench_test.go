package fluvio

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// discardTransport acknowledges every request at once: it measures the
// client's own cost (partitioning, batching, budget) without a network.
type discardTransport struct{ n int32 }

func (d discardTransport) partitions(context.Context, string) (int32, error) { return d.n, nil }
func (d discardTransport) startProduce(context.Context, produceCall) func(context.Context) (int64, error) {
	return func(context.Context) (int64, error) { return 0, nil }
}

// BenchmarkProducerClientSide is Send with an instant transport; the
// round-robin case spreads the window (1,000 records) over 1,000
// partitions, one record per request, like the bench's G6 workload.
func BenchmarkProducerClientSide(b *testing.B) {
	b.Run("size=1024B/partitions=1000/round-robin", func(b *testing.B) {
		p, err := newProducer(context.Background(), discardTransport{n: 1000}, slog.New(slog.DiscardHandler), "bench",
			[]ProducerOption{WithMaxBuffered(1000, 1<<20)})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		value := make([]byte, 1024)
		ctx := context.Background()
		b.SetBytes(int64(len(value)))
		b.ReportAllocs()
		cpu0 := processCPU(b)
		for b.Loop() {
			if err := p.Send(ctx, nil, value); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(p.Stats().Requests)/float64(b.N), "requests/op")
		b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
	})
	for _, size := range []int{100, 1024} {
		b.Run(fmt.Sprintf("size=%dB", size), func(b *testing.B) {
			p, err := newProducer(context.Background(), discardTransport{n: 3}, slog.New(slog.DiscardHandler), "bench", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			value := make([]byte, size)
			key := []byte("key-0001")
			ctx := context.Background()
			b.SetBytes(int64(size + len(key)))
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Send(ctx, key, value); err != nil {
					b.Fatal(err)
				}
			}
			if err := p.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkProduce sends records through the library to an in-process
// cluster (one SPU, real TCP and WAL with the default fsync policy) and
// reports throughput, allocations and the SendSync latency percentiles.
func BenchmarkProduce(b *testing.B) {
	cl := fluviotest.Start(b, fluviotest.Options{SPUs: 1})
	c := connectCluster(b, cl)
	ctx := context.Background()
	cases := []struct {
		size      int
		acks      Acks
		batchSize int
		linger    time.Duration
		inFlight  int
		noIdem    bool // WithIdempotence(false)
	}{
		{100, AcksAll, DefaultBatchSize, DefaultLinger, DefaultMaxInFlight, false},
		{1024, AcksAll, DefaultBatchSize, DefaultLinger, DefaultMaxInFlight, false},
		{1024, AcksLeader, DefaultBatchSize, DefaultLinger, DefaultMaxInFlight, false},
		{1024, AcksAll, 16 << 10, DefaultLinger, DefaultMaxInFlight, false},
		{1024, AcksAll, 256 << 10, DefaultLinger, DefaultMaxInFlight, false},
		{1024, AcksAll, DefaultBatchSize, 0, DefaultMaxInFlight, false},
		{1024, AcksAll, DefaultBatchSize, DefaultLinger, 1, false},
		{1024, AcksAll, 16 << 10, DefaultLinger, 1, false},
		{100, AcksAll, DefaultBatchSize, DefaultLinger, DefaultMaxInFlight, true},
		{1024, AcksAll, DefaultBatchSize, DefaultLinger, DefaultMaxInFlight, true},
	}
	for i, tc := range cases {
		name := fmt.Sprintf("size=%dB/acks=%s/batch=%dKiB/linger=%v/inflight=%d", tc.size, tc.acks, tc.batchSize>>10, tc.linger, tc.inFlight)
		if tc.noIdem {
			name += "/idempotence=off"
		}
		b.Run(name, func(b *testing.B) {
			topic := fmt.Sprintf("bench-%d-%d", i, benchTopics.Add(1))
			createTopic(b, c, topic, TopicConfig{Partitions: 1})
			p, err := c.Producer(topic, WithAcks(tc.acks), WithBatchSize(tc.batchSize), WithLinger(tc.linger), WithMaxInFlight(tc.inFlight),
				WithIdempotence(!tc.noIdem))
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			warmUp(b, p)
			value := make([]byte, tc.size)
			b.SetBytes(int64(tc.size))
			b.ReportAllocs()
			n, elapsed := sendLoop(ctx, b, p, value)
			b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
		})
	}
	b.Run("sendsync/size=100B", func(b *testing.B) {
		topic := fmt.Sprintf("bench-sync-%d", benchTopics.Add(1))
		createTopic(b, c, topic, TopicConfig{Partitions: 1})
		p, err := c.Producer(topic)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		warmUp(b, p)
		value := make([]byte, 100)
		var lat []time.Duration
		b.ReportAllocs()
		for b.Loop() {
			t0 := time.Now()
			if _, err := p.SendSync(ctx, nil, value); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-us")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-us")
	})
}

// benchTopics numbers the benchmarks' topics: each run (-count) needs new ones.
var benchTopics atomic.Int64

// warmUp waits until the SPU serves the new topic.
func warmUp(b *testing.B, p *Producer) {
	b.Helper()
	testkit.WaitFor(b, 10*time.Second, func() error {
		if _, err := p.SendSync(context.Background(), nil, []byte("warm-up")); err != nil {
			return fmt.Errorf("topic not served: %w", err)
		}
		return nil
	})
}

// processCPU returns the CPU time (user and system) the process used so
// far, in nanoseconds: what a round-robin Send costs the client's
// goroutines, apart from the time it waits.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// sendLoop sends value with p once per b.Loop iteration, then flushes,
// and returns how many records it sent and how long that took.
func sendLoop(ctx context.Context, b *testing.B, p *Producer, value []byte) (int, time.Duration) {
	b.Helper()
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
	return n, time.Since(start)
}
