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

// The three ways a refused batch was reported as stored. Each
// test runs the real leader table (replica.Producers) behind the fake
// log, except where the refusal is injected.

// values returns partition 0's stored record values.
func (f *fakeLog) values(t testing.TB) []string {
	t.Helper()
	var got []string
	for _, r := range f.records(t, 0) {
		got = append(got, string(r.Value))
	}
	return got
}

// TestProducerFirstRequestRefusedNextAccepted: the first request of a new
// producer is refused with a retriable error (the leader of a topic still
// being created, a failover) while the next ones are in flight. Before
// the fix the leader took the next request at its sequence (a new
// producer started anywhere), refused the resend of the first as
// DuplicateSequence, and the client completed it as stored: Flush
// returned nil with the first batch missing (39 of 40 stored).
func TestProducerFirstRequestRefusedNextAccepted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.dedup = replica.NewProducers(0)
		f.gate = make(chan struct{})
		f.fail = func(call int, c produceCall) error {
			if call == 1 {
				return markRetriable(fmt.Errorf("t partition 0: %w", wire.ErrNotLeader))
			}
			return nil
		}
		p := newTestProducer(t, f, WithLinger(0), WithBatchSize(64), WithMaxInFlight(4), WithRetries(10, time.Millisecond))
		ctx := context.Background()
		var want []string
		for i := range 40 {
			v := fmt.Sprintf("record-%02d-with-padding-to-fill-a-batch", i)
			want = append(want, v)
			testkit.NoErr(t, p.Send(ctx, nil, []byte(v)))
			synctest.Wait()
			if i == 8 {
				close(f.gate)
			}
		}
		testkit.NoErr(t, p.Flush(ctx))
		testkit.NoErr(t, p.Close())
		got := f.values(t)
		for i := range max(len(got), len(want)) {
			if i >= len(got) || i >= len(want) || got[i] != want[i] {
				t.Fatalf("stored %d records of %d; the first difference is at %d", len(got), len(want), i)
			}
		}
	})
}

// TestProducerRefusedResendIsNotStored: a resend refused as
// DuplicateSequence without the offset the records were stored at (what
// the leader answered for the first request above, which it had never
// stored) is a refusal, not a proof: the send fails, and the next record
// is stored. Before the fix SendSync returned success at offset -1 for a
// record that is not in the log.
func TestProducerRefusedResendIsNotStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.fail = func(call int, c produceCall) error {
			switch call {
			case 1:
				return markRetriable(fmt.Errorf("t partition 0: %w", wire.ErrNotLeader))
			case 2:
				return wire.ErrDuplicateSequence // no offset: -1
			}
			return nil
		}
		p := newTestProducer(t, f, WithLinger(0), WithRetries(5, time.Millisecond))
		ctx := context.Background()
		off, err := p.SendSync(ctx, nil, []byte("a"))
		if err == nil || !errors.Is(err, wire.ErrDuplicateSequence) {
			t.Fatalf("SendSync(a) = %d, %v; want the DuplicateSequence refusal", off, err)
		}
		testkit.Equal(t, off, Offset(-1))
		off, err = p.SendSync(ctx, nil, []byte("b"))
		testkit.NoErr(t, err)
		testkit.Equal(t, off, Offset(0))
		testkit.NoErr(t, p.Close())
		if got := f.values(t); fmt.Sprint(got) != "[b]" {
			t.Fatalf("stored %v, want [b]", got)
		}
	})
}

// TestProducerMixedResendStoresTheNewBatches: a request of two batches is
// stored but its answer is lost, and the leader changes to a replica that
// had copied only the first batch. The resend mixes a stored batch and a
// new one. Before the fix the leader refused it as DuplicateSequence and
// the client completed both batches as stored: the second was lost. Now
// the leader answers PartlyDuplicate and the client resends each batch
// alone: the first is answered with its offset, the second is stored.
func TestProducerMixedResendStoresTheNewBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeLog(1)
		f.dedup = replica.NewProducers(0)
		f.gate = make(chan struct{})
		f.lose = func(call int, c produceCall) bool {
			if call != 2 {
				return false
			}
			f.leaderChange(0, 2) // a new leader with a0 and b1 only
			return true
		}
		p := newTestProducer(t, f, WithLinger(0), WithBatchSize(120), WithMaxInFlight(1), WithRetries(10, time.Millisecond))
		ctx := context.Background()
		vals := []string{"a0-with-padding-to-fill-a-batch-alone", "b1-with-padding-to-fill-a-batch-alone", "b2-with-padding-to-fill-a-batch-alone"}
		for _, v := range vals {
			testkit.NoErr(t, p.Send(ctx, nil, []byte(v)))
			synctest.Wait() // a0 in flight; b1 and b2 wait, then go together
		}
		close(f.gate)
		synctest.Wait()
		testkit.NoErr(t, p.Flush(ctx))
		testkit.NoErr(t, p.Close())
		if got := f.values(t); fmt.Sprint(got) != fmt.Sprint(vals) {
			t.Fatalf("stored %v, want %v", got, vals)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.calls < 4 {
			t.Fatalf("%d requests: the resend was not split", f.calls)
		}
	})
}
