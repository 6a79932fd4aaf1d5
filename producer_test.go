package fluvio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/spu"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
)

// fakeLog is a fake transport: it stores each partition's batches as a
// leader would, assigning offsets, and can fail or hold requests.
type fakeLog struct {
	n int32

	mu       sync.Mutex
	batches  map[int32][][]byte
	next     map[int32]int64
	calls    int
	inflight map[int32]int
	maxIn    int
	// fail, if set, is asked before each request; a non-nil error fails it.
	fail func(call int, c produceCall) error
	// gate, if set, holds each request until it can receive.
	gate chan struct{}
	// dedup, if set, checks idempotent batches as a leader does.
	dedup *replica.Producers
	// lose, if set, is asked after a successful append: true loses the
	// answer (the client sees a retriable connection error).
	lose func(call int, c produceCall) bool
	// refusals are dedup's errors, in order.
	refusals []error
	// bulkCalls counts the requests started by startProduceMany
	// (Producer.drain).
	bulkCalls int
}

func newFakeLog(n int32) *fakeLog {
	return &fakeLog{n: n, batches: map[int32][][]byte{}, next: map[int32]int64{}, inflight: map[int32]int{}}
}

func (f *fakeLog) partitions(ctx context.Context, topic string) (int32, error) { return f.n, nil }

func (f *fakeLog) startProduce(ctx context.Context, c produceCall) func(context.Context) (int64, error) {
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.inflight[c.partition]++
	f.maxIn = max(f.maxIn, f.inflight[c.partition])
	fail, gate := f.fail, f.gate
	f.mu.Unlock()
	// The "leader" appends at once, in the order requests are started;
	// the answer waits for the gate.
	base, err := int64(-1), error(nil)
	if fail != nil {
		err = fail(call, c)
	}
	if err == nil {
		base, err = f.append(c)
		if (err == nil || isDuplicate(base, err)) && f.lose != nil && f.lose(call, c) {
			base, err = -1, markRetriable(fmt.Errorf("produce: %w", wire.ErrConnClosed))
		}
	}
	return func(ctx context.Context) (int64, error) {
		defer func() {
			f.mu.Lock()
			f.inflight[c.partition]--
			f.mu.Unlock()
		}()
		if gate != nil {
			select {
			case <-gate:
			case <-ctx.Done():
				return -1, ctx.Err()
			}
		}
		return base, err
	}
}

// startProduceMany starts each call in order, as the Client does on
// one connection (Producer.drain uses it).
func (f *fakeLog) startProduceMany(ctx context.Context, calls []produceCall) []answerWaiter {
	f.mu.Lock()
	f.bulkCalls += len(calls)
	f.mu.Unlock()
	waits := make([]answerWaiter, len(calls))
	for i, c := range calls {
		waits[i] = waitFunc(f.startProduce(ctx, c))
	}
	return waits
}

func (f *fakeLog) append(c produceCall) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dedup != nil {
		var seqs []replica.SeqBatch
		for b, err := range batch.All(c.records) {
			if err != nil {
				return -1, err
			}
			seqs = append(seqs, replica.SeqBatchOf(b))
		}
		base, dup, err := f.dedup.Check(seqs)
		err = spu.WireError(err) // as the leader answers (spu/errors.go)
		if err != nil {
			f.refusals = append(f.refusals, err)
			if wire.IsRetriable(err) {
				err = markRetriable(err)
			}
			return -1, err
		}
		if dup {
			// As the SPU answers a retry of stored batches.
			return base, wire.DuplicateSequence.ErrMsg(fmt.Sprintf("stored before at offset %d", base))
		}
	}
	base := f.next[c.partition]
	for b, err := range batch.All(c.records) {
		if err != nil {
			return -1, err
		}
		b = bytes.Clone(b)
		batch.SetBaseOffset(b, f.next[c.partition]) // as the leader does (the CRC does not cover it)
		f.batches[c.partition] = append(f.batches[c.partition], b)
		if f.dedup != nil {
			f.dedup.Record(replica.SeqBatchOf(b), f.next[c.partition])
		}
		f.next[c.partition] += int64(batch.LastOffsetDelta(b)) + 1
	}
	return base, nil
}

// records decodes partition p's stored records.
func (f *fakeLog) records(t testing.TB, p int32) []batch.Record {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []batch.Record
	for _, b := range f.batches[p] {
		d, _, err := batch.Decode(b)
		testkit.NoErr(t, err)
		out = append(out, d.Records...)
	}
	return out
}

func newTestProducer(t testing.TB, f *fakeLog, opts ...ProducerOption) *Producer {
	t.Helper()
	p, err := newProducer(context.Background(), f, slog.New(slog.DiscardHandler), "t", opts)
	testkit.NoErr(t, err)
	return p
}

func TestProducerOrderPerPartition(t *testing.T) {
	f := newFakeLog(3)
	p := newTestProducer(t, f, WithBatchSize(1024))
	ctx := context.Background()
	const n = 20000
	want := map[int32][]string{}
	part := DefaultPartitioner()
	for i := range n {
		key := fmt.Appendf(nil, "k%d", i%97)
		val := fmt.Appendf(nil, "v%d", i)
		testkit.NoErr(t, p.Send(ctx, key, val))
		pp := part.Partition(key, 3)
		want[pp] = append(want[pp], string(val))
	}
	testkit.NoErr(t, p.Flush(ctx))
	testkit.NoErr(t, p.Close())
	total := 0
	for pp := range int32(3) {
		got := f.records(t, pp)
		if len(got) != len(want[pp]) {
			t.Fatalf("partition %d: %d records, want %d", pp, len(got), len(want[pp]))
		}
		for i, r := range got {
			if string(r.Value) != want[pp][i] {
				t.Fatalf("partition %d record %d = %q, want %q", pp, i, r.Value, want[pp][i])
			}
		}
		total += len(got)
	}
	testkit.Equal(t, total, n)
	if f.maxIn > DefaultMaxInFlight {
		t.Errorf("%d requests of one partition in flight at once; want at most %d", f.maxIn, DefaultMaxInFlight)
	}
	if recs, b := p.budget.outstanding(); recs != 0 || b != 0 {
		t.Errorf("budget after flush: %d records, %d bytes outstanding", recs, b)
	}
}

func TestProducerSendSyncOffsets(t *testing.T) {
	f := newFakeLog(1)
	p := newTestProducer(t, f, WithLinger(time.Hour)) // SendSync must not linger
	defer p.Close()
	for i := range 5 {
		off, err := p.SendSync(context.Background(), nil, []byte("x"))
		testkit.NoErr(t, err)
		testkit.Equal(t, off, Offset(i))
	}
	// Offsets within a multi-record batch: queue three, sync the fourth.
	ctx := context.Background()
	for range 3 {
		testkit.NoErr(t, p.Send(ctx, nil, []byte("y")))
	}
	off, err := p.SendSync(ctx, nil, []byte("z"))
	testkit.NoErr(t, err)
	testkit.Equal(t, off, Offset(8))
}

func TestProducerRetriesRetriable(t *testing.T) {
	f := newFakeLog(1)
	f.fail = func(call int, c produceCall) error {
		if call <= 2 {
			return markRetriable(errors.New("not leader"))
		}
		return nil
	}
	p := newTestProducer(t, f, WithRetries(3, time.Millisecond))
	defer p.Close()
	off, err := p.SendSync(context.Background(), []byte("k"), []byte("v"))
	testkit.NoErr(t, err)
	testkit.Equal(t, off, Offset(0))
	testkit.Equal(t, len(f.records(t, 0)), 1)
	testkit.Equal(t, f.calls, 3)
}

func TestProducerRetriesExhausted(t *testing.T) {
	f := newFakeLog(1)
	cause := errors.New("not enough replicas")
	f.fail = func(int, produceCall) error { return markRetriable(cause) }
	p := newTestProducer(t, f, WithRetries(2, time.Millisecond))
	defer p.Close()
	ctx := context.Background()
	testkit.NoErr(t, p.Send(ctx, nil, []byte("a")))
	err := p.Flush(ctx)
	if !errors.Is(err, cause) {
		t.Fatalf("Flush = %v, want %v", err, cause)
	}
	testkit.Equal(t, f.calls, 3) // first try + 2 retries
	// The error is reported once.
	testkit.NoErr(t, p.Flush(ctx))
}

func TestProducerNoRetryOnPermanentError(t *testing.T) {
	f := newFakeLog(1)
	cause := errors.New("record too large")
	f.fail = func(call int, c produceCall) error {
		if call == 1 {
			return cause
		}
		return nil
	}
	p := newTestProducer(t, f, WithRetries(5, time.Millisecond))
	defer p.Close()
	_, err := p.SendSync(context.Background(), nil, []byte("a"))
	if !errors.Is(err, cause) {
		t.Fatalf("SendSync = %v, want %v", err, cause)
	}
	testkit.Equal(t, f.calls, 1)
	// SendSync's own error is not reported again by Flush.
	testkit.NoErr(t, p.Flush(context.Background()))
	off, err := p.SendSync(context.Background(), nil, []byte("b"))
	testkit.NoErr(t, err)
	testkit.Equal(t, off, Offset(0))
}

func TestProducerSendBlocksWhenFull(t *testing.T) {
	f := newFakeLog(1)
	f.gate = make(chan struct{})
	p := newTestProducer(t, f, WithMaxBuffered(10, 1<<20), WithLinger(0))
	defer p.Close()
	ctx := context.Background()
	for range 10 {
		testkit.NoErr(t, p.Send(ctx, nil, []byte("r")))
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := p.Send(short, nil, []byte("over")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send on a full producer = %v, want DeadlineExceeded", err)
	}
	close(f.gate) // the SPU answers: room again
	testkit.NoErr(t, p.Send(ctx, nil, []byte("fits")))
	testkit.NoErr(t, p.Flush(ctx))
	testkit.Equal(t, len(f.records(t, 0)), 11)
}

func TestProducerByteBudget(t *testing.T) {
	f := newFakeLog(1)
	f.gate = make(chan struct{})
	p := newTestProducer(t, f, WithMaxBuffered(1000, 100), WithLinger(0))
	defer p.Close()
	ctx := context.Background()
	// A record larger than the budget is admitted when nothing is held.
	testkit.NoErr(t, p.Send(ctx, nil, make([]byte, 500)))
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := p.Send(short, nil, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send past the byte budget = %v, want DeadlineExceeded", err)
	}
	close(f.gate)
	testkit.NoErr(t, p.Flush(ctx))
}

func TestProducerLinger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		p := newTestProducer(t, f, WithLinger(50*time.Millisecond))
		ctx := context.Background()
		testkit.NoErr(t, p.Send(ctx, nil, []byte("a")))
		testkit.NoErr(t, p.Send(ctx, nil, []byte("b")))
		time.Sleep(49 * time.Millisecond)
		synctest.Wait()
		testkit.Equal(t, len(f.records(t, 0)), 0)
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		got := f.records(t, 0)
		testkit.Equal(t, len(got), 2)
		testkit.Equal(t, f.calls, 1) // both records in one batch
		testkit.NoErr(t, p.Close())
	})
}

func TestProducerBatchSizeSendsWithoutLinger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		p := newTestProducer(t, f, WithLinger(time.Hour), WithBatchSize(1000))
		ctx := context.Background()
		for range 20 {
			testkit.NoErr(t, p.Send(ctx, nil, make([]byte, 100)))
		}
		synctest.Wait()
		// About 9 records fill a 1000-byte batch; the rest linger.
		got := len(f.records(t, 0))
		if got == 0 || got >= 20 {
			t.Fatalf("%d of 20 records sent before the linger time; want full batches only", got)
		}
		f.mu.Lock()
		for _, b := range f.batches[0] {
			if len(b) > 1000 {
				t.Errorf("batch of %d bytes exceeds the batch size 1000", len(b))
			}
		}
		f.mu.Unlock()
		testkit.NoErr(t, p.Close()) // Close sends the lingering rest
		testkit.Equal(t, len(f.records(t, 0)), 20)
	})
}

func TestProducerCloseSendsAndRefuses(t *testing.T) {
	f := newFakeLog(2)
	p := newTestProducer(t, f, WithLinger(time.Hour))
	ctx := context.Background()
	for i := range 100 {
		testkit.NoErr(t, p.Send(ctx, fmt.Appendf(nil, "%d", i), []byte("v")))
	}
	testkit.NoErr(t, p.Close())
	testkit.Equal(t, len(f.records(t, 0))+len(f.records(t, 1)), 100)
	if err := p.Send(ctx, nil, []byte("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
	testkit.NoErr(t, p.Close())
}

func TestProducerHeadersAndNilKey(t *testing.T) {
	f := newFakeLog(1)
	p := newTestProducer(t, f)
	ctx := context.Background()
	testkit.NoErr(t, p.SendWithHeaders(ctx, nil, []byte("v"), []Header{{Key: "h", Value: []byte("1")}}))
	testkit.NoErr(t, p.Send(ctx, []byte{}, nil))
	testkit.NoErr(t, p.Close())
	got := f.records(t, 0)
	testkit.Equal(t, len(got), 2)
	if got[0].Key != nil || string(got[0].Value) != "v" || len(got[0].Headers) != 1 || got[0].Headers[0].Key != "h" {
		t.Errorf("record 0 = %+v", got[0])
	}
	if got[1].Key == nil || len(got[1].Key) != 0 || got[1].Value != nil {
		t.Errorf("record 1 = %+v: want empty key, nil value", got[1])
	}
}

func TestProducerConcurrentSenders(t *testing.T) {
	f := newFakeLog(4)
	p := newTestProducer(t, f, WithMaxBuffered(100, 1<<16), WithBatchSize(512))
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				if err := p.Send(ctx, fmt.Appendf(nil, "g%d", g), fmt.Appendf(nil, "%d", i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	testkit.NoErr(t, p.Close())
	// Each sender's key maps to one partition: its values must be in order.
	seen := map[string]int{}
	total := 0
	for pp := range int32(4) {
		for _, r := range f.records(t, pp) {
			k := string(r.Key)
			var v int
			fmt.Sscan(string(r.Value), &v)
			if v != seen[k] {
				t.Fatalf("key %s: value %d after %d", k, v, seen[k]-1)
			}
			seen[k]++
			total++
		}
	}
	testkit.Equal(t, total, 8000)
}

// TestProducerPipelinesRequests: the first request of a producer epoch
// goes alone (the leader takes a new producer only from sequence 0, see
// pipeline.start); after its answer up to WithMaxInFlight requests
// are in flight, and batches that fill meanwhile travel together.
func TestProducerPipelinesRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		g1 := make(chan struct{})
		f.gate = g1
		p := newTestProducer(t, f, WithLinger(0), WithBatchSize(150), WithMaxInFlight(3))
		ctx := context.Background()
		value := func(i int) []byte { return fmt.Appendf(nil, "record-%02d-with-padding-to-fill-a-batch", i) }
		for i := range 5 {
			testkit.NoErr(t, p.Send(ctx, nil, value(i)))
			synctest.Wait()
		}
		f.mu.Lock()
		calls, in := f.calls, f.inflight[0]
		f.gate = nil
		f.mu.Unlock()
		if calls != 1 || in != 1 {
			t.Fatalf("%d requests started, %d awaiting answers before the first answer; want 1 and 1", calls, in)
		}
		close(g1)
		testkit.NoErr(t, p.Flush(ctx))

		f.mu.Lock()
		f.gate = make(chan struct{})
		calls0 := f.calls
		f.mu.Unlock()
		for i := 5; i < 25; i++ {
			testkit.NoErr(t, p.Send(ctx, nil, value(i)))
			synctest.Wait() // let run start what it can
		}
		f.mu.Lock()
		calls, in = f.calls-calls0, f.inflight[0]
		f.mu.Unlock()
		if calls != 3 || in != 3 {
			t.Fatalf("%d requests started, %d awaiting answers; want 3 and 3 (the pipeline depth)", calls, in)
		}
		close(f.gate) // answers flow; the rest goes in few requests
		testkit.NoErr(t, p.Flush(ctx))
		testkit.NoErr(t, p.Close())
		got := f.records(t, 0)
		testkit.Equal(t, len(got), 25)
		for i, r := range got {
			if want := string(value(i)); string(r.Value) != want {
				t.Fatalf("record %d = %q, want %q", i, r.Value, want)
			}
		}
		if f.calls-calls0 >= 20 {
			t.Errorf("%d requests for 20 records: batches that filled meanwhile should travel together", f.calls-calls0)
		}
	})
}

// TestProducerRetryKeepsOrderInPipeline: the leader refuses a run of
// requests (as after a leader change every request in flight fails); they
// are sent again oldest first, so the log keeps Send order.
func TestProducerRetryKeepsOrderInPipeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.gate = make(chan struct{}) // answers wait: requests pile up in the pipeline
		f.fail = func(call int, c produceCall) error {
			if call >= 2 && call <= 7 {
				return markRetriable(errors.New("not leader"))
			}
			return nil
		}
		p := newTestProducer(t, f, WithLinger(0), WithBatchSize(64), WithMaxInFlight(4), WithRetries(10, time.Millisecond))
		ctx := context.Background()
		for i := range 50 {
			testkit.NoErr(t, p.Send(ctx, nil, fmt.Appendf(nil, "record-%02d-with-padding-to-fill-a-batch", i)))
			synctest.Wait()
			if i == 10 {
				close(f.gate)
			}
		}
		testkit.NoErr(t, p.Flush(ctx))
		testkit.NoErr(t, p.Close())
		got := f.records(t, 0)
		testkit.Equal(t, len(got), 50)
		for i, r := range got {
			if want := fmt.Sprintf("record-%02d-with-padding-to-fill-a-batch", i); string(r.Value) != want {
				t.Fatalf("record %d = %q, want %q", i, r.Value, want)
			}
		}
		if f.calls <= 7 {
			t.Fatalf("only %d requests: the failures were not exercised", f.calls)
		}
	})
}

// TestProducerBigRecordsTravelTogether: records larger than the batch
// size (a batch each) that queue while a request is in flight go out
// together in the next request, so a window of large records is not cut
// to one record per request slot.
func TestProducerBigRecordsTravelTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.gate = make(chan struct{})
		var perRequest []int // batches per request
		f.fail = func(call int, c produceCall) error {
			n := 0
			for _, err := range batch.All(c.records) {
				testkit.NoErr(t, err)
				n++
			}
			perRequest = append(perRequest, n) // requests of a partition are started one at a time
			return nil
		}
		p := newTestProducer(t, f, WithLinger(0), WithBatchSize(200), WithMaxInFlight(1))
		ctx := context.Background()
		testkit.NoErr(t, p.Send(ctx, nil, []byte("a")))
		synctest.Wait() // "a" is in flight; the big records queue behind it
		for i := range 4 {
			testkit.NoErr(t, p.Send(ctx, nil, bytes.Repeat([]byte{byte('0' + i)}, 500)))
		}
		synctest.Wait()
		close(f.gate)
		testkit.NoErr(t, p.Flush(ctx))
		testkit.NoErr(t, p.Close())
		if fmt.Sprint(perRequest) != "[1 4]" {
			t.Fatalf("batches per request %v, want [1 4]: the four big records should travel in one request", perRequest)
		}
		testkit.Equal(t, len(f.records(t, 0)), 5)
	})
}

// TestProducerBigRecordRefusedAlone: a request that the leader refuses as
// too large (one batch over the topic's max record size; nothing is
// appended) is sent again one batch per request, so only the big record
// fails and the others are stored once, in order, with and without
// idempotence (the batches after the refused one move to the next
// producer epoch), also when the refusal answers a retry.
func TestProducerBigRecordRefusedAlone(t *testing.T) {
	for _, tc := range []struct{ idem, retried bool }{{true, false}, {false, false}, {true, true}} {
		idem := tc.idem
		t.Run(fmt.Sprintf("idempotence=%v/retried=%v", idem, tc.retried), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeLog(1)
				if idem {
					f.dedup = replica.NewProducers(0)
				}
				f.gate = make(chan struct{})
				refused := 0
				f.fail = func(call int, c produceCall) error {
					if tc.retried && call == 2 {
						return markRetriable(errors.New("not leader"))
					}
					for b, err := range batch.All(c.records) {
						testkit.NoErr(t, err)
						if len(b) > 1000 {
							refused++
							return wire.RecordTooLarge.ErrMsg(fmt.Sprintf("batch of %d bytes over the limit", len(b)))
						}
					}
					return nil
				}
				p := newTestProducer(t, f, WithLinger(0), WithBatchSize(200), WithMaxInFlight(1), WithIdempotence(idem))
				ctx := context.Background()
				testkit.NoErr(t, p.Send(ctx, nil, []byte("a")))
				synctest.Wait() // "a" is in flight; the rest queues behind it
				for _, v := range [][]byte{[]byte("b"), bytes.Repeat([]byte("c"), 500), make([]byte, 2000), bytes.Repeat([]byte("d"), 500)} {
					testkit.NoErr(t, p.Send(ctx, nil, v))
				}
				synctest.Wait()
				close(f.gate)
				if err := p.Flush(ctx); !errors.Is(err, wire.ErrRecordTooLarge) {
					t.Fatalf("Flush = %v, want the big record's refusal", err)
				}
				testkit.NoErr(t, p.Close())
				if refused != 2 {
					t.Fatalf("%d refusals, want 2: the request of four batches, then the big one alone", refused)
				}
				var got []string
				for _, r := range f.records(t, 0) {
					got = append(got, string(r.Value[:1]))
				}
				if fmt.Sprint(got) != "[a b c d]" {
					t.Fatalf("stored %v, want [a b c d]: only the big record fails", got)
				}
				if idem && p.Stats().EpochBumps != 1 {
					t.Fatalf("%d epoch bumps, want 1 (the big batch's sequences are never stored)", p.Stats().EpochBumps)
				}
			})
		})
	}
}

// leaderChange makes partition p's log end after its first n batches and
// rebuilds the producer-state table from the log, as a follower that had
// copied only those batches does when it becomes leader.
func (f *fakeLog) leaderChange(p int32, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches[p] = f.batches[p][:n]
	f.next[p] = 0
	if n > 0 {
		f.next[p] = batch.NextOffset(f.batches[p][n-1])
	}
	if f.dedup != nil {
		f.dedup = replica.NewProducers(0)
		for _, b := range f.batches[p] {
			f.dedup.RecordBatches(b)
		}
	}
}

// TestProducerSendAsync: each record's outcome arrives on its channel,
// with its offset; a failed record is reported there, not by Flush.
func TestProducerSendAsync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		refused := errors.New("refused")
		f.fail = func(call int, c produceCall) error {
			if call == 2 {
				return refused
			}
			return nil
		}
		p := newTestProducer(t, f, WithLinger(0))
		ctx := context.Background()
		var res []<-chan SendResult
		for _, v := range []string{"a", "b", "c"} {
			ch, err := p.SendAsync(ctx, nil, []byte(v))
			testkit.NoErr(t, err)
			res = append(res, ch)
			synctest.Wait() // one request each
		}
		testkit.NoErr(t, p.Flush(ctx))
		a, b, c := <-res[0], <-res[1], <-res[2]
		if a.Err != nil || a.Offset != 0 || !errors.Is(b.Err, refused) || b.Offset != -1 || c.Err != nil || c.Offset != 1 {
			t.Fatalf("outcomes %+v %+v %+v; want offset 0, the refusal, offset 1", a, b, c)
		}
		testkit.NoErr(t, p.Close())
		if got := f.values(t); fmt.Sprint(got) != "[a c]" {
			t.Fatalf("stored %v, want [a c]", got)
		}
	})
}
