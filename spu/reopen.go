package spu

import (
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/spu/replica"
)

// reopenEvery is how often a failed replica's log is opened again.
const reopenEvery = time.Second

// reopenFailed re-opens, from disk, every replica whose log failed a
// write or an fsync (a full disk, an I/O error): the failed log refuses
// writes for good (fsyncgate), so the replica gets a new one, recovered
// from what is on disk, and its last assignment again. While the disk
// still fails, opening or the next write fails again and the next pass
// retries: once the disk has room, writes are accepted again within
// about a second, without an SPU restart.
//
// A follower keeps only what was fsynced (its leader sends the rest
// again), and so does a leader without followers. A leader with
// followers keeps what the recovery scan finds valid: they may have
// fetched records it wrote but could not fsync, and cutting them would
// make the logs diverge at the same epoch; those records were never
// acknowledged, and damage in them is caught by the CRC on read.
func (d *dataPlane) reopenFailed() {
	now := time.Now()
	for _, pt := range d.snapshot() {
		cause := pt.r.Failed()
		if cause == nil {
			continue
		}
		d.mu.RLock()
		assigned, last := pt.spec.Topic != "", pt.reopenAt
		d.mu.RUnlock()
		if !assigned || now.Sub(last) < reopenEvery {
			continue
		}
		d.reopen(pt, cause, now)
	}
}

func (d *dataPlane) reopen(pt *partition, cause error, now time.Time) {
	d.applyMu.Lock()
	defer d.applyMu.Unlock()
	d.mu.RLock()
	cur, ok := d.replicas[pt.id]
	closed := d.closed
	spec := pt.spec
	d.mu.RUnlock()
	if !ok || cur != pt || closed {
		return // removed or replaced meanwhile
	}
	durable := int64(-1)
	if spec.Leader != d.self || len(spec.Replicas) == 1 {
		durable = pt.r.Log().DurableOffset()
	}
	fresh, err := d.openReplica(spec, durable, false, true)
	if err != nil {
		d.mu.Lock()
		pt.reopenAt = now
		d.mu.Unlock()
		d.log.Warn("storage failure: re-opening the replica's log failed; retrying", "topic", pt.id.Topic,
			"partition", pt.id.Partition, "err", err, "cause", cause.Error())
		return
	}
	d.fetchers.Remove(pt.id.Topic, pt.id.Partition)
	_ = pt.r.Close()
	np := &partition{id: pt.id, r: fresh, spec: spec, reopenAt: now}
	d.mu.Lock()
	d.replicas[pt.id] = np
	d.mu.Unlock()
	d.log.Info("replica re-opened after a storage failure", "topic", pt.id.Topic, "partition", pt.id.Partition,
		"leo", fresh.Log().EndOffset(), "cause", cause.Error())
	d.assign(np, spec, true)
}

// assign gives the replica its role under spec and starts or stops its
// fetcher; refollow restarts the fetcher even within a term.
func (d *dataPlane) assign(pt *partition, spec bus.ReplicaSpec, refollow bool) error {
	follow, err := pt.r.Become(replica.Assignment{Leader: spec.Leader, Epoch: spec.LeaderEpoch,
		Replicas: spec.Replicas, ISR: spec.ISR, MinISR: minISR(spec.Config)})
	if err != nil {
		return err
	}
	if spec.Leader == d.self {
		d.fetchers.Remove(spec.Topic, spec.Partition)
		return nil
	}
	d.mu.RLock()
	leaderAddr := d.peers[spec.Leader]
	d.mu.RUnlock()
	// Follow again on a new term, or when the leader's address arrived or
	// changed since (a full resync carries the peers again).
	l, a, ok := d.fetchers.Following(spec.Topic, spec.Partition)
	if refollow || follow || !ok || l != spec.Leader || a != leaderAddr {
		if leaderAddr == "" {
			d.log.Warn("no private address for the leader; the follower waits for one", "topic", spec.Topic,
				"partition", spec.Partition, "leader", spec.Leader)
		}
		d.fetchers.Follow(d.ctx, spec.PartitionID.Topic, spec.Partition, pt.r, spec.Leader, leaderAddr)
	}
	return nil
}
