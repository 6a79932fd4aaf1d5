package fluvio

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
)

// BenchmarkProducerTinyRecords sends 16 B records without a key (round
// robin) through an instant transport with the bench's window (1,000
// records, 1 MiB) and the default linger: the window fills long before a
// batch does, so this measures how fast a full window gets its batches
// out (the linger used to bound it at 1,000 records per 5 ms).
func BenchmarkProducerTinyRecords(b *testing.B) {
	for _, parts := range []int32{1, 1000} {
		b.Run(fmt.Sprintf("partitions=%d", parts), func(b *testing.B) {
			p, err := newProducer(context.Background(), discardTransport{n: parts}, slog.New(slog.DiscardHandler), "bench",
				[]ProducerOption{WithMaxBuffered(1000, 1<<20)})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			value := make([]byte, 16)
			ctx := context.Background()
			b.ReportAllocs()
			n, elapsed := sendLoop(ctx, b, p, value)
			b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
		})
	}
}
