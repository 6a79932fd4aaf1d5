package fluvio

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestProducerFullWindowEndsLinger: when a Send finds the window
// (WithMaxBuffered) full, the lingering batches go out at once instead of
// after the linger time: tiny records and many partitions never fill a
// batch, and each batch used to wait out the whole linger.
func TestProducerFullWindowEndsLinger(t *testing.T) {
	for _, tc := range []struct {
		name       string
		partitions int32
		records    int
	}{
		{"one partition, tiny records", 1, 10},
		{"one record per partition", 8, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeLog(tc.partitions)
				p := newTestProducer(t, f, WithLinger(time.Hour), WithMaxBuffered(tc.records, 1<<20))
				ctx := context.Background()
				start := time.Now()
				for range tc.records {
					testkit.NoErr(t, p.Send(ctx, nil, []byte("16 bytes of data")))
				}
				synctest.Wait()
				if n := f.sent(t); n != 0 {
					t.Fatalf("%d records sent while the window still had room; want them lingering", n)
				}
				// The window is full: this Send blocks, which sends the
				// lingering batches; their answers make room for it.
				testkit.NoErr(t, p.Send(ctx, nil, []byte("one more")))
				if d := time.Since(start); d >= time.Hour {
					t.Fatalf("Send on a full window returned after %v: the batches waited out the linger", d)
				}
				synctest.Wait()
				// (The one more may have gone along: a flushed partition
				// sends what arrives before its loop next looks.)
				if n := f.sent(t); n < tc.records {
					t.Fatalf("%d records sent after the window filled, want %d", n, tc.records)
				}
				testkit.NoErr(t, p.Flush(ctx))
				if d := time.Since(start); d >= time.Hour {
					t.Fatalf("Flush returned after %v: it waited for the linger", d)
				}
				testkit.Equal(t, f.sent(t), tc.records+1)
				testkit.NoErr(t, p.Close())
			})
		})
	}
}

// TestProducerWindowWithRoomLingers: a window with room left does not
// cut the linger short (the batch keeps filling).
func TestProducerWindowWithRoomLingers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		p := newTestProducer(t, f, WithLinger(time.Second), WithMaxBuffered(100, 1<<20))
		ctx := context.Background()
		for range 99 {
			testkit.NoErr(t, p.Send(ctx, nil, []byte("r")))
		}
		time.Sleep(time.Second - time.Millisecond)
		synctest.Wait()
		testkit.Equal(t, f.sent(t), 0)
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		testkit.Equal(t, f.sent(t), 99)
		f.mu.Lock()
		calls := f.calls
		f.mu.Unlock()
		testkit.Equal(t, calls, 1) // one batch
		testkit.NoErr(t, p.Close())
	})
}

// sent counts the records the fake leader stored over every partition.
func (f *fakeLog) sent(t testing.TB) int {
	t.Helper()
	n := 0
	for p := range f.n {
		n += len(f.records(t, p))
	}
	return n
}

// TestProducerFullWindowInFlightKeepsLinger: while requests are in
// flight, a full window does not cut the linger (their answers make room
// and the lingering batch keeps growing); once nothing is in flight it
// does.
func TestProducerFullWindowInFlightKeepsLinger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		p := newTestProducer(t, f, WithLinger(time.Second), WithMaxBuffered(4, 1<<20))
		ctx := context.Background()
		// The producer epoch's first request goes alone (see
		// pipeline.start): answered before the test starts.
		_, err := p.SendSync(ctx, nil, []byte("w"))
		testkit.NoErr(t, err)
		gate := make(chan struct{})
		f.mu.Lock()
		f.gate = gate
		f.mu.Unlock()
		testkit.NoErr(t, p.Send(ctx, nil, []byte("a")))
		testkit.NoErr(t, p.Send(ctx, nil, []byte("b")))
		time.Sleep(time.Second) // lingered: sent, its answer held
		synctest.Wait()
		testkit.Equal(t, f.sent(t), 3)
		testkit.NoErr(t, p.Send(ctx, nil, []byte("c")))
		testkit.NoErr(t, p.Send(ctx, nil, []byte("d")))
		start := time.Now()
		sent := make(chan error, 1)
		go func() { sent <- p.Send(ctx, nil, []byte("e")) }() // the window is full
		synctest.Wait()
		testkit.Equal(t, f.sent(t), 3) // c and d linger: a request is in flight
		close(gate)                    // its answer makes room
		testkit.NoErr(t, <-sent)
		if d := time.Since(start); d != 0 {
			t.Fatalf("the blocked Send waited %v of fake time, want none (room came from the answer)", d)
		}
		synctest.Wait()
		testkit.Equal(t, f.sent(t), 3) // still lingering: nothing forces them out
		time.Sleep(time.Second)
		synctest.Wait()
		testkit.Equal(t, f.sent(t), 6)
		testkit.NoErr(t, p.Close())
	})
}

// TestProducerFullWindowDrainsTogether: when a Send finds the window full
// with nothing in flight, the lingering batches of every partition are
// started together on that goroutine (Producer.drain: one startProduceMany,
// which the Client writes as MultiProduce frames), not by waking each
// partition's loop; the epoch's first requests are answered before the
// partitions' next ones, and every record is stored once, in order.
func TestProducerFullWindowDrainsTogether(t *testing.T) {
	for _, idem := range []bool{true, false} {
		t.Run(fmt.Sprintf("idempotence=%v", idem), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const parts = 50
				f := newFakeLog(parts) // (its dedup table is one partition's: not used here)
				p := newTestProducer(t, f, WithLinger(time.Hour), WithMaxBuffered(parts, 1<<20), WithIdempotence(idem))
				ctx := context.Background()
				const rounds = 4
				for i := range rounds * parts {
					// Round robin: every round fills the window with one
					// record per partition; the next Send drains them.
					testkit.NoErr(t, p.Send(ctx, nil, fmt.Appendf(nil, "record-%03d", i)))
				}
				testkit.NoErr(t, p.Flush(ctx))
				testkit.NoErr(t, p.Close())
				f.mu.Lock()
				bulkCalls := f.bulkCalls
				f.mu.Unlock()
				// A partition whose loop was busy when the window filled
				// sends its batch itself (with the next round's record if
				// it arrived meanwhile).
				if bulkCalls < (rounds-1)*parts/2 {
					t.Fatalf("%d of %d requests started together; want most of them", bulkCalls, f.calls)
				}
				for part := range int32(parts) {
					recs := f.records(t, part)
					testkit.Equal(t, len(recs), rounds)
					for r, rec := range recs {
						if want := fmt.Sprintf("record-%03d", r*parts+int(part)); string(rec.Value) != want {
							t.Fatalf("partition %d record %d = %q, want %q", part, r, rec.Value, want)
						}
					}
				}
				if idem {
					for part := range int32(parts) {
						next := int32(0)
						for _, st := range f.stamps(part) {
							if st.Epoch != 0 || st.Seq != next {
								t.Fatalf("partition %d stamps %+v: want epoch 0, sequences 0, 1, ... in order", part, f.stamps(part))
							}
							next += st.Count
						}
					}
				}
			})
		})
	}
}

// TestProducerLingerTimerStartsDueTogether: with a transport that starts
// many partitions' requests at once (the Client's), the partitions'
// batches linger on the producer's one timer: none goes before its linger
// time, and those due together are started together, not by each
// partition's loop on a timer of its own.
func TestProducerLingerTimerStartsDueTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const parts = 20
		f := newFakeLog(parts)
		p := newTestProducer(t, f, WithLinger(10*time.Millisecond), WithMaxBuffered(1000, 1<<20))
		ctx := context.Background()
		for i := range parts {
			testkit.NoErr(t, p.Send(ctx, nil, fmt.Appendf(nil, "r%d", i))) // one per partition
		}
		time.Sleep(10*time.Millisecond - time.Microsecond)
		synctest.Wait()
		testkit.Equal(t, f.sent(t), 0)
		time.Sleep(time.Microsecond)
		synctest.Wait()
		testkit.Equal(t, f.sent(t), parts)
		f.mu.Lock()
		bulkCalls, calls := f.bulkCalls, f.calls
		f.mu.Unlock()
		if bulkCalls != parts || calls != parts {
			t.Fatalf("%d requests, %d of them started together; want %d, all together", calls, bulkCalls, parts)
		}
		testkit.NoErr(t, p.Close())
	})
}

// TestProducerLingerStartsWithoutWakingRunLoops: over many partitions
// every record starts a batch; with the producer's linger timer the
// sender lists it there itself, so no partition's run loop wakes up to do
// it (a goroutine hand-off per record), and the batches still go out
// together when their linger time is over.
func TestProducerLingerStartsWithoutWakingRunLoops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const parts = 50
		f := newFakeLog(parts)
		p := newTestProducer(t, f, WithLinger(10*time.Millisecond), WithMaxBuffered(1000, 1<<20))
		ctx := context.Background()
		synctest.Wait() // the run loops are parked
		wakes := func() (n int64) {
			for _, q := range p.parts {
				n += q.wakes.Load()
			}
			return n
		}
		before := wakes()
		for round := range 3 {
			for i := range parts {
				testkit.NoErr(t, p.Send(ctx, nil, fmt.Appendf(nil, "r%d-%d", round, i)))
			}
			synctest.Wait()
			if n := wakes() - before; n != 0 {
				t.Fatalf("round %d: the run loops woke %d times for lingering batches, want 0", round, n)
			}
			testkit.Equal(t, f.sent(t), round*parts)
			time.Sleep(10 * time.Millisecond)
			synctest.Wait()
			testkit.Equal(t, f.sent(t), (round+1)*parts)
		}
		f.mu.Lock()
		bulkCalls := f.bulkCalls
		f.mu.Unlock()
		testkit.Equal(t, bulkCalls, 3*parts)
		testkit.NoErr(t, p.Close())
	})
}

// TestProducerSpreadWindowCutsLinger: when the window is spread over the
// partitions (at most two records each) and a quarter of it or more
// waits in one-record batches, a Send that finds it full sends them at
// once although requests are in flight: lingering would not grow them
// (each partition gets about one record per window) and the leader would
// idle until the linger time is over.
func TestProducerSpreadWindowCutsLinger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const parts, first = 40, 10
		f := newFakeLog(parts)
		byKey := PartitionerFunc(func(key []byte, n int32) int32 { return int32(key[0]) % n })
		p := newTestProducer(t, f, WithLinger(time.Hour), WithMaxBuffered(parts, 1<<20), WithPartitioner(byKey))
		ctx := context.Background()
		for i := range parts {
			// Each partition's epoch starts with a request answered alone
			// (see pipeline.start): done before the answers are held.
			_, err := p.SendSync(ctx, []byte{byte(i)}, []byte("w"))
			testkit.NoErr(t, err)
		}
		gate := make(chan struct{})
		f.mu.Lock()
		f.gate = gate
		f.mu.Unlock()
		for i := range first {
			testkit.NoErr(t, p.Send(ctx, []byte{byte(i)}, []byte("in flight")))
		}
		flushed := make(chan error, 1)
		go func() { flushed <- p.Flush(ctx) }()
		synctest.Wait()
		testkit.Equal(t, f.sent(t), parts+first) // their answers are held
		for i := first; i < parts; i++ {
			testkit.NoErr(t, p.Send(ctx, []byte{byte(i)}, []byte("lingering")))
		}
		synctest.Wait()
		testkit.Equal(t, f.sent(t), parts+first) // the window has room: they linger
		start := time.Now()
		blocked := make(chan error, 1)
		go func() { blocked <- p.Send(ctx, []byte{0}, []byte("one more")) }() // the window is full
		synctest.Wait()
		if n := f.sent(t); n != 2*parts {
			t.Fatalf("%d records sent once the window was full, want %d: the one-record batches kept lingering", n, 2*parts)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("the batches went out after %v of fake time, want at once", d)
		}
		close(gate)
		testkit.NoErr(t, <-blocked)
		testkit.NoErr(t, <-flushed)
		testkit.NoErr(t, p.Flush(ctx))
		testkit.Equal(t, f.sent(t), 2*parts+1)
		testkit.NoErr(t, p.Close())
	})
}
