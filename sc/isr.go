package sc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go/jetstream"
)

// handleISR stores a partition leader's new in-sync replica set with CAS
// on topic.<name> and pushes the updated replica spec to the partition's
// SPUs. Only the current leader at the current epoch may change it; the
// ISR must be a subset of the replicas that includes the leader.
func (s *Server) handleISR(_ context.Context, subject string, req bus.ISRUpdate) (bus.ISRUpdateResponse, error) {
	var resp bus.ISRUpdateResponse
	if err := s.checkSender(subject, req.ID); err != nil {
		return resp, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for attempt := 0; ; attempt++ {
		s.st.mu.Lock()
		t, ok := s.st.topics[req.Topic]
		var rec topicRecord
		var rev uint64
		if ok {
			rec, rev = cloneTopic(t.rec), t.rev
		}
		s.st.mu.Unlock()
		if !ok {
			return resp, topicNotFound(req.Topic)
		}
		n := int(req.Partition)
		if n < 0 || n >= len(rec.Partitions) {
			return resp, bus.ErrTopicNotFound.Withf("topic %q has no partition %d", req.Topic, n)
		}
		p := &rec.Partitions[n]
		switch {
		case req.LeaderEpoch != p.LeaderEpoch:
			return resp, bus.ErrStaleEpoch.Withf("ISR update for %s at epoch %d, current epoch is %d", partitionName(req.Topic, n), req.LeaderEpoch, p.LeaderEpoch)
		case req.ID != p.Leader:
			return resp, bus.ErrNotLeader.Withf("SPU %d is not the leader of %s (SPU %d is)", req.ID, partitionName(req.Topic, n), p.Leader)
		case !slices.Contains(req.ISR, p.Leader):
			return resp, bus.ErrBadRequest.Withf("ISR %v of %s lacks its leader %d", req.ISR, partitionName(req.Topic, n), p.Leader)
		}
		for _, r := range req.ISR {
			if !slices.Contains(p.Replicas, r) {
				return resp, bus.ErrBadRequest.Withf("ISR member %d of %s is not a replica (replicas %v)", r, partitionName(req.Topic, n), p.Replicas)
			}
		}
		isr := slices.Clone(req.ISR)
		slices.Sort(isr)
		isr = slices.Compact(isr)
		if slices.Equal(isr, sortedCopy(p.ISR)) {
			return resp, nil
		}
		p.ISR = isr
		ctx, cancel := s.storeCtx()
		newRev, err := s.kvUpdate(ctx, topicKey(req.Topic), rec, rev)
		cancel()
		if isConflict(err) && attempt < 3 {
			_, _, _ = s.syncTopic(req.Topic)
			continue
		}
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return resp, topicNotFound(req.Topic)
		}
		if err != nil {
			return resp, storeError("update ISR", err)
		}
		s.st.mu.Lock()
		if cur, ok := s.st.topics[req.Topic]; ok {
			cur.rec, cur.rev = rec, newRev
			now := time.Now()
			spec := replicaSpec(&rec, n)
			for _, id := range p.Replicas {
				if e := s.st.spus[id]; e != nil {
					s.publish(bus.SubjectSPUReplicas(id), s.st.changeSet(e, now, []bus.ReplicaSpec{spec}, nil))
				}
			}
		}
		s.st.mu.Unlock()
		s.log.Info("ISR changed", "partition", partitionName(req.Topic, n), "isr", fmt.Sprint(isr), "leader", p.Leader)
		return resp, nil
	}
}

func cloneTopic(t topicRecord) topicRecord {
	c := t
	c.Partitions = make([]partitionRecord, len(t.Partitions))
	for i, p := range t.Partitions {
		c.Partitions[i] = partitionRecord{Replicas: slices.Clone(p.Replicas), Leader: p.Leader,
			LeaderEpoch: p.LeaderEpoch, ISR: slices.Clone(p.ISR)}
	}
	return c
}

func sortedCopy(ids []bus.SPUID) []bus.SPUID {
	c := slices.Clone(ids)
	slices.Sort(c)
	return c
}
