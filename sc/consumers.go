package sc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go/jetstream"
)

// Named consumers' offsets live in the consumer-offset system topic on
// the SPUs (system.go, spu/offsets.go). Earlier versions kept them here,
// in a JetStream KV bucket "<bucket>-consumers", one key per (consumer,
// topic, partition):
//
//	<consumer>.<topic>.<partition>   {"offset": N, "modifiedMs": T}
//
// The SC no longer writes that bucket. When it exists (a cluster upgraded
// with offsets in it) the SC serves it read-only on consumer.list and
// deletes from it on consumer.delete and topic delete; clients read it as
// a fallback for the (consumer, topic, partition) keys the topic does not
// have yet, and their next commit moves each offset into the topic. A
// cluster that never had the bucket does not get one.

// openConsumers binds the legacy consumer-offset bucket; nil when there
// is none.
func openConsumers(ctx context.Context, js jetstream.JetStream, bucket string) (jetstream.KeyValue, error) {
	name := bucket + "-consumers"
	kv, err := js.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sc: open KV bucket %q: %w", name, err)
	}
	return kv, nil
}

// offsetRecord is the value of a consumer-offset key.
type offsetRecord struct {
	Offset     int64 `json:"offset"`
	ModifiedMs int64 `json:"modifiedMs"`
}

func offsetKey(consumer, topic string, partition int32) string {
	return consumer + "." + topic + "." + strconv.Itoa(int(partition))
}

// parseOffsetKey splits a key; ok is false for a key we did not write.
func parseOffsetKey(key string) (consumer, topic string, partition int32, ok bool) {
	parts := strings.Split(key, ".")
	if len(parts) != 3 {
		return "", "", 0, false
	}
	p, err := strconv.ParseInt(parts[2], 10, 32)
	if err != nil || p < 0 {
		return "", "", 0, false
	}
	return parts[0], parts[1], int32(p), true
}

// listOffsets reads the offsets whose keys match the KV filter.
func (s *Server) listOffsets(filter string) ([]bus.ConsumerOffset, error) {
	if s.consumers == nil {
		return []bus.ConsumerOffset{}, nil
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	lister, err := s.consumers.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, err
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	items := []bus.ConsumerOffset{}
	for _, k := range keys {
		consumer, topic, part, ok := parseOffsetKey(k)
		if !ok {
			continue
		}
		e, err := s.consumers.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var r offsetRecord
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			s.log.Error("skipping undecodable consumer offset", "key", k, "err", err)
			continue
		}
		items = append(items, bus.ConsumerOffset{Consumer: consumer, Topic: topic, Partition: part, Offset: r.Offset, ModifiedMs: r.ModifiedMs})
	}
	slices.SortFunc(items, func(a, b bus.ConsumerOffset) int {
		if c := strings.Compare(a.Consumer, b.Consumer); c != 0 {
			return c
		}
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition - b.Partition)
	})
	return items, nil
}

func filterFor(consumer, topic string) string {
	if consumer == "" {
		consumer = "*"
	}
	if topic == "" {
		topic = "*"
	}
	return consumer + "." + topic + ".*"
}

// handleConsumerList lists the offsets in the legacy bucket.
func (s *Server) handleConsumerList(_ context.Context, _ string, req bus.ConsumerListRequest) (bus.ConsumerListResponse, error) {
	resp := bus.ConsumerListResponse{Items: []bus.ConsumerOffset{}}
	if req.Consumer != "" {
		if err := bus.ValidateConsumerName(req.Consumer); err != nil {
			return resp, err
		}
	}
	if req.Topic != "" {
		if err := validateName("topic", req.Topic); err != nil {
			return resp, err
		}
	}
	items, err := s.listOffsets(filterFor(req.Consumer, req.Topic))
	if err != nil {
		return resp, storeError("list consumer offsets", err)
	}
	resp.Items = items
	return resp, nil
}

// handleConsumerDelete deletes a consumer's offsets from the legacy
// bucket (all, one topic's, or one partition's).
func (s *Server) handleConsumerDelete(_ context.Context, _ string, req bus.ConsumerDeleteRequest) (bus.ConsumerDeleteResponse, error) {
	resp := bus.ConsumerDeleteResponse{Deleted: []bus.ConsumerOffset{}}
	if err := bus.ValidateConsumerName(req.Consumer); err != nil {
		return resp, err
	}
	if req.Topic != "" {
		if err := validateName("topic", req.Topic); err != nil {
			return resp, err
		}
	} else if req.Partition != nil {
		return resp, bus.ErrBadRequest.With("a partition needs its topic", "pass --topic T with --partition P")
	}
	items, err := s.listOffsets(filterFor(req.Consumer, req.Topic))
	if err != nil {
		return resp, storeError("list consumer offsets", err)
	}
	for _, o := range items {
		if req.Partition != nil && o.Partition != *req.Partition {
			continue
		}
		ctx, cancel := s.storeCtx()
		err := s.consumers.Purge(ctx, offsetKey(o.Consumer, o.Topic, o.Partition))
		cancel()
		if err != nil {
			return resp, storeError("delete consumer offset", err)
		}
		resp.Deleted = append(resp.Deleted, o)
	}
	if len(resp.Deleted) == 0 {
		what := fmt.Sprintf("consumer %q", req.Consumer)
		if req.Topic != "" {
			what += fmt.Sprintf(" on topic %q", req.Topic)
		}
		if req.Partition != nil {
			what += fmt.Sprintf(" and partition \"%d\"", *req.Partition)
		}
		return resp, bus.ErrConsumerNotFound.Withf("%s not found", what)
	}
	return resp, nil
}

// dropTopicConsumers deletes every consumer offset of topic (topic delete
// and create). Failures are logged: the offsets of a deleted topic are
// unreachable anyway, and create tries again.
func (s *Server) dropTopicConsumers(topic string) {
	items, err := s.listOffsets(filterFor("", topic))
	if err != nil {
		s.log.Warn("cannot list the consumers of a deleted topic", "topic", topic, "err", err)
		return
	}
	for _, o := range items {
		ctx, cancel := s.storeCtx()
		if err := s.consumers.Purge(ctx, offsetKey(o.Consumer, o.Topic, o.Partition)); err != nil {
			s.log.Warn("cannot delete a consumer offset of a deleted topic", "consumer", o.Consumer, "topic", topic, "err", err)
		}
		cancel()
	}
}
