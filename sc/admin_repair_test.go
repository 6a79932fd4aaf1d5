package sc_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// repairAnswers makes fake SPU f answer repair requests on its own
// subject with plan (EndOffset, OldEndOffset) and records each request.
type repairAnswers struct {
	mu   sync.Mutex
	reqs []bus.ReplicaRepairRequest
	plan bus.ReplicaRepair
}

func answerRepairs(t *testing.T, f *fakeSPU, plan bus.ReplicaRepair) *repairAnswers {
	t.Helper()
	a := &repairAnswers{plan: plan}
	_, err := f.nc.Subscribe(bus.SubjectSPURepair(f.id), bus.Msg(context.Background(), func(_ context.Context, _ string, r bus.ReplicaRepairRequest) (bus.ReplicaRepairResponse, error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.reqs = append(a.reqs, r)
		return bus.ReplicaRepairResponse{Repair: a.plan, Repaired: !r.DryRun}, nil
	}))
	testkit.NoErr(t, err)
	testkit.NoErr(t, f.nc.Flush())
	return a
}

func (a *repairAnswers) cuts() (dry, real int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.reqs {
		if r.DryRun {
			dry++
		} else {
			real++
		}
	}
	return dry, real
}

func setStatus(f *fakeSPU, st bus.ReplicaStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = []bus.ReplicaStatus{st}
}

func corruptStatus(pid bus.PartitionID, id bus.SPUID) bus.ReplicaStatus {
	where := fmt.Sprintf("/data/spu-%d/%s-%d/00000000000000000000.log at position 70", id, pid.Topic, pid.Partition)
	return bus.ReplicaStatus{PartitionID: pid, LEO: -1, HW: -1, Size: -1, Error: "wal: corrupt batch: " + where, Corrupt: where}
}

func (e *env) partition(topic string) bus.Partition {
	e.t.Helper()
	resp, err := req[bus.PartitionListResponse](e.t, e.nc, bus.SubjectAdminPartitionList, bus.PartitionListRequest{Topics: []string{topic}})
	testkit.NoErr(e.t, err)
	return resp.Items[0]
}

func (e *env) waitCorrupt(topic string, want ...bus.SPUID) {
	e.t.Helper()
	testkit.WaitFor(e.t, 5*time.Second, func() error {
		var got []bus.SPUID
		for _, r := range e.partition(topic).Status.Replicas {
			if r.Online && r.Corrupt != "" {
				got = append(got, r.SPU)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("corrupt replicas %v, want %v", got, want)
		}
		return nil
	})
}

// TestPartitionRepair walks the SC's side of 'fluvio partition repair'
// with fake SPUs: with a healthy leader nothing is cut (the corrupt
// follower repairs from it); with a replica's SPU offline it is refused;
// with every replica corrupt the dry run asks each SPU what its cut
// drops, picks the one that keeps the most and changes nothing, and the
// real repair cuts only that one and makes it the leader at a new epoch
// with ISR = [it], telling both replicas.
func TestPartitionRepair(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	e.register(2, "")
	topic, err := e.createTopic("fix", 1, 2)
	testkit.NoErr(t, err)
	leader, other := topic.Status.ReplicaMap[0][0], topic.Status.ReplicaMap[0][1]
	pid := bus.PartitionID{Topic: "fix", Partition: 0}
	fl, fo := newFakeSPU(t, e, leader), newFakeSPU(t, e, other)
	for _, f := range []*fakeSPU{fl, fo} {
		_, err := f.hello()
		testkit.NoErr(t, err)
	}
	// The leader keeps less (cut at 5) than the other (cut at 7).
	al := answerRepairs(t, fl, bus.ReplicaRepair{File: "a.log", Position: 70, EndOffset: 5, OldEndOffset: 9, DroppedRecords: 4, DroppedBytes: 400})
	ao := answerRepairs(t, fo, bus.ReplicaRepair{File: "b.log", Position: 90, EndOffset: 7, OldEndOffset: 9, DroppedRecords: 2, DroppedBytes: 200})
	repair := func(truncate bool) (bus.PartitionRepairResponse, error) {
		return req[bus.PartitionRepairResponse](t, e.nc, bus.SubjectAdminPartitionRepair,
			bus.PartitionRepairRequest{Topic: "fix", Partition: 0, TruncateAtCorruption: truncate})
	}

	healthy := bus.ReplicaStatus{PartitionID: pid, Role: "leader", LEO: 9, HW: 9, Size: 900}
	setStatus(fl, healthy)
	setStatus(fo, bus.ReplicaStatus{PartitionID: pid, Role: "follower", LEO: 9, HW: 9, Size: 900})
	stopL := fl.beatEvery(100 * time.Millisecond)
	defer stopL()
	stopO := fo.beatEvery(100 * time.Millisecond)
	defer stopO()

	_, err = req[bus.PartitionRepairResponse](t, e.nc, bus.SubjectAdminPartitionRepair, bus.PartitionRepairRequest{Topic: "nope", Partition: 0})
	requireErr(t, err, bus.ErrTopicNotFound)
	_, err = req[bus.PartitionRepairResponse](t, e.nc, bus.SubjectAdminPartitionRepair, bus.PartitionRepairRequest{Topic: "fix", Partition: 3})
	requireErr(t, err, bus.ErrBadRequest, "partitions are 0 to 0")
	e.waitCorrupt("fix")
	r, err := repair(true)
	testkit.NoErr(t, err)
	testkit.Equal(t, r.Action, bus.RepairNothing)

	// A healthy leader: the corrupt follower repairs from it.
	setStatus(fo, corruptStatus(pid, other))
	e.waitCorrupt("fix", other)
	r, err = repair(true)
	testkit.NoErr(t, err)
	if r.Action != bus.RepairFromLeader || r.Leader != leader {
		t.Fatalf("with a healthy leader: %+v", r)
	}

	// The leader corrupt too, the other SPU offline: refused.
	setStatus(fl, corruptStatus(pid, leader))
	stopO()
	e.waitCorrupt("fix", leader)
	testkit.WaitFor(t, 5*time.Second, func() error {
		if e.spus()[other].Online() {
			return fmt.Errorf("SPU %d still online", other)
		}
		return nil
	})
	_, err = repair(true)
	requireErr(t, err, bus.ErrNotRepairable, fmt.Sprintf("SPU %d", other), "offline")

	// Both online and corrupt: a dry run, then the repair.
	stopO = fo.beatEvery(100 * time.Millisecond)
	defer stopO()
	e.waitCorrupt("fix", min(leader, other), max(leader, other))
	before := e.partition("fix").Spec
	r, err = repair(false)
	testkit.NoErr(t, err)
	if r.Action != bus.RepairDryRun || r.Leader != other || r.EndOffset != 7 || r.DroppedRecords != 2 ||
		len(r.Replicas) != 2 || r.Replicas[0].SPU != other || r.Replicas[1].SPU != leader {
		t.Fatalf("dry run %+v: want SPU %d (keeps up to 7) chosen, 2 records dropped", r, other)
	}
	if _, n := al.cuts(); n != 0 {
		t.Fatal("the dry run cut a log")
	}
	if _, n := ao.cuts(); n != 0 {
		t.Fatal("the dry run cut a log")
	}
	if p := e.partition("fix").Spec; p.Leader != before.Leader || p.LeaderEpoch != before.LeaderEpoch {
		t.Fatalf("the dry run changed the partition: %+v, was %+v", p, before)
	}

	r, err = repair(true)
	testkit.NoErr(t, err)
	if r.Action != bus.RepairTruncated || r.Leader != other || r.LeaderEpoch != before.LeaderEpoch+1 || r.EndOffset != 7 {
		t.Fatalf("repair %+v: want SPU %d leading at epoch %d from offset 7", r, other, before.LeaderEpoch+1)
	}
	if dry, n := al.cuts(); n != 0 || dry == 0 {
		t.Fatalf("SPU %d (keeps less): %d dry runs, %d cuts; want asked, never cut", leader, dry, n)
	}
	if _, n := ao.cuts(); n != 1 {
		t.Fatalf("SPU %d (keeps most) cut %d times, want 1", other, n)
	}
	p := e.partition("fix")
	if p.Spec.Leader != other || !slices.Equal(p.Status.ISR, []bus.SPUID{other}) || p.Spec.LeaderEpoch != r.LeaderEpoch {
		t.Fatalf("partition after the repair: %+v %+v", p.Spec, p.Status)
	}
	for _, f := range []*fakeSPU{fl, fo} {
		testkit.WaitFor(t, 5*time.Second, func() error {
			set, ok := f.lastSet()
			if !ok || !slices.ContainsFunc(set.Replicas, func(s bus.ReplicaSpec) bool {
				return s.PartitionID == pid && s.Leader == other && s.LeaderEpoch == r.LeaderEpoch
			}) {
				return fmt.Errorf("SPU %d last set %+v", f.id, set)
			}
			return nil
		})
	}
}

// TestPartitionRepairHealthyOutsideISR: the leader's replica is corrupt
// and the only other replica is healthy but was out of the ISR (behind).
// A healthy ISR member would simply be elected; this one is a candidate
// of the repair at its log end, with nothing to cut. The replica that
// keeps more wins: the healthy one when its log reaches past the corrupt
// one's cut (then nothing is cut at all), else the corrupt one, cut.
func TestPartitionRepairHealthyOutsideISR(t *testing.T) {
	for _, tc := range []struct {
		name      string
		healthyAt int64 // the healthy replica's LEO; the corrupt one keeps 5
		wantCut   bool
	}{
		{"healthy replica keeps more", 8, false},
		{"corrupt replica keeps more", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.register(1, "")
			e.register(2, "")
			topic, err := e.createTopic("half", 1, 2)
			testkit.NoErr(t, err)
			leader, other := topic.Status.ReplicaMap[0][0], topic.Status.ReplicaMap[0][1]
			pid := bus.PartitionID{Topic: "half", Partition: 0}
			fl, fo := newFakeSPU(t, e, leader), newFakeSPU(t, e, other)
			for _, f := range []*fakeSPU{fl, fo} {
				_, err := f.hello()
				testkit.NoErr(t, err)
			}
			al := answerRepairs(t, fl, bus.ReplicaRepair{File: "a.log", Position: 70, EndOffset: 5, OldEndOffset: 9, DroppedRecords: 4, DroppedBytes: 400})
			ao := answerRepairs(t, fo, bus.ReplicaRepair{})
			setStatus(fl, bus.ReplicaStatus{PartitionID: pid, Role: "leader", LEO: 9, HW: 9})
			setStatus(fo, bus.ReplicaStatus{PartitionID: pid, Role: "follower", LEO: tc.healthyAt, HW: tc.healthyAt})
			stopL := fl.beatEvery(100 * time.Millisecond)
			defer stopL()
			stopO := fo.beatEvery(100 * time.Millisecond)
			defer stopO()
			// The leader drops the lagging follower from the ISR, then its
			// own log turns out corrupt.
			_, err = req[bus.ISRUpdateResponse](t, fl.nc, bus.SubjectSPUISR(leader),
				bus.ISRUpdate{ID: leader, PartitionID: pid, LeaderEpoch: 0, ISR: []bus.SPUID{leader}})
			testkit.NoErr(t, err)
			setStatus(fl, corruptStatus(pid, leader))
			e.waitCorrupt("half", leader)
			before := e.partition("half")
			if !slices.Equal(before.Status.ISR, []bus.SPUID{leader}) {
				t.Fatalf("ISR %v, want only the corrupt leader", before.Status.ISR)
			}

			r, err := req[bus.PartitionRepairResponse](t, e.nc, bus.SubjectAdminPartitionRepair,
				bus.PartitionRepairRequest{Topic: "half", Partition: 0, TruncateAtCorruption: true})
			testkit.NoErr(t, err)
			want, end := other, tc.healthyAt
			if tc.wantCut {
				want, end = leader, 5
			}
			if r.Action != bus.RepairTruncated || r.Leader != want || r.EndOffset != end || r.LeaderEpoch != before.Spec.LeaderEpoch+1 {
				t.Fatalf("repair %+v: want SPU %d leading from offset %d", r, want, end)
			}
			_, cutL := al.cuts()
			dryO, cutO := ao.cuts()
			if (cutL == 1) != tc.wantCut || cutO != 0 || dryO != 0 {
				t.Fatalf("cuts: corrupt SPU %d cut %d times, healthy SPU %d asked %d+%d times", leader, cutL, other, dryO, cutO)
			}
			if p := e.partition("half"); p.Spec.Leader != want || !slices.Equal(p.Status.ISR, []bus.SPUID{want}) {
				t.Fatalf("partition after the repair: leader %d, ISR %v", p.Spec.Leader, p.Status.ISR)
			}
		})
	}
}
