package bus

// This file is the contract between the SC, the SPUs and the clients for
// topics, partitions and replica assignment. Every message carries a
// versioned Type string so it can evolve.

// SPUID identifies an SPU. Valid ids are 0..MaxSPUID.
type SPUID = int32

// MaxSPUID is the largest valid SPU id.
const MaxSPUID = 1<<31 - 1

// TopicSpec is what a user asks for when creating a topic.
type TopicSpec struct {
	Partitions           int32 `msgpack:"partitions" json:"partitions"`
	ReplicationFactor    int32 `msgpack:"replicationFactor" json:"replicationFactor"`
	IgnoreRackAssignment bool  `msgpack:"ignoreRackAssignment" json:"ignoreRackAssignment"`
	// RetentionMs is the time retention in milliseconds; 0 keeps forever.
	RetentionMs int64 `msgpack:"retentionMs" json:"retentionMs"`
	// SegmentBytes is the WAL segment size; 0 means the SPU's default.
	SegmentBytes int64 `msgpack:"segmentBytes" json:"segmentBytes"`
	// MaxRecordBytes bounds one record's size; 0 means the default (1 MiB).
	MaxRecordBytes int32 `msgpack:"maxRecordBytes" json:"maxRecordBytes"`
	// MinInSyncReplicas is the ISR size acks=all needs; 0 means the default
	// (2 when ReplicationFactor >= 3, else 1).
	MinInSyncReplicas int32 `msgpack:"minInSyncReplicas" json:"minInSyncReplicas"`
	// Sync is the WAL sync policy: "always" (default), "interval", "never".
	Sync string `msgpack:"sync,omitempty" json:"sync,omitempty"`
	// CompressionType is how the leader stores batches: "any" (or empty,
	// the default) keeps what producers send; "none", "gzip", "snappy",
	// "lz4" or "zstd" (de)compresses every batch to that codec.
	CompressionType string `msgpack:"compressionType,omitempty" json:"compressionType,omitempty"`
	// MaxPartitionBytes bounds each partition's log (Fluvio's
	// max_partition_size): the oldest segments are deleted beyond it; 0
	// keeps everything (within RetentionMs).
	MaxPartitionBytes int64 `msgpack:"maxPartitionBytes,omitempty" json:"maxPartitionBytes,omitempty"`
	// ReplicaAssignment, when set, places the partitions by hand (Fluvio's
	// --replica-assignment): one list of SPU ids per partition, leader
	// first. Partitions and ReplicationFactor follow from it.
	ReplicaAssignment [][]SPUID `msgpack:"replicaAssignment,omitempty" json:"replicaAssignment,omitempty"`
	// System marks a topic the cluster creates and uses itself (Fluvio's
	// system topics; see ConsumerOffsetTopic). Only the SC sets it: plain
	// listings hide such topics, and they cannot be deleted, grown or
	// produced to by clients.
	System bool `msgpack:"system,omitempty" json:"system,omitempty"`
}

// ConsumerOffsetTopic is the system topic that stores named consumers'
// offsets (Fluvio's name for it). The SC creates it; the leader of each of
// its partitions serves the offset APIs of wire (OffsetCommit,
// OffsetFetch, OffsetDelete) for the consumers hashed to that partition.
const ConsumerOffsetTopic = "consumer-offset"

// IsSystemTopicName reports whether name is reserved for a system topic.
func IsSystemTopicName(name string) bool { return name == ConsumerOffsetTopic }

// Minimum sizes, as Fluvio's (SPU_LOG_LOG_SEGMENT_MAX_BYTE_MIN and
// SPU_PARTITION_MAX_BYTES_MIN).
const (
	MinSegmentBytes      = 1024
	MinMaxPartitionBytes = 2 * MinSegmentBytes
)

// CompressionTypes are the valid TopicSpec.CompressionType values.
var CompressionTypes = []string{"any", "none", "gzip", "snappy", "lz4", "zstd"}

// PartitionID names one partition of a topic.
type PartitionID struct {
	Topic     string `msgpack:"topic" json:"topic"`
	Partition int32  `msgpack:"partition" json:"partition"`
}

// ReplicaSpec is the SC's desired state for one partition replica, sent to
// every SPU that holds a replica of it.
type ReplicaSpec struct {
	PartitionID
	// Leader is the id of the SPU that leads the partition.
	Leader SPUID `msgpack:"leader" json:"leader"`
	// Replicas lists the SPUs holding a replica, the preferred leader first.
	Replicas []SPUID `msgpack:"replicas" json:"replicas"`
	// ISR is the in-sync replica set as last stored by the SC.
	ISR []SPUID `msgpack:"isr" json:"isr"`
	// LeaderEpoch increases every time the leader changes.
	LeaderEpoch int32 `msgpack:"leaderEpoch" json:"leaderEpoch"`
	// Config carries the topic's storage settings.
	Config TopicSpec `msgpack:"config" json:"config"`
}

// ReplicaSet is published by the SC on SubjectSPUReplicas(id): the replicas
// an SPU should hold. With Full, the list replaces everything the SPU has
// (replicas not listed are removed, their logs deleted); otherwise it is a
// change: Replicas are added or updated, Removed are deleted.
type ReplicaSet struct {
	Type string `msgpack:"type" json:"type"`
	SPU  SPUID  `msgpack:"spu" json:"spu"`
	// Epoch increases with every ReplicaSet the SC sends to this SPU; an
	// SPU ignores a set whose epoch is not greater than the last applied.
	Epoch    int64         `msgpack:"epoch" json:"epoch"`
	Full     bool          `msgpack:"full" json:"full"`
	Replicas []ReplicaSpec `msgpack:"replicas" json:"replicas"`
	Removed  []PartitionID `msgpack:"removed,omitempty" json:"removed,omitempty"`
	// Peers gives the private (replication) address of every SPU named
	// in Replicas, so followers know where their leader listens.
	Peers []PeerEndpoint `msgpack:"peers,omitempty" json:"peers,omitempty"`
	// Clients, in full sets, are the cluster's client identities: the
	// public nkeys the SPU's public server accepts in a signed hello
	// (wire ClientAuth), each with its role. Empty in a cluster without
	// identities.
	Clients []ClientKey `msgpack:"clients,omitempty" json:"clients,omitempty"`
}

// ClientKey is one client identity: a public nkey (U...) and its role
// (admin, client or read-only).
type ClientKey struct {
	Key  string `msgpack:"key" json:"key"`
	Role string `msgpack:"role" json:"role"`
}

// PeerEndpoint is an SPU's private address, as followers use it, and
// the public nkey it proves its identity with on other SPUs' private
// servers (wire SPUAuth); NKey is empty in a cluster without identities.
type PeerEndpoint struct {
	ID      SPUID  `msgpack:"id" json:"id"`
	Private string `msgpack:"private" json:"private"`
	NKey    string `msgpack:"nkey,omitempty" json:"nkey,omitempty"`
}

// ReplicaSetType is the Type of a ReplicaSet.
const ReplicaSetType = "fluvio.bus.v1.replica_set"

// ReplicaStatus is an SPU's report of one replica, carried in heartbeats.
type ReplicaStatus struct {
	PartitionID
	// Role is "leader" or "follower".
	Role string `msgpack:"role" json:"role"`
	// LEO is the log end offset: the next offset to be written.
	LEO int64 `msgpack:"leo" json:"leo"`
	// HW is the high watermark: offsets below it are committed.
	HW int64 `msgpack:"hw" json:"hw"`
	// Size is the log's size on disk in bytes.
	Size int64 `msgpack:"size" json:"size"`
	// LeaderEpoch is the epoch the replica runs under.
	LeaderEpoch int32 `msgpack:"leaderEpoch" json:"leaderEpoch"`
	// Error is set when the replica failed (for example a corrupt log).
	Error string `msgpack:"error,omitempty" json:"error,omitempty"`
	// Corrupt is set when the replica's log did not open because of
	// corruption: "FILE at position N". The SC never elects such a
	// replica and takes it out of the ISR.
	Corrupt string `msgpack:"corrupt,omitempty" json:"corrupt,omitempty"`
}

// PartitionMetadata is what a client needs to reach one partition.
type PartitionMetadata struct {
	PartitionID
	Leader      SPUID   `msgpack:"leader" json:"leader"`
	Replicas    []SPUID `msgpack:"replicas" json:"replicas"`
	ISR         []SPUID `msgpack:"isr" json:"isr"`
	LeaderEpoch int32   `msgpack:"leaderEpoch" json:"leaderEpoch"`
	// TopicID identifies this incarnation of the topic: a topic deleted
	// and created again under the same name gets another id (named
	// consumers' offsets carry it, so the new topic starts with none).
	TopicID int64 `msgpack:"topicId,omitempty" json:"topicId,omitempty"`
	// System is the topic's TopicSpec.System.
	System bool `msgpack:"system,omitempty" json:"system,omitempty"`
}

// SPUEndpoint is an SPU's advertised public address, as clients use it.
type SPUEndpoint struct {
	ID     SPUID  `msgpack:"id" json:"id"`
	Public string `msgpack:"public" json:"public"`
	Online bool   `msgpack:"online" json:"online"`
}

// MetadataRequest asks the SC where partitions live (SubjectAdmin("metadata", "get")).
// Empty Topics means every user topic (system topics only by name).
type MetadataRequest struct {
	Topics []string `msgpack:"topics,omitempty" json:"topics,omitempty"`
}

// MetadataResponse answers a MetadataRequest.
type MetadataResponse struct {
	Type       string              `msgpack:"type" json:"type"`
	SPUs       []SPUEndpoint       `msgpack:"spus" json:"spus"`
	Partitions []PartitionMetadata `msgpack:"partitions" json:"partitions"`
}

// MetadataResponseType is the Type of a MetadataResponse.
const MetadataResponseType = "fluvio.bus.v1.metadata_response"
