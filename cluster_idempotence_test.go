package fluvio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// lossyTransport passes requests to a Client but can lose the answer of a
// request the leader stored: the producer sees a retriable failure. Before
// it returns the failure it reports the loss on lost and waits for
// proceed, so that the test can kill the leader in between.
type lossyTransport struct {
	clientTransport
	lost    chan<- struct{}
	proceed <-chan struct{}

	mu   sync.Mutex
	lose func(value []byte) bool // guarded by mu; asked for each successful request
}

func (l *lossyTransport) startProduce(ctx context.Context, call produceCall) func(context.Context) (int64, error) {
	wait := l.clientTransport.startProduce(ctx, call)
	return func(wctx context.Context) (int64, error) {
		base, err := wait(wctx)
		l.mu.Lock()
		lose := err == nil && l.lose != nil && l.lose(call.records)
		if lose {
			l.lose = nil // once
		}
		l.mu.Unlock()
		if !lose {
			return base, err
		}
		l.lost <- struct{}{}
		<-l.proceed
		return -1, markRetriable(errors.New("test: the answer to a stored request was lost"))
	}
}

// startProducePeek hides the Client's peek: every answer goes through
// startProduce's wait, where it may be lost.
func (l *lossyTransport) startProducePeek(ctx context.Context, call produceCall) (answerWaiter, answerPeeker) {
	return waitFunc(l.startProduce(ctx, call)), nil
}

// TestClusterIdempotentRetryAfterFailover: on 3 SPUs with 3 replicas and
// acks=all, the leader stores and commits a batch but its answer is lost;
// the leader crashes; the producer retries to the new leader, which knows
// the batch (its replica copied the producer's sequences) and answers
// with the original offset. Every record is in the log exactly once, in
// order.
func TestClusterIdempotentRetryAfterFailover(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 3})
	c := connectCluster(t, cl)
	createTopic(t, c, "exactly-once", TopicConfig{Partitions: 1, Replicas: 3})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	lost, proceed := make(chan struct{}), make(chan struct{})
	lt := &lossyTransport{clientTransport: clientTransport{c}, lost: lost, proceed: proceed}
	p, err := newProducer(ctx, lt, slog.New(slog.DiscardHandler), "exactly-once",
		[]ProducerOption{WithLinger(0), WithAcks(AcksAll), WithRetries(40, 50*time.Millisecond)})
	testkit.NoErr(t, err)
	defer p.Close()

	var acked []string
	var offsets []Offset
	testkit.WaitFor(t, 10*time.Second, func() error {
		off, err := p.SendSync(ctx, nil, []byte("warm-up"))
		if err == nil {
			acked, offsets = append(acked, "warm-up"), append(offsets, off)
		}
		return err
	})
	testkit.WaitFor(t, 10*time.Second, func() error {
		parts, err := c.Partitions(ctx, "exactly-once")
		if err != nil {
			return err
		}
		if len(parts[0].ISR) != 3 {
			return fmt.Errorf("ISR %v", parts[0].ISR)
		}
		return nil
	})
	for i := range 5 {
		off, err := p.SendSync(ctx, nil, fmt.Appendf(nil, "before-%d", i))
		testkit.NoErr(t, err)
		acked, offsets = append(acked, fmt.Sprint("before-", i)), append(offsets, off)
	}
	parts, err := c.Partitions(ctx, "exactly-once")
	testkit.NoErr(t, err)
	old := parts[0].Leader

	lt.mu.Lock()
	lt.lose = func([]byte) bool { return true }
	lt.mu.Unlock()
	type result struct {
		off Offset
		err error
	}
	done := make(chan result, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		off, err := p.SendSync(ctx, nil, []byte("answer-lost"))
		done <- result{off, err}
	})
	select {
	case <-lost:
	case <-ctx.Done():
		t.Fatal("the request whose answer is to be lost never completed")
	}
	cl.KillSPU(old) // the leader that stored it crashes
	close(proceed)
	r := <-done
	wg.Wait()
	testkit.NoErr(t, r.err)
	testkit.Equal(t, r.off, Offset(len(acked))) // the offset of the first (stored) try
	acked, offsets = append(acked, "answer-lost"), append(offsets, r.off)
	for i := range 5 {
		off, err := p.SendSync(ctx, nil, fmt.Appendf(nil, "after-%d", i))
		testkit.NoErr(t, err)
		acked, offsets = append(acked, fmt.Sprint("after-", i)), append(offsets, off)
	}
	parts, err = c.Partitions(ctx, "exactly-once")
	testkit.NoErr(t, err)
	if parts[0].Leader == old {
		t.Fatalf("leader is still the killed SPU %d", old)
	}

	cons, err := c.Consumer("exactly-once", FromBeginning(), DisableContinuous())
	testkit.NoErr(t, err)
	var got []string
	var gotOffsets []Offset
	for rec, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		got, gotOffsets = append(got, string(rec.Value)), append(gotOffsets, rec.Offset)
	}
	if fmt.Sprint(got) != fmt.Sprint(acked) {
		t.Fatalf("the log holds\n%v\nwant each acknowledged record once\n%v", got, acked)
	}
	if fmt.Sprint(gotOffsets) != fmt.Sprint(offsets) {
		t.Fatalf("offsets read %v, acknowledged %v", gotOffsets, offsets)
	}
}

// TestClusterIdempotentRetryAfterCrash: a single SPU stores a batch, the
// answer is lost and the SPU crashes (no clean close); it restarts and
// rebuilds its producer state from the recovered log, so the producer's
// retry gets the original offset and the record is stored once.
func TestClusterIdempotentRetryAfterCrash(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	createTopic(t, c, "crash-once", TopicConfig{Partitions: 1, Replicas: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lost, proceed := make(chan struct{}), make(chan struct{})
	lt := &lossyTransport{clientTransport: clientTransport{c}, lost: lost, proceed: proceed}
	p, err := newProducer(ctx, lt, slog.New(slog.DiscardHandler), "crash-once",
		[]ProducerOption{WithLinger(0), WithRetries(60, 50*time.Millisecond)})
	testkit.NoErr(t, err)
	defer p.Close()
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, err := p.SendSync(ctx, nil, []byte("first"))
		return err
	})
	lt.mu.Lock()
	lt.lose = func([]byte) bool { return true }
	lt.mu.Unlock()
	done := make(chan error, 1)
	var off Offset
	var wg sync.WaitGroup
	wg.Go(func() {
		var err error
		off, err = p.SendSync(ctx, nil, []byte("answer-lost"))
		done <- err
	})
	select {
	case <-lost:
	case <-ctx.Done():
		t.Fatal("the request whose answer is to be lost never completed")
	}
	id := cl.SPUIDs()[0]
	cl.KillSPU(id)
	cl.StartSPU(id)
	close(proceed)
	testkit.NoErr(t, <-done)
	wg.Wait()
	testkit.Equal(t, off, Offset(1))
	off2, err := p.SendSync(ctx, nil, []byte("next"))
	testkit.NoErr(t, err)
	testkit.Equal(t, off2, Offset(2))
	cons, err := c.Consumer("crash-once", FromBeginning(), DisableContinuous())
	testkit.NoErr(t, err)
	var got []string
	for rec, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		got = append(got, string(rec.Value))
	}
	if fmt.Sprint(got) != "[first answer-lost next]" {
		t.Fatalf("the log holds %v, want [first answer-lost next]", got)
	}
}
