package sc_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestTopicCreateValidation(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	cases := []struct {
		name   string
		topic  string
		spec   bus.TopicSpec
		target error
		parts  []string
	}{
		{"uppercase", "Orders", bus.TopicSpec{}, bus.ErrInvalidName, []string{`"Orders"`, "'O'"}},
		{"underscore", "a_b", bus.TopicSpec{}, bus.ErrInvalidName, []string{"'_'"}},
		{"empty", "", bus.TopicSpec{}, bus.ErrInvalidName, []string{"empty"}},
		{"leading dash", "-a", bus.TopicSpec{}, bus.ErrInvalidName, []string{"start or end"}},
		{"too long", strings.Repeat("a", 64), bus.TopicSpec{}, bus.ErrInvalidName, []string{"64 characters", "63"}},
		{"negative partitions", "t", bus.TopicSpec{Partitions: -1}, bus.ErrInvalidConfig, []string{"partitions", "-1"}},
		{"negative replicas", "t", bus.TopicSpec{ReplicationFactor: -2}, bus.ErrInvalidConfig, []string{"replication factor"}},
		{"bad sync", "t", bus.TopicSpec{Sync: "sometimes"}, bus.ErrInvalidConfig, []string{"sometimes"}},
		{"too many replicas", "t", bus.TopicSpec{ReplicationFactor: 3}, bus.ErrNotEnoughSPUs,
			[]string{"replication factor 3 needs 3 SPUs", "1 registered", "need 2 more"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := req[bus.TopicCreateResponse](t, e.nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{Name: tc.topic, Spec: tc.spec})
			requireErr(t, err, tc.target, tc.parts...)
		})
	}
	list, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(list.Items), 0)
	// 63 characters is fine.
	_, err = e.createTopic(strings.Repeat("a", 63), 1, 1)
	testkit.NoErr(t, err)
}

// TestTopicCreate: placement spreads replicas and leaders, the SPUs get
// change sets, the topic is listed and a second create is refused.
func TestTopicCreate(t *testing.T) {
	e := newEnv(t, nil)
	fakes := map[bus.SPUID]*fakeSPU{}
	for id := bus.SPUID(1); id <= 3; id++ {
		e.register(int64(id), "")
		fakes[id] = newFakeSPU(t, e, id)
		_, err := fakes[id].hello()
		testkit.NoErr(t, err)
	}
	topic, err := e.createTopic("orders", 3, 2)
	testkit.NoErr(t, err)
	testkit.Equal(t, topic.Spec.Partitions, int32(3))
	// No SPU has reported the new replicas yet (readiness_test.go).
	testkit.Equal(t, topic.Status.Resolution, bus.TopicPending)
	testkit.Equal(t, len(topic.Status.ReplicaMap), 3)
	held := map[bus.SPUID]int{}
	for p, replicas := range topic.Status.ReplicaMap {
		if len(replicas) != 2 || replicas[0] == replicas[1] {
			t.Fatalf("partition %d replicas %v", p, replicas)
		}
		for _, r := range replicas {
			held[r]++
		}
	}
	for id := bus.SPUID(1); id <= 3; id++ {
		testkit.Equal(t, held[id], 2)
		f := fakes[id]
		testkit.WaitFor(t, 2*time.Second, func() error {
			set, ok := f.lastSet()
			if !ok || set.Full || len(set.Replicas) != 2 {
				return fmt.Errorf("SPU %d last set %+v, want a change with 2 replicas", id, set)
			}
			for _, r := range set.Replicas {
				if r.Topic != "orders" || !slices.Contains(r.Replicas, id) || r.Config.Partitions != 3 {
					return fmt.Errorf("SPU %d got replica %+v", id, r)
				}
			}
			if len(set.Peers) < 2 {
				return fmt.Errorf("SPU %d got peers %+v", id, set.Peers)
			}
			return nil
		})
	}
	_, err = e.createTopic("orders", 1, 1)
	requireErr(t, err, bus.ErrTopicExists, "Topic already exists")

	list, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{"orders"}})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(list.Items), 1)
	_, err = req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{"nope"}})
	requireErr(t, err, bus.ErrTopicNotFound, `topic "nope" not found`)

	// Dry run places but stores nothing.
	dry, err := req[bus.TopicCreateResponse](t, e.nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{Name: "dry", DryRun: true})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(dry.Topic.Status.ReplicaMap), 1)
	_, err = req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{"dry"}})
	requireErr(t, err, bus.ErrTopicNotFound)
}

// TestTopicCreateConcurrent: many admins create the same topic at once;
// exactly one wins.
func TestTopicCreateConcurrent(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, exists := 0, 0
	for range 10 {
		wg.Go(func() {
			_, err := e.createTopic("race", 2, 1)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, bus.ErrTopicExists):
				exists++
			default:
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	testkit.Equal(t, wins, 1)
	testkit.Equal(t, exists, 9)
}

// TestTopicCreateTwoSCs: a second SC with HA on the same bucket waits
// as a standby; racing creates (some of equal names) all go to the
// active SC: one topic per name, no lost write, and the standby's reads
// show every topic (it follows KV).
func TestTopicCreateTwoSCs(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	second := &env{t: t, ns: e.ns, nc: e.nc, cfg: e.cfg}
	second.cfg.HA = true
	second.start() // loads SPU 1 from KV
	testkit.Equal(t, second.sc.Active(), false)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			_, err := e.createTopic(fmt.Sprintf("t%d", i%5), 1, 1)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, bus.ErrTopicExists) {
			t.Fatalf("unexpected: %v", err)
		}
	}
	testkit.Equal(t, ok, 5)
	// Reads are served by both SCs (queue group): every answer has all 5.
	for range 10 {
		testkit.WaitFor(t, 2*time.Second, func() error {
			resp, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
			if err != nil {
				return err
			}
			if len(resp.Items) != 5 {
				return fmt.Errorf("%d topics listed, want 5", len(resp.Items))
			}
			return nil
		})
	}
}

func TestTopicDelete(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	e.register(2, "")
	f1 := newFakeSPU(t, e, 1)
	_, err := f1.hello()
	testkit.NoErr(t, err)
	// SPU 2 never connects: deleting must not wait for it.
	_, err = e.createTopic("gone", 2, 2)
	testkit.NoErr(t, err)
	_, err = req[bus.TopicDeleteResponse](t, e.nc, bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: "gone"})
	testkit.NoErr(t, err)
	testkit.WaitFor(t, 2*time.Second, func() error {
		set, ok := f1.lastSet()
		if !ok || len(set.Removed) != 2 || set.Removed[0].Topic != "gone" {
			return fmt.Errorf("last set %+v, want 2 removals", set)
		}
		return nil
	})
	_, err = req[bus.TopicDeleteResponse](t, e.nc, bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: "gone"})
	requireErr(t, err, bus.ErrTopicNotFound, `topic "gone" not found`)
	// SPU 2 connects later: its full set does not have the topic.
	f2 := newFakeSPU(t, e, 2)
	hello, err := f2.hello()
	testkit.NoErr(t, err)
	testkit.Equal(t, len(hello.Replicas.Replicas), 0)
	testkit.Equal(t, hello.Replicas.Full, true)
}

// TestPartitionListStatus: partition status comes from heartbeat reports.
func TestPartitionListStatus(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	e.register(2, "")
	f1, f2 := newFakeSPU(t, e, 1), newFakeSPU(t, e, 2)
	_, err := f1.hello()
	testkit.NoErr(t, err)
	topic, err := e.createTopic("logs", 1, 2)
	testkit.NoErr(t, err)
	leader := topic.Status.ReplicaMap[0][0]
	lf := f1
	if leader == 2 {
		lf = f2
		_, err = f2.hello()
		testkit.NoErr(t, err)
	}
	id := bus.PartitionID{Topic: "logs", Partition: 0}
	lf.mu.Lock()
	lf.status = []bus.ReplicaStatus{{PartitionID: id, Role: "leader", LEO: 42, HW: 40, Size: 4096}}
	lf.mu.Unlock()
	testkit.NoErr(t, lf.beat())

	parts, err := req[bus.PartitionListResponse](t, e.nc, bus.SubjectAdminPartitionList, bus.PartitionListRequest{Topics: []string{"logs"}})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(parts.Items), 1)
	p := parts.Items[0]
	testkit.Equal(t, p.Name, "logs-0")
	testkit.Equal(t, p.Spec.Leader, leader)
	testkit.Equal(t, p.Status.Resolution, bus.PartitionOnline)
	testkit.Equal(t, p.Status.LEO, int64(42))
	testkit.Equal(t, p.Status.HW, int64(40))
	testkit.Equal(t, p.Status.Size, int64(4096))
	testkit.Equal(t, len(p.Status.ISR), 2)
	testkit.Equal(t, len(p.Status.Replicas), 2)

	// Describe (topic.list with one name) carries the same status.
	desc, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{"logs"}})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(desc.Items[0].Status.Partitions), 1)
	testkit.Equal(t, desc.Items[0].Status.Partitions[0].Status.LEO, int64(42))
	testkit.Equal(t, desc.Items[0].Status.Partitions[0].Spec.Leader, leader)

	md, err := req[bus.MetadataResponse](t, e.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{Topics: []string{"logs"}})
	testkit.NoErr(t, err)
	testkit.Equal(t, md.Type, bus.MetadataResponseType)
	testkit.Equal(t, len(md.Partitions), 1)
	testkit.Equal(t, md.Partitions[0].Leader, leader)
	testkit.Equal(t, len(md.SPUs), 2)
	testkit.Equal(t, md.SPUs[0].Public, "127.0.0.1:9005")
	_, err = req[bus.MetadataResponse](t, e.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{Topics: []string{"nope"}})
	requireErr(t, err, bus.ErrTopicNotFound)
}
