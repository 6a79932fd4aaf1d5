package spu

import (
	"context"
	"fmt"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/wal"
)

// Repair is an operator's repair of a corrupt replica, asked by the SC
// ('fluvio partition repair --truncate-at-corruption', on the SPU's
// repair subject) when no healthy replica can give back what the damage
// took. It cuts the log at the last valid batch before the damage (the
// cut bytes kept in <segment>.log.broken, the later segments removed),
// opens the replica with its last assignment so it serves again, and
// says what was dropped. With dryRun it changes nothing and says what the
// cut would drop. A replica that is not corrupt is refused
// (ErrNotRepairable): nothing is ever cut that opened cleanly.
func (d *dataPlane) Repair(id bus.PartitionID, dryRun bool) (bus.ReplicaRepairResponse, error) {
	resp := bus.ReplicaRepairResponse{}
	d.applyMu.Lock()
	defer d.applyMu.Unlock()
	d.mu.RLock()
	b, broken := d.broken[id]
	_, open := d.replicas[id]
	closed := d.closed
	d.mu.RUnlock()
	name := fmt.Sprintf("%s-%d", id.Topic, id.Partition)
	switch {
	case closed:
		return resp, bus.ErrNotRepairable.With(fmt.Sprintf("SPU %d is stopping", d.self), "run the command again once it is back")
	case open:
		return resp, bus.ErrNotRepairable.With(fmt.Sprintf("the replica of %s on SPU %d is not corrupt: its log opened and it serves", name, d.self),
			"nothing to repair; see 'fluvio partition list'")
	case !broken:
		return resp, bus.ErrNotRepairable.With(fmt.Sprintf("SPU %d holds no corrupt replica of %s", d.self, name),
			"see 'fluvio partition list' for where the partition's replicas are")
	}
	if dryRun {
		opts, _, err := walOptions(b.spec.Config)
		if err != nil {
			return resp, bus.ErrInternal.With(fmt.Sprintf("replica %s: %v", name, err), "")
		}
		opts.FS = d.cfg.FS
		opts.Logger = d.log.With("topic", id.Topic, "partition", id.Partition)
		plan, err := wal.PlanRepair(d.replicaDir(id), opts)
		if err != nil {
			return resp, bus.ErrInternal.With(fmt.Sprintf("examine the log of %s on SPU %d: %v", name, d.self, err), "check the spu-server log")
		}
		if plan == nil {
			return resp, bus.ErrNotRepairable.With(fmt.Sprintf("the log of %s on SPU %d opens without corruption now", name, d.self),
				"nothing to cut: it is opened at the SC's next replica set (within 30 s)")
		}
		resp.Repair = d.replicaRepair(plan)
		return resp, nil
	}
	r, err := d.openReplica(b.spec, -1, true, false)
	if err != nil {
		return resp, bus.ErrInternal.With(fmt.Sprintf("repair %s on SPU %d: %v", name, d.self, err), "check the spu-server log")
	}
	pt := &partition{id: id, r: r, spec: b.spec}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		_ = r.Close()
		return resp, bus.ErrNotRepairable.With(fmt.Sprintf("SPU %d is stopping", d.self), "run the command again once it is back")
	}
	delete(d.broken, id)
	d.replicas[id] = pt
	d.mu.Unlock()
	if rep := r.Log().Repaired(); rep != nil {
		resp.Repair = d.replicaRepair(rep)
		d.log.Warn("corrupt replica repaired by the operator: log cut at the last valid batch before the damage",
			"topic", id.Topic, "partition", id.Partition, "file", rep.File, "position", rep.Pos,
			"end_offset", rep.End, "dropped_records", rep.DroppedRecords, "dropped_bytes", rep.DroppedBytes,
			"later_segments_removed", rep.DroppedSegments, "broken_copy", rep.File+".broken")
	} else {
		resp.Repair = bus.ReplicaRepair{SPU: d.self, EndOffset: r.Log().EndOffset(), OldEndOffset: r.Log().EndOffset()}
	}
	resp.Repaired = true
	// Serve with the last assignment; the SC's next replica set (at a new
	// leader epoch) follows at once.
	if err := d.assign(pt, b.spec, false); err != nil {
		d.log.Warn("repaired replica waits for the SC's next assignment", "topic", id.Topic, "partition", id.Partition, "err", err)
	}
	return resp, nil
}

func (d *dataPlane) replicaRepair(r *wal.Repair) bus.ReplicaRepair {
	return bus.ReplicaRepair{SPU: d.self, File: r.File, Position: r.Pos, Reason: r.Reason,
		EndOffset: r.End, OldEndOffset: r.OldEnd, DroppedRecords: r.DroppedRecords, DroppedBytes: r.DroppedBytes,
		DroppedSegments: r.DroppedSegments, BrokenCopy: r.File + ".broken"}
}

// repairLoop answers the SC's repair requests (bus.SubjectSPURepair) one
// at a time, apart from the control loop so a long cut does not hold up
// replica sets of other partitions. Owned by Server.
func (s *Server) repairLoop() {
	handle := bus.Msg(bus.WithLogger(s.ctx, s.log), func(_ context.Context, _ string, req bus.ReplicaRepairRequest) (bus.ReplicaRepairResponse, error) {
		if req.SPU != s.id {
			return bus.ReplicaRepairResponse{}, bus.ErrSPUIDMismatch.With(fmt.Sprintf("repair request for SPU %d sent to SPU %d", req.SPU, s.id), "")
		}
		if err := checkPartitionID(bus.PartitionID{Topic: req.Topic, Partition: req.Partition}); err != nil {
			return bus.ReplicaRepairResponse{}, bus.ErrBadRequest.With(err.Error(), "")
		}
		s.log.Info("repair requested by the SC", "topic", req.Topic, "partition", req.Partition, "dry_run", req.DryRun)
		return s.dp.Repair(bus.PartitionID{Topic: req.Topic, Partition: req.Partition}, req.DryRun)
	})
	for {
		select {
		case <-s.ctx.Done():
			return
		case m := <-s.repairCh:
			handle(m)
		}
	}
}
