package spu

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// modelSC is the part of the SC this test needs: it stores ISR proposals
// from the current leader under the current epoch, and elects leaders
// from the ISR (never outside it).
type modelSC struct {
	mu     sync.Mutex
	epoch  int32
	leader bus.SPUID
	isr    []bus.SPUID
}

func (m *modelSC) propose(ctx context.Context, u bus.ISRUpdate) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u.ID != m.leader || u.LeaderEpoch != m.epoch {
		return fmt.Errorf("stale ISR update from %d epoch %d (leader %d epoch %d)", u.ID, u.LeaderEpoch, m.leader, m.epoch)
	}
	m.isr = slices.Clone(u.ISR)
	return nil
}

// TestReplicationFailoverChecker runs rounds of acks=all traffic with the
// leader stopped and a new one elected from the ISR each round, the old
// leader coming back as a follower. Every acknowledged record must be in
// the final log, once, in acknowledgement order, and all logs must agree.
func TestReplicationFailoverChecker(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: skipped with -short")
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	lag := 1500 * time.Millisecond
	ids := []bus.SPUID{1, 2, 3}
	dirs := map[bus.SPUID]string{}
	spus := map[bus.SPUID]*testSPU{}
	sc := &modelSC{leader: 1, isr: slices.Clone(ids)}
	start := func(id bus.SPUID) {
		s := startSPUIn(t, id, dirs[id], lag)
		s.dp.setISRProposer(sc.propose)
		spus[id] = s
	}
	for _, id := range ids {
		dirs[id] = t.TempDir()
		start(id)
	}
	running := func() []*testSPU {
		var out []*testSPU
		for _, id := range ids {
			if spus[id] != nil {
				out = append(out, spus[id])
			}
		}
		return out
	}
	assign := func() {
		sc.mu.Lock()
		sp := spec("c", 0, sc.leader, sc.epoch, ids...)
		sp.ISR = slices.Clone(sc.isr)
		sp.Config.MinInSyncReplicas = 2
		sc.mu.Unlock()
		for _, s := range running() {
			s.apply(t, true, peersOf(running()...), sp)
		}
	}
	assign()

	ctx := context.Background()
	// The producer runs throughout, following the model SC's leader,
	// retrying retriable errors; faults happen under it.
	var (
		ackMu sync.Mutex
		acked []string
		spuMu sync.Mutex // guards spus against the producer's lookups
	)
	leaderAddr := func() string {
		sc.mu.Lock()
		id := sc.leader
		sc.mu.Unlock()
		spuMu.Lock()
		defer spuMu.Unlock()
		if s := spus[id]; s != nil {
			return s.public
		}
		return ""
	}
	stopProducer := make(chan struct{})
	producerDone := make(chan error, 1)
	go func() {
		var c *wire.Conn
		defer func() {
			if c != nil {
				c.Close()
			}
		}()
		for n := 0; ; n++ {
			select {
			case <-stopProducer:
				producerDone <- nil
				return
			default:
			}
			if c == nil || c.Err() != nil {
				if c != nil {
					c.Close()
				}
				c = nil
				addr := leaderAddr()
				if addr == "" {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				var err error
				if c, err = wire.Dial(ctx, addr); err != nil {
					c = nil
					continue
				}
			}
			v := fmt.Sprint(n)
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := produce(pctx, c, "c", 0, wire.AcksAll, v)
			cancel()
			switch {
			case err == nil:
				ackMu.Lock()
				acked = append(acked, v)
				ackMu.Unlock()
			case wire.IsRetriable(err), errors.Is(err, context.DeadlineExceeded):
				if errors.Is(err, wire.ErrNotLeader) || errors.Is(err, wire.ErrLeaderNotAvailable) {
					c.Close() // go to the new leader
				}
			default:
				producerDone <- fmt.Errorf("record %s: %w", v, err)
				return
			}
		}
	}()
	ackedNow := func() int {
		ackMu.Lock()
		defer ackMu.Unlock()
		return len(acked)
	}

	for round := range 5 {
		// Let some records through under this leader.
		base, want := ackedNow(), 20+rng.IntN(30)
		testkit.WaitFor(t, 20*time.Second, func() error {
			if n := ackedNow() - base; n < want {
				return fmt.Errorf("round %d: %d acked", round, n)
			}
			return nil
		})
		// Crash the leader mid-traffic, elect the first running ISR
		// member, bump the epoch; the old leader returns as a follower.
		sc.mu.Lock()
		old := sc.leader
		sc.mu.Unlock()
		spuMu.Lock()
		victim := spus[old]
		spus[old] = nil
		spuMu.Unlock()
		victim.stop()
		sc.mu.Lock()
		var elected bus.SPUID = -1
		for _, id := range sc.isr {
			if id != old && spus[id] != nil {
				elected = id
				break
			}
		}
		if elected < 0 {
			sc.mu.Unlock()
			t.Fatalf("round %d: no ISR member to elect (isr %v)", round, sc.isr)
		}
		sc.leader, sc.epoch = elected, sc.epoch+1
		sc.isr = slices.DeleteFunc(slices.Clone(sc.isr), func(id bus.SPUID) bool { return id == old })
		t.Logf("round %d: %d acked so far; leader %d -> %d, epoch %d, isr %v", round, ackedNow(), old, elected, sc.epoch, sc.isr)
		sc.mu.Unlock()
		assign()
		spuMu.Lock()
		start(old)
		spuMu.Unlock()
		assign()
		// Wait for the old leader to rejoin so that the next election has
		// a choice.
		testkit.WaitFor(t, 20*time.Second, func() error {
			sc.mu.Lock()
			defer sc.mu.Unlock()
			if len(sc.isr) != 3 {
				return fmt.Errorf("isr %v", sc.isr)
			}
			return nil
		})
	}
	close(stopProducer)
	testkit.NoErr(t, <-producerDone)

	sc.mu.Lock()
	leader := spus[sc.leader]
	sc.mu.Unlock()
	var others []*testSPU
	for _, s := range running() {
		if s != leader {
			others = append(others, s)
		}
	}
	sameLogs(t, "c", leader, others...)
	var got []string
	testkit.WaitFor(t, 10*time.Second, func() error {
		got, _ = consume(t, dial(t, leader.public), "c", 0, 0)
		if len(got) < len(acked) {
			return fmt.Errorf("%d records readable, %d acked", len(got), len(acked))
		}
		return nil
	})
	seen := map[string]int{}
	for _, v := range got {
		seen[v]++
	}
	i := 0
	for _, v := range got {
		if i < len(acked) && v == acked[i] {
			i++
		}
	}
	for _, v := range acked {
		if seen[v] != 1 {
			t.Errorf("acked record %s appears %d times", v, seen[v])
		}
	}
	if i != len(acked) {
		t.Fatalf("acked records not in order in the log: matched %d of %d", i, len(acked))
	}
	t.Logf("%d acked, %d in the log, all present once and in order", len(acked), len(got))
}
