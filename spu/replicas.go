package spu

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wal"
)

// replicaDir is where a replica's log lives: <LogBaseDir>/<topic>-<partition>.
func (d *dataPlane) replicaDir(id bus.PartitionID) string {
	return filepath.Join(d.cfg.LogBaseDir, fmt.Sprintf("%s-%d", id.Topic, id.Partition))
}

// walOptions maps a topic's config to log options. The "always" policy
// opens the log with SyncNever and lets the Replica fsync before it
// acknowledges (one fsync for many pipelined requests).
func walOptions(c bus.TopicSpec) (wal.Options, bool, error) {
	o := wal.Options{SegmentBytes: c.SegmentBytes}
	switch {
	case c.RetentionMs > 0:
		o.RetentionTime = time.Duration(c.RetentionMs) * time.Millisecond
	default:
		o.RetentionTime = -1 // keep forever
	}
	o.RetentionBytes = c.MaxPartitionBytes
	if c.MaxRecordBytes > 0 {
		o.MaxBatchBytes = int(c.MaxRecordBytes) + batch.HeaderSize
	}
	syncAppends := false
	switch c.Sync {
	case "", "always":
		// Every append is fsynced before its ack: early writeback
		// would only add system calls. A roll fsyncs the segment it
		// seals, so damage in any sealed segment stays corruption.
		o.Sync, syncAppends, o.WritebackBytes, o.SyncAtRoll = wal.SyncNever, true, -1, true
	case "interval":
		o.Sync = wal.SyncInterval
	case "never":
		o.Sync = wal.SyncNever
	default:
		return o, false, fmt.Errorf("unknown sync policy %q: use always, interval or never", c.Sync)
	}
	return o, syncAppends, o.Validate()
}

// compression maps the topic's compression type to the codec the leader
// stores batches with; false ("any", "" or unknown: the SC validates)
// keeps what producers send.
func compression(c bus.TopicSpec) (batch.Codec, bool) {
	if c.CompressionType == "" || strings.EqualFold(c.CompressionType, "any") {
		return batch.None, false
	}
	codec, err := batch.ParseCodec(c.CompressionType)
	if err != nil {
		return batch.None, false
	}
	return codec, true
}

// minISR is the topic's min-insync-replicas with its default.
func minISR(c bus.TopicSpec) int {
	switch {
	case c.MinInSyncReplicas > 0:
		return int(c.MinInSyncReplicas)
	case c.ReplicationFactor >= 3:
		return 2
	}
	return 1
}

// Apply brings the replicas to the SC's desired set (see bus.ReplicaSet):
// it opens a log for each new replica, removes (closes and deletes) the
// replicas no longer wanted, and gives each replica its role; followers
// are handed to the fetchers. Set-level staleness is the caller's check
// (ReplicaSet.Epoch); a replica spec with an older leader epoch than the
// replica's is ignored. Errors of single replicas are joined; the others
// are applied anyway. Safe for concurrent use (calls are serialized).
func (d *dataPlane) Apply(set bus.ReplicaSet) error {
	d.applyMu.Lock()
	defer d.applyMu.Unlock()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return errors.New("spu: data plane closed")
	}
	for _, p := range set.Peers {
		d.peers[p.ID] = p.Private
		d.auth.setKey(p.ID, p.NKey)
	}
	if set.Full {
		d.clients.setKeys(set.Clients)
	}
	var drop []*partition
	if set.Full {
		want := make(map[bus.PartitionID]bool, len(set.Replicas))
		for _, s := range set.Replicas {
			want[s.PartitionID] = true
		}
		for id, pt := range d.replicas {
			if !want[id] {
				drop = append(drop, pt)
				delete(d.replicas, id)
			}
		}
	}
	for _, id := range set.Removed {
		if pt, ok := d.replicas[id]; ok {
			drop = append(drop, pt)
			delete(d.replicas, id)
		}
		delete(d.broken, id)
	}
	if set.Full {
		for id := range d.broken {
			if !slices.ContainsFunc(set.Replicas, func(s bus.ReplicaSpec) bool { return s.PartitionID == id }) {
				delete(d.broken, id)
			}
		}
	}
	d.mu.Unlock()

	var errs []error
	for _, pt := range drop {
		d.fetchers.Remove(pt.id.Topic, pt.id.Partition)
		if err := pt.r.Remove(); err != nil {
			errs = append(errs, fmt.Errorf("remove %s-%d: %w", pt.id.Topic, pt.id.Partition, err))
		} else {
			d.log.Info("replica removed", "topic", pt.id.Topic, "partition", pt.id.Partition)
		}
	}
	errs = append(errs, d.applyParallel(set.Replicas)...)
	return errors.Join(errs...)
}

// applyWorkers bounds the replicas opened at once by one Apply. Opening
// is mostly waiting: for the reads of an existing log's recovery, or the
// filesystem's metadata work of a new one.
const applyWorkers = 16

// applyParallel applies specs (applyOne) on up to applyWorkers
// goroutines, which end before it returns, in two rounds:
//
//  1. each replica not open yet is opened; one whose log existed with
//     records is served at once; a new (or still empty) log is created
//     without waiting for its fsyncs (wal.Options.DeferCreateSync);
//  2. the new logs' creations are made durable (wal.Log.SyncCreate: an
//     fsync of each one's directory and, through baseSync, of
//     LogBaseDir), and only then are they served.
//
// Issued after every new log exists, the fsyncs of round 2 find their
// changes in one or two journal commits of the filesystem instead of one
// commit each (spu/DESIGN.md, "Creating replicas"). A replica is never
// served before its creation is durable, so no record is acknowledged in
// a directory a power loss could take away. The specs of one partition
// are applied in their order by one goroutine: two opens of one log never
// race. It returns the errors in the order of specs.
func (d *dataPlane) applyParallel(specs []bus.ReplicaSpec) []error {
	byID := make(map[bus.PartitionID][]int, len(specs))
	var order []bus.PartitionID
	for i, spec := range specs {
		if _, ok := byID[spec.PartitionID]; !ok {
			order = append(order, spec.PartitionID)
		}
		byID[spec.PartitionID] = append(byID[spec.PartitionID], i)
	}
	errs := make([]error, len(specs))
	apply := func(id bus.PartitionID, idx []int, opened *replica.Replica) {
		for n, i := range idx {
			if n > 0 {
				opened = nil
			}
			if err := d.applyOne(specs[i], opened); err != nil {
				errs[i] = fmt.Errorf("%s-%d: %w", id.Topic, id.Partition, err)
			}
		}
	}
	var mu sync.Mutex
	created := map[bus.PartitionID]*replica.Replica{} // guarded by mu in round 1
	var createdOrder []bus.PartitionID
	parallel(order, func(id bus.PartitionID) {
		idx := byID[id]
		r, err := d.openNew(specs[idx[0]])
		switch {
		case err != nil:
			errs[idx[0]] = fmt.Errorf("%s-%d: %w", id.Topic, id.Partition, err)
			apply(id, idx[1:], nil)
		case r != nil && r.Log().CreatePending():
			mu.Lock()
			created[id] = r
			createdOrder = append(createdOrder, id)
			mu.Unlock()
		default:
			apply(id, idx, r)
		}
	})
	parallel(createdOrder, func(id bus.PartitionID) {
		idx, r := byID[id], created[id]
		if err := r.Log().SyncCreate(); err != nil {
			_ = r.Close()
			errs[idx[0]] = fmt.Errorf("%s-%d: make the new log durable: %w", id.Topic, id.Partition, err)
			apply(id, idx[1:], nil)
			return
		}
		apply(id, idx, r)
	})
	return slices.DeleteFunc(errs, func(err error) bool { return err == nil })
}

// parallel calls fn for each id on up to applyWorkers goroutines and
// returns when every call has.
func parallel(ids []bus.PartitionID, fn func(bus.PartitionID)) {
	next := make(chan bus.PartitionID)
	var wg sync.WaitGroup
	for range min(applyWorkers, len(ids)) {
		wg.Go(func() {
			for id := range next {
				fn(id)
			}
		})
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
}

// openNew opens the log of spec's replica unless the replica is open
// already (nil, nil), deferring the fsyncs of a new log's creation to its
// SyncCreate.
func (d *dataPlane) openNew(spec bus.ReplicaSpec) (*replica.Replica, error) {
	if err := checkPartitionID(spec.PartitionID); err != nil {
		return nil, err
	}
	d.mu.RLock()
	_, ok := d.replicas[spec.PartitionID]
	d.mu.RUnlock()
	if ok {
		return nil, nil
	}
	r, err := d.openLog(spec, -1, false, false, true)
	if wal.IsCorrupt(err) {
		r, err = d.openCorrupt(spec, err)
	}
	return r, err
}

// applyOne opens the replica if needed (unless opened, a replica opened
// for it and not yet served, is given) and gives it its assignment. The
// log is opened (recovered) without holding d.mu, so that produce and
// fetch on other replicas go on meanwhile.
func (d *dataPlane) applyOne(spec bus.ReplicaSpec, opened *replica.Replica) error {
	if err := checkPartitionID(spec.PartitionID); err != nil {
		return err
	}
	d.mu.RLock()
	pt, ok := d.replicas[spec.PartitionID]
	d.mu.RUnlock()
	if ok && opened != nil {
		_ = opened.Close()
	}
	if !ok {
		r, err := opened, error(nil)
		if r == nil {
			r, err = d.openReplica(spec, -1, false, false)
		}
		if wal.IsCorrupt(err) {
			r, err = d.openCorrupt(spec, err)
		}
		if err != nil {
			return err
		}
		l := r.Log()
		fresh := &partition{id: spec.PartitionID, r: r}
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			_ = fresh.r.Close()
			return errors.New("spu: data plane closed")
		}
		if pt, ok = d.replicas[spec.PartitionID]; ok {
			d.mu.Unlock()
			_ = fresh.r.Close()
		} else {
			pt = fresh
			d.replicas[spec.PartitionID] = pt
			d.mu.Unlock()
			d.log.Info("replica opened", "topic", spec.Topic, "partition", spec.Partition, "dir", l.Dir(),
				"leo", l.EndOffset())
		}
	}
	err := d.assign(pt, spec, false)
	if errors.Is(err, replica.ErrStaleEpoch) {
		d.log.Debug("ignoring a stale replica spec", "topic", spec.Topic, "partition", spec.Partition, "err", err)
		return nil
	}
	if err == nil {
		d.mu.Lock()
		pt.spec = spec
		d.mu.Unlock()
	}
	return err
}

// openReplica opens (recovers) the log of spec's replica and returns a
// Replica on it, with no role yet. reopened says this process opened it
// before (after a storage failure). A durable offset >= 0 truncates the
// log there first: a follower re-opened after a storage failure keeps
// only what was fsynced (fsyncgate; its leader sends the rest again).
func (d *dataPlane) openReplica(spec bus.ReplicaSpec, durable int64, repair, reopened bool) (*replica.Replica, error) {
	return d.openLog(spec, durable, repair, reopened, false)
}

// openLog is openReplica; with deferCreate, the fsyncs that make a new
// log's creation durable are left to its Log.SyncCreate (applyParallel).
func (d *dataPlane) openLog(spec bus.ReplicaSpec, durable int64, repair, reopened, deferCreate bool) (*replica.Replica, error) {
	opts, syncAppends, err := walOptions(spec.Config)
	if err != nil {
		return nil, err
	}
	opts.TruncateAtCorruption = repair
	// Re-opened after a storage failure: this process checked every
	// closed segment at the first open and they do not change since; a
	// full read at each retry would stall the loop.
	opts.TrustClosedIndexes = reopened
	opts.Logger = d.log.With("topic", spec.Topic, "partition", spec.Partition)
	opts.FS = d.cfg.metrics.timeSyncs(d.cfg.FS)
	opts.SyncParent = d.baseSync.Sync
	opts.DeferCreateSync = deferCreate
	l, err := wal.Open(d.replicaDir(spec.PartitionID), opts)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	if durable >= 0 && syncAppends && l.EndOffset() > durable {
		if err := l.Truncate(durable); err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("truncate the re-opened log to its durable offset %d: %w", durable, err)
		}
	}
	codec, recompress := compression(spec.Config)
	return replica.New(replica.Config{
		Topic: spec.Topic, Partition: spec.Partition, Self: d.self, Log: l,
		SyncAppends: syncAppends, MinISR: minISR(spec.Config), LagMax: d.lagMax, Logger: d.log,
		Recompress: recompress, Compression: codec, FS: d.cfg.FS,
	}), nil
}

// brokenReplica is a replica whose log holds corruption: reported to the
// SC until it is repaired or removed.
type brokenReplica struct {
	epoch int32
	err   error
	where string          // "FILE at position N"
	spec  bus.ReplicaSpec // the last assignment, for an operator's repair
}

// openCorrupt handles a log that failed to open because of corruption
// (Protocol-Aware Recovery). A follower outside the ISR cuts its log at
// the last valid batch before the damage and fetches the rest from its
// leader (KIP-101 reconciliation then truncates further if needed). A
// replica assigned to lead, or still in the ISR, is not repaired: cut, it
// could be elected with records missing. It reports the corruption
// (status Corrupt), so the SC takes it out of the ISR and elects another
// in-sync replica where it led; the next assignment, as a follower out of
// the ISR, repairs it. With no healthy replica, only an operator's
// explicit repair drops records (Repair, 'fluvio partition repair').
func (d *dataPlane) openCorrupt(spec bus.ReplicaSpec, cause error) (*replica.Replica, error) {
	where := cause.Error()
	if ce, ok := errors.AsType[*wal.CorruptError](cause); ok {
		where = fmt.Sprintf("%s at position %d", ce.File, ce.Pos)
	}
	if spec.Leader == d.self || spec.Leader < 0 || slices.Contains(spec.ISR, d.self) {
		d.mu.Lock()
		d.broken[spec.PartitionID] = brokenReplica{epoch: spec.LeaderEpoch, err: cause, where: where, spec: spec}
		d.mu.Unlock()
		d.log.Error("replica is corrupt: reported to the SC, which elects another in-sync replica; it is repaired from that one once it follows",
			"topic", spec.Topic, "partition", spec.Partition, "corrupt", where, "err", cause)
		return nil, fmt.Errorf("open log: %w", cause)
	}
	r, err := d.openReplica(spec, -1, true, false)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	delete(d.broken, spec.PartitionID)
	d.mu.Unlock()
	rep := r.Log().Repaired()
	d.log.Warn("corrupt replica repaired: log cut at the last valid batch before the damage; the rest is fetched from the leader",
		"topic", spec.Topic, "partition", spec.Partition, "corrupt", where, "end_offset", rep.End,
		"later_segments_removed", rep.DroppedSegments, "leader", spec.Leader, "broken_copy", rep.File+".broken")
	return r, nil
}

// checkPartitionID refuses ids that would put a log outside LogBaseDir or
// cannot be a partition (the SC validates names; this is defence in depth
// against a bad replica set).
func checkPartitionID(id bus.PartitionID) error {
	t := id.Topic
	if t == "" || t == "." || t == ".." || strings.ContainsAny(t, "/\\\x00") || len(t) > 255 {
		return fmt.Errorf("refusing replica of topic %q: not a valid topic name", t)
	}
	if id.Partition < 0 {
		return fmt.Errorf("refusing replica %s-%d: negative partition", t, id.Partition)
	}
	return nil
}
