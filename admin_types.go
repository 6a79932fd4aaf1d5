package fluvio

import "github.com/fluvio-go/fluvio/bus"

// The SC's descriptions of its objects, as the admin calls return them.
// They are the SC's own types (the admin API's messages, see
// bus/SUBJECTS.md), so printing one as JSON or YAML shows exactly what the
// SC stored; import package fluvio only to use them.
type (
	// SPUID identifies an SPU: 0 to MaxSPUID.
	SPUID = bus.SPUID
	// Topic is a topic as the SC lists it: Spec as created, Status with the
	// replica map and whether every partition's leader is online.
	Topic = bus.Topic
	// TopicSpec is a topic's settings.
	TopicSpec = bus.TopicSpec
	// TopicStatus is a topic's provisioning state and replica map.
	TopicStatus = bus.TopicStatus
	// Partition is a partition as the SC lists it: leader, replicas, ISR
	// and the leader's last report (HW, LEO, size).
	Partition = bus.Partition
	// PartitionSpec is a partition's leader and replica assignment.
	PartitionSpec = bus.PartitionSpec
	// PartitionStatus is a partition's ISR and the leader's last report.
	PartitionStatus = bus.PartitionStatus
	// ReplicaReport is one replica's last report to the SC.
	ReplicaReport = bus.ReplicaReport
	// SPU is an SPU as the SC lists it.
	SPU = bus.SPU
	// SPUSpec is an SPU's registration: id, type, rack, addresses.
	SPUSpec = bus.SPUSpec
	// SPUStatus is an SPU's liveness (online while it heartbeats).
	SPUStatus = bus.SPUStatus
	// Metadata says where partitions live: each partition's leader and
	// replicas, and each SPU's public address.
	Metadata = bus.MetadataResponse
	// PartitionMetadata is what a client needs to reach one partition.
	PartitionMetadata = bus.PartitionMetadata
	// SPUEndpoint is an SPU's advertised public address.
	SPUEndpoint = bus.SPUEndpoint
	// SCError is an error reply of the SC: Message says what went wrong,
	// Hint what to do next, Code is stable (errors.Is compares it with the
	// Err* sentinels of this package).
	SCError = bus.Error
)

// Values of the SC's descriptions.
const (
	// MaxSPUID is the largest valid SPU id.
	MaxSPUID = bus.MaxSPUID
	// SPUTypeCustom is an SPU registered with 'fluvio custom-spu register'.
	SPUTypeCustom = bus.SPUTypeCustom
	// SPUTypeManaged is an SPU a local cluster registered and runs.
	SPUTypeManaged = bus.SPUTypeManaged
	// SPUOnline and SPUOffline are SPUStatus.Resolution values.
	SPUOnline  = bus.SPUOnline
	SPUOffline = bus.SPUOffline
	// TopicProvisioned and TopicPending are TopicStatus.Resolution values.
	TopicProvisioned = bus.TopicProvisioned
	TopicPending     = bus.TopicPending
	// PartitionOnline, PartitionLeaderOffline, PartitionProvisioning and
	// PartitionCorrupt are PartitionStatus.Resolution values.
	PartitionOnline        = bus.PartitionOnline
	PartitionLeaderOffline = bus.PartitionLeaderOffline
	PartitionProvisioning  = bus.PartitionProvisioning
	PartitionCorrupt       = bus.PartitionCorrupt
	// AdminServiceName is the name the SC's admin API is served under.
	AdminServiceName = bus.ServiceName
)
