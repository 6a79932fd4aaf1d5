package fluvio

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/wire"
)

// Named consumers' offsets live in the consumer-offset system topic
// (bus.ConsumerOffsetTopic). A consumer's entries are in partition
// hash(name) mod partitions, and every call goes to that partition's
// leader (wire OffsetCommit, OffsetFetch, OffsetDelete), which writes each
// change with acks=all (spu/offsets.go). Entries carry the topic's
// incarnation id: those of a topic deleted and created again under the
// same name are not shown, and are deleted when seen. Offsets an earlier
// version stored in the SC's KV bucket are read as a fallback (the SC's
// consumer.list) until the consumer commits again.

// ConsumerOffset is the last offset a named consumer read in one
// partition; it continues at Offset+1.
type ConsumerOffset struct {
	Consumer  string
	Topic     string
	Partition int32
	Offset    int64
	// Modified is when the offset was stored.
	Modified time.Time
}

// dropConsumersTimeout bounds the clean-up of a deleted topic's offsets.
const dropConsumersTimeout = 5 * time.Second

// MaxConsumerNameLen bounds a consumer name.
const MaxConsumerNameLen = bus.MaxConsumerNameLen

// validateConsumerName allows letters, digits, '-' and '_'
// (bus.ValidateConsumerName, which the SC applies too).
func validateConsumerName(name string) error {
	if err := bus.ValidateConsumerName(name); err != nil {
		return err
	}
	return nil
}

// offsetPartitionOf is the consumer-offset partition of a consumer.
func offsetPartitionOf(consumer string, partitions int32) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(consumer))
	return int32(h.Sum32() % uint32(partitions))
}

// offsetConn is what the offset APIs need of an SPU connection
// (*wire.Conn).
type offsetConn interface {
	OffsetCommit(ctx context.Context, req *wire.OffsetCommitRequest) (*wire.OffsetCommitResponse, error)
	OffsetFetch(ctx context.Context, req *wire.OffsetFetchRequest) (*wire.OffsetFetchResponse, error)
	OffsetDelete(ctx context.Context, req *wire.OffsetDeleteRequest) (*wire.OffsetDeleteResponse, error)
}

// offsetPartitions returns the consumer-offset topic's partition count;
// when the topic does not exist yet and create is set, it asks the SC to
// create it.
func (c *Client) offsetPartitions(ctx context.Context, create bool) (int32, error) {
	n, err := c.meta.partitions(ctx, bus.ConsumerOffsetTopic)
	if !create || !errors.Is(err, ErrTopicNotFound) {
		return n, err
	}
	if _, err := request[bus.ConsumerStorageResponse](ctx, c, bus.SubjectAdminConsumerStorage, bus.ConsumerStorageRequest{}); err != nil {
		return 0, fmt.Errorf("named consumers' offset storage: %w", err)
	}
	c.meta.invalidate(bus.ConsumerOffsetTopic)
	return c.meta.partitions(ctx, bus.ConsumerOffsetTopic)
}

// offsetCall runs f on the leader of consumer-offset partition p,
// retrying while the leader moves or is being elected (as reads do).
func (c *Client) offsetCall(ctx context.Context, p int32, f func(offsetConn) error) error {
	return retry(ctx, consumerMaxRetries, consumerRetryBackoff, consumerMaxBackoff, func() error {
		l, conn, err := c.leaderConn(ctx, bus.ConsumerOffsetTopic, p)
		if err != nil {
			return err
		}
		oc, ok := conn.(offsetConn)
		if !ok {
			return fmt.Errorf("the connection to SPU %d does not speak the offset APIs: %w", l.id, ErrBadOption)
		}
		if err := f(oc); err != nil {
			return c.classify(ctx, bus.ConsumerOffsetTopic, p, l, conn, err)
		}
		return nil
	})
}

// CommitOffsets stores the last offset read per partition for named
// consumers (durably, in the consumer-offset topic; see WithConsumer).
// The topic must exist (ErrTopicNotFound) and hold each partition.
func (c *Client) CommitOffsets(ctx context.Context, offsets ...ConsumerOffset) error {
	if err := c.commitOffsets(ctx, offsets); err != nil {
		return fmt.Errorf("commit consumer offsets: %w", err)
	}
	return nil
}

func (c *Client) commitOffsets(ctx context.Context, offsets []ConsumerOffset) error {
	byPart := map[int32][]wire.OffsetEntry{}
	ids := map[string]int64{} // each topic's id, asked of the SC once per call
	var n int32
	for _, o := range offsets {
		if err := validateConsumerName(o.Consumer); err != nil {
			return err
		}
		parts, err := c.meta.partitions(ctx, o.Topic)
		if err != nil {
			return err
		}
		switch {
		case o.Partition < 0 || o.Partition >= parts:
			return bus.ErrInvalidConfig.With(fmt.Sprintf("topic %q has partitions 0..%d, not %d", o.Topic, parts-1, o.Partition), "")
		case o.Offset < -1:
			return bus.ErrInvalidConfig.With(fmt.Sprintf("offset %d: offsets start at 0", o.Offset), "")
		}
		id, ok := ids[o.Topic]
		if !ok {
			if id, err = c.meta.topicID(ctx, o.Topic); err != nil {
				return err
			}
			ids[o.Topic] = id
		}
		if n == 0 {
			if n, err = c.offsetPartitions(ctx, true); err != nil {
				return err
			}
		}
		p := offsetPartitionOf(o.Consumer, n)
		byPart[p] = append(byPart[p], wire.OffsetEntry{Consumer: o.Consumer, Topic: o.Topic, Partition: o.Partition, Offset: o.Offset, TopicID: id})
	}
	for p, entries := range byPart {
		err := c.offsetCall(ctx, p, func(oc offsetConn) error {
			_, err := oc.OffsetCommit(ctx, &wire.OffsetCommitRequest{Partition: p, Entries: entries})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ListConsumers lists the stored offsets of named consumers, ordered by
// consumer, topic and partition; consumer and topic, when not empty,
// filter.
func (c *Client) ListConsumers(ctx context.Context, consumer, topic string) ([]ConsumerOffset, error) {
	items, err := c.listConsumers(ctx, consumer, topic)
	if err != nil {
		return nil, fmt.Errorf("list consumers: %w", err)
	}
	return items, nil
}

func (c *Client) listConsumers(ctx context.Context, consumer, topic string) ([]ConsumerOffset, error) {
	if consumer != "" {
		if err := validateConsumerName(consumer); err != nil {
			return nil, err
		}
	}
	n, err := c.offsetPartitions(ctx, false)
	if errors.Is(err, ErrTopicNotFound) {
		n, err = 0, nil // no commit yet: only the legacy bucket may hold some
	}
	if err != nil {
		return nil, err
	}
	parts := []int32{}
	switch {
	case n == 0:
	case consumer != "":
		parts = append(parts, offsetPartitionOf(consumer, n))
	default:
		for p := range n {
			parts = append(parts, p)
		}
	}
	ids := map[string]int64{} // current topic ids; 0: no such topic
	current := func(topic string) (int64, error) {
		if id, ok := ids[topic]; ok {
			return id, nil
		}
		id, err := c.meta.topicID(ctx, topic)
		if errors.Is(err, ErrTopicNotFound) {
			id, err = 0, nil
		}
		if err != nil {
			return 0, err
		}
		ids[topic] = id
		return id, nil
	}
	out := []ConsumerOffset{}
	seen := map[ConsumerOffset]bool{} // keys (Offset and Modified zero)
	for _, p := range parts {
		var entries []wire.OffsetEntry
		err := c.offsetCall(ctx, p, func(oc offsetConn) error {
			resp, err := oc.OffsetFetch(ctx, &wire.OffsetFetchRequest{Partition: p, Consumer: consumer, Topic: topic})
			if err == nil {
				entries = resp.Entries
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		var stale []wire.OffsetEntry
		for _, e := range entries {
			id, err := current(e.Topic)
			if err != nil {
				return nil, err
			}
			if id == 0 || id != e.TopicID {
				stale = append(stale, e)
				continue
			}
			out = append(out, ConsumerOffset{Consumer: e.Consumer, Topic: e.Topic, Partition: e.Partition, Offset: e.Offset, Modified: time.UnixMilli(e.ModifiedMs)})
			seen[ConsumerOffset{Consumer: e.Consumer, Topic: e.Topic, Partition: e.Partition}] = true
		}
		c.dropStaleOffsets(ctx, p, stale)
	}
	// Offsets stored in the SC's KV bucket by an earlier version, for the
	// keys the topic does not have yet.
	legacy, err := request[bus.ConsumerListResponse](ctx, c, bus.SubjectAdminConsumerList, bus.ConsumerListRequest{Consumer: consumer, Topic: topic})
	if err != nil {
		c.cfg.logger.Debug("named consumers: the SC's offset bucket of earlier versions is not readable; ignoring it", "err", err)
	}
	for _, o := range legacy.Items {
		if seen[ConsumerOffset{Consumer: o.Consumer, Topic: o.Topic, Partition: o.Partition}] {
			continue
		}
		if id, err := current(o.Topic); err != nil || id == 0 {
			continue
		}
		out = append(out, ConsumerOffset{Consumer: o.Consumer, Topic: o.Topic, Partition: o.Partition, Offset: o.Offset, Modified: time.UnixMilli(o.ModifiedMs)})
	}
	slices.SortFunc(out, func(a, b ConsumerOffset) int {
		return cmp.Or(cmp.Compare(a.Consumer, b.Consumer), cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out, nil
}

// dropStaleOffsets deletes entries of topics deleted (and maybe created
// again) since they were committed; failures are only logged (the entries
// stay hidden and are tried again at the next listing).
func (c *Client) dropStaleOffsets(ctx context.Context, p int32, stale []wire.OffsetEntry) {
	if len(stale) == 0 {
		return
	}
	err := c.offsetCall(ctx, p, func(oc offsetConn) error {
		_, err := oc.OffsetDelete(ctx, &wire.OffsetDeleteRequest{Partition: p, Keys: stale})
		return err
	})
	if err != nil {
		c.cfg.logger.Debug("named consumers: cannot delete the offsets of deleted topics yet", "entries", len(stale), "err", err)
	}
}

// DeleteConsumer deletes a named consumer's offsets: all of them (topic
// ""), those of topic, or of one partition (partition >= 0) of topic; it
// returns what it deleted. Nothing to delete is an error matching
// ErrConsumerNotFound.
func (c *Client) DeleteConsumer(ctx context.Context, consumer, topic string, partition int32) ([]ConsumerOffset, error) {
	deleted, err := c.deleteConsumer(ctx, consumer, topic, partition)
	if err != nil {
		return nil, fmt.Errorf("delete consumer %q: %w", consumer, err)
	}
	return deleted, nil
}

func (c *Client) deleteConsumer(ctx context.Context, consumer, topic string, partition int32) ([]ConsumerOffset, error) {
	if err := validateConsumerName(consumer); err != nil {
		return nil, err
	}
	if topic == "" && partition >= 0 {
		return nil, bus.ErrBadRequest.With("a partition needs its topic", "pass --topic T with --partition P")
	}
	items, err := c.listConsumers(ctx, consumer, topic)
	if err != nil {
		return nil, err
	}
	var keys []wire.OffsetEntry
	deleted := []ConsumerOffset{}
	for _, o := range items {
		if partition >= 0 && o.Partition != partition {
			continue
		}
		deleted = append(deleted, o)
		keys = append(keys, wire.OffsetEntry{Consumer: o.Consumer, Topic: o.Topic, Partition: o.Partition})
	}
	if len(deleted) == 0 {
		what := fmt.Sprintf("consumer %q", consumer)
		if topic != "" {
			what += fmt.Sprintf(" on topic %q", topic)
		}
		if partition >= 0 {
			what += fmt.Sprintf(" and partition \"%d\"", partition)
		}
		return nil, bus.ErrConsumerNotFound.Withf("%s not found", what)
	}
	n, err := c.offsetPartitions(ctx, false)
	switch {
	case errors.Is(err, ErrTopicNotFound): // only legacy entries
	case err != nil:
		return nil, err
	default:
		p := offsetPartitionOf(consumer, n)
		err = c.offsetCall(ctx, p, func(oc offsetConn) error {
			_, err := oc.OffsetDelete(ctx, &wire.OffsetDeleteRequest{Partition: p, Keys: keys})
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	// The same keys in the SC's bucket of earlier versions, if any.
	req := bus.ConsumerDeleteRequest{Consumer: consumer, Topic: topic}
	if partition >= 0 {
		req.Partition = &partition
	}
	if _, err := request[bus.ConsumerDeleteResponse](ctx, c, bus.SubjectAdminConsumerDelete, req); err != nil && !errors.Is(err, ErrConsumerNotFound) {
		c.cfg.logger.Debug("named consumers: cannot delete from the SC's offset bucket of earlier versions", "err", err)
	}
	return deleted, nil
}

// dropTopicConsumers deletes the named consumers' offsets of a deleted
// topic. Failures are only logged: the topic's next incarnation has
// another id, so the entries stay hidden (and go at the next listing).
func (c *Client) dropTopicConsumers(ctx context.Context, topic string) {
	ctx, cancel := context.WithTimeout(ctx, dropConsumersTimeout)
	defer cancel()
	n, err := c.offsetPartitions(ctx, false)
	if err != nil {
		return // no consumer-offset topic: no offsets
	}
	for p := range n {
		err := c.offsetCall(ctx, p, func(oc offsetConn) error {
			resp, err := oc.OffsetFetch(ctx, &wire.OffsetFetchRequest{Partition: p, Topic: topic})
			if err != nil || len(resp.Entries) == 0 {
				return err
			}
			_, err = oc.OffsetDelete(ctx, &wire.OffsetDeleteRequest{Partition: p, Keys: resp.Entries})
			return err
		})
		if err != nil {
			c.cfg.logger.Debug("named consumers: cannot delete the offsets of a deleted topic yet", "topic", topic, "err", err)
		}
	}
}
