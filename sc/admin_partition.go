package sc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/sc/placement"
)

// handleTopicAddPartition adds partitions to a topic ('fluvio topic
// add-partition'): placed like a new topic's (the topic's replication
// factor and rack rule, least-loaded SPUs first), stored with CAS on the
// topic's key, then pushed to their SPUs as a change set; leader = first
// replica, ISR = all replicas, epoch 0, as at create. Producers pick them
// up at their next metadata refresh. With req.WaitMs it answers once the
// new partitions can take a produce or the wait is over, as topic create
// does (waitProvisioned).
func (s *Server) handleTopicAddPartition(_ context.Context, _ string, req bus.TopicAddPartitionRequest) (bus.TopicAddPartitionResponse, error) {
	if req.WaitMs < 0 {
		return bus.TopicAddPartitionResponse{Name: req.Name}, bus.ErrInvalidConfig.With(fmt.Sprintf("waitMs %d may not be negative", req.WaitMs), "")
	}
	// The wait counts from the request's arrival, as topic create's.
	deadline := time.Now().Add(time.Duration(min(req.WaitMs, bus.MaxTopicWaitMs)) * time.Millisecond)
	resp, from, err := s.addPartitions(req)
	if err != nil || req.WaitMs == 0 {
		return resp, err
	}
	if _, err := s.waitProvisioned(req.Name, from, time.Until(deadline)); err != nil {
		return resp, err
	}
	s.st.mu.Lock()
	if t, ok := s.st.topics[req.Name]; ok {
		resp.Pending = s.st.pendingReason(t, from)
	}
	s.st.mu.Unlock()
	resp.Waited = true
	return resp, nil
}

// addPartitions places and stores the new partitions and pushes them to
// their SPUs; from is the first new partition's number.
func (s *Server) addPartitions(req bus.TopicAddPartitionRequest) (resp bus.TopicAddPartitionResponse, from int, err error) {
	resp = bus.TopicAddPartitionResponse{Name: req.Name}
	if err := validateName("topic", req.Name); err != nil {
		return resp, 0, err
	}
	if req.Count < 1 {
		return resp, 0, bus.ErrInvalidConfig.With(fmt.Sprintf("partition count %d: add at least 1", req.Count), "pass -c N with N >= 1")
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cur, _, err := s.syncTopic(req.Name)
	if err != nil {
		return resp, 0, storeError("add partitions", err)
	}
	if cur == nil {
		return resp, 0, topicNotFound(req.Name)
	}
	if cur.rec.Spec.System {
		return resp, 0, systemTopicRefused(req.Name, "given partitions")
	}
	have := len(cur.rec.Partitions)
	if total := have + int(req.Count); total > MaxPartitions {
		return resp, 0, bus.ErrInvalidConfig.With(fmt.Sprintf("topic %q has %d partitions: %d more would make %d, over the limit of %d",
			req.Name, have, req.Count, total, MaxPartitions), "")
	}
	s.st.mu.Lock()
	spus := make([]placement.SPU, 0, len(s.st.spus))
	for _, id := range s.st.sortedSPUs() {
		e := s.st.spus[id]
		spus = append(spus, placement.SPU{ID: id, Rack: e.rec.Spec.RackName(), Online: e.online})
	}
	load := s.st.load()
	s.st.mu.Unlock()
	spec := cur.rec.Spec
	assign, err := placement.Assign(spus, load, int(req.Count), int(spec.ReplicationFactor), spec.IgnoreRackAssignment)
	if errors.Is(err, placement.ErrNotEnoughSPUs) {
		return resp, 0, bus.ErrNotEnoughSPUs.With(fmt.Sprintf("replication factor %d needs %d SPUs, but %d registered",
			spec.ReplicationFactor, spec.ReplicationFactor, len(spus)), "")
	}
	if err != nil {
		return resp, 0, bus.ErrInternal.With("replica placement: "+err.Error(), "")
	}
	rec := cur.rec
	rec.Partitions = slices.Clone(rec.Partitions)
	for _, replicas := range assign {
		rec.Partitions = append(rec.Partitions, partitionRecord{Replicas: replicas, Leader: replicas[0], ISR: slices.Clone(replicas)})
		resp.Partitions = append(resp.Partitions, bus.NewPartition{Partition: int32(len(rec.Partitions) - 1), Replicas: slices.Clone(replicas)})
	}
	rec.Spec.Partitions = int32(len(rec.Partitions))
	ctx, cancel := s.storeCtx()
	defer cancel()
	rev, err := s.kvUpdate(ctx, topicKey(req.Name), rec, cur.rev)
	if isConflict(err) {
		_, _, _ = s.syncTopic(req.Name)
		return resp, 0, bus.ErrStore.With(fmt.Sprintf("topic %q changed while adding partitions", req.Name), "run the command again")
	}
	if err != nil {
		return resp, 0, storeError("add partitions", err)
	}
	s.st.mu.Lock()
	s.st.topics[req.Name] = &topicEntry{rec: rec, rev: rev}
	s.pushPartitions(&rec, have) // only the new ones: the SPUs keep the others as they are
	s.st.mu.Unlock()
	s.log.Info("partitions added", "topic", req.Name, "from", have, "to", len(rec.Partitions))
	return resp, have, nil
}

// pushPartitions sends each SPU holding a replica of partitions from..end
// of t a change set adding them. Caller holds st.mu.
func (s *Server) pushPartitions(t *topicRecord, from int) {
	adds := map[bus.SPUID][]bus.ReplicaSpec{}
	for n := from; n < len(t.Partitions); n++ {
		for _, id := range t.Partitions[n].Replicas {
			adds[id] = append(adds[id], replicaSpec(t, n))
		}
	}
	now := time.Now()
	for id, add := range adds {
		e := s.st.spus[id]
		if e == nil {
			continue
		}
		s.publish(bus.SubjectSPUReplicas(id), s.st.changeSet(e, now, add, nil))
	}
}
