package sc

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio/bus"
)

// System topics are topics the cluster creates and uses itself, flagged
// TopicSpec.System (Fluvio's system topics). There is one:
// bus.ConsumerOffsetTopic, where the SPUs keep named consumers' offsets
// (spu/offsets.go). The SC creates it (ensureSystemTopics); users see it
// only with 'fluvio topic list --system', cannot create a topic of that
// name, delete it, add partitions to it (that would move consumers to
// other partitions) or produce to it (the SPU refuses).

// Consumer-offset topic settings.
const (
	// DefaultConsumerOffsetPartitions is its partition count (Fluvio: 1).
	// Consumers are hashed over the partitions by name.
	DefaultConsumerOffsetPartitions = 1
	// consumerOffsetReplicas is its wanted replication factor, bounded by
	// the registered SPUs.
	consumerOffsetReplicas = 3
	// consumerOffsetSegmentBytes is its segment size: small, so that the
	// leader's snapshots (spu/offsets.go) free disk soon.
	consumerOffsetSegmentBytes = 1 << 20
	// DefaultSystemTopicSettle is how long the set of registered SPUs must
	// stay the same before the SC creates the system topic with fewer
	// than consumerOffsetReplicas replicas (a cluster still starting its
	// SPUs gets the full replication factor).
	DefaultSystemTopicSettle = 5 * time.Second
)

// consumerOffsetSpec is the consumer-offset topic's spec for n registered SPUs.
func (s *Server) consumerOffsetSpec(n int) bus.TopicSpec {
	return bus.TopicSpec{
		Partitions:        int32(s.cfg.ConsumerOffsetPartitions),
		ReplicationFactor: int32(min(consumerOffsetReplicas, n)),
		SegmentBytes:      consumerOffsetSegmentBytes,
		CompressionType:   "none",
		System:            true,
	}
}

// checkUserTopic refuses what only the SC may create: a system topic's
// name or flag.
func checkUserTopic(name string, spec bus.TopicSpec) *bus.Error {
	if bus.IsSystemTopicName(name) {
		return bus.ErrInvalidName.With(fmt.Sprintf("topic name %q is reserved for a system topic (named consumers' offsets)", name),
			"choose another name; 'fluvio topic list --system' shows the system topics")
	}
	if spec.System {
		return bus.ErrInvalidConfig.With(fmt.Sprintf("topic %q: system topics are created by the SC only", name), "drop the system flag")
	}
	return nil
}

// systemTopicRefused is the error for changing a system topic.
func systemTopicRefused(name, what string) *bus.Error {
	return bus.ErrBadRequest.With(fmt.Sprintf("topic %q is a system topic: it cannot be %s", name, what),
		"it holds named consumers' offsets; remove a consumer with 'fluvio consumer delete NAME'")
}

// newTopicID returns a random non-zero topic incarnation id.
func newTopicID() int64 {
	var b [8]byte
	for {
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		if id := int64(binary.BigEndian.Uint64(b[:]) >> 1); id != 0 {
			return id
		}
	}
}

// systemTopicWatch decides when the SC may create the system topic on its
// own: once consumerOffsetReplicas SPUs are registered, or once the
// registered count has not changed for the settle time (a one- or two-SPU
// cluster). Owned by livenessLoop.
type systemTopicWatch struct {
	count int
	since time.Time
	tried time.Time // the last attempt: the next one comes systemTopicRetry later
}

// systemTopicRetry spaces the attempts to create the system topic after a
// failure (each logs a warning).
const systemTopicRetry = 5 * time.Second

// ensureSystemTopicsTick is livenessLoop's step: on the active SC, create
// the consumer-offset topic when it is missing and the SPUs are there.
func (s *Server) ensureSystemTopicsTick(w *systemTopicWatch, now time.Time) {
	if !s.active.Load() {
		return
	}
	s.st.mu.Lock()
	_, exists := s.st.topics[bus.ConsumerOffsetTopic]
	registered, online := len(s.st.spus), 0
	for _, e := range s.st.spus {
		if e.online {
			online++
		}
	}
	s.st.mu.Unlock()
	if exists || registered == 0 {
		return
	}
	if registered != w.count {
		w.count, w.since = registered, now
	}
	if online < min(consumerOffsetReplicas, registered) {
		return
	}
	if registered < consumerOffsetReplicas && now.Sub(w.since) < s.cfg.SystemTopicSettle {
		return
	}
	if now.Sub(w.tried) < systemTopicRetry || !s.sysTopicBusy.CompareAndSwap(false, true) {
		return
	}
	w.tried = now
	// KV writes can take a while: the liveness loop goes on meanwhile
	// (SPUs must still be marked offline on time). Owned by s.wg.
	s.wg.Go(func() {
		defer s.sysTopicBusy.Store(false)
		if _, err := s.ensureConsumerOffsetTopic(); err != nil && s.ctx.Err() == nil {
			s.log.Warn("cannot create the consumer-offset system topic yet; will retry", "err", err, "retry_in", systemTopicRetry)
		}
	})
}

// ensureConsumerOffsetTopic creates the consumer-offset topic if it is
// missing and returns its partition count.
func (s *Server) ensureConsumerOffsetTopic() (int32, error) {
	s.st.mu.Lock()
	t, ok := s.st.topics[bus.ConsumerOffsetTopic]
	n := len(s.st.spus)
	s.st.mu.Unlock()
	if ok {
		return int32(len(t.rec.Partitions)), nil
	}
	if n == 0 {
		return 0, bus.ErrNotEnoughSPUs.With("named consumers keep their offsets on the SPUs, and no SPU is registered", "register one with 'fluvio cluster spu register' or start the cluster with 'fluvio cluster start'")
	}
	resp, err := s.createTopic(bus.TopicCreateRequest{Name: bus.ConsumerOffsetTopic, Spec: s.consumerOffsetSpec(n)})
	if errors.Is(err, bus.ErrTopicExists) {
		s.st.mu.Lock()
		t, ok := s.st.topics[bus.ConsumerOffsetTopic]
		s.st.mu.Unlock()
		if ok {
			return int32(len(t.rec.Partitions)), nil
		}
	}
	if err != nil {
		return 0, err
	}
	s.log.Info("system topic created", "topic", bus.ConsumerOffsetTopic, "partitions", resp.Topic.Spec.Partitions,
		"replicas", resp.Topic.Spec.ReplicationFactor)
	return resp.Topic.Spec.Partitions, nil
}

// handleConsumerStorage makes sure the consumer-offset topic exists (a
// client about to commit or list offsets asks for it when the metadata
// does not have it yet).
func (s *Server) handleConsumerStorage(_ context.Context, _ string, _ bus.ConsumerStorageRequest) (bus.ConsumerStorageResponse, error) {
	n, err := s.ensureConsumerOffsetTopic()
	if err != nil {
		return bus.ConsumerStorageResponse{}, err
	}
	return bus.ConsumerStorageResponse{Topic: bus.ConsumerOffsetTopic, Partitions: n}, nil
}
