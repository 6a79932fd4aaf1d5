package fluvio

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
	"github.com/nats-io/nats.go/jetstream"
)

// waitOffsetTopic waits until the SC has created the consumer-offset
// system topic and its partition 0 has an online leader; it returns it.
func waitOffsetTopic(t *testing.T, ctx context.Context, c *Client) PartitionInfo {
	t.Helper()
	var p PartitionInfo
	testkit.WaitFor(t, 20*time.Second, func() error {
		parts, err := c.Partitions(ctx, bus.ConsumerOffsetTopic)
		if err != nil {
			return err
		}
		if len(parts) == 0 || parts[0].Status != "Online" {
			return fmt.Errorf("partitions %+v", parts)
		}
		p = parts[0]
		return nil
	})
	return p
}

// produceN sends values prefix0..prefix(n-1) to topic.
func produceN(t *testing.T, ctx context.Context, c *Client, topic, prefix string, n int) {
	t.Helper()
	p, err := c.Producer(topic)
	testkit.NoErr(t, err)
	for i := range n {
		testkit.NoErr(t, p.Send(ctx, nil, fmt.Appendf(nil, "%s%d", prefix, i)))
	}
	testkit.NoErr(t, p.Flush(ctx))
	testkit.NoErr(t, p.Close())
}

// TestClusterConsumerOffsetTopic: with three SPUs the SC creates the
// consumer-offset system topic with 3 replicas; it is listed only as a
// system topic and cannot be deleted, created, grown or produced to. A
// named consumer's offsets survive killing the leader of its
// consumer-offset partition (RF 3: another replica takes over and rebuilds
// them from its log) and a restart of every SPU.
func TestClusterConsumerOffsetTopic(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 3})
	c := connectCluster(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	leader := waitOffsetTopic(t, ctx, c)
	testkit.Equal(t, len(leader.Replicas), 3)

	// Listings: plain ones hide it, the system ones show it.
	createTopic(t, c, "orders", TopicConfig{Replicas: 3})
	topics, err := c.DescribeTopics(ctx)
	testkit.NoErr(t, err)
	if len(topics) != 1 || topics[0].Name != "orders" {
		t.Fatalf("user topics %+v, want only orders", topics)
	}
	sys, err := c.DescribeSystemTopics(ctx)
	testkit.NoErr(t, err)
	if len(sys) != 1 || sys[0].Name != bus.ConsumerOffsetTopic || !sys[0].Spec.System || sys[0].Spec.ReplicationFactor != 3 {
		t.Fatalf("system topics %+v", sys)
	}
	parts, err := c.ListPartitions(ctx)
	testkit.NoErr(t, err)
	for _, p := range parts {
		if p.Spec.Topic == bus.ConsumerOffsetTopic {
			t.Fatalf("partition list shows the system topic: %+v", parts)
		}
	}
	sysParts, err := c.ListSystemPartitions(ctx)
	testkit.NoErr(t, err)
	testkit.Equal(t, len(sysParts), 1)

	// Users cannot delete, create, grow or produce to it.
	err = c.DeleteTopic(ctx, bus.ConsumerOffsetTopic)
	if !errors.Is(err, bus.ErrBadRequest) || !containsAll(err.Error(), "system topic", "cannot be deleted", "fluvio consumer delete") {
		t.Fatalf("delete of the system topic: %v", err)
	}
	err = c.CreateTopic(ctx, bus.ConsumerOffsetTopic, TopicConfig{})
	if !errors.Is(err, ErrInvalidName) || !containsAll(err.Error(), "reserved for a system topic") {
		t.Fatalf("create of the system topic's name: %v", err)
	}
	if _, err := c.AddPartitions(ctx, bus.ConsumerOffsetTopic, 1); !errors.Is(err, bus.ErrBadRequest) {
		t.Fatalf("add-partition to the system topic: %v", err)
	}
	p, err := c.Producer(bus.ConsumerOffsetTopic)
	testkit.NoErr(t, err)
	err = p.Send(ctx, nil, []byte("forged"))
	if err == nil {
		err = p.Flush(ctx)
	}
	if err == nil || !containsAll(err.Error(), "system topic") {
		t.Fatalf("produce to the system topic: %v", err)
	}
	_ = p.Close()

	// A named consumer reads 3 and stores its offset.
	produceN(t, ctx, c, "orders", "v", 10)
	open := func() *Consumer {
		cons, err := c.Consumer("orders", FromBeginning(), WithConsumer("app"), WithAutoCommit(0))
		testkit.NoErr(t, err)
		return cons
	}
	testkit.Equal(t, fmt.Sprint(readN(t, ctx, open(), 3)), "[v0 v1 v2]")

	// Kill the leader of the consumer-offset partition: another replica
	// leads, rebuilds the offsets from its log, and the consumer goes on.
	cl.KillSPU(leader.Leader)
	testkit.WaitFor(t, 20*time.Second, func() error {
		parts, err := c.Partitions(ctx, bus.ConsumerOffsetTopic)
		if err != nil {
			return err
		}
		if parts[0].Leader == leader.Leader || parts[0].Status != "Online" {
			return fmt.Errorf("leader still %d (%s)", parts[0].Leader, parts[0].Status)
		}
		return nil
	})
	testkit.Equal(t, fmt.Sprint(readN(t, ctx, open(), 2)), "[v3 v4]")
	cl.StartSPU(leader.Leader)

	// Every SPU restarts: the offsets are on their disks.
	for _, id := range cl.SPUIDs() {
		cl.StopSPU(id)
		cl.StartSPU(id)
	}
	testkit.Equal(t, fmt.Sprint(readN(t, ctx, open(), 2)), "[v5 v6]")
	offs, err := c.ListConsumers(ctx, "app", "")
	testkit.NoErr(t, err)
	if len(offs) != 1 || offs[0].Topic != "orders" || offs[0].Offset != 6 {
		t.Fatalf("stored offsets %+v, want orders/0 at 6", offs)
	}
}

// TestClusterConsumerOffsetsOfRecreatedTopic: a topic deleted and created
// again starts with no consumers, both when the client deletes it (its
// offsets are deleted) and when the offsets outlive the delete (deleted
// behind the client's back): they carry the old topic's id, are hidden,
// and the next listing deletes them.
func TestClusterConsumerOffsetsOfRecreatedTopic(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	read3 := func(topic string) {
		t.Helper()
		produceN(t, ctx, c, topic, "a", 3)
		cons, err := c.Consumer(topic, FromBeginning(), WithConsumer("app"), WithAutoCommit(0))
		testkit.NoErr(t, err)
		testkit.Equal(t, len(readN(t, ctx, cons, 3)), 3)
		offs, err := c.ListConsumers(ctx, "app", topic)
		testkit.NoErr(t, err)
		testkit.Equal(t, len(offs), 1)
	}
	// Deleted through the client: the offsets go with it.
	createTopic(t, c, "t1", TopicConfig{})
	read3("t1")
	testkit.NoErr(t, c.DeleteTopic(ctx, "t1"))
	leader := waitOffsetTopic(t, ctx, c)
	conn, err := wire.Dial(ctx, cl.SPUPublicAddr(leader.Leader))
	testkit.NoErr(t, err)
	defer conn.Close()
	raw := func(topic string) []wire.OffsetEntry {
		t.Helper()
		resp, err := conn.OffsetFetch(ctx, &wire.OffsetFetchRequest{Partition: 0, Topic: topic})
		testkit.NoErr(t, err)
		return resp.Entries
	}
	testkit.Equal(t, len(raw("t1")), 0)
	createTopic(t, c, "t1", TopicConfig{})
	offs, err := c.ListConsumers(ctx, "", "t1")
	testkit.NoErr(t, err)
	testkit.Equal(t, len(offs), 0)

	// Deleted behind the client's back (the SC alone): the entry stays
	// but belongs to the old incarnation.
	createTopic(t, c, "t2", TopicConfig{})
	read3("t2")
	_, err = bus.Request[bus.TopicDeleteResponse](ctx, cl.Conn(), bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: "t2"})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(raw("t2")), 1)
	createTopic(t, c, "t2", TopicConfig{})
	produceN(t, ctx, c, "t2", "b", 2)
	offs, err = c.ListConsumers(ctx, "", "t2")
	testkit.NoErr(t, err)
	testkit.Equal(t, len(offs), 0)
	testkit.Equal(t, len(raw("t2")), 0) // the listing deleted it
	// A named consumer of the new topic starts at its start position.
	cons, err := c.Consumer("t2", FromBeginning(), WithConsumer("app"), WithAutoCommit(0))
	testkit.NoErr(t, err)
	testkit.Equal(t, fmt.Sprint(readN(t, ctx, cons, 2)), "[b0 b1]")
}

// TestClusterConsumerOffsetSnapshots: the leader of a consumer-offset
// partition bounds its log with snapshots (the log start moves past the
// records a snapshot replaces), and a new leader rebuilds the same
// offsets from the snapshotted log.
func TestClusterConsumerOffsetSnapshots(t *testing.T) {
	const every = 20
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 3, OffsetSnapshotEvery: every})
	c := connectCluster(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	leader := waitOffsetTopic(t, ctx, c)
	createTopic(t, c, "many", TopicConfig{Partitions: 4, Replicas: 1})

	const commits = 300
	for i := range commits {
		testkit.NoErr(t, c.CommitOffsets(ctx, ConsumerOffset{Consumer: fmt.Sprintf("c%d", i%5), Topic: "many", Partition: int32(i % 4), Offset: int64(i)}))
	}
	conn, err := wire.Dial(ctx, cl.SPUPublicAddr(leader.Leader))
	testkit.NoErr(t, err)
	defer conn.Close()
	offset := func(ts int64) int64 {
		t.Helper()
		resp, err := conn.ListOffsets(ctx, &wire.ListOffsetsRequest{Topic: bus.ConsumerOffsetTopic, Partition: 0, Timestamp: ts})
		testkit.NoErr(t, err)
		return resp.Offset
	}
	start, end := offset(wire.EarliestTimestamp), offset(wire.LatestTimestamp)
	// 5 consumers x 4 partitions = 20 live entries: a snapshot every
	// max(20, 40) records, so at most ~2 x 40 + a snapshot stay.
	if end < commits || start == 0 || end-start > 2*2*every+21 {
		t.Fatalf("consumer-offset log [%d, %d) after %d commits: want its start moved and under %d records kept", start, end, commits, 2*2*every+21)
	}
	t.Logf("consumer-offset log after %d commits of 20 keys, a snapshot every %d+ records: [%d, %d), %d records kept", commits, every, start, end, end-start)
	want, err := c.ListConsumers(ctx, "", "many")
	testkit.NoErr(t, err)
	testkit.Equal(t, len(want), 20)

	// A new leader replays the snapshotted log to the same offsets.
	cl.KillSPU(leader.Leader)
	var got []ConsumerOffset
	testkit.WaitFor(t, 30*time.Second, func() error {
		var err error
		got, err = c.ListConsumers(ctx, "", "many")
		return err
	})
	if !slices.EqualFunc(got, want, func(a, b ConsumerOffset) bool {
		return a.Consumer == b.Consumer && a.Topic == b.Topic && a.Partition == b.Partition && a.Offset == b.Offset
	}) {
		t.Fatalf("after failover %+v, before %+v", got, want)
	}
	cl.StartSPU(leader.Leader)
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestClusterConsumerOffsetsFromKVBucket: offsets an earlier version
// stored in the SC's KV bucket are read as a fallback (listed, resumed
// from); the next commit puts the key in the consumer-offset topic, which
// wins from then on; deleting the consumer deletes it from both.
func TestClusterConsumerOffsetsFromKVBucket(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	createTopic(t, c, "old", TopicConfig{})
	produceN(t, ctx, c, "old", "v", 5)

	js, err := jetstream.New(cl.Conn())
	testkit.NoErr(t, err)
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "fluvio-consumers", History: 1})
	testkit.NoErr(t, err)
	_, err = kv.Put(ctx, "app.old.0", []byte(`{"offset":2,"modifiedMs":1700000000000}`))
	testkit.NoErr(t, err)
	cl.RestartSC() // the SC binds the bucket at start

	offs, err := c.ListConsumers(ctx, "app", "")
	testkit.NoErr(t, err)
	if len(offs) != 1 || offs[0].Offset != 2 || offs[0].Modified.UnixMilli() != 1700000000000 {
		t.Fatalf("offsets from the KV bucket %+v, want old/0 at 2", offs)
	}
	cons, err := c.Consumer("old", FromBeginning(), WithConsumer("app"), WithAutoCommit(0))
	testkit.NoErr(t, err)
	testkit.Equal(t, fmt.Sprint(readN(t, ctx, cons, 2)), "[v3 v4]")
	offs, err = c.ListConsumers(ctx, "app", "old")
	testkit.NoErr(t, err)
	if len(offs) != 1 || offs[0].Offset != 4 {
		t.Fatalf("offsets after the commit %+v, want old/0 at 4 (from the topic)", offs)
	}

	del, err := c.DeleteConsumer(ctx, "app", "", -1)
	testkit.NoErr(t, err)
	testkit.Equal(t, len(del), 1)
	if _, err := kv.Get(ctx, "app.old.0"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("the KV bucket still has the key: %v", err)
	}
	offs, err = c.ListConsumers(ctx, "", "")
	testkit.NoErr(t, err)
	testkit.Equal(t, len(offs), 0)
}

// TestClusterConsumerOffsetsUnderLeaderKills: a consumer commits rising
// offsets without pause while the leader of its consumer-offset partition
// is killed three times (RF 3; the killed SPU comes back before the next
// kill). Every commit the client saw succeed is kept: after each failover
// the stored offset is at least the last acknowledged one, and it never
// goes back.
func TestClusterConsumerOffsetsUnderLeaderKills(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 3})
	c := connectCluster(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	createTopic(t, c, "busy", TopicConfig{})
	waitOffsetTopic(t, ctx, c)

	var acked atomic.Int64
	acked.Store(-1)
	cctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		for i := int64(0); cctx.Err() == nil; i++ {
			err := c.CommitOffsets(cctx, ConsumerOffset{Consumer: "busy", Topic: "busy", Offset: i})
			if err == nil {
				acked.Store(i)
				continue
			}
			if cctx.Err() != nil {
				break
			}
			// The retries ran out during a failover: not acknowledged.
		}
		close(done)
	}()
	stored := func() int64 {
		t.Helper()
		offs, err := c.ListConsumers(ctx, "busy", "busy")
		testkit.NoErr(t, err)
		if len(offs) != 1 {
			t.Fatalf("stored offsets %+v", offs)
		}
		return offs[0].Offset
	}
	elections, last := 0, int64(-1)
	for range 3 {
		testkit.WaitFor(t, 10*time.Second, func() error {
			if acked.Load() < last+20 {
				return fmt.Errorf("%d commits acknowledged", acked.Load())
			}
			return nil
		})
		before := waitOffsetTopic(t, ctx, c)
		ackedBefore := acked.Load()
		cl.KillSPU(before.Leader)
		testkit.WaitFor(t, 20*time.Second, func() error {
			p := waitOffsetTopic(t, ctx, c)
			if p.Leader == before.Leader {
				return fmt.Errorf("leader still %d", p.Leader)
			}
			return nil
		})
		elections++
		if got := stored(); got < ackedBefore || got < last {
			t.Fatalf("after killing leader %d: stored offset %d, but %d was acknowledged before (and %d stored earlier)", before.Leader, got, ackedBefore, last)
		}
		last = stored()
		cl.StartSPU(before.Leader)
	}
	stop()
	<-done
	if got := stored(); got < acked.Load() {
		t.Fatalf("stored offset %d, last acknowledged %d", got, acked.Load())
	}
	testkit.Equal(t, elections, 3)
	t.Logf("%d commits acknowledged across %d leader kills", acked.Load()+1, elections)
}
