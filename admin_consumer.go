package fluvio

import (
	"context"
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio/bus"
)

// ConsumerOffset is the last offset a named consumer read in one
// partition; it continues at Offset+1.
type ConsumerOffset struct {
	Consumer  string
	Topic     string
	Partition int32
	Offset    int64
	// Modified is when the SC stored the offset.
	Modified time.Time
}

func consumerOffsets(items []bus.ConsumerOffset) []ConsumerOffset {
	out := make([]ConsumerOffset, 0, len(items))
	for _, o := range items {
		out = append(out, ConsumerOffset{Consumer: o.Consumer, Topic: o.Topic, Partition: o.Partition,
			Offset: o.Offset, Modified: time.UnixMilli(o.ModifiedMs)})
	}
	return out
}

// CommitOffsets stores the last offset read per partition for named
// consumers (the SC keeps them durably; see WithConsumer). The topic must
// exist (ErrTopicNotFound) and hold each partition.
func (c *Client) CommitOffsets(ctx context.Context, offsets ...ConsumerOffset) error {
	req := bus.ConsumerCommitRequest{}
	for _, o := range offsets {
		req.Offsets = append(req.Offsets, bus.ConsumerOffset{Consumer: o.Consumer, Topic: o.Topic, Partition: o.Partition, Offset: o.Offset})
	}
	if _, err := request[bus.ConsumerCommitResponse](ctx, c, bus.SubjectAdminConsumerCommit, req); err != nil {
		return fmt.Errorf("commit consumer offsets: %w", err)
	}
	return nil
}

// ListConsumers lists the stored offsets of named consumers, ordered by
// consumer, topic and partition; consumer and topic, when not empty,
// filter.
func (c *Client) ListConsumers(ctx context.Context, consumer, topic string) ([]ConsumerOffset, error) {
	resp, err := request[bus.ConsumerListResponse](ctx, c, bus.SubjectAdminConsumerList, bus.ConsumerListRequest{Consumer: consumer, Topic: topic})
	if err != nil {
		return nil, fmt.Errorf("list consumers: %w", err)
	}
	return consumerOffsets(resp.Items), nil
}

// DeleteConsumer deletes a named consumer's offsets: all of them (topic
// ""), those of topic, or of one partition (partition >= 0) of topic; it
// returns what it deleted. Nothing to delete is an error matching
// ErrConsumerNotFound.
func (c *Client) DeleteConsumer(ctx context.Context, consumer, topic string, partition int32) ([]ConsumerOffset, error) {
	req := bus.ConsumerDeleteRequest{Consumer: consumer, Topic: topic}
	if partition >= 0 {
		req.Partition = &partition
	}
	resp, err := request[bus.ConsumerDeleteResponse](ctx, c, bus.SubjectAdminConsumerDelete, req)
	if err != nil {
		return nil, fmt.Errorf("delete consumer %q: %w", consumer, err)
	}
	return consumerOffsets(resp.Deleted), nil
}
