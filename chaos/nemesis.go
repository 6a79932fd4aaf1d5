package chaos

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/localcluster"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// nemesis injects one fault at a time, chosen by a seeded random source,
// every FaultEvery on average, and undoes each before the next (a killed
// SPU is started again, a stopped one continued), then waits for the ISR
// to fill again (bounded). It only signals the processes of its cluster.
type nemesis struct {
	c   *cluster
	rng *rand.Rand
	log *slog.Logger
	// newTopic runs the new-topic fault (the workload's newTopic).
	newTopic func(ctx context.Context, k int) error
	topics   int // new topics created so far
	// forced are the first fault kinds of a run, before the random ones:
	// every run reaches a wiped disk and a re-registered SPU.
	forced []FaultKind

	mu     sync.Mutex
	faults []Fault
}

func newNemesis(c *cluster, seed int64) *nemesis {
	n := &nemesis{c: c, rng: rand.New(rand.NewPCG(uint64(seed), 0x6368616f73)), log: c.log}
	if !c.cfg.Negative && !c.cfg.NegativeResend && len(c.cfg.Faults) == 0 {
		n.forced = []FaultKind{FaultWipe, FaultReregister, FaultCorrupt}
	}
	return n
}

// run injects faults until ctx ends. A fault in progress is always undone,
// even after ctx ended.
func (n *nemesis) run(ctx context.Context) error {
	hb := n.c.cfg.HeartbeatTimeout
	// One new topic at once (besides those the seed draws): every run
	// produces to a topic whose replicas are still being created.
	if !n.c.cfg.Negative {
		if err := n.createTopic(ctx); err != nil {
			return err
		}
	}
	for {
		wait, kind, part := n.next()
		if !sleep(ctx, wait) {
			return nil
		}
		if err := n.inject(ctx, kind, part, hb); err != nil {
			return err
		}
		// Let the restarted replica rejoin before the next fault, so that
		// faults stay one at a time; a cluster that does not heal is
		// reported at the end.
		if n.c.cfg.Overlap {
			continue
		}
		if err := n.c.waitHealthy(ctx, 15*time.Second, false); err != nil && ctx.Err() == nil {
			n.log.Warn("nemesis: cluster not healed before the next fault", "err", err)
		}
	}
}

// next draws the pause before the next fault, its kind and the partition
// whose leader it hits.
func (n *nemesis) next() (time.Duration, FaultKind, int32) {
	cfg := n.c.cfg
	wait := cfg.FaultEvery/2 + time.Duration(n.rng.Int64N(int64(cfg.FaultEvery)+1))
	kind := FaultStallKill
	if !cfg.Negative {
		kinds := []FaultKind{FaultKill, FaultPause, FaultRestart, FaultStallKill, FaultNewTopic}
		if !cfg.NegativeResend {
			// The refused-resend control keeps its plan: the new-topic burst first.
			kinds = append(kinds, FaultWipe, FaultReregister, FaultCorrupt)
		}
		if cfg.KillSC {
			kinds = append(kinds, FaultSCKill)
		}
		if len(n.c.scs) > 1 {
			kinds = append(kinds, FaultActiveSCKill, FaultActiveSCPause, FaultNATSNodeKill, FaultControlPlaneOutage)
		}
		if len(cfg.Faults) > 0 {
			kinds = cfg.Faults
		}
		kind = kinds[n.rng.IntN(len(kinds))]
		if len(n.forced) > 0 {
			kind, n.forced = n.forced[0], n.forced[1:]
		}
	}
	return wait, kind, int32(n.rng.IntN(partitions))
}

// inject runs one fault against partition part's leader (or, for a
// restart, a random SPU) and undoes it.
func (n *nemesis) inject(ctx context.Context, kind FaultKind, part int32, hb time.Duration) error {
	ps, err := n.c.partitions(ctx)
	if err != nil {
		n.log.Warn("nemesis: no partition list, fault skipped", "err", err)
		return nil
	}
	switch kind {
	case FaultSCKill:
		return n.killSC(ctx, hb)
	case FaultActiveSCKill, FaultActiveSCPause, FaultNATSNodeKill, FaultControlPlaneOutage:
		return n.controlPlane(ctx, kind, hb)
	}
	if kind == FaultNewTopic {
		return n.createTopic(ctx)
	}
	var leader int32 = -1
	for _, p := range ps {
		if p.Partition == part {
			leader = p.Leader
		}
	}
	target := leader
	if kind == FaultRestart || kind == FaultWipe || kind == FaultReregister {
		target = n.c.ids[n.rng.IntN(len(n.c.ids))]
	}
	if kind == FaultCorrupt {
		target = n.c.ids[n.rng.IntN(len(n.c.ids))]
		if target == leader {
			target = n.c.ids[(slices.Index(n.c.ids, target)+1)%len(n.c.ids)]
		}
	}
	proc, ok := n.c.spus[target]
	if !ok {
		n.log.Warn("nemesis: partition has no known leader, fault skipped", "partition", part, "leader", leader)
		return nil
	}
	// Undo with a context that outlives ctx: the cluster must be whole
	// again before the run checks it. Every wait below is bounded.
	undo := context.WithoutCancel(ctx)
	f := Fault{Kind: kind, SPU: target, Led: led(ps, target)}
	switch kind {
	case FaultKill:
		f.At = time.Now()
		if err := proc.Kill(undo); err != nil {
			return err
		}
		down := hb/2 + time.Duration(n.rng.Int64N(int64(2*hb)))
		n.record(f, "down", down)
		sleep(undo, down)
	case FaultPause:
		f.At = time.Now()
		if err := proc.Pause(); err != nil {
			return err
		}
		paused := hb + hb/2 + time.Duration(n.rng.Int64N(int64(hb)))
		n.record(f, "paused", paused)
		sleep(undo, paused)
		if err := proc.Resume(); err != nil {
			return err
		}
	case FaultRestart:
		f.At = time.Now()
		n.record(f, "pid", proc.PID())
		if err := proc.Stop(undo, 15*time.Second); err != nil {
			return err
		}
	case FaultCorrupt:
		dir := filepath.Join(n.c.dirs[target], fmt.Sprintf("%s-%d", topicName, part))
		seg, err := closedSegment(dir)
		if err != nil {
			// Too early in the run: no segment rolled yet. The next fault
			// is this one again.
			n.log.Info("nemesis: no closed indexed segment to corrupt yet; trying again at the next fault", "spu", target, "err", err)
			n.forced = append([]FaultKind{FaultCorrupt}, n.forced...)
			return nil
		}
		f.At = time.Now()
		if err := proc.Stop(undo, 15*time.Second); err != nil {
			return err
		}
		pos, err := corruptFirstBatch(seg)
		if err != nil {
			return fmt.Errorf("chaos: corrupt %s: %w", seg, err)
		}
		if err := proc.Start(); err != nil {
			return err
		}
		n.log.Info("nemesis: started again", "spu", target, "pid", proc.PID())
		// Counted once it reached the scenario: the SPU found the damage at
		// open and cut its log there (the cut bytes in .broken), to fetch
		// the rest from its leader.
		if err := testkit.Poll(undo, 30*time.Second, func() error {
			if st, err := os.Stat(seg + ".broken"); err != nil || st.ModTime().Before(f.At) {
				return fmt.Errorf("no fresh %s.broken", filepath.Base(seg))
			}
			return nil
		}); err != nil {
			return fmt.Errorf("chaos: SPU %d did not repair its corrupt replica of partition %d (%s at %d) within 30s: %w", target, part, seg, pos, err)
		}
		n.record(f, "partition", part, "closed_segment", seg, "position", pos, "repaired", true)
		return nil
	case FaultWipe:
		f.At = time.Now()
		if err := proc.Stop(undo, 15*time.Second); err != nil {
			return err
		}
		if err := os.RemoveAll(n.c.dirs[target]); err != nil {
			return fmt.Errorf("chaos: wipe SPU %d: %w", target, err)
		}
		n.record(f, "dir", n.c.dirs[target])
	case FaultReregister:
		f.At = time.Now()
		if _, err := n.c.client.UnregisterSPU(undo, target); err != nil {
			n.log.Warn("nemesis: unregister failed, fault skipped", "spu", target, "err", err)
			return nil
		}
		// Told to stop, the spu-server exits by itself; bounded.
		wctx, cancel := context.WithTimeout(undo, 15*time.Second)
		werr := proc.Wait(wctx)
		cancel()
		if werr != nil {
			if err := proc.Kill(undo); err != nil {
				return err
			}
		}
		a := n.c.addrs[target]
		if err := testkit.Poll(undo, 30*time.Second, func() error {
			_, err := n.c.client.RegisterSPU(undo, fluvio.SPUConfig{ID: target, PublicEndpoint: a[0], PrivateEndpoint: a[1]})
			return err
		}); err != nil {
			return fmt.Errorf("chaos: register SPU %d again: %w", target, err)
		}
		n.record(f)
	case FaultStallKill:
		var followers []*localcluster.Process
		for _, id := range n.c.ids {
			if id != target {
				followers = append(followers, n.c.spus[id])
			}
		}
		for _, fp := range followers {
			if err := fp.Pause(); err != nil {
				return err
			}
		}
		// Shorter than the heartbeat timeout: the followers stay online
		// and in the ISR, so one of them is elected.
		stall := hb/4 + time.Duration(n.rng.Int64N(int64(hb/4)+1))
		sleep(undo, stall)
		f.At = time.Now()
		killErr := proc.Kill(undo)
		for _, fp := range followers {
			if err := fp.Resume(); err != nil {
				return err
			}
		}
		if killErr != nil {
			return killErr
		}
		down := hb + time.Duration(n.rng.Int64N(int64(hb)))
		n.record(f, "stalled", stall, "down", down)
		sleep(undo, down)
	default:
		return fmt.Errorf("chaos: unknown fault %q", kind)
	}
	if proc.Running() {
		return nil // a paused SPU was continued
	}
	if err := proc.Start(); err != nil {
		return err
	}
	n.log.Info("nemesis: started again", "spu", target, "pid", proc.PID())
	return nil
}

// closedSegment returns the newest closed segment of the replica
// directory dir that has index entries (a non-empty .index file): its
// first batch lies before the last entry, the part of a closed segment
// that recovery used to trust to the index. An error when there is none
// yet (the active segment is never picked).
func closedSegment(dir string) (string, error) {
	segs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		return "", err
	}
	slices.Sort(segs)
	for i := len(segs) - 2; i >= 0; i-- {
		st, err := os.Stat(strings.TrimSuffix(segs[i], ".log") + ".index")
		if err == nil && st.Size() > 0 {
			return segs[i], nil
		}
	}
	return "", fmt.Errorf("%d segments in %s, none closed with index entries", len(segs), dir)
}

// corruptFirstBatch flips one byte of the records of the first batch of
// segment file seg (covered by its CRC; valid batches follow) and returns
// its position.
func corruptFirstBatch(seg string) (int64, error) {
	b, err := os.ReadFile(seg)
	if err != nil {
		return 0, err
	}
	n, err := batch.Size(b)
	if err != nil || n <= batch.RecordsOffset || n >= len(b) {
		return 0, fmt.Errorf("the first batch of %s (%d bytes of %d) has no records or nothing follows it: %v", seg, n, len(b), err)
	}
	b[batch.RecordsOffset] ^= 0xff
	return batch.RecordsOffset, os.WriteFile(seg, b, 0o644)
}

// createTopic creates a topic and starts a burst of records into it at
// once, while its replicas are still being created (the workload's
// newTopic). A failure to create it is logged, not fatal: the SC may be
// recovering from the previous fault.
func (n *nemesis) createTopic(ctx context.Context) error {
	if n.newTopic == nil {
		return nil
	}
	f := Fault{Kind: FaultNewTopic, SPU: -1, At: time.Now()}
	if err := n.newTopic(ctx, n.topics); err != nil {
		n.log.Warn("nemesis: new topic", "err", err)
		return nil
	}
	n.topics++
	n.record(f, "topic", n.topics-1)
	return nil
}

// killSC kill -9s the SC and starts it again after a delay.
func (n *nemesis) killSC(ctx context.Context, hb time.Duration) error {
	undo := context.WithoutCancel(ctx)
	f := Fault{Kind: FaultSCKill, SPU: -1, At: time.Now()}
	if err := n.c.sc.Kill(undo); err != nil {
		return err
	}
	down := hb/2 + time.Duration(n.rng.Int64N(int64(2*hb)))
	n.record(f, "down", down)
	sleep(undo, down)
	if err := n.c.sc.Start(); err != nil {
		return err
	}
	n.log.Info("nemesis: sc-server started again", "pid", n.c.sc.PID())
	// The SC answers again before the next fault (or the end).
	return testkit.Poll(undo, 30*time.Second, func() error {
		_, err := n.c.partitions(undo)
		return err
	})
}

// controlPlane runs a fault on the SCs and their NATS nodes
// (Config.SCReplicas > 1) and undoes it: the killed SC is started again,
// the paused ones continued. For the active SC's faults it measures how
// long until another SC holds the lease.
func (n *nemesis) controlPlane(ctx context.Context, kind FaultKind, hb time.Duration) error {
	undo := context.WithoutCancel(ctx)
	active, err := n.c.activeSC(ctx)
	if err != nil || active < 0 {
		n.log.Warn("nemesis: no active SC known, fault skipped", "fault", kind, "err", err)
		return nil
	}
	f := Fault{Kind: kind, SPU: -1}
	var hit []*localcluster.Process
	switch kind {
	case FaultActiveSCKill, FaultActiveSCPause:
		hit = []*localcluster.Process{n.c.scs[active]}
	case FaultNATSNodeKill:
		other := (active + 1 + n.rng.IntN(len(n.c.scs)-1)) % len(n.c.scs)
		hit = []*localcluster.Process{n.c.scs[other]}
	case FaultControlPlaneOutage:
		hit = n.c.scs
	}
	f.At = time.Now()
	for _, p := range hit {
		if kind == FaultActiveSCKill || kind == FaultNATSNodeKill {
			err = p.Kill(undo)
		} else {
			err = p.Pause()
		}
		if err != nil {
			return err
		}
	}
	down := 2*hb + time.Duration(n.rng.Int64N(int64(2*hb)))
	if kind == FaultActiveSCKill || kind == FaultActiveSCPause {
		// Measure the takeover while the old active SC is down: until
		// the lease names another SC, which says when it took it (the
		// harness may see it later: its own connection may have been to
		// the stopped node, and the lease cannot be read while the
		// bucket has no stream leader).
		var since time.Time
		err := testkit.Poll(undo, 30*time.Second, func() error {
			now, at, err := n.c.activeSCSince(undo)
			if err != nil || now < 0 || now == active {
				return fmt.Errorf("no new active SC yet (%d, %v)", now, err)
			}
			since = at
			return nil
		})
		if err != nil {
			n.log.Warn("nemesis: no SC took over", "fault", kind, "err", err)
		} else {
			f.SCFailover = time.Since(f.At)
			if since.After(f.At) {
				f.SCFailover, f.SCFailoverSeen = since.Sub(f.At), time.Since(f.At)
			}
		}
		down = max(down, time.Since(f.At)+hb)
	}
	n.record(f, "scs", len(hit), "down", down, "sc_failover", f.SCFailover, "sc_failover_seen", f.SCFailoverSeen)
	sleep(undo, max(0, down-time.Since(f.At)))
	for _, p := range hit {
		if p.Running() {
			if err := p.Resume(); err != nil {
				return err
			}
		} else if err := p.Start(); err != nil {
			return err
		}
	}
	// The control plane answers again, with an active SC and every NATS
	// node's copy of the metadata current, before the next fault (or the
	// end): one machine lost at a time, as the cluster is built for.
	return testkit.Poll(undo, 60*time.Second, func() error {
		if i, err := n.c.activeSC(undo); err != nil || i < 0 {
			return fmt.Errorf("no active SC (%v)", err)
		}
		if err := n.c.metadataReplicasCurrent(undo); err != nil {
			return err
		}
		_, err := n.c.partitions(undo)
		return err
	})
}

func (n *nemesis) record(f Fault, args ...any) {
	n.mu.Lock()
	n.faults = append(n.faults, f)
	n.mu.Unlock()
	n.log.Info("nemesis: "+string(f.Kind), append([]any{"spu", f.SPU, "led", f.Led}, args...)...)
}

// history returns the faults injected so far.
func (n *nemesis) history() []Fault {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.faults)
}
