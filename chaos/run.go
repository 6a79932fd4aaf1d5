package chaos

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Run runs the suite: it starts the cluster, produces while the nemesis
// injects faults for cfg.Duration, lets the cluster heal, stops the SPUs,
// reads every replica from disk and checks. The Result is returned with a
// nil error even when it shows violations (see Result.OK); the error is
// for a run that could not be carried out. Every process Run started is
// stopped before it returns.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	cfg = cfg.withDefaults()
	log := cfg.Logger
	log.Info("chaos: starting", "seed", cfg.Seed, "duration", cfg.Duration, "negative", cfg.Negative, "dir", cfg.Dir)
	prog := startProgress(ctx, cfg)
	defer prog.stopProgress()
	c, err := startCluster(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	defer c.close(context.WithoutCancel(ctx))
	epoch0, err := c.epochs(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("chaos: %w", err)
	}

	w := &workload{cfg: cfg, client: c.client}
	n := newNemesis(c, cfg.Seed)
	prog.watch(w, n)
	prog.setPhase("producing under faults")
	wctx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	nctx, stopFaults := context.WithTimeout(ctx, cfg.Duration)
	defer stopFaults()
	var wg sync.WaitGroup
	var workErr, faultErr error
	wg.Go(func() { workErr = w.run(wctx) })
	nemesisDone := make(chan struct{})
	wg.Go(func() {
		defer close(nemesisDone)
		faultErr = n.run(nctx)
	})
	<-nemesisDone
	if faultErr != nil {
		stopWork()
		wg.Wait()
		return Result{}, faultErr
	}
	log.Info("chaos: faults stopped; healing")
	prog.setPhase("faults stopped, healing")
	if err := c.ensureRunning(); err != nil {
		log.Warn("chaos: restoring the SPUs", "err", err)
	}
	// Producers keep writing while the cluster heals, so the last fault's
	// failover is measured.
	healErr := c.waitHealthy(ctx, cfg.HealTimeout, false)
	stopWork()
	wg.Wait()
	if workErr != nil {
		return Result{}, workErr
	}
	if healErr == nil {
		healErr = c.waitHealthy(ctx, cfg.HealTimeout, true)
	}
	if healErr != nil {
		log.Warn("chaos: checking an unhealed cluster", "err", healErr)
	}
	// One more heartbeat so the SC holds the final report.
	sleep(ctx, cfg.HeartbeatTimeout/2)
	ps, err := c.partitions(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("chaos: final partition list: %w", err)
	}
	epoch1 := 0
	for _, p := range ps {
		epoch1 += int(p.LeaderEpoch)
	}
	prog.setPhase("reading every replica back")
	if err := c.stopSPUs(ctx); err != nil {
		return Result{}, err
	}
	var logs []PartitionLogs
	for _, p := range ps {
		pl := PartitionLogs{Partition: p.Partition, Leader: p.Leader, ISR: slices.Clone(p.ISR), HW: p.HighWatermark}
		for _, id := range p.Replicas {
			recs, err := readReplica(replicaDir(c.dirs[id], p.Partition))
			pl.Replicas = append(pl.Replicas, ReplicaLog{SPU: id, Records: recs, Err: err})
		}
		logs = append(logs, pl)
	}
	acks, unknown := w.history()
	h := History{Acks: acks, Unknown: unknown, Faults: n.history(), Elections: epoch1 - epoch0}
	res := Check(h, logs)
	res.Seed, res.Duration, res.Negative = cfg.Seed, cfg.Duration, cfg.Negative
	for _, p := range res.Problems {
		log.Warn("chaos: " + p)
	}
	if cfg.Out != nil {
		fmt.Fprintln(cfg.Out, res.Summary())
	}
	return res, nil
}

// Failed says why r fails the suite, or "" when it passes.
func (r *Result) Failed() string {
	if r.OK() {
		return ""
	}
	return fmt.Sprintf("lost=%d moved=%d duplicated=%d out-of-order=%d divergent-replicas=%d; first problems: %v",
		r.Lost, r.Moved, r.Duplicated, r.OutOfOrderTotal(), r.DivergentReplicas, r.Problems[:min(len(r.Problems), 5)])
}
