package fluvio

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
)

// stamps returns partition p's stored batches' producer fields.
func (f *fakeLog) stamps(p int32) (out []replica.SeqBatch) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.batches[p] {
		out = append(out, replica.SeqBatchOf(b))
	}
	return out
}

// TestProducerSequencesPerPartition: every batch carries the producer id,
// epoch 0 and a base sequence that counts the partition's records.
func TestProducerSequencesPerPartition(t *testing.T) {
	f := newFakeLog(3)
	p := newTestProducer(t, f, WithLinger(0), WithBatchSize(80))
	if p.ProducerID() < 0 {
		t.Fatalf("producer id %d", p.ProducerID())
	}
	ctx := context.Background()
	for i := range 60 {
		testkit.NoErr(t, p.Send(ctx, fmt.Appendf(nil, "key-%d", i%7), fmt.Appendf(nil, "value-%03d", i)))
	}
	testkit.NoErr(t, p.Close())
	total := 0
	for part := range int32(3) {
		var next int32
		for i, s := range f.stamps(part) {
			if s.PID != p.ProducerID() || s.Epoch != 0 || s.Seq != next {
				t.Fatalf("partition %d batch %d: %+v, want pid %d epoch 0 seq %d", part, i, s, p.ProducerID(), next)
			}
			next += s.Count
		}
		total += int(next)
		if n := len(f.records(t, part)); int32(n) != next {
			t.Fatalf("partition %d: %d records, sequences reach %d", part, n, next)
		}
	}
	testkit.Equal(t, total, 60)

	// Off: no producer id.
	f2 := newFakeLog(1)
	p2 := newTestProducer(t, f2, WithIdempotence(false))
	testkit.NoErr(t, p2.Send(ctx, nil, []byte("x")))
	testkit.NoErr(t, p2.Close())
	if s := f2.stamps(0); len(s) != 1 || s[0].PID != -1 || s[0].Seq != -1 || p2.ProducerID() != -1 {
		t.Fatalf("without idempotence: %+v, id %d", s, p2.ProducerID())
	}
}

// TestProducerLostAnswerStoredOnce: the leader stores a request but its
// answer is lost; the retry carries the same sequence, the leader
// recognizes it and answers with the original offset.
func TestProducerLostAnswerStoredOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.dedup = replica.NewProducers(0)
		var sent []replica.SeqBatch
		f.lose = func(call int, c produceCall) bool {
			sent = append(sent, replica.SeqBatchOf(c.records))
			return call == 2 || call == 3 // the first try and the first retry of the second request
		}
		p := newTestProducer(t, f, WithLinger(0), WithRetries(5, time.Millisecond))
		ctx := context.Background()
		off, err := p.SendSync(ctx, nil, []byte("a"))
		testkit.NoErr(t, err)
		testkit.Equal(t, off, Offset(0))
		off, err = p.SendSync(ctx, nil, []byte("b"))
		testkit.NoErr(t, err)
		testkit.Equal(t, off, Offset(1)) // the original offset, from the retry
		off, err = p.SendSync(ctx, nil, []byte("c"))
		testkit.NoErr(t, err)
		testkit.Equal(t, off, Offset(2))
		testkit.NoErr(t, p.Close())
		var got []string
		for _, r := range f.records(t, 0) {
			got = append(got, string(r.Value))
		}
		if fmt.Sprint(got) != "[a b c]" {
			t.Fatalf("stored %v, want [a b c] (each once)", got)
		}
		// The requests the fake answered: the retries of "b" kept its
		// sequence (and were answered as duplicates).
		f.mu.Lock()
		defer f.mu.Unlock()
		var seqs []int32
		for _, s := range sent {
			seqs = append(seqs, s.Seq)
		}
		if fmt.Sprint(seqs) != "[0 1 1 1 2]" {
			t.Fatalf("sequences sent %v, want [0 1 1 1 2]", seqs)
		}
	})
}

// TestProducerOutOfOrderResendsInOrder: the leader refuses one request of
// a full pipeline; the requests behind it are refused as out of order
// (they skip its sequences) and the producer resends all of them in order:
// nothing is stored twice or out of Send order.
func TestProducerOutOfOrderResendsInOrder(t *testing.T) {
	// Whether the requests behind the refused one were already sent when it
	// was refused depends on how the pipeline's goroutines were scheduled:
	// run until one attempt reached out-of-order refusals (every attempt
	// must keep the records in order, exactly once).
	const attempts = 20
	for attempt := range attempts {
		if outOfOrderResendAttempt(t) > 0 {
			t.Logf("attempt %d reached out-of-order refusals", attempt+1)
			return
		}
	}
	t.Fatalf("no request was refused as out of order in %d attempts: the pipeline was not exercised", attempts)
}

// outOfOrderResendAttempt runs the scenario once and returns how many
// requests the leader refused as out of order.
func outOfOrderResendAttempt(t *testing.T) (ooo int) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.dedup = replica.NewProducers(0)
		refused := 0
		f.fail = func(call int, c produceCall) error {
			if call == 3 {
				refused++
				return markRetriable(errors.New("not leader"))
			}
			return nil
		}
		// Lose some answers too, so that retried requests are partly
		// stored already.
		f.lose = func(call int, c produceCall) bool { return call == 2 || call == 5 }
		p := newTestProducer(t, f, WithLinger(0), WithBatchSize(64), WithMaxInFlight(4), WithRetries(10, time.Millisecond))
		ctx := context.Background()
		// The epoch's first request is answered before the next one is
		// written (pipeline.start); then the answers wait, so that the
		// next records go in requests of their own, up to the pipeline's
		// depth.
		testkit.NoErr(t, p.Send(ctx, nil, []byte("record-00-with-padding-to-fill-a-batch")))
		testkit.NoErr(t, p.Flush(ctx))
		f.mu.Lock()
		f.gate = make(chan struct{})
		f.mu.Unlock()
		for i := 1; i < 40; i++ {
			testkit.NoErr(t, p.Send(ctx, nil, fmt.Appendf(nil, "record-%02d-with-padding-to-fill-a-batch", i)))
			synctest.Wait()
			if i == 8 {
				close(f.gate)
			}
		}
		testkit.NoErr(t, p.Flush(ctx))
		testkit.NoErr(t, p.Close())
		got := f.records(t, 0)
		testkit.Equal(t, len(got), 40)
		for i, r := range got {
			if want := fmt.Sprintf("record-%02d-with-padding-to-fill-a-batch", i); string(r.Value) != want {
				t.Fatalf("record %d = %q, want %q", i, r.Value, want)
			}
		}
		if refused != 1 {
			t.Fatalf("refused %d requests", refused)
		}
		for _, err := range f.refusals {
			if !errors.Is(err, wire.ErrOutOfOrderSequence) {
				t.Fatalf("refusal %v, want only out of order", err)
			}
			ooo++
		}
	})
	return ooo
}

// TestProducerPermanentFailureNextEpoch: a batch refused for good leaves a
// gap in the sequences; the partition moves to epoch 1 from sequence 0,
// and the records after it are stored.
func TestProducerPermanentFailureNextEpoch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.dedup = replica.NewProducers(0)
		tooLarge := errors.New("record too large")
		f.fail = func(call int, c produceCall) error {
			if len(c.records) > 1000 {
				return tooLarge
			}
			return nil
		}
		p := newTestProducer(t, f, WithLinger(0), WithBatchSize(200), WithRetries(10, time.Millisecond))
		ctx := context.Background()
		testkit.NoErr(t, p.Send(ctx, nil, []byte("a")))
		testkit.NoErr(t, p.Flush(ctx))
		testkit.NoErr(t, p.Send(ctx, nil, make([]byte, 2000)))
		if err := p.Flush(ctx); !errors.Is(err, tooLarge) {
			t.Fatalf("Flush = %v, want the big record's error", err)
		}
		testkit.NoErr(t, p.Send(ctx, nil, []byte("b")))
		testkit.NoErr(t, p.Send(ctx, nil, []byte("c")))
		testkit.NoErr(t, p.Close())
		var got []string
		for _, r := range f.records(t, 0) {
			got = append(got, string(r.Value))
		}
		if fmt.Sprint(got) != "[a b c]" {
			t.Fatalf("stored %v, want [a b c]", got)
		}
		st := f.stamps(0)
		if st[0].Epoch != 0 || st[0].Seq != 0 || st[1].Epoch != 1 || st[1].Seq != 0 {
			t.Fatalf("stamps %+v: want a at epoch 0 seq 0, b at epoch 1 seq 0", st)
		}
	})
}

// TestProducerRestampAfterFailureInPipeline: batches already in flight
// behind a batch that fails for good are refused as out of order, then
// re-stamped under the next epoch and stored, in order.
func TestProducerRestampAfterFailureInPipeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.dedup = replica.NewProducers(0)
		f.fail = func(call int, c produceCall) error {
			if len(c.records) > 1000 {
				return wire.InvalidRecord.ErrMsg("a record the leader refuses")
			}
			return nil
		}
		p := newTestProducer(t, f, WithLinger(0), WithBatchSize(200), WithMaxInFlight(4), WithRetries(10, time.Millisecond))
		ctx := context.Background()
		// The epoch's first request is answered before the next one is
		// written (pipeline.start); then the answers wait.
		testkit.NoErr(t, p.Send(ctx, nil, []byte("a")))
		testkit.NoErr(t, p.Flush(ctx))
		f.mu.Lock()
		f.gate = make(chan struct{})
		f.mu.Unlock()
		for _, v := range [][]byte{make([]byte, 2000), []byte("b"), []byte("c")} {
			testkit.NoErr(t, p.Send(ctx, nil, v))
			synctest.Wait() // each in a request of its own, all in flight
		}
		f.mu.Lock()
		calls := f.calls
		f.mu.Unlock()
		if calls != 4 {
			t.Fatalf("%d requests, want 4 (each record in its own)", calls)
		}
		close(f.gate)
		if err := p.Flush(ctx); !errors.Is(err, wire.ErrInvalidRecord) {
			t.Fatalf("Flush = %v, want the refused record's error", err)
		}
		testkit.NoErr(t, p.Close())
		var got []string
		for _, r := range f.records(t, 0) {
			got = append(got, string(r.Value))
		}
		if fmt.Sprint(got) != "[a b c]" {
			t.Fatalf("stored %v, want [a b c]", got)
		}
		for _, b := range f.stamps(0)[1:] {
			if b.Epoch != 1 {
				t.Fatalf("stamps %+v: b and c should be re-stamped under epoch 1", f.stamps(0))
			}
		}
	})
}

// TestProducerLeaderLostAckedRecords: the leader lost a record it had
// acknowledged (acks=leader across a failover), so the producer's next
// sequence is out of order for good; once the producer has nothing
// earlier outstanding it moves to the next epoch and the record is stored
// instead of failing after every retry.
func TestProducerLeaderLostAckedRecords(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.dedup = replica.NewProducers(0)
		p := newTestProducer(t, f, WithLinger(0), WithAcks(AcksLeader), WithRetries(3, time.Millisecond))
		ctx := context.Background()
		for _, v := range []string{"a", "b"} {
			_, err := p.SendSync(ctx, nil, []byte(v))
			testkit.NoErr(t, err)
		}
		// The new leader has only "a".
		f.mu.Lock()
		f.batches[0] = f.batches[0][:1]
		f.next[0] = 1
		f.dedup = replica.NewProducers(0)
		f.dedup.Record(replica.SeqBatchOf(f.batches[0][0]), 0)
		f.mu.Unlock()
		off, err := p.SendSync(ctx, nil, []byte("c"))
		testkit.NoErr(t, err)
		testkit.Equal(t, off, Offset(1))
		testkit.NoErr(t, p.Close())
		st := f.stamps(0)
		if len(st) != 2 || st[1].Epoch != 1 || st[1].Seq != 0 {
			t.Fatalf("stamps %+v: want c under epoch 1 from sequence 0", st)
		}
		if len(f.refusals) != 2 || !errors.Is(f.refusals[0], wire.ErrOutOfOrderSequence) {
			t.Fatalf("refusals %v: want two out of order (the first try and one resend)", f.refusals)
		}
	})
}

// TestProducerOutOfRetriesButStored: every answer to a stored batch is
// lost until its retries run out; the batch is reported failed (its fate
// is unknown to the producer) but the partition keeps its epoch, so the
// next batch follows it and a stored batch is never stored again.
func TestProducerOutOfRetriesButStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.dedup = replica.NewProducers(0)
		f.lose = func(call int, c produceCall) bool { return call >= 2 && call <= 4 } // b's try and 2 retries
		p := newTestProducer(t, f, WithLinger(0), WithRetries(2, time.Millisecond))
		ctx := context.Background()
		_, err := p.SendSync(ctx, nil, []byte("a"))
		testkit.NoErr(t, err)
		if _, err := p.SendSync(ctx, nil, []byte("b")); err == nil {
			t.Fatal("b: no error after every answer was lost")
		}
		off, err := p.SendSync(ctx, nil, []byte("c"))
		testkit.NoErr(t, err)
		testkit.Equal(t, off, Offset(2))
		testkit.NoErr(t, p.Close())
		var got []string
		for _, r := range f.records(t, 0) {
			got = append(got, string(r.Value))
		}
		if fmt.Sprint(got) != "[a b c]" {
			t.Fatalf("stored %v, want [a b c]", got)
		}
		for _, s := range f.stamps(0) {
			if s.Epoch != 0 {
				t.Fatalf("stamps %+v: the epoch moved", f.stamps(0))
			}
		}
	})
}
