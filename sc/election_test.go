package sc_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/bus/bustest"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats.go"
)

// TestLeaderElection: when a leader's SPU goes offline, the SC elects the
// first online ISR member, bumps the epoch, drops the old leader from the
// ISR, stores it (survives a restart) and tells the replicas. A partition
// without an eligible replica keeps its leader.
func TestLeaderElection(t *testing.T) {
	e := newEnv(t, nil)
	fakes := map[bus.SPUID]*fakeSPU{}
	stops := map[bus.SPUID]func(){}
	for id := bus.SPUID(1); id <= 3; id++ {
		e.register(int64(id), "")
	}
	topic, err := e.createTopic("ha", 1, 3)
	testkit.NoErr(t, err)
	_, err = e.createTopic("solo", 1, 1)
	testkit.NoErr(t, err)
	for id := bus.SPUID(1); id <= 3; id++ {
		fakes[id] = newFakeSPU(t, e, id)
		_, err := fakes[id].hello()
		testkit.NoErr(t, err)
		stops[id] = fakes[id].beatEvery(100 * time.Millisecond)
	}
	replicas := topic.Status.ReplicaMap[0]
	old := replicas[0]
	stops[old]()
	testkit.WaitFor(t, 5*time.Second, func() error { return offline(e, old) })

	var want bus.SPUID
	testkit.WaitFor(t, 5*time.Second, func() error {
		md, err := req[bus.MetadataResponse](t, e.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{Topics: []string{"ha"}})
		if err != nil {
			return err
		}
		p := md.Partitions[0]
		if p.Leader == old || p.LeaderEpoch != 1 || slices.Contains(p.ISR, old) || len(p.ISR) != 2 {
			return fmt.Errorf("partition %+v: want a new leader at epoch 1 without %d in the ISR", p, old)
		}
		want = p.Leader
		return nil
	})
	testkit.Equal(t, want, replicas[1]) // the preferred order
	for _, id := range replicas[1:] {
		f := fakes[id]
		testkit.WaitFor(t, 2*time.Second, func() error {
			for _, set := range f.received() {
				for _, r := range set.Replicas {
					if r.Topic == "ha" && r.Leader == want && r.LeaderEpoch == 1 {
						return nil
					}
				}
			}
			return fmt.Errorf("SPU %d was not told about the new leader", id)
		})
	}
	// The solo partition led by an offline SPU stays put.
	parts, err := req[bus.PartitionListResponse](t, e.nc, bus.SubjectAdminPartitionList, bus.PartitionListRequest{Topics: []string{"solo"}})
	testkit.NoErr(t, err)
	if leader := parts.Items[0].Spec.Leader; leader == old {
		testkit.Equal(t, parts.Items[0].Status.Resolution, bus.PartitionLeaderOffline)
		testkit.Equal(t, parts.Items[0].Spec.LeaderEpoch, int32(0))
	}

	for _, id := range replicas[1:] {
		stops[id]()
	}
	e.restart()
	md, err := req[bus.MetadataResponse](t, e.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{Topics: []string{"ha"}})
	testkit.NoErr(t, err)
	testkit.Equal(t, md.Partitions[0].Leader, want)
	testkit.Equal(t, md.Partitions[0].LeaderEpoch, int32(1))
}

// TestNoElectionAfterSCRestart: right after an SC restart every SPU looks
// offline until it beats; leaderships must not move in that window.
func TestNoElectionAfterSCRestart(t *testing.T) {
	e := newEnv(t, func(c *sc.Config) { c.HeartbeatTimeout = time.Second })
	e.register(1, "")
	e.register(2, "")
	topic, err := e.createTopic("stay", 1, 2)
	testkit.NoErr(t, err)
	leader := topic.Status.ReplicaMap[0][0]
	other := topic.Status.ReplicaMap[0][1]
	fl, fo := newFakeSPU(t, e, leader), newFakeSPU(t, e, other)
	_, err = fl.hello()
	testkit.NoErr(t, err)
	_, err = fo.hello()
	testkit.NoErr(t, err)

	e.restart()
	testkit.NoErr(t, fo.beat()) // the follower reaches the new SC first: a kick
	time.Sleep(300 * time.Millisecond)
	testkit.NoErr(t, fl.beat()) // the leader, within the grace period
	stopL, stopO := fl.beatEvery(100*time.Millisecond), fo.beatEvery(100*time.Millisecond)
	defer stopL()
	defer stopO()
	waitPassAfter(t, e, 0) // the held pass, once the grace period is over
	md, err := req[bus.MetadataResponse](t, e.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{Topics: []string{"stay"}})
	testkit.NoErr(t, err)
	testkit.Equal(t, md.Partitions[0].Leader, leader)
	testkit.Equal(t, md.Partitions[0].LeaderEpoch, int32(0))
}

// TestNATSOutageNoChurn: while the SC's NATS is down nobody can beat, so
// nobody goes offline and no leadership moves when it comes back.
func TestNATSOutageNoChurn(t *testing.T) {
	ns := bustest.StartDir(t, t.TempDir())
	cfg := fastConfig(ns.URL())
	cfg.HeartbeatTimeout = time.Second
	cfg.ResyncInterval = 200 * time.Millisecond // each resync kicks an election pass
	e := &env{t: t, ns: ns, nc: ns.Connect(t, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond)), cfg: cfg}
	e.start()
	e.register(1, "")
	e.register(2, "")
	topic, err := e.createTopic("steady", 2, 2)
	testkit.NoErr(t, err)
	var stops []func()
	for id := bus.SPUID(1); id <= 2; id++ {
		f := newFakeSPU(t, e, id)
		_, err := f.hello()
		testkit.NoErr(t, err)
		stops = append(stops, f.beatEvery(100*time.Millisecond))
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	waitPassAfter(t, e, 0) // past the start-up grace period

	e.restartNATS(1500 * time.Millisecond) // an outage longer than the timeout
	testkit.WaitFor(t, 5*time.Second, func() error {
		resp, err := req[bus.SPUListResponse](t, e.nc, bus.SubjectAdminSPUList, bus.SPUListRequest{})
		if err != nil {
			return err // the SC is still resubscribing
		}
		for _, s := range resp.Items {
			if !s.Online() {
				return fmt.Errorf("SPU %d offline after the outage", s.Spec.ID)
			}
		}
		return nil
	})
	waitPassAfter(t, e, e.sc.ElectionPasses()) // the first after the reconnect is past its grace period
	md, err := req[bus.MetadataResponse](t, e.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{Topics: []string{"steady"}})
	testkit.NoErr(t, err)
	for _, p := range md.Partitions {
		if want := topic.Status.ReplicaMap[p.Partition][0]; p.Leader != want || p.LeaderEpoch != 0 {
			t.Fatalf("partition %d: leader %d epoch %d after the outage, want %d epoch 0", p.Partition, p.Leader, p.LeaderEpoch, want)
		}
	}
}

// waitPassAfter waits until the SC has run more than n election passes.
func waitPassAfter(t *testing.T, e *env, n int64) {
	t.Helper()
	testkit.WaitFor(t, 10*time.Second, func() error {
		if got := e.sc.ElectionPasses(); got <= n {
			return fmt.Errorf("%d election passes, waiting for pass %d", got, n+1)
		}
		return nil
	})
}
