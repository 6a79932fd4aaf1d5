package sc_test

import (
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestPartitionReadyOnlyAfterLeaderReport: a new partition whose leader
// SPU is online is Provisioning (topic Pending) until that SPU reports the
// replica as leader at the current epoch without error; a report as
// follower, at an older epoch, with an error or from a follower SPU does
// not make it Online. (The bench produced to a partition listed Online
// before its SPU had created it: "SPU 5001 holds no replica of many-987".)
func TestPartitionReadyOnlyAfterLeaderReport(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	e.register(2, "")
	f1, f2 := newFakeSPU(t, e, 1), newFakeSPU(t, e, 2)
	for _, f := range []*fakeSPU{f1, f2} {
		_, err := f.hello()
		testkit.NoErr(t, err)
	}
	topic, err := e.createTopic("ready", 1, 2)
	testkit.NoErr(t, err)
	testkit.Equal(t, topic.Status.Resolution, bus.TopicPending)
	leader := topic.Status.ReplicaMap[0][0]
	lf, ff := f1, f2
	if leader == 2 {
		lf, ff = f2, f1
	}
	id := bus.PartitionID{Topic: "ready", Partition: 0}
	part := func() bus.Partition {
		t.Helper()
		parts, err := req[bus.PartitionListResponse](t, e.nc, bus.SubjectAdminPartitionList, bus.PartitionListRequest{Topics: []string{"ready"}})
		testkit.NoErr(t, err)
		testkit.Equal(t, len(parts.Items), 1)
		return parts.Items[0]
	}
	topicStatus := func() bus.TopicStatus {
		t.Helper()
		list, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{"ready"}})
		testkit.NoErr(t, err)
		testkit.Equal(t, len(list.Items), 1)
		return list.Items[0].Status
	}
	report := func(f *fakeSPU, s ...bus.ReplicaStatus) {
		t.Helper()
		f.mu.Lock()
		f.status = s
		f.mu.Unlock()
		testkit.NoErr(t, f.beat())
	}
	epoch := part().Spec.LeaderEpoch

	testkit.Equal(t, part().Status.Resolution, bus.PartitionProvisioning)
	st := topicStatus()
	testkit.Equal(t, st.Resolution, bus.TopicPending)
	if !strings.Contains(st.Reason, "has not yet reported its replicas") {
		t.Fatalf("topic reason %q, want it to say the leader has not reported", st.Reason)
	}

	steps := []struct {
		name string
		f    *fakeSPU
		s    bus.ReplicaStatus
	}{
		{"follower SPU reports", ff, bus.ReplicaStatus{PartitionID: id, Role: "follower", LeaderEpoch: epoch}},
		{"leader SPU reports a follower role", lf, bus.ReplicaStatus{PartitionID: id, Role: "follower", LeaderEpoch: epoch}},
		{"leader SPU reports an older epoch", lf, bus.ReplicaStatus{PartitionID: id, Role: "leader", LeaderEpoch: epoch - 1}},
		{"leader SPU reports an error", lf, bus.ReplicaStatus{PartitionID: id, Role: "leader", LeaderEpoch: epoch, Error: "corrupt log"}},
		{"leader SPU reports another partition", lf, bus.ReplicaStatus{PartitionID: bus.PartitionID{Topic: "ready", Partition: 1}, Role: "leader", LeaderEpoch: epoch}},
	}
	for _, s := range steps {
		report(s.f, s.s)
		if got := part().Status.Resolution; got != bus.PartitionProvisioning {
			t.Fatalf("%s: partition %s, want %s", s.name, got, bus.PartitionProvisioning)
		}
		if got := topicStatus().Resolution; got != bus.TopicPending {
			t.Fatalf("%s: topic %s, want %s", s.name, got, bus.TopicPending)
		}
	}

	report(lf, bus.ReplicaStatus{PartitionID: id, Role: "leader", LeaderEpoch: epoch, LEO: 0, HW: 0})
	testkit.Equal(t, part().Status.Resolution, bus.PartitionOnline)
	st = topicStatus()
	testkit.Equal(t, st.Resolution, bus.TopicProvisioned)
	testkit.Equal(t, st.Reason, "")

	// A later beat without the replica (the SPU lost it) takes it back.
	report(lf)
	testkit.Equal(t, part().Status.Resolution, bus.PartitionProvisioning)
}
