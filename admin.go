package fluvio

import (
	"context"
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio/bus"
)

// TopicConfig is what CreateTopic asks for. Zero fields take the SC's
// defaults.
type TopicConfig struct {
	// Partitions is the number of partitions (default 1).
	Partitions int32
	// Replicas is the replication factor (default 1).
	Replicas int32
	// IgnoreRackAssignment places replicas without spreading racks.
	IgnoreRackAssignment bool
	// Retention keeps records for this long; 0 keeps them forever.
	Retention time.Duration
	// SegmentBytes is the WAL segment size; 0 means the SPU's default.
	SegmentBytes int64
	// MaxRecordBytes bounds one record; 0 means the default (1 MiB).
	MaxRecordBytes int32
	// MinInSyncReplicas is the ISR size acks=all needs; 0 means the
	// default (2 when Replicas >= 3, else 1).
	MinInSyncReplicas int32
	// Sync is the WAL sync policy: "always" (the default when empty),
	// "interval" or "never".
	Sync string
	// CompressionType is how the leader stores batches: "any" (or empty,
	// the default) keeps what producers send; "none", "gzip", "snappy",
	// "lz4" or "zstd" recompresses every batch to that codec.
	CompressionType string
	// MaxPartitionBytes bounds each partition's log (Fluvio's
	// max_partition_size; at least 2048): the oldest segments go beyond
	// it. 0 keeps everything (within Retention).
	MaxPartitionBytes int64
	// ReplicaAssignment places the partitions by hand: the SPU ids of
	// each partition's replicas, leader first (every SPU registered, the
	// same count for each). It sets Partitions and Replicas.
	ReplicaAssignment [][]int32
}

func (t TopicConfig) spec() bus.TopicSpec {
	return bus.TopicSpec{
		Partitions: t.Partitions, ReplicationFactor: t.Replicas,
		IgnoreRackAssignment: t.IgnoreRackAssignment, RetentionMs: t.Retention.Milliseconds(),
		SegmentBytes: t.SegmentBytes, MaxRecordBytes: t.MaxRecordBytes, MinInSyncReplicas: t.MinInSyncReplicas,
		Sync: t.Sync, CompressionType: t.CompressionType,
		MaxPartitionBytes: t.MaxPartitionBytes, ReplicaAssignment: t.ReplicaAssignment,
	}
}

// TopicInfo describes a topic as the SC lists it.
type TopicInfo struct {
	Name       string
	Partitions int32
	Replicas   int32
	// Status is "Provisioned" when every partition's leader is online,
	// else "Pending" (Reason says why).
	Status string
	Reason string
	// ReplicaMap maps each partition to its replicas, leader first.
	ReplicaMap map[int32][]int32
}

// PartitionInfo describes one partition as the SC lists it.
type PartitionInfo struct {
	Topic       string
	Partition   int32
	Leader      int32
	Replicas    []int32
	ISR         []int32
	LeaderEpoch int32
	// Status is "Online" when the leader's SPU is online and has reported
	// the replica, "Provisioning" while it has not yet (a new topic),
	// "LeaderOffline" otherwise.
	Status string
	// HighWatermark, EndOffset and Size are the leader's last report; -1
	// when it has not reported.
	HighWatermark int64
	EndOffset     int64
	Size          int64
}

// CreateTopic creates a topic and returns once the SC has stored it and
// assigned its replicas. The partitions' SPUs open their logs shortly
// after; producers and consumers retry until they have. Errors match
// ErrTopicExists, ErrNotEnoughSPUs or bus errors for invalid names and
// settings, each with a hint.
func (c *Client) CreateTopic(ctx context.Context, name string, cfg TopicConfig) error {
	_, err := request[bus.TopicCreateResponse](ctx, c, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{Name: name, Spec: cfg.spec()})
	if err != nil {
		return fmt.Errorf("create topic %q: %w", name, err)
	}
	return nil
}

// DefaultTopicWait bounds CreateTopicReady's wait when its ctx has no
// deadline.
const DefaultTopicWait = 30 * time.Second

// CreateTopicReady creates a topic like CreateTopic and returns once every
// partition can take a produce: its leader SPU has created the replica,
// made the creation durable and reported it to the SC (the topic's status
// is provisioned). The SC answers as soon as the last report arrives; it
// is told by the SPUs' heartbeats, which they send as soon as they have
// created the replicas (nothing polls). If that takes longer than ctx
// allows (without a deadline, DefaultTopicWait), the topic stays created
// and the error matches ErrTopicNotReady and says which SPUs the
// partitions wait for. An SC older than this client does not wait: then
// it returns once the topic is stored, like CreateTopic.
func (c *Client) CreateTopicReady(ctx context.Context, name string, cfg TopicConfig) error {
	ctx, waitMs, cancel := c.readyWait(ctx)
	defer cancel()
	resp, err := request[bus.TopicCreateResponse](ctx, c, bus.SubjectAdminTopicCreate,
		bus.TopicCreateRequest{Name: name, Spec: cfg.spec(), WaitMs: waitMs})
	if err != nil {
		return fmt.Errorf("create topic %q: %w", name, err)
	}
	if st := resp.Topic.Status; resp.Waited && st.Resolution != bus.TopicProvisioned {
		return fmt.Errorf("topic %q created, but not ready after %v (%s): %w", name,
			(time.Duration(waitMs) * time.Millisecond).Round(100*time.Millisecond), st.Reason, ErrTopicNotReady)
	}
	return nil
}

// readyWait returns how long, in milliseconds, the SC may wait for new
// partitions to be ready within ctx: ctx's time left less its answer's
// time back (a fifth, at most 1 s), or DefaultTopicWait when ctx has no
// deadline (then the returned ctx gets one: the wait and a request's
// timeout).
func (c *Client) readyWait(ctx context.Context) (context.Context, int64, context.CancelFunc) {
	wait := DefaultTopicWait
	cancel := context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		// The SC answers at the end of the wait (counted from when the
		// request arrives): leave its answer time to come back.
		left := time.Until(dl)
		wait = left - min(time.Second, left/5)
	} else {
		ctx, cancel = context.WithTimeout(ctx, wait+c.cfg.requestTimeout)
	}
	return ctx, max(1, min(wait.Milliseconds(), bus.MaxTopicWaitMs)), cancel
}

// ValidateTopic asks the SC whether CreateTopic(ctx, name, cfg) would
// succeed (the name, the settings and a placement of the replicas) without
// creating the topic. Errors are CreateTopic's.
func (c *Client) ValidateTopic(ctx context.Context, name string, cfg TopicConfig) error {
	_, err := request[bus.TopicCreateResponse](ctx, c, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{Name: name, Spec: cfg.spec(), DryRun: true})
	if err != nil {
		return fmt.Errorf("validate topic %q: %w", name, err)
	}
	return nil
}

// DeleteTopic deletes a topic and, on its SPUs, its logs, then the named
// consumers' offsets of it (a topic created again with the name starts
// with none in any case: offsets carry the topic's incarnation id). An
// unknown topic is an error matching ErrTopicNotFound; a system topic
// (consumer-offset) cannot be deleted (ErrBadRequest).
func (c *Client) DeleteTopic(ctx context.Context, name string) error {
	_, err := request[bus.TopicDeleteResponse](ctx, c, bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: name})
	c.meta.invalidate(name)
	if err != nil {
		return fmt.Errorf("delete topic %q: %w", name, err)
	}
	c.dropTopicConsumers(ctx, name)
	return nil
}

// ListTopics lists the topics ordered by name.
func (c *Client) ListTopics(ctx context.Context) ([]TopicInfo, error) {
	resp, err := request[bus.TopicListResponse](ctx, c, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	out := make([]TopicInfo, 0, len(resp.Items))
	for _, t := range resp.Items {
		out = append(out, TopicInfo{
			Name: t.Name, Partitions: t.Spec.Partitions, Replicas: t.Spec.ReplicationFactor,
			Status: t.Status.Resolution, Reason: t.Status.Reason, ReplicaMap: t.Status.ReplicaMap,
		})
	}
	return out, nil
}

// DescribeTopics returns the SC's description of the named topics (all
// users' topics when names is empty: see DescribeSystemTopics), ordered
// by name. An unknown name is an error matching ErrTopicNotFound.
func (c *Client) DescribeTopics(ctx context.Context, names ...string) ([]Topic, error) {
	resp, err := request[bus.TopicListResponse](ctx, c, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: names})
	if err != nil {
		return nil, fmt.Errorf("describe topics: %w", err)
	}
	if resp.Items == nil {
		return []Topic{}, nil
	}
	return resp.Items, nil
}

// DescribeSystemTopics returns the system topics (TopicSpec.System: the
// consumer-offset topic, once the SC has created it), ordered by name.
// The other listings leave them out.
func (c *Client) DescribeSystemTopics(ctx context.Context) ([]Topic, error) {
	resp, err := request[bus.TopicListResponse](ctx, c, bus.SubjectAdminTopicList, bus.TopicListRequest{System: true})
	if err != nil {
		return nil, fmt.Errorf("list system topics: %w", err)
	}
	if resp.Items == nil {
		return []Topic{}, nil
	}
	return resp.Items, nil
}

// ListSystemPartitions lists the system topics' partitions, as
// ListPartitions lists the users'.
func (c *Client) ListSystemPartitions(ctx context.Context) ([]Partition, error) {
	resp, err := request[bus.PartitionListResponse](ctx, c, bus.SubjectAdminPartitionList, bus.PartitionListRequest{System: true})
	if err != nil {
		return nil, fmt.Errorf("list system partitions: %w", err)
	}
	if resp.Items == nil {
		return []Partition{}, nil
	}
	return resp.Items, nil
}

// ListPartitions returns the SC's description of the partitions of the
// named topics (every topic when topics is empty).
func (c *Client) ListPartitions(ctx context.Context, topics ...string) ([]Partition, error) {
	resp, err := request[bus.PartitionListResponse](ctx, c, bus.SubjectAdminPartitionList, bus.PartitionListRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	if resp.Items == nil {
		return []Partition{}, nil
	}
	return resp.Items, nil
}

// Partitions lists the partitions of topic ordered by number. An unknown
// topic is an error matching ErrTopicNotFound.
func (c *Client) Partitions(ctx context.Context, topic string) ([]PartitionInfo, error) {
	resp, err := request[bus.PartitionListResponse](ctx, c, bus.SubjectAdminPartitionList, bus.PartitionListRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("list partitions of %q: %w", topic, err)
	}
	out := make([]PartitionInfo, 0, len(resp.Items))
	for _, p := range resp.Items {
		if p.Spec.Topic != topic {
			continue
		}
		out = append(out, PartitionInfo{
			Topic: p.Spec.Topic, Partition: p.Spec.Partition, Leader: p.Spec.Leader,
			Replicas: p.Spec.Replicas, ISR: p.Status.ISR, LeaderEpoch: p.Spec.LeaderEpoch,
			Status: p.Status.Resolution, HighWatermark: p.Status.HW, EndOffset: p.Status.LEO, Size: p.Status.Size,
		})
	}
	if len(out) == 0 {
		return nil, topicNotFound(topic)
	}
	return out, nil
}
