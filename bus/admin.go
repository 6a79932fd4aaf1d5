package bus

// The admin API: request and response types of the subjects
// fluvio.admin.v1.<resource>.<verb> served by the SC's micro service
// "fluvio-sc". Call them with Request, for example
//
//	resp, err := bus.Request[bus.TopicListResponse](ctx, nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
//
// List items are shaped like Fluvio's metadata: {"name", "spec", "status"}
// with camelCase keys.

import "time"

// SPU types (SPUSpec.Type).
const (
	SPUTypeCustom  = "Custom"
	SPUTypeManaged = "Managed"
)

// SPU resolutions (SPUStatus.Resolution).
const (
	SPUOnline  = "Online"
	SPUOffline = "Offline"
)

// SPU is one registered SPU as the admin API lists it.
type SPU struct {
	Name   string    `json:"name"`
	Spec   SPUSpec   `json:"spec"`
	Status SPUStatus `json:"status"`
}

// SPUSpec is what was registered for an SPU.
type SPUSpec struct {
	ID SPUID `json:"spuId"`
	// Type is SPUTypeCustom or SPUTypeManaged.
	Type string `json:"spuType"`
	// Rack is the rack label, nil when none was given.
	Rack *string `json:"rack"`
	// PublicEndpoint is the HOST:PORT clients connect to.
	PublicEndpoint string `json:"publicEndpoint"`
	// PrivateEndpoint is the HOST:PORT followers replicate from.
	PrivateEndpoint string `json:"privateEndpoint"`
	// NKey is the public nkey (U...) the SPU's spu-server authenticates
	// with on NATS; "" when the SPU was registered without one (a cluster
	// without auth). Only the SPU holding the matching seed can speak as it.
	NKey string `json:"nkey,omitempty"`
}

// SPUStatus is the SC's view of an SPU's liveness (kept in SC memory).
type SPUStatus struct {
	// Resolution is SPUOnline or SPUOffline.
	Resolution string `json:"resolution"`
	// LastHeartbeatMs is when the SC last heard from the SPU, in Unix
	// milliseconds; 0 if never since the SC started.
	LastHeartbeatMs int64 `json:"lastHeartbeatMs,omitempty"`
	// Incarnation identifies the running spu-server process.
	Incarnation string `json:"incarnation,omitempty"`
	// Version is the spu-server's version.
	Version string `json:"version,omitempty"`
}

// Online reports whether the SPU is online.
func (s SPU) Online() bool { return s.Status.Resolution == SPUOnline }

// RackName returns the rack label or "".
func (s SPUSpec) RackName() string {
	if s.Rack == nil {
		return ""
	}
	return *s.Rack
}

// SPURegisterRequest registers an SPU (`fluvio custom-spu register`, and
// `fluvio cluster start` with Type managed). ID is int64 so that an id out
// of range is refused with a clear error rather than wrapped.
type SPURegisterRequest struct {
	Type string `json:"type,omitempty"`
	ID   int64  `json:"id"`
	// Name defaults to "custom-spu-<id>" (for managed SPUs too).
	Name string `json:"name,omitempty"`
	Rack string `json:"rack,omitempty"`
	// PublicEndpoint and PrivateEndpoint are HOST:PORT; both required.
	PublicEndpoint  string `json:"publicEndpoint"`
	PrivateEndpoint string `json:"privateEndpoint"`
	// SPUType is SPUTypeCustom (default) or SPUTypeManaged (any case).
	SPUType string `json:"spuType,omitempty"`
	// NKey is the public nkey of the SPU's credentials ('fluvio custom-spu
	// register' makes the key pair and keeps the seed); required when the
	// SC's NATS has auth on.
	NKey string `json:"nkey,omitempty"`
}

// SPURegisterResponse answers SPURegisterRequest with the stored SPU.
type SPURegisterResponse struct {
	Type string `json:"type"`
	SPU  SPU    `json:"spu"`
	// AuthRequired is true when the SC's NATS requires identities: the
	// spu-server then needs the credentials whose public key was sent.
	AuthRequired bool `json:"authRequired,omitempty"`
}

// SPUUnregisterRequest removes an SPU by ID or by Name (exactly one). A
// connected spu-server is told to stop and refused from then on.
type SPUUnregisterRequest struct {
	Type string `json:"type,omitempty"`
	ID   *int64 `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// SPUUnregisterResponse answers SPUUnregisterRequest with what was removed.
type SPUUnregisterResponse struct {
	Type string `json:"type"`
	SPU  SPU    `json:"spu"`
}

// SPUListRequest lists SPUs. CustomOnly keeps custom SPUs only
// (`fluvio custom-spu list`); Names keeps those names (empty: all).
type SPUListRequest struct {
	Type       string   `json:"type,omitempty"`
	CustomOnly bool     `json:"customOnly,omitempty"`
	Names      []string `json:"names,omitempty"`
}

// SPUListResponse lists SPUs ordered by id.
type SPUListResponse struct {
	Type  string `json:"type"`
	Items []SPU  `json:"items"`
}

// Topic resolutions (TopicStatus.Resolution).
const (
	TopicProvisioned = "Provisioned"
	TopicPending     = "Pending"
)

// Topic is one topic as the admin API lists it.
type Topic struct {
	Name   string      `json:"name"`
	Spec   TopicSpec   `json:"spec"`
	Status TopicStatus `json:"status"`
}

// TopicStatus summarises a topic's partitions.
type TopicStatus struct {
	// Resolution is TopicProvisioned when every partition's leader is
	// online and has reported its replica (PartitionOnline), else
	// TopicPending with the reason.
	Resolution string `json:"resolution"`
	// ReplicaMap maps partition number to its replicas, leader first.
	ReplicaMap map[int32][]SPUID `json:"replicaMap"`
	// Reason explains a Pending resolution.
	Reason string `json:"reason,omitempty"`
	// CreatedMs is the creation time in Unix milliseconds.
	CreatedMs int64 `json:"createdMs,omitempty"`
	// ID identifies this incarnation of the topic (PartitionMetadata.TopicID).
	ID int64 `json:"id,omitempty"`
	// Partitions is each partition's leader, replicas, ISR and the SPUs'
	// reports (size, LEO, HW), as partition.list gives them.
	Partitions []Partition `json:"partitions,omitempty"`
}

// TopicCreateRequest creates a topic. Name: lowercase letters, digits and
// '-', at most 63 characters. Spec.Partitions and Spec.ReplicationFactor
// default to 1 when 0. DryRun validates and places without storing.
// WaitMs > 0 makes the SC answer only once every partition can take a
// produce (its leader SPU has reported the replica: the topic's status is
// provisioned), or after WaitMs (at most MaxTopicWaitMs), whichever
// first; the answer's Waited says it did.
type TopicCreateRequest struct {
	Type   string    `json:"type,omitempty"`
	Name   string    `json:"name"`
	Spec   TopicSpec `json:"spec"`
	DryRun bool      `json:"dryRun,omitempty"`
	WaitMs int64     `json:"waitMs,omitempty"`
}

// MaxTopicWaitMs bounds TopicCreateRequest.WaitMs.
const MaxTopicWaitMs = 5 * 60 * 1000

// TopicCreateResponse answers TopicCreateRequest with the created topic.
// Waited: the SC waited as WaitMs asked, and Topic.Status is as of the end
// of the wait (provisioned, or pending with the reason); an SC that does
// not know WaitMs answers at once and leaves it false.
type TopicCreateResponse struct {
	Type   string `json:"type"`
	Topic  Topic  `json:"topic"`
	Waited bool   `json:"waited,omitempty"`
}

// TopicDeleteRequest deletes a topic; its SPUs delete their logs.
type TopicDeleteRequest struct {
	Type string `json:"type,omitempty"`
	Name string `json:"name"`
}

// TopicDeleteResponse answers TopicDeleteRequest.
type TopicDeleteResponse struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// TopicListRequest lists topics; Names filters (describe = list with one
// name). A name in Names that does not exist is ErrTopicNotFound.
type TopicListRequest struct {
	Type  string   `json:"type,omitempty"`
	Names []string `json:"names,omitempty"`
	// System lists the system topics (TopicSpec.System) instead of the
	// users' topics when Names is empty; named topics are listed whatever
	// their kind.
	System bool `json:"system,omitempty"`
}

// TopicListResponse lists topics ordered by name.
type TopicListResponse struct {
	Type  string  `json:"type"`
	Items []Topic `json:"items"`
}

// Partition resolutions (PartitionStatus.Resolution).
const (
	PartitionOnline        = "Online"
	PartitionLeaderOffline = "LeaderOffline"
	// PartitionProvisioning: the leader's SPU is online but has not yet
	// reported (in a heartbeat) that it holds the replica as leader at the
	// current leader epoch, so it cannot take requests yet.
	PartitionProvisioning = "Provisioning"
	// PartitionCorrupt: the leader's replica did not open because of
	// corruption and no other in-sync replica can lead (see
	// ReplicaReport.Corrupt; 'fluvio partition repair' cuts it).
	PartitionCorrupt = "Corrupt"
)

// Partition is one partition as the admin API lists it; its name is
// "<topic>-<partition>".
type Partition struct {
	Name   string          `json:"name"`
	Spec   PartitionSpec   `json:"spec"`
	Status PartitionStatus `json:"status"`
}

// PartitionSpec is the SC's assignment of a partition.
type PartitionSpec struct {
	Topic       string  `json:"topic"`
	Partition   int32   `json:"partition"`
	Leader      SPUID   `json:"leader"`
	Replicas    []SPUID `json:"replicas"`
	LeaderEpoch int32   `json:"leaderEpoch"`
}

// PartitionStatus is the partition's state as the SPUs last reported it.
type PartitionStatus struct {
	// Resolution is PartitionOnline when the leader's SPU is online and
	// has reported the replica as leader at the current epoch,
	// PartitionProvisioning when it is online but has not yet, else
	// PartitionLeaderOffline.
	Resolution string  `json:"resolution"`
	ISR        []SPUID `json:"isr"`
	// HW, LEO and Size are the leader's; -1 when it has not reported.
	HW   int64 `json:"hw"`
	LEO  int64 `json:"leo"`
	Size int64 `json:"size"`
	// ReportedAt is when the SC received the leader's report of HW, LEO
	// and Size (its last heartbeat); zero when it has not reported.
	ReportedAt time.Time `json:"reportedAt,omitzero"`
	// Replicas holds each replica's report (leader included).
	Replicas []ReplicaReport `json:"replicas"`
}

// ReplicaReport is one SPU's report of one partition replica.
type ReplicaReport struct {
	SPU    SPUID  `json:"spu"`
	Online bool   `json:"online"`
	Role   string `json:"role,omitempty"`
	LEO    int64  `json:"leo"`
	HW     int64  `json:"hw"`
	Size   int64  `json:"size"`
	Error  string `json:"error,omitempty"`
	// Corrupt is "FILE at position N" when the replica's log did not open
	// because of corruption (see ReplicaStatus.Corrupt).
	Corrupt string `json:"corrupt,omitempty"`
	// ReportedAt is when the SC received this report (the SPU's last
	// heartbeat); zero when there is none.
	ReportedAt time.Time `json:"reportedAt,omitzero"`
}

// PartitionListRequest lists partitions of Topics (empty: all topics).
type PartitionListRequest struct {
	Type   string   `json:"type,omitempty"`
	Topics []string `json:"topics,omitempty"`
	// System lists the system topics' partitions instead of the users'
	// when Topics is empty (as TopicListRequest.System).
	System bool `json:"system,omitempty"`
}

// PartitionListResponse lists partitions ordered by topic and number.
type PartitionListResponse struct {
	Type  string      `json:"type"`
	Items []Partition `json:"items"`
}

// VersionRequest asks the SC for its version.
type VersionRequest struct {
	Type string `json:"type,omitempty"`
}

// VersionResponse is the SC's version and build.
type VersionResponse struct {
	Type      string `json:"type"`
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	// NATS is the version of the NATS server the SC uses.
	NATS string `json:"nats"`
}
