package chaos

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/fluvio-go/fluvio"
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
	n.newTopic = w.newTopic
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
	acks, unknown, stats, topics := w.history()
	// The new topics' partitions, before the SPUs stop (the SC answers
	// from their reports).
	type extra struct {
		topic string
		id    int32
		p     fluvio.PartitionInfo
	}
	var extras []extra
	for _, t := range topics {
		tps, err := c.client.Partitions(ctx, t.Name)
		if err != nil || len(tps) != 1 {
			return Result{}, fmt.Errorf("chaos: partition list of %s: %d partitions, %w", t.Name, len(tps), err)
		}
		extras = append(extras, extra{t.Name, t.ID, tps[0]})
	}
	prog.setPhase("reading every replica back")
	if err := c.stopSPUs(ctx); err != nil {
		return Result{}, err
	}
	var logs []PartitionLogs
	read := func(topic string, id int32, p fluvio.PartitionInfo) {
		pl := PartitionLogs{Partition: id, Leader: p.Leader, ISR: slices.Clone(p.ISR), HW: p.HighWatermark}
		for _, spu := range p.Replicas {
			recs, err := readReplica(replicaDir(c.dirs[spu], topic, p.Partition))
			pl.Replicas = append(pl.Replicas, ReplicaLog{SPU: spu, Records: recs, Err: err})
		}
		logs = append(logs, pl)
	}
	for _, p := range ps {
		read(topicName, p.Partition, p)
	}
	for _, e := range extras {
		read(e.topic, e.id, e.p)
	}
	h := History{Acks: acks, Unknown: unknown, Faults: n.history(), Elections: epoch1 - epoch0, Producers: stats}
	res := Check(h, logs)
	res.Seed, res.Duration, res.Negative, res.NegativeResend = cfg.Seed, cfg.Duration, cfg.Negative, cfg.NegativeResend
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
