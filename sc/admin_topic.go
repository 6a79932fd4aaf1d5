package sc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/sc/placement"
	"github.com/nats-io/nats.go/jetstream"
)

// Topic limits.
const (
	MaxPartitions = 10000
	MaxReplicas   = 32
)

// validateSpec fills defaults (1 partition, 1 replica) and checks ranges.
func validateSpec(spec *bus.TopicSpec) *bus.Error {
	if n := len(spec.ReplicaAssignment); n > 0 {
		if spec.Partitions != 0 && int(spec.Partitions) != n {
			return bus.ErrInvalidConfig.With(fmt.Sprintf("the replica assignment has %d partitions, but %d were asked for", n, spec.Partitions), "drop --partitions: the assignment sets them")
		}
		spec.Partitions = int32(n)
		if spec.ReplicationFactor == 0 {
			spec.ReplicationFactor = int32(len(spec.ReplicaAssignment[0]))
		}
	}
	if spec.Partitions == 0 {
		spec.Partitions = 1
	}
	if spec.ReplicationFactor == 0 {
		spec.ReplicationFactor = 1
	}
	switch {
	case spec.Partitions < 1 || spec.Partitions > MaxPartitions:
		return bus.ErrInvalidConfig.With(fmt.Sprintf("partitions must be between 1 and %d, got %d", MaxPartitions, spec.Partitions), "")
	case spec.ReplicationFactor < 1 || spec.ReplicationFactor > MaxReplicas:
		return bus.ErrInvalidConfig.With(fmt.Sprintf("replication factor must be between 1 and %d, got %d", MaxReplicas, spec.ReplicationFactor), "")
	case spec.RetentionMs < 0 || spec.SegmentBytes < 0 || spec.MaxRecordBytes < 0:
		return bus.ErrInvalidConfig.With("retention, segment size and max record size may not be negative", "")
	case spec.MinInSyncReplicas < 0 || spec.MinInSyncReplicas > spec.ReplicationFactor:
		return bus.ErrInvalidConfig.With(fmt.Sprintf("min in-sync replicas %d must be between 1 and the replication factor %d",
			spec.MinInSyncReplicas, spec.ReplicationFactor), "")
	}
	switch spec.Sync {
	case "", "always", "interval", "never":
	default:
		return bus.ErrInvalidConfig.With(fmt.Sprintf("unknown sync policy %q", spec.Sync), "use always, interval or never")
	}
	if spec.SegmentBytes > 0 && spec.SegmentBytes < bus.MinSegmentBytes {
		return bus.ErrInvalidConfig.With(fmt.Sprintf("segment_size %d is less than minimum %d", spec.SegmentBytes, bus.MinSegmentBytes), "")
	}
	if spec.MaxPartitionBytes < 0 {
		return bus.ErrInvalidConfig.With(fmt.Sprintf("max_partition_size %d may not be negative", spec.MaxPartitionBytes), "")
	}
	if spec.MaxPartitionBytes > 0 {
		if spec.MaxPartitionBytes < bus.MinMaxPartitionBytes {
			return bus.ErrInvalidConfig.With(fmt.Sprintf("max_partition_size %d is less than minimum %d", spec.MaxPartitionBytes, bus.MinMaxPartitionBytes), "")
		}
		if spec.SegmentBytes > 0 && spec.MaxPartitionBytes < spec.SegmentBytes {
			return bus.ErrInvalidConfig.With(fmt.Sprintf("max_partition_size %d is less than segment size %d", spec.MaxPartitionBytes, spec.SegmentBytes), "")
		}
	}
	for n, replicas := range spec.ReplicaAssignment {
		if len(replicas) != int(spec.ReplicationFactor) {
			return bus.ErrInvalidConfig.With(fmt.Sprintf("replica assignment: partition %d has %d replicas, partition 0 has %d: give every partition as many", n, len(replicas), spec.ReplicationFactor), "")
		}
		for i, id := range replicas {
			if slices.Contains(replicas[:i], id) {
				return bus.ErrInvalidConfig.With(fmt.Sprintf("replica assignment: partition %d lists SPU %d twice", n, id), "")
			}
		}
	}
	if spec.CompressionType != "" {
		spec.CompressionType = strings.ToLower(spec.CompressionType)
		if !slices.Contains(bus.CompressionTypes, spec.CompressionType) {
			return bus.ErrInvalidConfig.With(fmt.Sprintf("unknown compression type %q", spec.CompressionType), "use any, none, gzip, snappy, lz4 or zstd")
		}
	}
	return nil
}

// handleTopicCreate validates, places the replicas with sc/placement and
// stores topic.<name> (create only: an existing topic is refused), then
// tells each SPU holding a replica; with req.WaitMs it answers once the
// topic is provisioned or the wait is over (waitProvisioned). The
// endpoint runs each request on its own goroutine (spawn), so a waiting
// create holds up no other.
func (s *Server) handleTopicCreate(_ context.Context, _ string, req bus.TopicCreateRequest) (bus.TopicCreateResponse, error) {
	var resp bus.TopicCreateResponse
	if err := validateName("topic", req.Name); err != nil {
		return resp, err
	}
	if err := checkUserTopic(req.Name, req.Spec); err != nil {
		return resp, err
	}
	if req.WaitMs < 0 {
		return resp, bus.ErrInvalidConfig.With(fmt.Sprintf("waitMs %d may not be negative", req.WaitMs), "")
	}
	// The wait counts from the request's arrival: the client expects the
	// answer within WaitMs of sending it, the create included.
	deadline := time.Now().Add(time.Duration(min(req.WaitMs, bus.MaxTopicWaitMs)) * time.Millisecond)
	resp, err := s.createTopic(req)
	if err != nil || req.DryRun || req.WaitMs == 0 {
		return resp, err
	}
	resp.Topic, err = s.waitProvisioned(req.Name, 0, time.Until(deadline))
	resp.Waited = err == nil
	return resp, err
}

// createTopic places and stores a topic (user or system: the callers
// check which names and specs they allow).
func (s *Server) createTopic(req bus.TopicCreateRequest) (bus.TopicCreateResponse, error) {
	var resp bus.TopicCreateResponse
	spec := req.Spec
	if err := validateSpec(&spec); err != nil {
		return resp, err
	}

	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cur, stale, err := s.syncTopic(req.Name)
	if err != nil {
		return resp, storeError("create topic", err)
	}
	if cur != nil {
		return resp, bus.ErrTopicExists
	}
	s.st.mu.Lock()
	if stale != nil {
		s.pushTopicChange(nil, stale)
	}
	spus := make([]placement.SPU, 0, len(s.st.spus))
	for _, id := range s.st.sortedSPUs() {
		e := s.st.spus[id]
		spus = append(spus, placement.SPU{ID: id, Rack: e.rec.Spec.RackName(), Online: e.online})
	}
	load := s.st.load()
	s.st.mu.Unlock()

	var assign [][]int32
	if len(spec.ReplicaAssignment) > 0 {
		for n, replicas := range spec.ReplicaAssignment {
			for _, id := range replicas {
				if !slices.ContainsFunc(spus, func(p placement.SPU) bool { return p.ID == id }) {
					return resp, bus.ErrInvalidConfig.With(fmt.Sprintf("replica assignment: partition %d names SPU %d, which is not registered", n, id),
						"list the SPUs with 'fluvio spu list'")
				}
			}
			assign = append(assign, slices.Clone(replicas))
		}
	} else {
		assign, err = placement.Assign(spus, load, int(spec.Partitions), int(spec.ReplicationFactor), spec.IgnoreRackAssignment)
	}
	if errors.Is(err, placement.ErrNotEnoughSPUs) {
		return resp, bus.ErrNotEnoughSPUs.With(fmt.Sprintf("replication factor %d needs %d SPUs, but %d registered: need %d more SPU(s)",
			spec.ReplicationFactor, spec.ReplicationFactor, len(spus), int(spec.ReplicationFactor)-len(spus)), "")
	}
	if err != nil {
		return resp, bus.ErrInternal.With("replica placement: "+err.Error(), "")
	}
	rec := topicRecord{Name: req.Name, Spec: spec, CreatedMs: time.Now().UnixMilli(), ID: newTopicID()}
	for _, replicas := range assign {
		rec.Partitions = append(rec.Partitions, partitionRecord{
			Replicas: replicas, Leader: replicas[0], ISR: slices.Clone(replicas),
		})
	}
	if req.DryRun {
		s.st.mu.Lock()
		resp.Topic = s.st.topicView(&topicEntry{rec: rec})
		s.st.mu.Unlock()
		return resp, nil
	}

	ctx, cancel := s.storeCtx()
	defer cancel()
	s.dropTopicConsumers(req.Name) // left by a delete that failed half way
	rev, err := s.kvCreate(ctx, topicKey(req.Name), rec)
	if isConflict(err) {
		_, _, _ = s.syncTopic(req.Name)
		return resp, bus.ErrTopicExists
	}
	if err != nil {
		return resp, storeError("create topic", err)
	}
	s.st.mu.Lock()
	t := &topicEntry{rec: rec, rev: rev}
	s.st.topics[req.Name] = t
	s.pushTopicChange(&rec, nil)
	resp.Topic = s.st.topicView(t)
	s.st.mu.Unlock()
	s.log.Info("topic created", "topic", req.Name, "partitions", spec.Partitions, "replicas", spec.ReplicationFactor)
	return resp, nil
}

// pushTopicChange sends each SPU holding a replica of added (or of
// removed) a change set. Caller holds st.mu.
func (s *Server) pushTopicChange(added, removed *topicRecord) {
	now := time.Now()
	type change struct {
		add []bus.ReplicaSpec
		rm  []bus.PartitionID
	}
	changes := map[bus.SPUID]*change{}
	get := func(id bus.SPUID) *change {
		c := changes[id]
		if c == nil {
			c = &change{}
			changes[id] = c
		}
		return c
	}
	if added != nil {
		for n, p := range added.Partitions {
			for _, id := range p.Replicas {
				get(id).add = append(get(id).add, replicaSpec(added, n))
			}
		}
	}
	if removed != nil {
		for n, p := range removed.Partitions {
			for _, id := range p.Replicas {
				get(id).rm = append(get(id).rm, bus.PartitionID{Topic: removed.Name, Partition: int32(n)})
			}
		}
	}
	for id, c := range changes {
		e := s.st.spus[id]
		if e == nil {
			continue
		}
		set := s.st.changeSet(e, now, c.add, c.rm)
		s.publish(bus.SubjectSPUReplicas(id), set)
	}
}

// handleTopicDelete removes topic.<name> from KV and tells its SPUs to
// delete their replicas. It never waits for SPUs: one that is offline
// gets a full set without the topic when it comes back.
func (s *Server) handleTopicDelete(_ context.Context, _ string, req bus.TopicDeleteRequest) (bus.TopicDeleteResponse, error) {
	resp := bus.TopicDeleteResponse{Name: req.Name}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	t, stale, err := s.syncTopic(req.Name)
	if err != nil {
		return resp, storeError("delete topic", err)
	}
	if t != nil && t.rec.Spec.System {
		return resp, systemTopicRefused(req.Name, "deleted")
	}
	if t == nil {
		if stale != nil { // KV lost it already: make sure its SPUs drop it
			s.st.mu.Lock()
			s.pushTopicChange(nil, stale)
			s.st.mu.Unlock()
		}
		return resp, topicNotFound(req.Name)
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	if err := s.kvDelete(ctx, topicKey(req.Name), t.rev); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		_, _, _ = s.syncTopic(req.Name)
		return resp, storeError("delete topic", err)
	}
	s.st.mu.Lock()
	delete(s.st.topics, req.Name)
	s.pushTopicChange(nil, &t.rec)
	s.st.notifyLocked()
	s.st.mu.Unlock()
	s.dropTopicConsumers(req.Name)
	s.log.Info("topic deleted", "topic", req.Name)
	return resp, nil
}

func topicNotFound(name string) *bus.Error {
	return bus.ErrTopicNotFound.Withf("topic %q not found", name)
}

// handleTopicList lists topics by name (all, or those in req.Names).
func (s *Server) handleTopicList(_ context.Context, _ string, req bus.TopicListRequest) (bus.TopicListResponse, error) {
	resp := bus.TopicListResponse{Items: []bus.Topic{}}
	s.catchUp(req.Names)
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	names := req.Names
	if len(names) == 0 {
		names = s.st.sortedTopicsOf(req.System)
	}
	for _, n := range names {
		t, ok := s.st.topics[n]
		if !ok {
			return resp, topicNotFound(n)
		}
		resp.Items = append(resp.Items, s.st.topicView(t))
	}
	return resp, nil
}

// handlePartitionList lists the partitions of req.Topics (or of all).
func (s *Server) handlePartitionList(_ context.Context, _ string, req bus.PartitionListRequest) (bus.PartitionListResponse, error) {
	resp := bus.PartitionListResponse{Items: []bus.Partition{}}
	s.catchUp(req.Topics)
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	names := req.Topics
	if len(names) == 0 {
		names = s.st.sortedTopicsOf(req.System)
	}
	for _, n := range names {
		t, ok := s.st.topics[n]
		if !ok {
			return resp, topicNotFound(n)
		}
		for i := range t.rec.Partitions {
			resp.Items = append(resp.Items, s.st.partitionView(&t.rec, i))
		}
	}
	return resp, nil
}
