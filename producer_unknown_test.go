package fluvio

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// unknownPartition is what classify returns for an SPU that does not hold
// the partition (yet).
func unknownPartition() error {
	return markRetriable(fmt.Errorf("t partition 0 at SPU 1: %w", wire.ErrUnknownTopicOrPartition))
}

// TestProducerRetriesUnknownPartitionForABoundedTime: a leader that does
// not hold the partition yet (a topic just created) is retried past
// WithRetries, for up to unknownPartitionWait from the first refusal; then
// the records fail with the SPU's error. Other retriable errors still stop
// at WithRetries.
func TestProducerRetriesUnknownPartitionForABoundedTime(t *testing.T) {
	t.Run("replica appears", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeLog(1)
			f.fail = func(call int, _ produceCall) error {
				if call <= 8 {
					return unknownPartition()
				}
				return nil
			}
			p := newTestProducer(t, f, WithRetries(2, 100*time.Millisecond))
			off, err := p.SendSync(context.Background(), nil, []byte("v"))
			testkit.NoErr(t, err)
			testkit.Equal(t, off, Offset(0))
			f.mu.Lock()
			testkit.Equal(t, f.calls, 9)
			f.mu.Unlock()
			testkit.NoErr(t, p.Close())
		})
	})
	t.Run("never appears", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeLog(1)
			f.fail = func(int, produceCall) error { return unknownPartition() }
			p := newTestProducer(t, f, WithRetries(2, 100*time.Millisecond))
			start := time.Now()
			_, err := p.SendSync(context.Background(), nil, []byte("v"))
			if !errors.Is(err, wire.ErrUnknownTopicOrPartition) {
				t.Fatalf("SendSync = %v, want the SPU's unknown topic or partition", err)
			}
			d := time.Since(start)
			if d < unknownPartitionWait || d > unknownPartitionWait+2*DefaultMaxRetryBackoff {
				t.Fatalf("gave up after %v, want about %v", d, unknownPartitionWait)
			}
			testkit.NoErr(t, p.Close())
		})
	})
	t.Run("other errors stop at WithRetries", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeLog(1)
			f.fail = func(int, produceCall) error { return markRetriable(wire.ErrNotLeader) }
			p := newTestProducer(t, f, WithRetries(2, 100*time.Millisecond))
			_, err := p.SendSync(context.Background(), nil, []byte("v"))
			if !errors.Is(err, wire.ErrNotLeader) {
				t.Fatalf("SendSync = %v, want not leader", err)
			}
			f.mu.Lock()
			testkit.Equal(t, f.calls, 3)
			f.mu.Unlock()
			testkit.NoErr(t, p.Close())
		})
	})
}
