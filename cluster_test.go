package fluvio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// These tests run the client against an in-process cluster: embedded
// NATS, the real SC and SPUs, real TCP and WAL files.

func clusterValue(i int) []byte {
	// Values of varied length and content, checked byte for byte.
	return fmt.Appendf(nil, "value-%d-%s", i, bytes.Repeat([]byte{byte('a' + i%26)}, i%50))
}

// TestCluster100kKeyedRecords produces 100,000 keyed records into 3
// partitions and reads them all back: each exactly once, in send order per
// key (and so per partition), byte for byte.
func TestCluster100kKeyedRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("100k records: skipped with -short")
	}
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	createTopic(t, c, "keyed", TopicConfig{Partitions: 3, Replicas: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	p, err := c.Producer("keyed")
	testkit.NoErr(t, err)
	const n = 100_000
	const keys = 1000
	for i := range n {
		testkit.NoErr(t, p.Send(ctx, fmt.Appendf(nil, "key-%d", i%keys), clusterValue(i)))
	}
	testkit.NoErr(t, p.Flush(ctx))
	testkit.NoErr(t, p.Close())

	cons, err := c.Consumer("keyed", FromBeginning(), DisableContinuous())
	testkit.NoErr(t, err)
	seen := make([]bool, n)
	lastByKey := make([]int, keys)
	for i := range lastByKey {
		lastByKey[i] = -1
	}
	nextOffset := map[int32]int64{}
	partOfKey := map[int]int32{}
	got := 0
	for rec, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		var i, k int
		if _, err := fmt.Sscanf(string(rec.Value), "value-%d-", &i); err != nil || i < 0 || i >= n {
			t.Fatalf("partition %d offset %d: unexpected value %q", rec.Partition, rec.Offset, rec.Value)
		}
		if !bytes.Equal(rec.Value, clusterValue(i)) {
			t.Fatalf("record %d: value %q, want %q", i, rec.Value, clusterValue(i))
		}
		if _, err := fmt.Sscanf(string(rec.Key), "key-%d", &k); err != nil || k != i%keys {
			t.Fatalf("record %d: key %q, want key-%d", i, rec.Key, i%keys)
		}
		if seen[i] {
			t.Fatalf("record %d read twice", i)
		}
		seen[i] = true
		if i <= lastByKey[k] {
			t.Fatalf("key %d: record %d after %d", k, i, lastByKey[k])
		}
		lastByKey[k] = i
		if p, ok := partOfKey[k]; ok && p != rec.Partition {
			t.Fatalf("key %d in partitions %d and %d", k, p, rec.Partition)
		}
		partOfKey[k] = rec.Partition
		if rec.Offset != nextOffset[rec.Partition] {
			t.Fatalf("partition %d: offset %d, want %d", rec.Partition, rec.Offset, nextOffset[rec.Partition])
		}
		nextOffset[rec.Partition]++
		got++
	}
	testkit.Equal(t, got, n)
	if len(nextOffset) != 3 {
		t.Errorf("records in %d partitions, want 3", len(nextOffset))
	}
}

// TestClusterConsumerWakesOnNewRecord: a consumer parked in a long poll at
// the end of the log receives a new record promptly.
func TestClusterConsumerWakesOnNewRecord(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	createTopic(t, c, "live", TopicConfig{Partitions: 2, Replicas: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := c.Producer("live", WithLinger(0))
	testkit.NoErr(t, err)
	defer p.Close()
	// Wait until the SPU serves the new topic.
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, err := p.SendSync(ctx, []byte("k"), []byte("warm-up"))
		return err
	})

	cons, err := c.Consumer("live", WithFetchMaxWait(time.Minute)) // from the end, following
	testkit.NoErr(t, err)
	got := make(chan Record, 100)
	errc := make(chan error, 1)
	rctx, rcancel := context.WithCancel(ctx)
	go func() {
		for rec, err := range cons.Records(rctx) {
			if err != nil {
				errc <- err
				return
			}
			got <- rec
		}
		errc <- nil
	}()
	// The consumer resolves "the end" when it starts: keep sending until a
	// record arrives, then time one more.
	testkit.WaitFor(t, 10*time.Second, func() error {
		if _, err := p.SendSync(ctx, []byte("k"), []byte("probe")); err != nil {
			return err
		}
		select {
		case <-got:
			return nil
		case <-time.After(100 * time.Millisecond):
			return errors.New("no record yet")
		}
	})
	for len(got) > 0 {
		<-got
	}
	start := time.Now()
	off, err := p.SendSync(ctx, []byte("k"), []byte("news"))
	testkit.NoErr(t, err)
	for {
		select {
		case rec := <-got:
			if string(rec.Value) != "news" {
				continue // a late probe
			}
			testkit.Equal(t, rec.Offset, off)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("the new record took %v to arrive", d)
			}
			rcancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Errorf("iteration ended with %v, want context.Canceled", err)
			}
			return
		case err := <-errc:
			t.Fatalf("consumer ended: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("the new record did not arrive")
		}
	}
}

// TestClusterRedirectFromNonLeader sends to a follower (the client's
// cached metadata is made stale on purpose): the SPU answers NotLeader, the
// client asks the SC again and the record lands on the leader.
func TestClusterRedirectFromNonLeader(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	c := connectCluster(t, cl)
	createTopic(t, c, "redirect", TopicConfig{Partitions: 1, Replicas: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := c.Producer("redirect", WithLinger(0))
	testkit.NoErr(t, err)
	defer p.Close()
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, err := p.SendSync(ctx, nil, []byte("first"))
		return err
	})

	// Point the cache at the follower.
	_, err = c.meta.refresh(ctx, "redirect")
	testkit.NoErr(t, err)
	c.meta.mu.Lock()
	part := &c.meta.topics["redirect"][0]
	leaderID := part.Leader
	follower := part.Replicas[0]
	if follower == leaderID {
		follower = part.Replicas[1]
	}
	part.Leader = follower
	c.meta.mu.Unlock()

	off, err := p.SendSync(ctx, nil, []byte("redirected"))
	testkit.NoErr(t, err)
	testkit.Equal(t, off, Offset(1))
	c.meta.mu.Lock()
	now := c.meta.topics["redirect"][0].Leader
	c.meta.mu.Unlock()
	testkit.Equal(t, now, leaderID)

	cons, err := c.Consumer("redirect", FromBeginning(), DisableContinuous())
	testkit.NoErr(t, err)
	var vals []string
	for rec, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		vals = append(vals, string(rec.Value))
	}
	if fmt.Sprint(vals) != "[first redirected]" {
		t.Fatalf("read %v, want [first redirected]", vals)
	}
}

// TestClusterLeaderFailover stops the leader's SPU while a producer is
// sending: the SC elects the follower, the client finds it through the SC,
// and every acknowledged record is readable afterwards, in order.
func TestClusterLeaderFailover(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	c := connectCluster(t, cl)
	createTopic(t, c, "failover", TopicConfig{Partitions: 1, Replicas: 2})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := c.Producer("failover", WithLinger(0), WithRetries(30, 50*time.Millisecond))
	testkit.NoErr(t, err)
	defer p.Close()
	var acked []string
	send := func(v string) {
		t.Helper()
		_, err := p.SendSync(ctx, nil, []byte(v))
		testkit.NoErr(t, err)
		acked = append(acked, v)
	}
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, err := p.SendSync(ctx, nil, []byte("warm-up"))
		if err == nil {
			acked = append(acked, "warm-up")
		}
		return err
	})
	// Wait until both replicas are in sync, so the follower can be elected.
	testkit.WaitFor(t, 10*time.Second, func() error {
		parts, err := c.Partitions(ctx, "failover")
		if err != nil {
			return err
		}
		if len(parts[0].ISR) != 2 {
			return fmt.Errorf("ISR %v", parts[0].ISR)
		}
		return nil
	})
	for i := range 10 {
		send(fmt.Sprintf("before-%d", i))
	}
	parts, err := c.Partitions(ctx, "failover")
	testkit.NoErr(t, err)
	old := parts[0].Leader
	cl.StopSPU(old)
	for i := range 10 {
		send(fmt.Sprintf("after-%d", i))
	}
	parts, err = c.Partitions(ctx, "failover")
	testkit.NoErr(t, err)
	if parts[0].Leader == old {
		t.Fatalf("leader is still the stopped SPU %d", old)
	}
	cons, err := c.Consumer("failover", FromBeginning(), DisableContinuous())
	testkit.NoErr(t, err)
	var got []string
	for rec, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		got = append(got, string(rec.Value))
	}
	if fmt.Sprint(got) != fmt.Sprint(acked) {
		t.Fatalf("after failover the log holds\n%v\nwant the acknowledged\n%v", got, acked)
	}
}

// TestClusterConsumerFromTime starts reading at the first record produced
// at or after a time.
func TestClusterConsumerFromTime(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	createTopic(t, c, "times", TopicConfig{Partitions: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := c.Producer("times", WithLinger(0))
	testkit.NoErr(t, err)
	defer p.Close()
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, err := p.SendSync(ctx, nil, []byte("old-0"))
		return err
	})
	for i := 1; i < 5; i++ {
		_, err := p.SendSync(ctx, nil, fmt.Appendf(nil, "old-%d", i))
		testkit.NoErr(t, err)
	}
	// Record timestamps have millisecond precision: let the clock move on.
	before := time.Now().UnixMilli()
	testkit.WaitFor(t, time.Second, func() error {
		if time.Now().UnixMilli() <= before+1 {
			return errors.New("same millisecond")
		}
		return nil
	})
	mark := time.Now()
	for i := range 3 {
		_, err := p.SendSync(ctx, nil, fmt.Appendf(nil, "new-%d", i))
		testkit.NoErr(t, err)
	}
	cons, err := c.Consumer("times", FromTime(mark), DisableContinuous())
	testkit.NoErr(t, err)
	var got []string
	for rec, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		got = append(got, string(rec.Value))
		if rec.Timestamp.Before(mark.Truncate(time.Millisecond)) {
			t.Errorf("record %q at %v is before %v", rec.Value, rec.Timestamp, mark)
		}
	}
	if fmt.Sprint(got) != "[new-0 new-1 new-2]" {
		t.Fatalf("FromTime read %v, want [new-0 new-1 new-2]", got)
	}
}

// TestClusterConsumerFollowsFailover: a following consumer keeps reading
// through a leader change: it finds the new leader through the SC and
// reads every acknowledged record once, in order.
func TestClusterConsumerFollowsFailover(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	c := connectCluster(t, cl)
	createTopic(t, c, "follow", TopicConfig{Partitions: 1, Replicas: 2})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := c.Producer("follow", WithLinger(0), WithRetries(30, 50*time.Millisecond))
	testkit.NoErr(t, err)
	defer p.Close()
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, err := p.SendSync(ctx, nil, []byte("v-0"))
		return err
	})
	testkit.WaitFor(t, 10*time.Second, func() error {
		parts, err := c.Partitions(ctx, "follow")
		if err != nil {
			return err
		}
		if len(parts[0].ISR) != 2 {
			return fmt.Errorf("ISR %v", parts[0].ISR)
		}
		return nil
	})
	cons, err := c.Consumer("follow", FromBeginning(), WithFetchMaxWait(200*time.Millisecond))
	testkit.NoErr(t, err)
	got := make(chan string, 100)
	errc := make(chan error, 1)
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	go func() {
		for rec, err := range cons.Records(rctx) {
			if err != nil {
				errc <- err
				return
			}
			got <- string(rec.Value)
		}
		errc <- nil
	}()
	want := []string{"v-0"}
	for i := 1; i < 5; i++ {
		v := fmt.Sprintf("v-%d", i)
		_, err := p.SendSync(ctx, nil, []byte(v))
		testkit.NoErr(t, err)
		want = append(want, v)
	}
	parts, err := c.Partitions(ctx, "follow")
	testkit.NoErr(t, err)
	cl.StopSPU(parts[0].Leader)
	for i := 5; i < 10; i++ {
		v := fmt.Sprintf("v-%d", i)
		_, err := p.SendSync(ctx, nil, []byte(v))
		testkit.NoErr(t, err)
		want = append(want, v)
	}
	var read []string
	for len(read) < len(want) {
		select {
		case v := <-got:
			read = append(read, v)
		case err := <-errc:
			t.Fatalf("consumer ended after %v: %v", read, err)
		case <-time.After(20 * time.Second):
			t.Fatalf("consumer read %v, want %v", read, want)
		}
	}
	if fmt.Sprint(read) != fmt.Sprint(want) {
		t.Fatalf("consumer read %v, want %v", read, want)
	}
	rcancel()
	<-errc
}
