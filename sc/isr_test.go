package sc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats.go/jetstream"
)

// TestISRUpdate: the leader shrinks and grows the ISR; others, stale
// epochs and bad sets are refused; the change reaches KV (restart) and
// the replicas.
func TestISRUpdate(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	e.register(2, "")
	topic, err := e.createTopic("isr", 1, 2)
	testkit.NoErr(t, err)
	replicas := topic.Status.ReplicaMap[0]
	leader, follower := replicas[0], replicas[1]
	lf := newFakeSPU(t, e, leader) // online first, so no election moves the leadership
	_, err = lf.hello()
	testkit.NoErr(t, err)
	lf.beatEvery(100 * time.Millisecond)
	ff := newFakeSPU(t, e, follower)
	_, err = ff.hello()
	testkit.NoErr(t, err)
	ff.beatEvery(100 * time.Millisecond)
	pid := bus.PartitionID{Topic: "isr", Partition: 0}
	isr := func(from bus.SPUID, epoch int32, set ...bus.SPUID) error {
		_, err := req[bus.ISRUpdateResponse](t, e.nc, bus.SubjectSPUISR(from),
			bus.ISRUpdate{ID: from, PartitionID: pid, LeaderEpoch: epoch, ISR: set})
		return err
	}
	requireErr(t, isr(follower, 0, follower), bus.ErrNotLeader, fmt.Sprintf("SPU %d is not the leader", follower))
	requireErr(t, isr(leader, 3, leader), bus.ErrStaleEpoch, "epoch 3", "current epoch is 0")
	requireErr(t, isr(leader, 0, follower), bus.ErrBadRequest, "lacks its leader")
	requireErr(t, isr(leader, 0, leader, 99), bus.ErrBadRequest, "99 ")
	_, err = req[bus.ISRUpdateResponse](t, e.nc, bus.SubjectSPUISR(leader),
		bus.ISRUpdate{ID: leader, PartitionID: bus.PartitionID{Topic: "isr", Partition: 5}, ISR: []bus.SPUID{leader}})
	requireErr(t, err, bus.ErrTopicNotFound, "no partition 5")

	testkit.NoErr(t, isr(leader, 0, leader))
	testkit.WaitFor(t, 2*time.Second, func() error {
		set, ok := ff.lastSet()
		if !ok || set.Full || len(set.Replicas) != 1 || len(set.Replicas[0].ISR) != 1 {
			return fmt.Errorf("follower's last set %+v, want the shrunk ISR", set)
		}
		return nil
	})
	e.restart()
	testkit.NoErr(t, lf.beat())
	testkit.NoErr(t, ff.beat())
	parts, err := req[bus.PartitionListResponse](t, e.nc, bus.SubjectAdminPartitionList, bus.PartitionListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(parts.Items[0].Status.ISR), 1)
	testkit.Equal(t, parts.Items[0].Status.ISR[0], leader)
	testkit.NoErr(t, isr(leader, 0, follower, leader))
	md, err := req[bus.MetadataResponse](t, e.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(md.Partitions[0].ISR), 2)
}

// TestResync: every online SPU gets a full set each ResyncInterval, and a
// KV edit made behind the SC's back is picked up.
func TestResync(t *testing.T) {
	e := newEnv(t, func(c *sc.Config) { c.ResyncInterval = 200 * time.Millisecond })
	e.register(1, "")
	f := newFakeSPU(t, e, 1)
	hello, err := f.hello()
	testkit.NoErr(t, err)
	stop := f.beatEvery(100 * time.Millisecond)
	defer stop()
	testkit.WaitFor(t, 3*time.Second, func() error {
		fulls := 0
		for _, s := range f.received() {
			if s.Full && s.Epoch > hello.Replicas.Epoch {
				fulls++
			}
		}
		if fulls < 2 {
			return fmt.Errorf("%d periodic full sets, want 2", fulls)
		}
		return nil
	})
	// A topic written to KV behind the SC's back (nats kv put) is
	// picked up at the next resync and sent to SPU 1.
	js, err := jetstream.New(e.nc)
	testkit.NoErr(t, err)
	kv, err := js.KeyValue(context.Background(), sc.DefaultBucket)
	testkit.NoErr(t, err)
	_, err = kv.Put(context.Background(), "topic.behind", []byte(`{"name":"behind","spec":{"partitions":1,"replicationFactor":1},`+
		`"partitions":[{"replicas":[1],"leader":1,"leaderEpoch":0,"isr":[1]}]}`))
	testkit.NoErr(t, err)
	// Junk and inconsistent records are skipped (and logged), not fatal.
	for key, val := range map[string]string{
		"topic.junk":     `not json`,
		"topic.wrongkey": `{"name":"other","partitions":[{"replicas":[1],"leader":1}]}`,
		"topic.noleader": `{"name":"noleader","partitions":[{"replicas":[1],"leader":7}]}`,
		"topic.empty":    `{"name":"empty","partitions":[]}`,
		"spu.9":          `{"name":"x","spec":{"spuId":8}}`,
	} {
		_, err = kv.Put(context.Background(), key, []byte(val))
		testkit.NoErr(t, err)
	}
	testkit.WaitFor(t, 3*time.Second, func() error {
		set, ok := f.lastSet()
		if !ok || len(set.Replicas) != 1 || set.Replicas[0].Topic != "behind" {
			return fmt.Errorf("last set %+v", set)
		}
		return nil
	})
	list, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(list.Items), 1)
	testkit.Equal(t, len(e.spus()), 1)
}

// TestLostSetRecovered: an SPU that reports an applied epoch below the
// last one sent gets a full set; so does one asking for it.
func TestLostSetRecovered(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	f := newFakeSPU(t, e, 1)
	_, err := f.hello()
	testkit.NoErr(t, err)
	testkit.NoErr(t, f.beat())
	_, err = e.createTopic("lost", 1, 1) // a change set the fake never "applies"
	testkit.NoErr(t, err)
	testkit.WaitFor(t, 3*time.Second, func() error {
		testkit.NoErr(t, f.beat()) // applied stays 0
		set, ok := f.lastSet()
		if !ok || !set.Full || len(set.Replicas) != 1 {
			return fmt.Errorf("last set %+v, want a full resend", set)
		}
		return nil
	})
	n := len(f.received())
	_, err = req[bus.HeartbeatResponse](t, f.nc, bus.SubjectSPUHeartbeat(1),
		bus.Heartbeat{ID: 1, Incarnation: f.incarnation, AppliedEpoch: 1 << 62, NeedFullSync: true})
	testkit.NoErr(t, err)
	testkit.WaitFor(t, 2*time.Second, func() error {
		if got := f.received(); len(got) <= n || !got[len(got)-1].Full {
			return fmt.Errorf("no full set after NeedFullSync")
		}
		return nil
	})
}
