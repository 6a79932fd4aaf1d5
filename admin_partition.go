package fluvio

import (
	"context"
	"fmt"
	"slices"
	"time"

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
	resp, err := c.addPartitions(ctx, topic, count, 0)
	if err != nil {
		return nil, err
	}
	return newPartitions(resp), nil
}

// AddPartitionsReady adds partitions like AddPartitions and returns once
// every new partition can take a produce (its leader SPU has created the
// replica and reported it to the SC; the SC answers as soon as the last
// report arrives). If that takes longer than ctx allows (without a
// deadline, DefaultTopicWait), the partitions stay added: they are
// returned with an error matching ErrTopicNotReady that says which SPUs
// they wait for. An SC older than this client does not wait.
func (c *Client) AddPartitionsReady(ctx context.Context, topic string, count int32) ([]NewPartition, error) {
	ctx, wait, cancel := c.readyWait(ctx)
	defer cancel()
	resp, err := c.addPartitions(ctx, topic, count, wait)
	if err != nil {
		return nil, err
	}
	added := newPartitions(resp)
	if resp.Waited && resp.Pending != "" {
		return added, fmt.Errorf("partitions added to topic %q, but not ready after %v (%s): %w", topic,
			(time.Duration(wait) * time.Millisecond).Round(100*time.Millisecond), resp.Pending, ErrTopicNotReady)
	}
	return added, nil
}

func (c *Client) addPartitions(ctx context.Context, topic string, count int32, waitMs int64) (bus.TopicAddPartitionResponse, error) {
	resp, err := request[bus.TopicAddPartitionResponse](ctx, c, bus.SubjectAdminTopicAddPartition,
		bus.TopicAddPartitionRequest{Name: topic, Count: count, WaitMs: waitMs})
	c.meta.invalidate(topic)
	if err != nil {
		return resp, fmt.Errorf("add partitions to topic %q: %w", topic, err)
	}
	return resp, nil
}

func newPartitions(resp bus.TopicAddPartitionResponse) []NewPartition {
	out := make([]NewPartition, 0, len(resp.Partitions))
	for _, p := range resp.Partitions {
		out = append(out, NewPartition{Partition: p.Partition, Replicas: slices.Clone(p.Replicas)})
	}
	return out
}

// PartitionRepair is what RepairPartition did or would do.
type PartitionRepair = bus.PartitionRepairResponse

// ReplicaRepair is one replica's cut in a PartitionRepair.
type ReplicaRepair = bus.ReplicaRepair

// PartitionRepair.Action values.
const (
	RepairNothing    = bus.RepairNothing    // no replica is corrupt
	RepairFromLeader = bus.RepairFromLeader // a healthy replica leads; the corrupt ones repair from it
	RepairDryRun     = bus.RepairDryRun     // what truncate would do; nothing changed
	RepairTruncated  = bus.RepairTruncated  // the log was cut and the partition serves again
)

// repairTimeout bounds RepairPartition when ctx has no deadline: a repair
// reads the damaged log once on each corrupt replica's SPU.
const repairTimeout = 3 * time.Minute

// RepairPartition repairs a partition whose replicas are all corrupt
// (every replica's log failed to open with damage below its tail, so no
// healthy replica can give back what the damage took). Without truncate
// it changes nothing and says what would be dropped (a dry run). With
// truncate the replica that keeps the most is cut at the last valid batch
// before its damage (the cut bytes are kept in a .broken file beside the
// segment), leads at a new epoch and serves again; the other replicas
// follow it. Where a healthy replica exists, nothing is cut: the answer
// says the corrupt replicas repair themselves from it. Admin role only.
func (c *Client) RepairPartition(ctx context.Context, topic string, partition int32, truncate bool) (*PartitionRepair, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, repairTimeout)
		defer cancel()
	}
	resp, err := request[bus.PartitionRepairResponse](ctx, c, bus.SubjectAdminPartitionRepair,
		bus.PartitionRepairRequest{Topic: topic, Partition: partition, TruncateAtCorruption: truncate})
	if err != nil {
		return nil, fmt.Errorf("repair partition %s-%d: %w", topic, partition, err)
	}
	if resp.Action == bus.RepairTruncated {
		c.meta.invalidate(topic)
	}
	return &resp, nil
}
