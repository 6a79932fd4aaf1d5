package spu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

func TestProduceFetchRoundTrip(t *testing.T) {
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("greetings", 0, 1, 0))
	c := dial(t, s.public)
	ctx := context.Background()

	for i, acks := range []wire.Acks{wire.AcksLeader, wire.AcksAll, wire.AcksNone} {
		base, err := produce(ctx, c, "greetings", 0, acks, fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i))
		testkit.NoErr(t, err)
		testkit.Equal(t, base, int64(2*i))
	}
	got, pr := consume(t, c, "greetings", 0, 0)
	testkit.NoErr(t, eq(got, []string{"a0", "b0", "a1", "b1", "a2", "b2"}))
	testkit.Equal(t, pr.HighWatermark, 6)
	testkit.Equal(t, pr.LogEndOffset, 6)
	testkit.Equal(t, pr.LogStartOffset, 0)
	// From the middle of a batch: the batch comes whole, the caller skips.
	got, _ = consume(t, c, "greetings", 0, 3)
	testkit.NoErr(t, eq(got, []string{"b1", "a2", "b2"}))
	// The stored batches carry the leader epoch and offsets; the rest is the
	// producer's bytes (CRC still valid).
	_, pr = consume(t, c, "greetings", 0, 0)
	n, recs, err := batch.Split(pr.Records)
	testkit.NoErr(t, err)
	testkit.Equal(t, n, 3)
	testkit.Equal(t, recs, 6)

	st := s.dp.Status()
	testkit.Equal(t, len(st), 1)
	testkit.Equal(t, st[0].Role, "leader")
	testkit.Equal(t, st[0].LEO, 6)
	testkit.Equal(t, st[0].HW, 6)
	if st[0].Size <= 0 {
		t.Fatalf("size %d", st[0].Size)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "greetings-0")); err != nil {
		t.Fatalf("log dir: %v", err)
	}
}

func TestFetchLongPollWakesOnProduce(t *testing.T) {
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("t", 0, 1, 0))
	consumer, producer := dial(t, s.public), dial(t, s.public)
	type result struct {
		resp *wire.FetchResponse
		err  error
		took time.Duration
	}
	res := make(chan result, 1)
	start := time.Now()
	go func() {
		r, err := consumer.Fetch(context.Background(), &wire.FetchRequest{ReplicaID: -1, MaxWaitMs: 20000, MinBytes: 1,
			Partitions: []wire.FetchPartition{{Topic: "t", Offset: 0, CurrentLeaderEpoch: -1}}})
		res <- result{r, err, time.Since(start)}
	}()
	select {
	case r := <-res:
		t.Fatalf("fetch answered before any record: %+v %v", r.resp, r.err)
	case <-time.After(100 * time.Millisecond):
	}
	_, err := produce(context.Background(), producer, "t", 0, wire.AcksLeader, "hello")
	testkit.NoErr(t, err)
	r := <-res
	testkit.NoErr(t, r.err)
	testkit.NoErr(t, eq(values(t, r.resp.Partitions[0].Records, 0), []string{"hello"}))
	if r.took > 5*time.Second {
		t.Fatalf("long poll took %s to wake", r.took)
	}
	t.Logf("long poll woke %s after start (100 ms of it before the produce)", r.took)
}

func TestFetchLongPollTimesOut(t *testing.T) {
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("t", 0, 1, 0))
	c := dial(t, s.public)
	start := time.Now()
	r, err := c.Fetch(context.Background(), &wire.FetchRequest{ReplicaID: -1, MaxWaitMs: 150, MinBytes: 1,
		Partitions: []wire.FetchPartition{{Topic: "t", CurrentLeaderEpoch: -1}}})
	testkit.NoErr(t, err)
	if d := time.Since(start); d < 140*time.Millisecond {
		t.Fatalf("answered after %s, before max wait", d)
	}
	testkit.Equal(t, len(r.Partitions[0].Records), 0)
	testkit.Equal(t, r.Partitions[0].ErrorCode, wire.None)
}

func TestProduceBadInput(t *testing.T) {
	s := startSPU(t, 1, 0)
	small := spec("small", 0, 1, 0)
	small.Config.MaxRecordBytes = 100
	s.apply(t, true, nil, spec("t", 0, 1, 0), small, spec("followed", 0, 2, 0, 2, 1))
	c := dial(t, s.public)
	ctx := context.Background()

	t.Run("bad crc", func(t *testing.T) {
		good := records("x", "y")
		bad := append(append([]byte(nil), good...), records("z")...)
		bad[len(bad)-1] ^= 0xff // corrupt the second batch: nothing of the request is appended
		_, err := c.Produce(ctx, &wire.ProduceRequest{Acks: wire.AcksLeader, Topic: "t", Records: bad})
		testkit.ErrIs(t, err, wire.ErrCorruptBatch)
		if !strings.Contains(err.Error(), "nothing was appended") {
			t.Fatalf("message: %v", err)
		}
		testkit.Equal(t, s.dp.lookup("t", 0).Log().EndOffset(), 0)
		// The connection is kept.
		base, err := produce(ctx, c, "t", 0, wire.AcksLeader, "ok")
		testkit.NoErr(t, err)
		testkit.Equal(t, base, 0)
	})
	t.Run("truncated batch", func(t *testing.T) {
		r := records("x")
		_, err := c.Produce(ctx, &wire.ProduceRequest{Acks: wire.AcksLeader, Topic: "t", Records: r[:len(r)-3]})
		testkit.ErrIs(t, err, wire.ErrCorruptBatch)
		_, err = c.Produce(ctx, &wire.ProduceRequest{Acks: wire.AcksLeader, Topic: "t"})
		testkit.ErrIs(t, err, wire.ErrCorruptBatch)
	})
	t.Run("record too large", func(t *testing.T) {
		_, err := produce(ctx, c, "small", 0, wire.AcksLeader, strings.Repeat("x", 200))
		testkit.ErrIs(t, err, wire.ErrRecordTooLarge)
		testkit.Equal(t, s.dp.lookup("small", 0).Log().EndOffset(), 0)
		_, err = produce(ctx, c, "small", 0, wire.AcksLeader, "fits")
		testkit.NoErr(t, err)
	})
	t.Run("unknown topic", func(t *testing.T) {
		_, err := produce(ctx, c, "nope", 0, wire.AcksLeader, "x")
		testkit.ErrIs(t, err, wire.ErrUnknownTopicOrPartition)
		if !strings.Contains(err.Error(), "nope-0") || !strings.Contains(err.Error(), "fluvio partition list") {
			t.Fatalf("message: %v", err)
		}
		_, err = produce(ctx, c, "t", 7, wire.AcksLeader, "x")
		testkit.ErrIs(t, err, wire.ErrUnknownTopicOrPartition)
	})
	t.Run("not leader", func(t *testing.T) {
		_, err := produce(ctx, c, "followed", 0, wire.AcksLeader, "x")
		testkit.ErrIs(t, err, wire.ErrNotLeader)
		if !wire.IsRetriable(err) || !strings.Contains(err.Error(), "the leader is SPU 2") {
			t.Fatalf("error: %v", err)
		}
	})
	t.Run("bad acks", func(t *testing.T) {
		_, err := c.Produce(ctx, &wire.ProduceRequest{Acks: 5, Topic: "t", Records: records("x")})
		testkit.ErrIs(t, err, wire.ErrInvalidRequest)
	})
	testkit.Equal(t, c.Err(), nil)
}

func TestFetchBadInput(t *testing.T) {
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("t", 0, 1, 3), spec("followed", 0, 2, 0, 2, 1))
	c := dial(t, s.public)
	ctx := context.Background()
	_, err := produce(ctx, c, "t", 0, wire.AcksLeader, "a", "b", "c")
	testkit.NoErr(t, err)
	consumerFetch := func(p wire.FetchPartition) *wire.FetchPartitionResponse {
		t.Helper()
		r, err := c.Fetch(ctx, &wire.FetchRequest{ReplicaID: -1, MaxWaitMs: 5000, Partitions: []wire.FetchPartition{p}})
		testkit.NoErr(t, err)
		return &r.Partitions[0]
	}
	t.Run("offset out of range", func(t *testing.T) {
		pr := consumerFetch(wire.FetchPartition{Topic: "t", Offset: 99, CurrentLeaderEpoch: -1})
		testkit.ErrIs(t, pr.Err(), wire.ErrOffsetOutOfRange)
		if !strings.Contains(pr.ErrorMessage, "outside the log [0, 3]") {
			t.Fatalf("message: %s", pr.ErrorMessage)
		}
		pr = consumerFetch(wire.FetchPartition{Topic: "t", Offset: -1, CurrentLeaderEpoch: -1})
		testkit.ErrIs(t, pr.Err(), wire.ErrOffsetOutOfRange)
	})
	t.Run("unknown partition answers at once", func(t *testing.T) {
		start := time.Now()
		pr := consumerFetch(wire.FetchPartition{Topic: "t", Partition: 4, CurrentLeaderEpoch: -1})
		testkit.ErrIs(t, pr.Err(), wire.ErrUnknownTopicOrPartition)
		if time.Since(start) > 2*time.Second {
			t.Fatal("an error waited for the long poll")
		}
	})
	t.Run("not leader", func(t *testing.T) {
		pr := consumerFetch(wire.FetchPartition{Topic: "followed", CurrentLeaderEpoch: -1})
		testkit.ErrIs(t, pr.Err(), wire.ErrNotLeader)
	})
	t.Run("epoch fencing", func(t *testing.T) {
		testkit.ErrIs(t, consumerFetch(wire.FetchPartition{Topic: "t", CurrentLeaderEpoch: 2}).Err(), wire.ErrStaleEpoch)
		testkit.ErrIs(t, consumerFetch(wire.FetchPartition{Topic: "t", CurrentLeaderEpoch: 4}).Err(), wire.ErrUnknownLeaderEpoch)
		testkit.Equal(t, consumerFetch(wire.FetchPartition{Topic: "t", CurrentLeaderEpoch: 3}).ErrorCode, wire.None)
	})
	t.Run("followers use the private server", func(t *testing.T) {
		_, err := c.Fetch(ctx, &wire.FetchRequest{ReplicaID: 5, Partitions: []wire.FetchPartition{{Topic: "t"}}})
		testkit.ErrIs(t, err, wire.ErrInvalidRequest)
	})
	t.Run("max bytes still returns one batch", func(t *testing.T) {
		r, err := c.Fetch(ctx, &wire.FetchRequest{ReplicaID: -1, MaxBytes: 1,
			Partitions: []wire.FetchPartition{{Topic: "t", MaxBytes: 1, CurrentLeaderEpoch: -1}}})
		testkit.NoErr(t, err)
		testkit.NoErr(t, eq(values(t, r.Partitions[0].Records, 0), []string{"a", "b", "c"}))
	})
}

func TestListOffsets(t *testing.T) {
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("t", 0, 1, 0))
	c := dial(t, s.public)
	ctx := context.Background()
	list := func(ts int64) (int64, error) {
		r, err := c.ListOffsets(ctx, &wire.ListOffsetsRequest{Topic: "t", Timestamp: ts})
		if err != nil {
			return -1, err
		}
		return r.Offset, nil
	}
	off, err := list(wire.LatestTimestamp)
	testkit.NoErr(t, err)
	testkit.Equal(t, off, 0)

	var b batch.Builder
	for i, ts := range []int64{1000, 2000, 3000} {
		b.Reset(ts)
		b.Add(nil, []byte("v"), nil, ts)
		b.Add(nil, []byte("w"), nil, ts+10)
		r, err := c.Produce(ctx, &wire.ProduceRequest{Acks: wire.AcksLeader, Topic: "t", Records: append([]byte(nil), b.Bytes()...)})
		testkit.NoErr(t, err)
		testkit.Equal(t, r.BaseOffset, int64(2*i))
	}
	for _, tc := range []struct {
		ts   int64
		want int64
	}{{wire.EarliestTimestamp, 0}, {wire.LatestTimestamp, 6}, {500, 0}, {2005, 2}, {2010, 2}, {2011, 4}, {9999, 6}} {
		off, err := list(tc.ts)
		testkit.NoErr(t, err)
		if off != tc.want {
			t.Errorf("timestamp %d: offset %d, want %d", tc.ts, off, tc.want)
		}
	}
	_, err = c.ListOffsets(ctx, &wire.ListOffsetsRequest{Topic: "x", Timestamp: -1})
	testkit.ErrIs(t, err, wire.ErrUnknownTopicOrPartition)
	_, err = list(-7)
	testkit.ErrIs(t, err, wire.ErrInvalidRequest)
}

func TestApplyRemovesAndReopens(t *testing.T) {
	dir := t.TempDir()
	s := startSPUIn(t, 1, dir, 0)
	s.apply(t, true, nil, spec("a", 0, 1, 0), spec("b", 0, 1, 0), spec("c", 0, 1, 0))
	c := dial(t, s.public)
	ctx := context.Background()
	for _, topic := range []string{"a", "b", "c"} {
		_, err := produce(ctx, c, topic, 0, wire.AcksLeader, topic+"1")
		testkit.NoErr(t, err)
	}
	// A change set removes b; a full set without c removes c.
	s.setEpoch++
	testkit.NoErr(t, s.dp.Apply(bus.ReplicaSet{SPU: 1, Epoch: s.setEpoch, Removed: []bus.PartitionID{{Topic: "b"}}}))
	s.apply(t, true, nil, spec("a", 0, 1, 0))
	for _, gone := range []string{"b-0", "c-0"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s still there: %v", gone, err)
		}
	}
	_, err := produce(ctx, c, "b", 0, wire.AcksLeader, "x")
	testkit.ErrIs(t, err, wire.ErrUnknownTopicOrPartition)
	// A stale leader epoch for a replica is ignored.
	s.apply(t, false, nil, spec("a", 0, 1, 2))
	s.apply(t, false, nil, spec("a", 0, 2, 1, 2, 1))
	_, err = produce(ctx, c, "a", 0, wire.AcksLeader, "a2")
	testkit.NoErr(t, err)

	// Restart on the same directory: the data is recovered.
	s.stop()
	s2 := startSPUIn(t, 1, dir, 0)
	s2.apply(t, true, nil, spec("a", 0, 1, 3))
	got, _ := consume(t, dial(t, s2.public), "a", 0, 0)
	testkit.NoErr(t, eq(got, []string{"a1", "a2"}))
}

func TestManyPipelinedProducers(t *testing.T) {
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("t", 0, 1, 0))
	c := dial(t, s.public)
	ctx := context.Background()
	const producers, each = 8, 50
	errs := make(chan error, producers)
	for p := range producers {
		go func() {
			for i := range each {
				if _, err := produce(ctx, c, "t", 0, wire.AcksAll, fmt.Sprintf("%d-%d", p, i)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range producers {
		testkit.NoErr(t, <-errs)
	}
	got, _ := consume(t, c, "t", 0, 0)
	testkit.Equal(t, len(got), producers*each)
	// Each producer's records are in its order.
	next := map[string]int{}
	for _, v := range got {
		var p, i int
		fmt.Sscanf(v, "%d-%d", &p, &i)
		key := fmt.Sprint(p)
		if i != next[key] {
			t.Fatalf("producer %d: record %d after %d", p, i, next[key]-1)
		}
		next[key]++
	}
}

// Heartbeats (Status), replica sets (Apply) and traffic run concurrently
// in a real SPU; the race detector checks them together.
func TestConcurrentApplyStatusTraffic(t *testing.T) {
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("t", 0, 1, 0))
	c := dial(t, s.public)
	stop := make(chan struct{})
	done := make(chan error, 2)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
				_ = s.dp.Status()
			}
		}
	}()
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := produce(context.Background(), c, "t", 0, wire.AcksLeader, "x"); err != nil {
				done <- err
				return
			}
		}
	}()
	for i := range 20 {
		s.apply(t, true, nil, spec("t", 0, 1, 0), spec(fmt.Sprintf("extra%d", i), 0, 1, 0))
	}
	close(stop)
	testkit.NoErr(t, <-done)
	testkit.NoErr(t, <-done)
	testkit.Equal(t, len(s.dp.Status()), 2)
}

func TestApplyRefusesBadIDs(t *testing.T) {
	dir := t.TempDir()
	s := startSPUIn(t, 1, filepath.Join(dir, "spu"), 0)
	for _, topic := range []string{"../escape", "a/b", "", ".."} {
		s.setEpoch++
		err := s.dp.Apply(bus.ReplicaSet{SPU: 1, Epoch: s.setEpoch, Replicas: []bus.ReplicaSpec{spec(topic, 0, 1, 0)}})
		if err == nil || !strings.Contains(err.Error(), "not a valid topic name") {
			t.Fatalf("topic %q: %v", topic, err)
		}
	}
	s.setEpoch++
	if err := s.dp.Apply(bus.ReplicaSet{SPU: 1, Epoch: s.setEpoch, Replicas: []bus.ReplicaSpec{spec("ok", -1, 1, 0)}}); err == nil {
		t.Fatal("negative partition accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "escape-0")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a log was created outside the base dir: %v", err)
	}
	testkit.Equal(t, len(s.dp.Status()), 0)
}
