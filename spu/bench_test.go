package spu

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/wire"
)

// BenchmarkProduce measures produce throughput over one pipelined
// connection: 1 KiB records, 64 records per batch, 8 requests in flight.
func BenchmarkProduce(b *testing.B) {
	for _, sync := range []string{"always", "never"} {
		for _, acks := range []wire.Acks{wire.AcksLeader, wire.AcksAll} {
			b.Run(fmt.Sprintf("sync=%s/acks=%s", sync, acks), func(b *testing.B) {
				benchProduce(b, sync, acks)
			})
		}
	}
}

// BenchmarkProduceLarge is BenchmarkProduce with large records, one per
// batch (the producer's batch holds one record larger than its 64 KiB batch
// size): the per-byte costs of the SPU's produce path (read, CRC check,
// append), 8 requests in flight, acks=leader, sync interval.
func BenchmarkProduceLarge(b *testing.B) {
	for _, size := range []int{100 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("record=%dKiB", size>>10), func(b *testing.B) {
			benchProduceSize(b, "interval", wire.AcksLeader, size, 1)
		})
	}
}

func benchProduce(b *testing.B, syncPolicy string, acks wire.Acks) {
	benchProduceSize(b, syncPolicy, acks, 1024, 64)
}

func benchProduceSize(b *testing.B, syncPolicy string, acks wire.Acks, size, records int) {
	s, c := benchSPU(b, syncPolicy, int32(2*size*records)) // 1 MiB records with their framing
	defer s.stop()
	defer c.Close()
	var bl batch.Builder
	bl.Reset(1)
	val := make([]byte, size)
	for range records {
		bl.Add(nil, val, nil, 1)
	}
	payload := append([]byte(nil), bl.Bytes()...)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	var wg sync.WaitGroup
	work := make(chan struct{}, 8)
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			buf := make([]byte, len(payload))
			for range work {
				copy(buf, payload)
				if _, err := c.Produce(context.Background(), &wire.ProduceRequest{Acks: acks, Topic: "bench", Records: buf}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for b.Loop() {
		select {
		case work <- struct{}{}:
		case err := <-errs: // every sender may have stopped
			close(work)
			wg.Wait()
			b.Fatal(err)
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

// BenchmarkProduceIdle measures an idle produce->ack round trip: one
// request of one 1 KiB record in flight, acks=leader, sync interval (G4's
// shape, bench/README.md), reporting the p50 and p99 besides ns/op. Client
// and SPU share this process, so its hand-offs cost less than across
// processes; compare it with itself (A/B), not with the cross-process bench.
func BenchmarkProduceIdle(b *testing.B) {
	s, c := benchSPU(b, "interval", 0)
	defer s.stop()
	defer c.Close()
	var bl batch.Builder
	bl.Reset(1)
	bl.Add(nil, make([]byte, 1024), nil, 1)
	payload := append([]byte(nil), bl.Bytes()...)
	ctx := context.Background()
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := c.Produce(ctx, &wire.ProduceRequest{Acks: wire.AcksLeader, Topic: "bench", Records: payload}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50-us")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99-us")
}

// BenchmarkFetch measures consumer fetch throughput: 1 MiB fetches over a
// 64 MiB log that is in the page cache.
func BenchmarkFetch(b *testing.B) {
	t := &testing.T{}
	s := startSPUIn(t, 1, b.TempDir(), 0)
	defer s.stop()
	sp := spec("bench", 0, 1, 0)
	sp.Config.Sync = "never"
	s.apply(t, true, nil, sp)
	c, err := wire.Dial(context.Background(), s.public)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var bl batch.Builder
	val := make([]byte, 1024)
	var end int64
	for range 1024 {
		bl.Reset(1)
		for range 64 {
			bl.Add(nil, val, nil, 1)
		}
		r, err := c.Produce(context.Background(), &wire.ProduceRequest{Acks: wire.AcksLeader, Topic: "bench",
			Records: append([]byte(nil), bl.Bytes()...)})
		if err != nil {
			b.Fatal(err)
		}
		end = r.BaseOffset + 64
	}
	var off int64
	var total int64
	b.ReportAllocs()
	for b.Loop() {
		if off >= end {
			off = 0
		}
		resp, err := c.Fetch(context.Background(), &wire.FetchRequest{ReplicaID: -1, MaxBytes: 1 << 20,
			Partitions: []wire.FetchPartition{{Topic: "bench", Offset: off, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}})
		if err != nil {
			b.Fatal(err)
		}
		recs := resp.Partitions[0].Records
		total += int64(len(recs))
		var last []byte
		for bb, err := range batch.All(recs) {
			if err != nil {
				b.Fatal(err)
			}
			last = bb
		}
		off = batch.NextOffset(last)
	}
	b.SetBytes(total / int64(max(b.N, 1)))
}

// BenchmarkProduceReplicated is BenchmarkProduce with acks=all on three
// SPUs in one process (one leader, two followers fetching over loopback),
// with followers that pipeline their fetches (the default) and with
// followers that fetch one request at a time.
func BenchmarkProduceReplicated(b *testing.B) {
	for _, fetch := range []string{"pipelined", "sequential"} {
		for _, syncPolicy := range []string{"always", "never"} {
			b.Run("fetch="+fetch+"/sync="+syncPolicy, func(b *testing.B) {
				benchProduceReplicated(b, fetch == "sequential", syncPolicy)
			})
		}
	}
}

func benchProduceReplicated(b *testing.B, sequential bool, syncPolicy string) {
	{
		{
			t := &testing.T{}
			s1, s2, s3 := startSPUIn(t, 1, b.TempDir(), 0), startSPUIn(t, 2, b.TempDir(), 0), startSPUIn(t, 3, b.TempDir(), 0)
			defer s3.stop()
			defer s2.stop()
			defer s1.stop()
			if sequential {
				s2.fetchSequentially()
				s3.fetchSequentially()
			}
			sp := spec("bench", 0, 1, 0, 1, 2, 3)
			sp.Config.Sync = syncPolicy
			for _, s := range []*testSPU{s1, s2, s3} {
				s.apply(t, true, peersOf(s1, s2, s3), sp)
			}
			c, err := wire.Dial(context.Background(), s1.public)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			var bl batch.Builder
			bl.Reset(1)
			val := make([]byte, 1024)
			for range 64 {
				bl.Add(nil, val, nil, 1)
			}
			payload := append([]byte(nil), bl.Bytes()...)
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			var wg sync.WaitGroup
			work := make(chan struct{}, 8)
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() {
					buf := make([]byte, len(payload))
					for range work {
						copy(buf, payload)
						if _, err := c.Produce(context.Background(), &wire.ProduceRequest{Acks: wire.AcksAll, Topic: "bench", Records: buf}); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			for b.Loop() {
				work <- struct{}{}
			}
			close(work)
			wg.Wait()
			select {
			case err := <-errs:
				b.Fatal(err)
			default:
			}
		}
	}
}

// benchSPU starts an SPU leading partition bench-0 (WAL sync policy
// syncPolicy; maxRecordBytes 0: the default limit) and dials its public
// port. The caller stops both.
func benchSPU(b *testing.B, syncPolicy string, maxRecordBytes int32) (*testSPU, *wire.Conn) {
	b.Helper()
	// b.TempDir, not startSPU's: a zero testing.T never removes its own.
	s := startSPUIn(&testing.T{}, 1, b.TempDir(), 0)
	sp := spec("bench", 0, 1, 0)
	sp.Config.Sync = syncPolicy
	if maxRecordBytes > 0 {
		sp.Config.MaxRecordBytes = maxRecordBytes
	}
	s.apply(&testing.T{}, true, nil, sp)
	c, err := wire.Dial(context.Background(), s.public)
	if err != nil {
		s.stop()
		b.Fatal(err)
	}
	return s, c
}
