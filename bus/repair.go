package bus

import "fmt"

// Repairing a partition whose replicas are all corrupt ('fluvio partition
// repair'): the admin asks the SC, which asks each SPU holding a corrupt
// replica on the SPU's own repair subject.
const (
	SubjectAdminPartitionRepair = "fluvio.admin.v1.partition.repair"

	// SubjectSPURepairT: SC -> SPU request, ReplicaRepairRequest /
	// ReplicaRepairResponse.
	SubjectSPURepairT   = "fluvio.spu.%d.repair"
	SubjectSPURepairAll = "fluvio.spu.*.repair"

	PartitionRepairRequestType  = "fluvio.bus.v1.partition_repair_request"
	PartitionRepairResponseType = "fluvio.bus.v1.partition_repair_response"
	ReplicaRepairRequestType    = "fluvio.bus.v1.replica_repair_request"
	ReplicaRepairResponseType   = "fluvio.bus.v1.replica_repair_response"
)

// SubjectSPURepair returns the subject the SC sends SPU id's repair
// requests on.
func SubjectSPURepair(id SPUID) string { return fmt.Sprintf(SubjectSPURepairT, id) }

// PartitionRepairRequest asks the SC to repair partition Partition of
// Topic. Without TruncateAtCorruption nothing changes: the answer says
// what would be dropped (a dry run).
type PartitionRepairRequest struct {
	Type                 string `msgpack:"type" json:"type,omitempty"`
	Topic                string `msgpack:"topic" json:"topic"`
	Partition            int32  `msgpack:"partition" json:"partition"`
	TruncateAtCorruption bool   `msgpack:"truncateAtCorruption" json:"truncateAtCorruption"`
}

// PartitionRepairResponse.Action values.
const (
	// RepairNothing: no replica of the partition is reported corrupt.
	RepairNothing = "none"
	// RepairFromLeader: a healthy leader serves the partition; the
	// corrupt replicas repair themselves from it, dropping nothing.
	RepairFromLeader = "from-leader"
	// RepairDryRun: what TruncateAtCorruption would do; nothing changed.
	RepairDryRun = "dry-run"
	// RepairTruncated: the new leader's log was cut (or it needed no
	// cut) and it leads at a new epoch; the other corrupt replicas repair
	// from it.
	RepairTruncated = "truncated"
)

// PartitionRepairResponse says what the repair did or would do.
type PartitionRepairResponse struct {
	Type      string `msgpack:"type" json:"type"`
	Topic     string `msgpack:"topic" json:"topic"`
	Partition int32  `msgpack:"partition" json:"partition"`
	// Action is RepairNothing, RepairFromLeader, RepairDryRun or
	// RepairTruncated.
	Action string `msgpack:"action" json:"action"`
	// Leader is the SPU that leads (or would lead) after the repair: the
	// replica whose log keeps the most records.
	Leader SPUID `msgpack:"leader" json:"leader"`
	// LeaderEpoch is the partition's leader epoch after the repair.
	LeaderEpoch int32 `msgpack:"leaderEpoch" json:"leaderEpoch"`
	// Corrupt lists the SPUs whose replica is reported corrupt.
	Corrupt []SPUID `msgpack:"corrupt" json:"corrupt"`
	// Replicas are each candidate's cut, the leader's first. A healthy
	// candidate (not corrupt, outside the ISR) has an empty File.
	Replicas []ReplicaRepair `msgpack:"replicas" json:"replicas"`
	// EndOffset is where the partition's log ends after the repair, and
	// DroppedRecords how many offsets from it on the repair drops, over
	// every replica (the highest end any replica's valid batches reach,
	// minus EndOffset).
	EndOffset      int64 `msgpack:"endOffset" json:"endOffset"`
	DroppedRecords int64 `msgpack:"droppedRecords" json:"droppedRecords"`
	// Message says in one sentence what happened or would happen.
	Message string `msgpack:"message" json:"message"`
}

// ReplicaRepair is what cutting one replica's log at its first corrupt
// batch drops (or dropped).
type ReplicaRepair struct {
	SPU SPUID `msgpack:"spu" json:"spu"`
	// File and Position locate the first bad batch; Reason says what is
	// wrong with it. File is empty for a replica that is not corrupt.
	File     string `msgpack:"file" json:"file,omitempty"`
	Position int64  `msgpack:"position" json:"position"`
	Reason   string `msgpack:"reason" json:"reason,omitempty"`
	// EndOffset is the log end after the cut (records below it are kept),
	// OldEndOffset where the valid batches after the damage reached.
	EndOffset    int64 `msgpack:"endOffset" json:"endOffset"`
	OldEndOffset int64 `msgpack:"oldEndOffset" json:"oldEndOffset"`
	// DroppedRecords is OldEndOffset - EndOffset; DroppedBytes the bytes
	// cut from the damaged segment plus the later segments removed.
	DroppedRecords  int64 `msgpack:"droppedRecords" json:"droppedRecords"`
	DroppedBytes    int64 `msgpack:"droppedBytes" json:"droppedBytes"`
	DroppedSegments int   `msgpack:"droppedSegments" json:"droppedSegments"`
	// BrokenCopy is the file holding the cut bytes of the damaged segment.
	BrokenCopy string `msgpack:"brokenCopy" json:"brokenCopy,omitempty"`
}

// ReplicaRepairRequest asks SPU SPU to cut its corrupt replica of
// (Topic, Partition) at the last valid batch before the damage and to
// serve it again, or with DryRun only to say what the cut would drop.
type ReplicaRepairRequest struct {
	Type      string `msgpack:"type" json:"type,omitempty"`
	SPU       SPUID  `msgpack:"spu" json:"spu"`
	Topic     string `msgpack:"topic" json:"topic"`
	Partition int32  `msgpack:"partition" json:"partition"`
	DryRun    bool   `msgpack:"dryRun" json:"dryRun"`
}

// ReplicaRepairResponse answers ReplicaRepairRequest.
type ReplicaRepairResponse struct {
	Type   string        `msgpack:"type" json:"type"`
	Repair ReplicaRepair `msgpack:"repair" json:"repair"`
	// Repaired is true once the log was cut and the replica serves again.
	Repaired bool `msgpack:"repaired" json:"repaired"`
}

func (m *PartitionRepairRequest) typeField() (*string, string) {
	return &m.Type, PartitionRepairRequestType
}
func (m *PartitionRepairResponse) typeField() (*string, string) {
	return &m.Type, PartitionRepairResponseType
}
func (m *ReplicaRepairRequest) typeField() (*string, string) {
	return &m.Type, ReplicaRepairRequestType
}
func (m *ReplicaRepairResponse) typeField() (*string, string) {
	return &m.Type, ReplicaRepairResponseType
}
