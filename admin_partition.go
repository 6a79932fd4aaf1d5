package fluvio

import (
	"context"
	"fmt"
	"slices"

	"github.com/fluvio-go/fluvio/bus"
)

// NewPartition is a partition AddPartitions added, with its replicas
// (leader first).
type NewPartition struct {
	Partition int32
	Replicas  []int32
}

// AddPartitions adds count partitions to topic, placed as CreateTopic
// places them, and returns them. Their SPUs open the logs shortly after
// (Partitions shows them Online then); running producers start writing to
// them at their next partition refresh (WithPartitionRefresh). An unknown
// topic is an error matching ErrTopicNotFound.
func (c *Client) AddPartitions(ctx context.Context, topic string, count int32) ([]NewPartition, error) {
	resp, err := request[bus.TopicAddPartitionResponse](ctx, c, bus.SubjectAdminTopicAddPartition, bus.TopicAddPartitionRequest{Name: topic, Count: count})
	c.meta.invalidate(topic)
	if err != nil {
		return nil, fmt.Errorf("add partitions to topic %q: %w", topic, err)
	}
	out := make([]NewPartition, 0, len(resp.Partitions))
	for _, p := range resp.Partitions {
		out = append(out, NewPartition{Partition: p.Partition, Replicas: slices.Clone(p.Replicas)})
	}
	return out, nil
}
