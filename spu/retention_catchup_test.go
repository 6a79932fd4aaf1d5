package spu

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// TestFollowerBelowLeaderLogStart: a follower whose log ends below its
// leader's log start (retention removed what it lacks while it was away)
// restarts its log at the leader's start and rejoins the ISR (before:
// it stayed out of the ISR for good, with a warning).
func TestFollowerBelowLeaderLogStart(t *testing.T) {
	lag := 1500 * time.Millisecond
	s1 := startSPU(t, 1, lag)
	sp := spec("ret", 0, 1, 0, 1, 2)
	sp.ISR = []int32{1}
	sp.Config.MinInSyncReplicas = 1
	sp.Config.SegmentBytes = 1 << 10
	sp.Config.RetentionMs = 1000
	s1.apply(t, true, peersOf(s1), sp)
	c := dial(t, s1.public)
	old := time.Now().Add(-time.Hour).UnixMilli()
	for i := range 30 {
		r, err := c.Produce(context.Background(), &wire.ProduceRequest{Acks: wire.AcksLeader, TimeoutMs: 10000, Topic: "ret",
			Records: recordsAt(old, fmt.Sprintf("old-%02d-%s", i, "padding-padding-padding-padding-padding-padding"))})
		testkit.NoErr(t, err)
		testkit.NoErr(t, r.Err())
	}
	s1.dp.applyRetention()
	start := s1.dp.lookup("ret", 0).Log().StartOffset()
	if start == 0 {
		t.Fatal("retention removed nothing: the test needs the leader's log to start past 0")
	}

	s2 := startSPU(t, 2, lag) // an empty follower, below the leader's start
	peers := peersOf(s1, s2)
	s1.apply(t, false, peers)
	s2.apply(t, true, peers, sp)
	testkit.WaitFor(t, 10*time.Second, func() error {
		if isr := isrOf(s1, "ret"); !slices.Equal(isr, []int32{1, 2}) {
			return fmt.Errorf("isr %v", isr)
		}
		return nil
	})
	f := s2.dp.lookup("ret", 0).Log()
	testkit.Equal(t, f.StartOffset(), start)
	sameLogs(t, "ret", s1, s2)
	_, err := produce(context.Background(), c, "ret", 0, wire.AcksAll, "new")
	testkit.NoErr(t, err)
	sameLogs(t, "ret", s1, s2)
}

// TestFollowerFollowsLeaderLogStart: a follower in sync deletes its whole
// segments below its leader's log start as it fetches (the leader of a
// consumer-offset partition moves its start with snapshots; plain
// retention here, on the leader only), keeping the segment that holds the
// leader's start. Both follower modes (pipelined, sequential) do it.
func TestFollowerFollowsLeaderLogStart(t *testing.T) {
	fetchModes(t, testFollowerFollowsLeaderLogStart)
}

func testFollowerFollowsLeaderLogStart(t *testing.T, start func(bus.SPUID) *testSPU) {
	s1, s2 := start(1), start(2)
	sp := spec("lead", 0, 1, 0, 1, 2)
	sp.Config.MinInSyncReplicas = 1
	sp.Config.SegmentBytes = 1 << 10
	peers := peersOf(s1, s2)
	s1.apply(t, true, peers, sp)
	s2.apply(t, true, peers, sp)
	c := dial(t, s1.public)
	for i := range 40 {
		_, err := produce(context.Background(), c, "lead", 0, wire.AcksAll, fmt.Sprintf("r-%02d-%s", i, "padding-padding-padding-padding-padding-padding"))
		testkit.NoErr(t, err)
	}
	leader, follower := s1.dp.lookup("lead", 0).Log(), s2.dp.lookup("lead", 0).Log()
	testkit.Equal(t, follower.StartOffset(), int64(0))
	cut := leader.EndOffset() - 5
	if _, err := leader.DeleteBefore(cut); err != nil || leader.StartOffset() == 0 {
		t.Fatalf("the leader's DeleteBefore(%d): start %d, %v", cut, leader.StartOffset(), err)
	}
	// The next fetches carry the leader's start.
	_, err := produce(context.Background(), c, "lead", 0, wire.AcksAll, "after")
	testkit.NoErr(t, err)
	testkit.WaitFor(t, 10*time.Second, func() error {
		if s := follower.StartOffset(); s == 0 || s > leader.StartOffset() {
			return fmt.Errorf("follower start %d, leader start %d", s, leader.StartOffset())
		}
		return nil
	})
	testkit.Equal(t, follower.EndOffset(), leader.EndOffset())
}
