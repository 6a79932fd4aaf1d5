package spu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"
)

func peersOf(spus ...*testSPU) []bus.PeerEndpoint {
	var out []bus.PeerEndpoint
	for _, s := range spus {
		out = append(out, bus.PeerEndpoint{ID: s.id, Private: s.private})
	}
	return out
}

// logBytes reads a replica's whole log.
func logBytes(t testing.TB, s *testSPU, topic string) []byte {
	t.Helper()
	r := s.dp.lookup(topic, 0)
	if r == nil {
		t.Fatalf("SPU %d has no replica of %s", s.id, topic)
	}
	var out []byte
	for off := r.Log().StartOffset(); off < r.Log().EndOffset(); {
		c, err := r.Log().Read(off, 1<<20)
		testkit.NoErr(t, err)
		b, _ := c.Bytes()
		out = append(out, b...)
		off = c.NextOffset()
		c.Close()
	}
	return out
}

// sameLogs waits until every SPU's log of topic has the leader's bytes.
func sameLogs(t *testing.T, topic string, leader *testSPU, followers ...*testSPU) {
	t.Helper()
	testkit.WaitFor(t, 10*time.Second, func() error {
		want := logBytes(t, leader, topic)
		for _, f := range followers {
			if got := logBytes(t, f, topic); !bytes.Equal(got, want) {
				return fmt.Errorf("SPU %d has %d bytes, leader %d", f.id, len(got), len(want))
			}
		}
		return nil
	})
}

func status(s *testSPU, topic string) bus.ReplicaStatus {
	for _, st := range s.dp.Status() {
		if st.Topic == topic {
			return st
		}
	}
	return bus.ReplicaStatus{}
}

func isrOf(s *testSPU, topic string) []int32 {
	return s.dp.lookup(topic, 0).Status().ISR
}

func TestReplicationAcksAll(t *testing.T) {
	fetchModes(t, testReplicationAcksAll)
}

func testReplicationAcksAll(t *testing.T, start func(bus.SPUID) *testSPU) {
	s1, s2, s3 := start(1), start(2), start(3)
	peers := peersOf(s1, s2, s3)
	sp := spec("r", 0, 1, 0, 1, 2, 3)
	for _, s := range []*testSPU{s1, s2, s3} {
		s.apply(t, true, peers, sp)
	}
	c := dial(t, s1.public)
	ctx := context.Background()
	for i := range 20 {
		base, err := produce(ctx, c, "r", 0, wire.AcksAll, fmt.Sprint(i), fmt.Sprint(i))
		testkit.NoErr(t, err)
		testkit.Equal(t, base, int64(2*i))
		// acks=all: every ISR member has it when the ack arrives.
		for _, f := range []*testSPU{s2, s3} {
			if leo := f.dp.lookup("r", 0).Log().EndOffset(); leo < base+2 {
				t.Fatalf("acked offset %d but SPU %d ends at %d", base+1, f.id, leo)
			}
		}
	}
	sameLogs(t, "r", s1, s2, s3)
	testkit.Equal(t, status(s1, "r").HW, 40)
	testkit.WaitFor(t, 5*time.Second, func() error {
		for _, f := range []*testSPU{s2, s3} {
			if st := status(f, "r"); st.HW != 40 || st.Role != "follower" {
				return fmt.Errorf("SPU %d: %+v", f.id, st)
			}
		}
		return nil
	})
	// Followers do not take produce.
	_, err := produce(ctx, dial(t, s2.public), "r", 0, wire.AcksAll, "x")
	testkit.ErrIs(t, err, wire.ErrNotLeader)
}

func TestReplicationFollowerDown(t *testing.T) {
	for _, tc := range []struct {
		name   string
		minISR int32
	}{{"min isr 1 shrinks and continues", 1}, {"min isr 2 refuses acks all", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			lag := 1500 * time.Millisecond // above the followers' 500 ms long poll
			dir2 := t.TempDir()
			s1, s2 := startSPU(t, 1, lag), startSPUIn(t, 2, dir2, lag)
			peers := peersOf(s1, s2)
			sp := spec("r", 0, 1, 0, 1, 2)
			sp.Config.MinInSyncReplicas = tc.minISR
			s1.apply(t, true, peers, sp)
			s2.apply(t, true, peers, sp)
			c := dial(t, s1.public)
			ctx := context.Background()
			_, err := produce(ctx, c, "r", 0, wire.AcksAll, "before")
			testkit.NoErr(t, err)

			s2.stop()
			// The follower leaves the ISR once it lags for longer than lag.
			testkit.WaitFor(t, 5*time.Second, func() error {
				if isr := isrOf(s1, "r"); !slices.Equal(isr, []int32{1}) {
					return fmt.Errorf("isr %v", isr)
				}
				return nil
			})
			_, err = produce(ctx, c, "r", 0, wire.AcksAll, "alone")
			if tc.minISR == 1 {
				testkit.NoErr(t, err)
			} else {
				testkit.ErrIs(t, err, wire.ErrNotEnoughReplicas)
				if !wire.IsRetriable(err) {
					t.Fatal("NotEnoughReplicas should be retriable")
				}
				// acks=leader still works; the HW stays where it was.
				_, err = produce(ctx, c, "r", 0, wire.AcksLeader, "alone")
				testkit.NoErr(t, err)
				testkit.Equal(t, status(s1, "r").HW, 1)
			}

			// The follower comes back, catches up and rejoins.
			s2b := startSPUIn(t, 2, dir2, lag)
			s1.apply(t, false, peersOf(s1, s2b))
			s2b.apply(t, true, peersOf(s1, s2b), sp)
			testkit.WaitFor(t, 10*time.Second, func() error {
				if isr := isrOf(s1, "r"); len(isr) != 2 {
					return fmt.Errorf("isr %v", isr)
				}
				return nil
			})
			sameLogs(t, "r", s1, s2b)
			_, err = produce(ctx, c, "r", 0, wire.AcksAll, "together")
			testkit.NoErr(t, err)
			testkit.Equal(t, status(s1, "r").HW, 3)
		})
	}
}

// writeLog appends batches, each with its leader epoch, to a replica's
// directory before an SPU opens it.
func writeLog(t *testing.T, dir, topic string, batches ...[2]any) {
	t.Helper()
	l, err := wal.Open(filepath.Join(dir, topic+"-0"), wal.Options{})
	testkit.NoErr(t, err)
	for _, b := range batches {
		r := recordsAt(1000, b[1].(string))
		batch.SetLeaderEpoch(r, int32(b[0].(int)))
		_, err := l.Append(r)
		testkit.NoErr(t, err)
	}
	testkit.NoErr(t, l.Close())
}

// KIP-101 scenario 2 with real logs: A and B both have m0 (epoch 0); B
// also has m1 (epoch 0) that never reached A. A came back first and led
// epoch 1, writing m2 at offset 1. B returns as follower: it must drop m1
// (truncate by epoch to 1) and copy m2, not keep m1 because of its HW.
func TestReplicationKIP101Truncation(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	writeLog(t, dirA, "k", [2]any{0, "m0"}, [2]any{1, "m2"})
	writeLog(t, dirB, "k", [2]any{0, "m0"}, [2]any{0, "m1"})
	a, b := startSPUIn(t, 1, dirA, 0), startSPUIn(t, 2, dirB, 0)
	peers := peersOf(a, b)
	sp := spec("k", 0, 1, 1, 1, 2)
	a.apply(t, true, peers, sp)
	b.apply(t, true, peers, sp)
	sameLogs(t, "k", a, b)
	ca := dial(t, a.public)
	testkit.WaitFor(t, 5*time.Second, func() error {
		got, _ := consume(t, ca, "k", 0, 0)
		return eq(got, []string{"m0", "m2"})
	})
	testkit.NoErr(t, eq(values(t, logBytes(t, b, "k"), 0), []string{"m0", "m2"}))
	testkit.Equal(t, b.dp.lookup("k", 0).Log().LatestEpoch(), 1)
}

// A follower whose epochs the leader never saw truncates to the last
// common epoch (KIP-279), and one with nothing in common empties its log.
func TestReplicationDivergedEpochs(t *testing.T) {
	dirA, dirB, dirC := t.TempDir(), t.TempDir(), t.TempDir()
	writeLog(t, dirA, "d", [2]any{0, "x0"}, [2]any{0, "x1"}, [2]any{3, "a3"})
	writeLog(t, dirB, "d", [2]any{0, "x0"}, [2]any{0, "x1"}, [2]any{2, "b2"}, [2]any{2, "b2'"})
	writeLog(t, dirC, "d", [2]any{5, "c5"})
	a, b, c := startSPUIn(t, 1, dirA, 0), startSPUIn(t, 2, dirB, 0), startSPUIn(t, 3, dirC, 0)
	peers := peersOf(a, b, c)
	sp := spec("d", 0, 1, 6, 1, 2, 3)
	for _, s := range []*testSPU{a, b, c} {
		s.apply(t, true, peers, sp)
	}
	sameLogs(t, "d", a, b, c)
	testkit.NoErr(t, eq(values(t, logBytes(t, c, "d"), 0), []string{"x0", "x1", "a3"}))
}

// Leadership moves from 1 to 2 (epoch 1) and back (epoch 2); the old
// leader follows, fenced by epoch, and no acknowledged record is lost.
func TestReplicationLeaderChange(t *testing.T) {
	fetchModes(t, testReplicationLeaderChange)
}

func testReplicationLeaderChange(t *testing.T, start func(bus.SPUID) *testSPU) {
	s1, s2 := start(1), start(2)
	peers := peersOf(s1, s2)
	ctx := context.Background()
	var acked []string
	for epoch, leader := range []*testSPU{s1, s2, s1} {
		sp := spec("m", 0, leader.id, int32(epoch), 1, 2)
		s1.apply(t, true, peers, sp)
		s2.apply(t, true, peers, sp)
		c := dial(t, leader.public)
		for i := range 5 {
			v := fmt.Sprintf("e%d-%d", epoch, i)
			_, err := produce(ctx, c, "m", 0, wire.AcksAll, v)
			if errors.Is(err, wire.ErrNotEnoughReplicas) || errors.Is(err, wire.ErrRequestTimedOut) {
				t.Fatalf("epoch %d: %v", epoch, err)
			}
			testkit.NoErr(t, err)
			acked = append(acked, v)
		}
		other := s1
		if leader == s1 {
			other = s2
		}
		_, err := produce(ctx, dial(t, other.public), "m", 0, wire.AcksAll, "x")
		testkit.ErrIs(t, err, wire.ErrNotLeader)
	}
	sameLogs(t, "m", s1, s2)
	got, _ := consume(t, dial(t, s1.public), "m", 0, 0)
	testkit.NoErr(t, eq(got, acked))
	testkit.Equal(t, s2.dp.lookup("m", 0).Log().LatestEpoch(), 2)
}

// A follower assigned before its leader's private address is known starts
// fetching once a later set (same term) carries the address.
func TestReplicationPeersArriveLater(t *testing.T) {
	s1, s2 := startSPU(t, 1, 0), startSPU(t, 2, 0)
	sp := spec("p", 0, 1, 0, 1, 2)
	s1.apply(t, true, peersOf(s1, s2), sp)
	s2.apply(t, true, nil, sp)
	_, err := produce(context.Background(), dial(t, s1.public), "p", 0, wire.AcksLeader, "x")
	testkit.NoErr(t, err)
	if leo := s2.dp.lookup("p", 0).Log().EndOffset(); leo != 0 {
		t.Fatalf("follower without the leader's address has %d records", leo)
	}
	s2.apply(t, true, peersOf(s1, s2), sp)
	sameLogs(t, "p", s1, s2)
}

// KIP-101 through real failovers: A leads and B follows (m0 on both); B
// stops; A takes m1 with acks=leader and stops; B comes back leading
// epoch 1 and takes m2 at offset 1; A comes back following: it must drop
// m1 (by epoch, not by its HW) and copy m2.
func TestReplicationDoubleFailover(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	ctx := context.Background()
	a, b := startSPUIn(t, 1, dirA, 0), startSPUIn(t, 2, dirB, 0)
	sp0 := spec("f", 0, 1, 0, 1, 2)
	a.apply(t, true, peersOf(a, b), sp0)
	b.apply(t, true, peersOf(a, b), sp0)
	_, err := produce(ctx, dial(t, a.public), "f", 0, wire.AcksAll, "m0")
	testkit.NoErr(t, err)
	sameLogs(t, "f", a, b)
	b.stop()
	_, err = produce(ctx, dial(t, a.public), "f", 0, wire.AcksLeader, "m1")
	testkit.NoErr(t, err)
	a.stop()

	b2 := startSPUIn(t, 2, dirB, 0)
	sp1 := spec("f", 0, 2, 1, 2, 1)
	sp1.ISR = []bus.SPUID{2}
	b2.apply(t, true, nil, sp1)
	_, err = produce(ctx, dial(t, b2.public), "f", 0, wire.AcksAll, "m2")
	testkit.NoErr(t, err)

	a2 := startSPUIn(t, 1, dirA, 0)
	a2.apply(t, true, peersOf(a2, b2), sp1)
	b2.apply(t, false, peersOf(a2, b2))
	sameLogs(t, "f", b2, a2)
	testkit.NoErr(t, eq(values(t, logBytes(t, a2, "f"), 0), []string{"m0", "m2"}))
	// A rejoins the ISR and acks=all works again with both.
	testkit.WaitFor(t, 10*time.Second, func() error {
		if isr := isrOf(b2, "f"); len(isr) != 2 {
			return fmt.Errorf("isr %v", isr)
		}
		return nil
	})
	_, err = produce(ctx, dial(t, b2.public), "f", 0, wire.AcksAll, "m3")
	testkit.NoErr(t, err)
	sameLogs(t, "f", b2, a2)
}

// The HW is checkpointed: a leader restarted while its follower is down
// serves what was committed before at once (without the checkpoint its HW
// would wait for the follower).
func TestReplicationHWCheckpoint(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	ctx := context.Background()
	a, b := startSPUIn(t, 1, dirA, 0), startSPUIn(t, 2, dirB, 0)
	sp := spec("h", 0, 1, 0, 1, 2)
	a.apply(t, true, peersOf(a, b), sp)
	b.apply(t, true, peersOf(a, b), sp)
	c := dial(t, a.public)
	for i := range 5 {
		_, err := produce(ctx, c, "h", 0, wire.AcksAll, fmt.Sprint(i))
		testkit.NoErr(t, err)
	}
	b.stop()
	a.stop()
	if _, err := os.Stat(filepath.Join(dirA, "h-0", "replication-offset-checkpoint")); err != nil {
		t.Fatalf("no checkpoint: %v", err)
	}
	a2 := startSPUIn(t, 1, dirA, 0)
	a2.apply(t, true, nil, sp)
	got, pr := consume(t, dial(t, a2.public), "h", 0, 0)
	testkit.Equal(t, pr.HighWatermark, 5)
	testkit.NoErr(t, eq(got, []string{"0", "1", "2", "3", "4"}))
}
