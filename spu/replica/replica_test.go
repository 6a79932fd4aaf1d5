package replica

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"
)

func newReplica(t *testing.T, opts wal.Options, a Assignment) *Replica {
	t.Helper()
	l, err := wal.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	r := New(Config{Topic: "t", Partition: 0, Self: 1, Log: l, SyncAppends: true, MinISR: a.MinISR})
	t.Cleanup(func() { r.Close() })
	if _, err := r.Become(a); err != nil {
		t.Fatal(err)
	}
	return r
}

func oneBatch(values ...string) []byte {
	var b batch.Builder
	b.Reset(1000)
	for _, v := range values {
		b.Add(nil, []byte(v), nil, 1000)
	}
	return append([]byte(nil), b.Bytes()...)
}

func TestReplicaAppendStampsEpochAndCommits(t *testing.T) {
	r := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 1, Epoch: 7, Replicas: []ID{1}, ISR: []ID{1}})
	base, next, err := r.Append(oneBatch("a", "b"), wire.AcksAll)
	if err != nil || base != 0 || next != 2 {
		t.Fatalf("Append = %d, %d, %v", base, next, err)
	}
	if hw := r.Offsets().HW; hw != 0 {
		t.Fatalf("HW %d before the commit", hw)
	}
	if err := r.Commit(context.Background(), next, wire.AcksAll, time.Second); err != nil {
		t.Fatal(err)
	}
	if o := r.Offsets(); o.HW != 2 || o.LEO != 2 {
		t.Fatalf("offsets %+v", o)
	}
	if e := r.Log().LatestEpoch(); e != 7 {
		t.Fatalf("stored epoch %d", e)
	}
	c, _, err := r.ReadCommitted(0, 1<<20, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, _ := c.Bytes()
	if batch.LeaderEpoch(b) != 7 || batch.BaseOffset(b) != 0 {
		t.Fatalf("batch epoch %d base %d", batch.LeaderEpoch(b), batch.BaseOffset(b))
	}
	if _, err := batch.Validate(b); err != nil {
		t.Fatalf("stored batch: %v", err)
	}
}

// TestReplicaReadUncommitted: records the leader has but its ISR does not
// (above the HW) are served to read_uncommitted consumers only.
func TestReplicaReadUncommitted(t *testing.T) {
	r := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 1, Epoch: 0, Replicas: []ID{1, 2}, ISR: []ID{1, 2}})
	if _, _, err := r.Append(oneBatch("a", "b"), wire.AcksAll); err != nil {
		t.Fatal(err)
	}
	c, off, err := r.ReadCommitted(0, 1<<20, -1)
	if err != nil || c.Len() != 0 || off.HW != 0 || off.LEO != 2 {
		t.Fatalf("ReadCommitted = %d bytes, %+v, %v; want nothing below HW 0 (LEO 2)", c.Len(), off, err)
	}
	c.Close()
	c, _, err = r.ReadUncommitted(0, 1<<20, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, _ := c.Bytes()
	if n, err := batch.Validate(b); err != nil || batch.BaseOffset(b) != 0 || n == 0 {
		t.Fatalf("ReadUncommitted: batch base %d (%d, %v), want the batch at 0", batch.BaseOffset(b), n, err)
	}
	if _, _, err := r.ReadUncommitted(3, 1<<20, -1); err == nil {
		t.Fatal("ReadUncommitted past the log end: no error")
	}
}

func TestReplicaAcksAllWaitsForFollower(t *testing.T) {
	r := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 1, Epoch: 0, Replicas: []ID{1, 2}, ISR: []ID{1, 2}})
	_, next, err := r.Append(oneBatch("a"), wire.AcksAll)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Commit(context.Background(), next, wire.AcksAll, 50*time.Millisecond)
	if !errors.Is(err, ErrTimedOut) || !strings.Contains(err.Error(), "ISR [1 2]") {
		t.Fatalf("err = %v", err)
	}
	// A waiting commit is woken by the follower's progress, not polled.
	done := make(chan error, 1)
	go func() { done <- r.Commit(context.Background(), next, wire.AcksAll, 10*time.Second) }()
	c, _, err := r.ReadForFollower(2, 0, 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case err := <-done:
		t.Fatalf("committed before the follower had the record: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	start := time.Now()
	c, _, err = r.ReadForFollower(2, next, 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("commit woke %s after the follower caught up", d)
	}
}

func TestReplicaISRShrinksBelowMinWhileWaiting(t *testing.T) {
	r := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 1, Epoch: 0, Replicas: []ID{1, 2}, ISR: []ID{1, 2}, MinISR: 2})
	_, next, err := r.Append(oneBatch("a"), wire.AcksAll)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Commit(context.Background(), next, wire.AcksAll, 10*time.Second) }()
	r.ISRCommitted(0, []ID{1})
	if err := <-done; !errors.Is(err, ErrNotReplicated) {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := r.Append(oneBatch("b"), wire.AcksAll); !errors.Is(err, ErrNotEnoughReplicas) {
		t.Fatalf("append err = %v", err)
	}
	if _, _, err := r.Append(oneBatch("b"), wire.AcksLeader); err != nil {
		t.Fatalf("acks=leader: %v", err)
	}
}

func TestReplicaRoles(t *testing.T) {
	r := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 2, Epoch: 3, Replicas: []ID{1, 2}, ISR: []ID{1, 2}})
	_, _, err := r.Append(oneBatch("a"), wire.AcksLeader)
	if !errors.Is(err, ErrNotLeader) || !strings.Contains(err.Error(), "the leader is SPU 2") {
		t.Fatalf("err = %v", err)
	}
	if _, err := r.Become(Assignment{Leader: 1, Epoch: 2, Replicas: []ID{1, 2}}); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("stale assignment: %v", err)
	}
	if v, ok := r.View(); !ok || v.Leader != 2 || v.Epoch != 3 {
		t.Fatalf("view %+v %v", v, ok)
	}
	// A follower operation for an old epoch does nothing.
	if err := r.AppendFromLeader(2, oneBatch("x"), 0); !errors.Is(err, ErrRoleChanged) {
		t.Fatalf("err = %v", err)
	}
	follow, err := r.Become(Assignment{Leader: 1, Epoch: 4, Replicas: []ID{1, 2}, ISR: []ID{1, 2}})
	if err != nil || follow {
		t.Fatalf("become leader: %v %v", follow, err)
	}
	if _, ok := r.View(); ok {
		t.Fatal("a leader has a follower view")
	}
	if _, _, err := r.Append(oneBatch("a"), wire.AcksLeader); err != nil {
		t.Fatal(err)
	}
}

func TestReplicaStorageFailure(t *testing.T) {
	inj := vfstest.NewInjector()
	r := newReplica(t, wal.Options{Sync: wal.SyncNever, FS: vfstest.WithErrors(vfs.Default, inj)},
		Assignment{Leader: 1, Epoch: 0, Replicas: []ID{1}, ISR: []ID{1}})
	_, next, err := r.Append(oneBatch("a"), wire.AcksLeader)
	if err != nil {
		t.Fatal(err)
	}
	inj.FailAt(vfstest.OpSync, 1, true)
	err = r.Commit(context.Background(), next, wire.AcksLeader, time.Second)
	if !errors.Is(err, ErrStorage) {
		t.Fatalf("err = %v", err)
	}
	if st := r.Status(); st.Err == nil || r.Failed() == nil {
		t.Fatal("a failed fsync is not in the status")
	}
	if o := r.Offsets(); o.HW != 0 {
		t.Fatalf("HW %d counts data whose fsync failed", o.HW)
	}
	if _, _, err := r.Append(oneBatch("b"), wire.AcksLeader); !errors.Is(err, ErrStorage) {
		t.Fatalf("append after failure: %v", err)
	}
}

func TestReplicaEndOffsetForEpoch(t *testing.T) {
	r := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 1, Epoch: 0, Replicas: []ID{1, 2}, ISR: []ID{1}})
	if _, _, err := r.Append(oneBatch("a", "b"), wire.AcksLeader); err != nil {
		t.Fatal(err)
	}
	// Leader again under epoch 5 without writing: the log knows epoch 0.
	if _, err := r.Become(Assignment{Leader: 1, Epoch: 5, Replicas: []ID{1, 2}, ISR: []ID{1}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		asked     int32
		wantEpoch int32
		wantEnd   int64
	}{{0, 0, 2}, {3, 0, 2}, {-1, -1, -1}} {
		e, end, err := r.EndOffsetForEpoch(tc.asked, 5)
		if err != nil || e != tc.wantEpoch || end != tc.wantEnd {
			t.Errorf("asked %d: (%d, %d, %v), want (%d, %d)", tc.asked, e, end, err, tc.wantEpoch, tc.wantEnd)
		}
	}
	if _, _, err := r.EndOffsetForEpoch(0, 4); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("fencing: %v", err)
	}
}

// Within its term the leader owns the ISR: a pushed replica set (possibly
// older than the answers to its proposals) does not change it.
func TestReplicaLeaderIgnoresPushedISR(t *testing.T) {
	r := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 1, Epoch: 2, Replicas: []ID{1, 2, 3}, ISR: []ID{1, 2, 3}})
	r.ISRCommitted(2, []ID{1, 2})
	if _, err := r.Become(Assignment{Leader: 1, Epoch: 2, Replicas: []ID{1, 2, 3}, ISR: []ID{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	if isr := r.Status().ISR; len(isr) != 2 {
		t.Fatalf("isr %v after a stale push", isr)
	}
	// An answer for another epoch is ignored too.
	r.ISRCommitted(1, []ID{1})
	if isr := r.Status().ISR; len(isr) != 2 {
		t.Fatalf("isr %v after a stale answer", isr)
	}
}

// TestHWChangedOnDemand: HWChanged's channel is closed by the next HW
// change after it was asked for (a consumer's long poll, an acks=all
// wait); appends that move the HW while no one asked make no channel.
func TestHWChangedOnDemand(t *testing.T) {
	r := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 1, Epoch: 1, Replicas: []ID{1}, ISR: []ID{1}})
	commit := func(values ...string) {
		t.Helper()
		_, next, err := r.Append(oneBatch(values...), wire.AcksLeader)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Commit(context.Background(), next, wire.AcksLeader, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	hwCh := func() chan struct{} {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.mu.hwCh
	}
	commit("a")
	if hwCh() != nil {
		t.Fatal("an append no one waited for made an HW channel")
	}
	ch := r.HWChanged()
	if again := r.HWChanged(); again != ch {
		t.Fatal("two asks without a change got two channels")
	}
	select {
	case <-ch:
		t.Fatal("closed before any change")
	default:
	}
	commit("b")
	select {
	case <-ch:
	default:
		t.Fatal("the HW moved and the channel asked for before is open")
	}
	if hwCh() != nil {
		t.Fatal("the change left a channel no one asked for")
	}
	next := r.HWChanged()
	if next == ch {
		t.Fatal("asked after the change: got the closed channel")
	}
	r.Close()
	select {
	case <-next:
	default:
		t.Fatal("Close left the HW channel open")
	}
}
