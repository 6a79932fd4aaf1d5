package sc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go"
)

// spuRepairTimeout bounds one repair request to an SPU: a dry run reads
// the damaged log once (seconds per GiB).
const spuRepairTimeout = 2 * time.Minute

// handlePartitionRepair is 'fluvio partition repair': the operator's way
// out for a partition none of whose replicas can give back what the
// damage took. Nothing is ever cut silently:
//
//   - no replica reported corrupt: nothing to do;
//   - a healthy leader: the corrupt replicas repair themselves from it (out
//     of the ISR, cut at the damage, the rest fetched), nothing dropped;
//   - a replica's SPU offline: refused (its log may hold what the others
//     lost; start it);
//   - otherwise every corrupt replica's SPU says what its cut would drop
//     (a dry run on its own subject) and the replica that keeps the most
//     is chosen (a healthy replica outside the ISR is a candidate too, at
//     its log end, with nothing to cut). Without TruncateAtCorruption the
//     answer is that plan. With it, the chosen SPU cuts its log (the cut
//     bytes kept in .broken) and serves again, and the SC makes it the
//     leader at a new epoch with ISR = [it]; the other corrupt replicas,
//     now followers outside the ISR, repair from it by themselves.
func (s *Server) handlePartitionRepair(ctx context.Context, _ string, req bus.PartitionRepairRequest) (bus.PartitionRepairResponse, error) {
	resp := bus.PartitionRepairResponse{Topic: req.Topic, Partition: req.Partition, Leader: -1,
		Corrupt: []bus.SPUID{}, Replicas: []bus.ReplicaRepair{}}
	if err := validateName("topic", req.Topic); err != nil {
		return resp, err
	}
	name := partitionName(req.Topic, int(req.Partition))
	pid := bus.PartitionID{Topic: req.Topic, Partition: req.Partition}
	s.st.mu.Lock()
	t := s.st.topics[req.Topic]
	if t == nil {
		s.st.mu.Unlock()
		return resp, topicNotFound(req.Topic)
	}
	if req.Partition < 0 || int(req.Partition) >= len(t.rec.Partitions) {
		n := len(t.rec.Partitions)
		s.st.mu.Unlock()
		return resp, bus.ErrBadRequest.With(fmt.Sprintf("topic %q has no partition %d: its partitions are 0 to %d", req.Topic, req.Partition, n-1),
			fmt.Sprintf("list them with 'fluvio partition list --topic %s'", req.Topic))
	}
	p := cloneTopic(t.rec).Partitions[req.Partition]
	var corrupt, offline []bus.SPUID
	healthy := map[bus.SPUID]bus.ReplicaStatus{}
	for _, id := range p.Replicas {
		switch {
		case !s.st.online(id):
			offline = append(offline, id)
		case s.st.corrupt(id, pid):
			corrupt = append(corrupt, id)
		default:
			healthy[id] = s.st.spus[id].reports[pid]
		}
	}
	leaderOK := s.st.online(p.Leader) && !s.st.corrupt(p.Leader, pid)
	s.st.mu.Unlock()
	resp.LeaderEpoch = p.LeaderEpoch
	resp.Corrupt = append(resp.Corrupt, corrupt...)

	switch {
	case len(corrupt) == 0:
		resp.Action, resp.Leader = bus.RepairNothing, p.Leader
		resp.Message = fmt.Sprintf("no replica of %s is reported corrupt: nothing to repair", name)
		return resp, nil
	case leaderOK:
		resp.Action, resp.Leader = bus.RepairFromLeader, p.Leader
		resp.Message = fmt.Sprintf("the corrupt replica on SPU %s repairs itself from the leader, SPU %d: it leaves the ISR, cuts its log at the damage and fetches the rest; no record is dropped (watch 'fluvio partition list')",
			joinIDs(corrupt), p.Leader)
		return resp, nil
	case slices.ContainsFunc(p.ISR, func(id bus.SPUID) bool { _, ok := healthy[id]; return ok }):
		i := slices.IndexFunc(p.ISR, func(id bus.SPUID) bool { _, ok := healthy[id]; return ok })
		resp.Action, resp.Leader = bus.RepairFromLeader, p.ISR[i]
		resp.Message = fmt.Sprintf("SPU %d, healthy and in the ISR, is elected leader; the corrupt replica on SPU %s then repairs itself from it; no record is dropped (watch 'fluvio partition list')",
			p.ISR[i], joinIDs(corrupt))
		s.kickElection()
		return resp, nil
	case len(offline) > 0:
		return resp, bus.ErrNotRepairable.With(
			fmt.Sprintf("%s: SPU %s, which holds a replica, is offline; its log may hold the records the corrupt replica on SPU %s lost", name, joinIDs(offline), joinIDs(corrupt)),
			fmt.Sprintf("start SPU %s: the corrupt replica then repairs from it without dropping records ('fluvio cluster status' shows the SPUs)", joinIDs(offline)))
	}

	// Every online replica is corrupt, or healthy but outside the ISR:
	// ask each corrupt one what its cut drops.
	var cands []bus.ReplicaRepair
	for _, id := range corrupt {
		r, err := s.askRepair(ctx, id, pid, true)
		if err != nil {
			return resp, err
		}
		cands = append(cands, r.Repair)
	}
	for _, id := range slices.Sorted(maps.Keys(healthy)) {
		st := healthy[id]
		if st.Error != "" || st.LEO < 0 {
			return resp, bus.ErrNotRepairable.With(fmt.Sprintf("%s: the replica on SPU %d has not reported a usable log (%s)", name, id, orNone(st.Error)),
				"run the command again in a few seconds; 'fluvio cluster check' shows the replica's state")
		}
		cands = append(cands, bus.ReplicaRepair{SPU: id, EndOffset: st.LEO, OldEndOffset: st.LEO})
	}
	best := 0
	for i, c := range cands[1:] {
		b := cands[best]
		if c.EndOffset > b.EndOffset || c.EndOffset == b.EndOffset && c.File == "" && b.File != "" {
			best = i + 1
		}
	}
	cands[0], cands[best] = cands[best], cands[0]
	resp.Replicas = cands
	resp.Leader = cands[0].SPU
	s.summarize(&resp)
	if !req.TruncateAtCorruption {
		resp.Action = bus.RepairDryRun
		resp.Message = "dry run, nothing changed: " + s.plan(name, &resp, true)
		return resp, nil
	}
	if cands[0].File != "" {
		r, err := s.askRepair(ctx, cands[0].SPU, pid, false)
		if err != nil {
			return resp, err
		}
		resp.Replicas[0] = r.Repair
		s.summarize(&resp)
		s.st.mu.Lock()
		if e := s.st.spus[cands[0].SPU]; e != nil {
			// The SPU said so: no longer corrupt (its next heartbeat agrees).
			st := e.reports[pid]
			st.Corrupt, st.Error = "", ""
			e.reports[pid] = st
		}
		s.st.mu.Unlock()
	}
	epoch, err := s.leadAfterRepair(req.Topic, int(req.Partition), p.Replicas, resp.Leader)
	if err != nil {
		return resp, err
	}
	resp.LeaderEpoch = epoch
	resp.Action = bus.RepairTruncated
	resp.Message = s.plan(name, &resp, false)
	s.log.Warn("partition repaired by the operator", "partition", name, "leader", resp.Leader, "epoch", epoch,
		"end_offset", resp.EndOffset, "dropped_records", resp.DroppedRecords, "replicas", fmt.Sprintf("%+v", resp.Replicas))
	return resp, nil
}

// summarize sets the partition-level end and dropped count from the
// candidates (the leader's first).
func (s *Server) summarize(resp *bus.PartitionRepairResponse) {
	resp.EndOffset = resp.Replicas[0].EndOffset
	top := resp.EndOffset
	for _, c := range resp.Replicas {
		top = max(top, c.OldEndOffset, c.EndOffset)
	}
	resp.DroppedRecords = top - resp.EndOffset
}

// plan says in one sentence what the repair did or (dry) would do.
func (s *Server) plan(name string, resp *bus.PartitionRepairResponse, dry bool) string {
	cut, drop, lead, follow := "cut", "dropping", "leads", "follow"
	if dry {
		cut, drop, lead, follow = "would cut", "which drops", "would lead", "would follow"
	}
	l := resp.Replicas[0]
	var what string
	switch {
	case l.File == "":
		what = fmt.Sprintf("%s: nothing to cut on SPU %d (not corrupt, its log ends at offset %d)", name, l.SPU, l.EndOffset)
	case l.DroppedRecords == 0:
		what = fmt.Sprintf("%s: %s the log of SPU %d at offset %d (%s at position %d: %s), %s no record and %d bytes (kept in %s)",
			name, cut, l.SPU, l.EndOffset, l.File, l.Position, l.Reason, drop, l.DroppedBytes, l.BrokenCopy)
	default:
		what = fmt.Sprintf("%s: %s the log of SPU %d at offset %d (%s at position %d: %s), %s %d records (offsets %d to %d) and %d bytes (kept in %s)",
			name, cut, l.SPU, l.EndOffset, l.File, l.Position, l.Reason, drop, l.DroppedRecords, l.EndOffset, l.OldEndOffset-1, l.DroppedBytes, l.BrokenCopy)
	}
	what += fmt.Sprintf("; SPU %d %s at a new epoch", l.SPU, lead)
	if len(resp.Replicas) > 1 {
		var others []bus.SPUID
		for _, c := range resp.Replicas[1:] {
			others = append(others, c.SPU)
		}
		what += fmt.Sprintf(" and SPU %s %s it (cutting their own damage and fetching from it)", joinIDs(others), follow)
	}
	if resp.DroppedRecords != l.DroppedRecords {
		what += fmt.Sprintf("; the partition ends at offset %d, %d records below the furthest any replica reached", resp.EndOffset, resp.DroppedRecords)
	}
	return what
}

// askRepair sends SPU id a repair request for pid (dryRun: only say what
// the cut drops) on its own subject.
func (s *Server) askRepair(ctx context.Context, id bus.SPUID, pid bus.PartitionID, dryRun bool) (bus.ReplicaRepairResponse, error) {
	rctx, cancel := context.WithTimeout(ctx, spuRepairTimeout)
	defer cancel()
	r, err := bus.Request[bus.ReplicaRepairResponse](rctx, s.nc, bus.SubjectSPURepair(id),
		bus.ReplicaRepairRequest{SPU: id, Topic: pid.Topic, Partition: pid.Partition, DryRun: dryRun})
	if err == nil {
		r.Repair.SPU = id
		return r, nil
	}
	if be, ok := errors.AsType[*bus.Error](err); ok && be.Code != bus.CodeUnavailable && be.Code != bus.CodeTimeout {
		return r, be // the SPU's own answer (not corrupt, stopping, ...)
	}
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, bus.ErrUnavailable) {
		return r, bus.ErrNotRepairable.With(fmt.Sprintf("SPU %d does not answer repair requests (%v)", id, err),
			"is it running a version with 'partition repair'? upgrade it, or restart it and try again")
	}
	return r, bus.ErrNotRepairable.With(fmt.Sprintf("SPU %d did not answer the repair request: %v", id, err),
		"check its spu-server log, then run the command again")
}

// leadAfterRepair makes leader the leader of partition n of topic at a
// new epoch with ISR = [leader], stores it (CAS, retried on a concurrent
// change) and tells the replicas. replicas is what the repair saw: a
// partition whose replicas changed meanwhile is not touched.
func (s *Server) leadAfterRepair(topic string, n int, replicas []bus.SPUID, leader bus.SPUID) (int32, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for range 3 {
		cur, _, err := s.syncTopic(topic)
		if err != nil {
			return 0, storeError("repair", err)
		}
		if cur == nil || n >= len(cur.rec.Partitions) || !slices.Equal(cur.rec.Partitions[n].Replicas, replicas) {
			return 0, bus.ErrNotRepairable.With(fmt.Sprintf("%s changed while it was repaired (deleted or reassigned)", partitionName(topic, n)),
				"see 'fluvio partition list', then run the command again")
		}
		rec := cloneTopic(cur.rec)
		np := &rec.Partitions[n]
		np.Leader, np.ISR = leader, []bus.SPUID{leader}
		np.LeaderEpoch++
		ctx, cancel := s.storeCtx()
		rev, err := s.kvUpdate(ctx, topicKey(topic), rec, cur.rev)
		cancel()
		if isConflict(err) {
			continue
		}
		if err != nil {
			return 0, storeError("repair", err)
		}
		now := time.Now()
		s.st.mu.Lock()
		s.st.topics[topic] = &topicEntry{rec: rec, rev: rev}
		spec := replicaSpec(&rec, n)
		for _, id := range np.Replicas {
			if e := s.st.spus[id]; e != nil {
				s.publish(bus.SubjectSPUReplicas(id), s.st.changeSet(e, now, []bus.ReplicaSpec{spec}, nil))
			}
		}
		s.st.mu.Unlock()
		s.log.Info("leader set by a repair", "partition", partitionName(topic, n), "leader", leader, "epoch", np.LeaderEpoch)
		return np.LeaderEpoch, nil
	}
	return 0, bus.ErrStore.With(fmt.Sprintf("%s kept changing while it was repaired", partitionName(topic, n)), "run the command again")
}

func orNone(s string) string {
	if s == "" {
		return "no report yet"
	}
	return s
}
