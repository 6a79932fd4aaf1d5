package bus

// Messages between an spu-server and the SC on the per-SPU subjects
// fluvio.spu.<id>.* (see SUBJECTS.md). The id in a message must equal the
// id in its subject; the SC refuses it otherwise (ErrSPUIDMismatch).

// SPUHello is sent by an spu-server on SubjectSPURegister(id) when it
// starts. The SC answers SPUHelloResponse, or ErrSPUNotRegistered when
// nobody registered the id.
type SPUHello struct {
	Type string `json:"type,omitempty"`
	ID   SPUID  `json:"id"`
	// Incarnation is random per process start; the SC uses it to tell a
	// restarted spu-server from a long-running one.
	Incarnation string `json:"incarnation"`
	// StorageID identifies the SPU's data directory: random, created with
	// it. When it differs from the one the SC recorded, the disk was
	// wiped or replaced: the SC takes the SPU out of every ISR (new
	// leaders, epochs bumped) before it answers, so the empty replicas
	// catch up as followers. Empty from SPUs that predate it.
	StorageID string `json:"storageId,omitempty"`
	Version   string `json:"version,omitempty"`
}

// SPUHelloResponse tells the SPU what was registered for it and its
// desired replicas.
type SPUHelloResponse struct {
	Type string  `json:"type"`
	Spec SPUSpec `json:"spec"`
	Name string  `json:"name"`
	// HeartbeatIntervalMs is how often the SC wants heartbeats.
	HeartbeatIntervalMs int64 `json:"heartbeatIntervalMs"`
	// Replicas is the full replica set (Full is true).
	Replicas ReplicaSet `json:"replicas"`
}

// Heartbeat is sent by an spu-server on SubjectSPUHeartbeat(id) every
// HeartbeatIntervalMs. The SC answers HeartbeatResponse, or
// ErrSPUNotRegistered when the id was unregistered (the SPU must stop).
type Heartbeat struct {
	Type        string `json:"type,omitempty"`
	ID          SPUID  `json:"id"`
	Incarnation string `json:"incarnation"`
	// StorageID is as in SPUHello.
	StorageID string `json:"storageId,omitempty"`
	// AppliedEpoch is the epoch of the last ReplicaSet the SPU applied.
	AppliedEpoch int64 `json:"appliedEpoch"`
	// NeedFullSync asks the SC for a full ReplicaSet (the SPU saw a gap
	// in the epochs of change sets).
	NeedFullSync bool            `json:"needFullSync,omitempty"`
	Replicas     []ReplicaStatus `json:"replicas"`
	// Stopping is set on the last heartbeat of an spu-server shutting down
	// cleanly: the SC marks it offline at once (and moves leaderships)
	// instead of waiting for the heartbeat timeout.
	Stopping bool `json:"stopping,omitempty"`
	// Version is the spu-server's version, as in SPUHello: an SC that
	// never saw this SPU's hello (it took over after a failover) learns it
	// from the next beat.
	Version string `json:"version,omitempty"`
}

// HeartbeatResponse acknowledges a Heartbeat.
type HeartbeatResponse struct {
	Type string `json:"type"`
	// HeartbeatIntervalMs is how often the SC wants heartbeats.
	HeartbeatIntervalMs int64 `json:"heartbeatIntervalMs"`
}

// Control is published by the SC on SubjectSPUControl(id).
type Control struct {
	Type string `json:"type"`
	SPU  SPUID  `json:"spu"`
	// Command is ControlStop.
	Command string `json:"command"`
	Reason  string `json:"reason,omitempty"`
}

// Control commands.
const (
	// ControlStop tells the spu-server to exit: it was unregistered.
	ControlStop = "stop"
)

// ISRUpdate is sent by a partition leader on SubjectSPUISR(id) when the
// partition's in-sync replica set changes. The SC stores it (CAS) when ID
// is the leader and LeaderEpoch is current, and pushes the new ISR to the
// replicas. Errors: ErrTopicNotFound, ErrNotLeader, ErrStaleEpoch.
type ISRUpdate struct {
	Type string `json:"type,omitempty"`
	ID   SPUID  `json:"id"`
	PartitionID
	LeaderEpoch int32   `json:"leaderEpoch"`
	ISR         []SPUID `json:"isr"`
}

// ISRUpdateResponse acknowledges an ISRUpdate.
type ISRUpdateResponse struct {
	Type string `json:"type"`
}

// Versioned message types.
const (
	SPURegisterRequestType    = "fluvio.bus.v1.spu_register_request"
	SPURegisterResponseType   = "fluvio.bus.v1.spu_register_response"
	SPUUnregisterRequestType  = "fluvio.bus.v1.spu_unregister_request"
	SPUUnregisterResponseType = "fluvio.bus.v1.spu_unregister_response"
	SPUListRequestType        = "fluvio.bus.v1.spu_list_request"
	SPUListResponseType       = "fluvio.bus.v1.spu_list_response"
	TopicCreateRequestType    = "fluvio.bus.v1.topic_create_request"
	TopicCreateResponseType   = "fluvio.bus.v1.topic_create_response"
	TopicDeleteRequestType    = "fluvio.bus.v1.topic_delete_request"
	TopicDeleteResponseType   = "fluvio.bus.v1.topic_delete_response"
	TopicListRequestType      = "fluvio.bus.v1.topic_list_request"
	TopicListResponseType     = "fluvio.bus.v1.topic_list_response"
	PartitionListRequestType  = "fluvio.bus.v1.partition_list_request"
	PartitionListResponseType = "fluvio.bus.v1.partition_list_response"
	VersionRequestType        = "fluvio.bus.v1.version_request"
	VersionResponseType       = "fluvio.bus.v1.version_response"
	SPUHelloType              = "fluvio.bus.v1.spu_hello"
	SPUHelloResponseType      = "fluvio.bus.v1.spu_hello_response"
	HeartbeatType             = "fluvio.bus.v1.heartbeat"
	HeartbeatResponseType     = "fluvio.bus.v1.heartbeat_response"
	ControlType               = "fluvio.bus.v1.control"
	ISRUpdateType             = "fluvio.bus.v1.isr_update"
	ISRUpdateResponseType     = "fluvio.bus.v1.isr_update_response"
)

func (m *SPURegisterRequest) typeField() (*string, string) {
	return &m.Type, SPURegisterRequestType
}
func (m *SPURegisterResponse) typeField() (*string, string) {
	return &m.Type, SPURegisterResponseType
}
func (m *SPUUnregisterRequest) typeField() (*string, string) {
	return &m.Type, SPUUnregisterRequestType
}
func (m *SPUUnregisterResponse) typeField() (*string, string) {
	return &m.Type, SPUUnregisterResponseType
}
func (m *SPUListRequest) typeField() (*string, string)  { return &m.Type, SPUListRequestType }
func (m *SPUListResponse) typeField() (*string, string) { return &m.Type, SPUListResponseType }
func (m *TopicCreateRequest) typeField() (*string, string) {
	return &m.Type, TopicCreateRequestType
}
func (m *TopicCreateResponse) typeField() (*string, string) {
	return &m.Type, TopicCreateResponseType
}
func (m *TopicDeleteRequest) typeField() (*string, string) {
	return &m.Type, TopicDeleteRequestType
}
func (m *TopicDeleteResponse) typeField() (*string, string) {
	return &m.Type, TopicDeleteResponseType
}
func (m *TopicListRequest) typeField() (*string, string)  { return &m.Type, TopicListRequestType }
func (m *TopicListResponse) typeField() (*string, string) { return &m.Type, TopicListResponseType }
func (m *PartitionListRequest) typeField() (*string, string) {
	return &m.Type, PartitionListRequestType
}
func (m *PartitionListResponse) typeField() (*string, string) {
	return &m.Type, PartitionListResponseType
}
func (m *VersionRequest) typeField() (*string, string)    { return &m.Type, VersionRequestType }
func (m *VersionResponse) typeField() (*string, string)   { return &m.Type, VersionResponseType }
func (m *SPUHello) typeField() (*string, string)          { return &m.Type, SPUHelloType }
func (m *SPUHelloResponse) typeField() (*string, string)  { return &m.Type, SPUHelloResponseType }
func (m *Heartbeat) typeField() (*string, string)         { return &m.Type, HeartbeatType }
func (m *HeartbeatResponse) typeField() (*string, string) { return &m.Type, HeartbeatResponseType }
func (m *Control) typeField() (*string, string)           { return &m.Type, ControlType }
func (m *ISRUpdate) typeField() (*string, string)         { return &m.Type, ISRUpdateType }
func (m *ISRUpdateResponse) typeField() (*string, string) { return &m.Type, ISRUpdateResponseType }
func (m *ReplicaSet) typeField() (*string, string)        { return &m.Type, ReplicaSetType }
func (m *MetadataResponse) typeField() (*string, string)  { return &m.Type, MetadataResponseType }
