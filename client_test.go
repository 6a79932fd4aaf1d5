package fluvio

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

func TestClientProduceConsumeAllPartitions(t *testing.T) {
	f := startFakeCluster(t, "orders", 1, 2, 3)
	c := f.connect(t)
	ctx := context.Background()
	p, err := c.Producer("orders", WithBatchSize(2048))
	testkit.NoErr(t, err)
	const n = 3000
	for i := range n {
		testkit.NoErr(t, p.Send(ctx, fmt.Appendf(nil, "user-%d", i%50), fmt.Appendf(nil, "%d", i)))
	}
	testkit.NoErr(t, p.Flush(ctx))
	testkit.NoErr(t, p.Close())

	cons, err := c.Consumer("orders", FromBeginning(), DisableContinuous())
	testkit.NoErr(t, err)
	testkit.Equal(t, len(cons.Partitions()), 3)
	seen := map[string]bool{}
	lastByKey := map[string]int{}
	nextOffset := map[int32]int64{}
	for rec, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		if rec.Offset != nextOffset[rec.Partition] {
			t.Fatalf("partition %d: offset %d, want %d", rec.Partition, rec.Offset, nextOffset[rec.Partition])
		}
		nextOffset[rec.Partition]++
		v := string(rec.Value)
		if seen[v] {
			t.Fatalf("record %s read twice", v)
		}
		seen[v] = true
		var i int
		fmt.Sscan(v, &i)
		if last, ok := lastByKey[string(rec.Key)]; ok && i <= last {
			t.Fatalf("key %s: value %d after %d", rec.Key, i, last)
		}
		lastByKey[string(rec.Key)] = i
	}
	testkit.Equal(t, len(seen), n)
}

func TestClientRedirectsAfterLeaderMoves(t *testing.T) {
	f := startFakeCluster(t, "moves", 1)
	c := f.connect(t)
	ctx := context.Background()
	p, err := c.Producer("moves", WithRetries(5, time.Millisecond))
	testkit.NoErr(t, err)
	defer p.Close()
	off, err := p.SendSync(ctx, nil, []byte("before"))
	testkit.NoErr(t, err)
	testkit.Equal(t, off, Offset(0))

	f.moveLeader(0, 2) // SPU 1 now answers NotLeader
	f.mu.Lock()
	calls := f.metaCalls
	f.mu.Unlock()
	off, err = p.SendSync(ctx, nil, []byte("after"))
	testkit.NoErr(t, err)
	testkit.Equal(t, off, Offset(1))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.metaCalls <= calls {
		t.Errorf("no metadata refresh after NotLeader (%d calls before, %d after)", calls, f.metaCalls)
	}
	if f.dials[spuAddr(2)] != 1 {
		t.Errorf("dials to the new leader = %d, want 1", f.dials[spuAddr(2)])
	}
}

func TestClientRetriesRetriableProduceError(t *testing.T) {
	f := startFakeCluster(t, "flaky", 1)
	c := f.connect(t)
	p, err := c.Producer("flaky", WithRetries(3, time.Millisecond))
	testkit.NoErr(t, err)
	defer p.Close()
	f.mu.Lock()
	f.failOnce[0] = wire.NotEnoughReplicas
	f.mu.Unlock()
	off, err := p.SendSync(context.Background(), nil, []byte("x"))
	testkit.NoErr(t, err)
	testkit.Equal(t, off, Offset(0))
}

func TestClientPermanentProduceError(t *testing.T) {
	f := startFakeCluster(t, "big", 1)
	c := f.connect(t)
	p, err := c.Producer("big")
	testkit.NoErr(t, err)
	defer p.Close()
	f.mu.Lock()
	f.failOnce[0] = wire.RecordTooLarge
	f.mu.Unlock()
	_, err = p.SendSync(context.Background(), nil, []byte("x"))
	if !errors.Is(err, ErrRecordTooLarge) || !errors.Is(err, wire.ErrRecordTooLarge) {
		t.Fatalf("SendSync = %v, want ErrRecordTooLarge", err)
	}
	if Hint(err) == "" {
		t.Errorf("no hint for %v", err)
	}
}

func TestClientUnknownTopic(t *testing.T) {
	f := startFakeCluster(t, "exists", 1)
	c := f.connect(t)
	_, err := c.Producer("nope")
	if !errors.Is(err, ErrTopicNotFound) {
		t.Fatalf("Producer(nope) = %v, want ErrTopicNotFound", err)
	}
	if !strings.Contains(err.Error(), `topic "nope" not found`) || !strings.Contains(Hint(err), "fluvio topic create nope") {
		t.Errorf("error %q, hint %q: want the topic name and 'fluvio topic create nope'", err, Hint(err))
	}
	_, err = c.Consumer("nope")
	if !errors.Is(err, ErrTopicNotFound) {
		t.Fatalf("Consumer(nope) = %v, want ErrTopicNotFound", err)
	}
	_, err = c.Consumer("exists", WithPartition(3))
	if !errors.Is(err, ErrBadOption) {
		t.Fatalf("Consumer(partition 3 of 1) = %v, want ErrBadOption", err)
	}
}

func TestConsumerFollowsNewRecords(t *testing.T) {
	f := startFakeCluster(t, "live", 1, 2)
	c := f.connect(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cons, err := c.Consumer("live", WithFetchMaxWait(time.Minute)) // from the end, following
	testkit.NoErr(t, err)
	got := make(chan Record, 10)
	errc := make(chan error, 1)
	go func() {
		for rec, err := range cons.Records(ctx) {
			if err != nil {
				errc <- err
				return
			}
			got <- rec
		}
		errc <- nil
	}()
	p, err := c.Producer("live", WithLinger(0))
	testkit.NoErr(t, err)
	defer p.Close()
	// The consumer starts at the end: records sent before it has resolved
	// its start may or may not be seen, so send until one arrives.
	var rec Record
	testkit.WaitFor(t, 5*time.Second, func() error {
		_, err := p.SendSync(ctx, []byte("k"), []byte("hello"))
		if err != nil {
			return err
		}
		select {
		case rec = <-got:
			return nil
		case <-time.After(50 * time.Millisecond):
			return errors.New("no record yet")
		}
	})
	testkit.Equal(t, string(rec.Value), "hello")
	testkit.Equal(t, rec.Topic, "live")
	// A record produced while the consumer is parked in a long poll
	// arrives promptly, long before the poll's one-minute wait.
	start := time.Now()
	off, err := p.SendSync(ctx, []byte("k"), []byte("second"))
	testkit.NoErr(t, err)
	select {
	case rec = <-got:
		testkit.Equal(t, string(rec.Value), "second")
		testkit.Equal(t, rec.Offset, off)
	case <-time.After(5 * time.Second):
		t.Fatal("consumer did not receive the new record")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("new record took %v", d)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("iteration ended with %v, want context.Canceled", err)
	}
}

func TestConsumerStartAndEnd(t *testing.T) {
	f := startFakeCluster(t, "pos", 1)
	c := f.connect(t)
	ctx := context.Background()
	p, err := c.Producer("pos", WithBatchSize(100))
	testkit.NoErr(t, err)
	for i := range 10 {
		testkit.NoErr(t, p.Send(ctx, nil, fmt.Appendf(nil, "%d", i)))
	}
	testkit.NoErr(t, p.Close())
	read := func(opts ...ConsumerOption) string {
		t.Helper()
		cons, err := c.Consumer("pos", opts...)
		testkit.NoErr(t, err)
		var vals []string
		for rec, err := range cons.Records(ctx) {
			testkit.NoErr(t, err)
			vals = append(vals, string(rec.Value))
		}
		return strings.Join(vals, ",")
	}
	cases := []struct {
		name string
		opts []ConsumerOption
		want string
	}{
		{"beginning", []ConsumerOption{FromBeginning(), DisableContinuous()}, "0,1,2,3,4,5,6,7,8,9"},
		{"tail 3", []ConsumerOption{FromTail(3), DisableContinuous()}, "7,8,9"},
		{"tail more than all", []ConsumerOption{FromTail(50), DisableContinuous()}, "0,1,2,3,4,5,6,7,8,9"},
		{"offset 5", []ConsumerOption{FromOffset(5), DisableContinuous()}, "5,6,7,8,9"},
		{"offset 2 end 4", []ConsumerOption{FromOffset(2), WithEnd(4)}, "2,3,4"},
		{"end without -d stops", []ConsumerOption{FromBeginning(), WithEnd(0)}, "0"},
		{"end of log", []ConsumerOption{FromEnd(), DisableContinuous()}, ""},
		{"partition 0", []ConsumerOption{WithPartition(0), FromOffset(8), DisableContinuous()}, "8,9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := read(tc.opts...); got != tc.want {
				t.Errorf("read %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConsumerBreakStopsGoroutines(t *testing.T) {
	f := startFakeCluster(t, "brk", 1, 1, 1, 1)
	c := f.connect(t)
	ctx := context.Background()
	p, err := c.Producer("brk")
	testkit.NoErr(t, err)
	for i := range 100 {
		testkit.NoErr(t, p.Send(ctx, fmt.Appendf(nil, "%d", i), nil))
	}
	testkit.NoErr(t, p.Close())
	cons, err := c.Consumer("brk", FromBeginning(), WithFetchMaxWait(time.Minute))
	testkit.NoErr(t, err)
	n := 0
	for _, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		if n++; n == 10 {
			break // goleak in TestMain checks that the readers stopped
		}
	}
	testkit.Equal(t, n, 10)
}

func TestClientCloseEndsConsumer(t *testing.T) {
	f := startFakeCluster(t, "cl", 1, 2)
	c := f.connect(t)
	cons, err := c.Consumer("cl", WithFetchMaxWait(time.Minute))
	testkit.NoErr(t, err)
	errc := make(chan error, 1)
	go func() {
		for _, err := range cons.Records(context.Background()) {
			if err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	testkit.NoErr(t, c.Close())
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("consumer ended with %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("consumer still running after Client.Close")
	}
	if _, err := c.Producer("cl"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Producer after Close = %v, want ErrClosed", err)
	}
}

// TestMetadataRefreshShared: partitions that all lose their leader at once
// ask the SC once, not once each.
func TestMetadataRefreshShared(t *testing.T) {
	f := startFakeCluster(t, "many", 1, 1, 1, 1, 1, 1, 1, 1)
	c := f.connect(t)
	ctx := context.Background()
	gate := make(chan struct{})
	f.mu.Lock()
	f.metaGate = gate // hold the SC's answer until every lookup waits for it
	f.mu.Unlock()
	var wg sync.WaitGroup
	for part := range int32(8) {
		wg.Go(func() {
			if _, err := c.meta.leader(ctx, "many", part); err != nil {
				t.Error(err)
			}
		})
	}
	testkit.WaitFor(t, 5*time.Second, func() error {
		c.meta.mu.Lock()
		defer c.meta.mu.Unlock()
		if fl := c.meta.flights["many"]; fl == nil || fl.waiters != 8 {
			return errors.New("not every lookup waits for the refresh yet")
		}
		return nil
	})
	close(gate)
	wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	testkit.Equal(t, f.metaCalls, 1)
}
