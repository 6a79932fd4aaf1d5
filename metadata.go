package fluvio

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fluvio-go/fluvio/bus"
)

// metadataCache holds, per topic, where its partitions lead, as the SC
// reported it (metadata.get). Entries are dropped on "not leader", a lost
// connection or an unknown partition, and fetched again on next use.
type metadataCache struct {
	c *Client

	mu      sync.Mutex
	topics  map[string][]bus.PartitionMetadata // guarded by mu; index = partition
	spus    map[bus.SPUID]bus.SPUEndpoint      // guarded by mu
	flights map[string]*flight                 // guarded by mu: refreshes under way
}

// flight is one metadata request that concurrent refreshes of the same
// topic share (after a leader change every partition asks at once).
type flight struct {
	done    chan struct{} // closed when parts and err are set
	parts   []bus.PartitionMetadata
	err     error
	waiters int // guarded by metadataCache.mu: callers sharing it
}

func newMetadataCache(c *Client) *metadataCache {
	return &metadataCache{c: c, topics: map[string][]bus.PartitionMetadata{}, spus: map[bus.SPUID]bus.SPUEndpoint{},
		flights: map[string]*flight{}}
}

// leader is where to send a partition's requests.
type leader struct {
	id    bus.SPUID
	addr  string
	epoch int32
}

// partitions returns the topic's partition count, from the cache or the SC.
func (m *metadataCache) partitions(ctx context.Context, topic string) (int32, error) {
	m.mu.Lock()
	parts, ok := m.topics[topic]
	m.mu.Unlock()
	if !ok {
		var err error
		if parts, err = m.refresh(ctx, topic); err != nil {
			return 0, err
		}
	}
	return int32(len(parts)), nil
}

// topicID returns the topic's incarnation id (bus.PartitionMetadata.TopicID),
// always asked of the SC (and cached for the data path): a topic deleted
// and created again under the same name keeps its partitions and leaders,
// so a cached id could be the old incarnation's, and named consumers'
// offsets are kept or dropped by it.
func (m *metadataCache) topicID(ctx context.Context, topic string) (int64, error) {
	parts, err := m.refresh(ctx, topic)
	if err != nil {
		return 0, err
	}
	return parts[0].TopicID, nil
}

// leader returns the partition's leader, fetching metadata if the cache
// has none. A partition without an online leader is a retriable
// ErrNoLeader; an unknown topic is bus.ErrTopicNotFound; a partition out of
// range is ErrBadOption.
func (m *metadataCache) leader(ctx context.Context, topic string, partition int32) (leader, error) {
	m.mu.Lock()
	parts, ok := m.topics[topic]
	m.mu.Unlock()
	if !ok {
		var err error
		if parts, err = m.refresh(ctx, topic); err != nil {
			return leader{}, err
		}
	}
	if partition < 0 || int(partition) >= len(parts) {
		return leader{}, badOption("partition", fmt.Sprintf("pick a partition from 'fluvio partition list --topic %s'", topic),
			"topic %q has partitions 0..%d, not %d", topic, len(parts)-1, partition)
	}
	p := parts[partition]
	m.mu.Lock()
	ep, ok := m.spus[p.Leader]
	m.mu.Unlock()
	if p.Leader < 0 || !ok || ep.Public == "" {
		m.invalidate(topic)
		return leader{}, markRetriable(fmt.Errorf("%w: %s partition %d (leader %d unknown)", ErrNoLeader, topic, partition, p.Leader))
	}
	if !ep.Online {
		m.invalidate(topic)
		return leader{}, markRetriable(&Error{Op: fmt.Sprintf("%s partition %d", topic, partition),
			Err:  fmt.Errorf("%w: leader SPU %d is offline", ErrNoLeader, p.Leader),
			Hint: fmt.Sprintf("start it (spu-server --id %d ...) or check 'fluvio spu list'", p.Leader)})
	}
	return leader{id: p.Leader, addr: ep.Public, epoch: p.LeaderEpoch}, nil
}

// refresh asks the SC for the topic's metadata and caches it. Concurrent
// callers for one topic share one request, bounded by the request timeout;
// a caller that joins one whose ctx ends stops waiting.
func (m *metadataCache) refresh(ctx context.Context, topic string) ([]bus.PartitionMetadata, error) {
	m.mu.Lock()
	f, ok := m.flights[topic]
	if !ok {
		f = &flight{done: make(chan struct{})}
		m.flights[topic] = f
	}
	f.waiters++
	m.mu.Unlock()
	if ok {
		select {
		case <-f.done:
			return f.parts, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	// The request serves every waiter: bound it by the Client's life and
	// its request timeout, not by this caller's ctx.
	rctx, cancel := context.WithTimeout(m.c.ctx, m.c.cfg.requestTimeout)
	f.parts, f.err = m.fetchMetadata(rctx, topic)
	cancel()
	m.mu.Lock()
	delete(m.flights, topic)
	m.mu.Unlock()
	close(f.done)
	return f.parts, f.err
}

// fetchMetadata asks the SC for the topic's metadata and caches it.
func (m *metadataCache) fetchMetadata(ctx context.Context, topic string) ([]bus.PartitionMetadata, error) {
	resp, err := request[bus.MetadataResponse](ctx, m.c, bus.SubjectAdminMetadataGet, bus.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		if errors.Is(err, bus.ErrTopicNotFound) {
			return nil, topicNotFound(topic)
		}
		return nil, fmt.Errorf("metadata of topic %q: %w", topic, err)
	}
	var parts []bus.PartitionMetadata
	for _, p := range resp.Partitions {
		if p.Topic == topic {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return nil, topicNotFound(topic)
	}
	byIndex := make([]bus.PartitionMetadata, len(parts))
	for _, p := range parts {
		if p.Partition < 0 || int(p.Partition) >= len(parts) {
			return nil, fmt.Errorf("metadata of topic %q: partition %d of %d: %w", topic, p.Partition, len(parts), bus.ErrInternal)
		}
		byIndex[p.Partition] = p
	}
	m.mu.Lock()
	m.topics[topic] = byIndex
	for _, s := range resp.SPUs {
		m.spus[s.ID] = s
	}
	m.c.routes.Add(1)
	m.mu.Unlock()
	return byIndex, nil
}

// invalidate drops the topic's cached metadata.
func (m *metadataCache) invalidate(topic string) {
	m.mu.Lock()
	delete(m.topics, topic)
	m.c.routes.Add(1)
	m.mu.Unlock()
}

// topicNotFound is the error for a topic the SC does not know.
func topicNotFound(topic string) error {
	return bus.ErrTopicNotFound.With(fmt.Sprintf("topic %q not found", topic), fmt.Sprintf("create it with 'fluvio topic create %s'", topic))
}
