package bus

import (
	"fmt"
	"strconv"
	"strings"
)

// Subjects. Each per-SPU subject has a template (…T, for fmt with the SPU
// id), a wildcard (…All, for the SC's subscription) and a function that
// fills the template. SUBJECTS.md documents who publishes and who answers.
const (
	// SubjectPrefix is the first token of every subject of ours.
	SubjectPrefix = "fluvio"

	// SubjectSPUAll matches every per-SPU subject; NATS permissions grant
	// SPU N "fluvio.spu.N.>".
	SubjectSPUAll = "fluvio.spu.>"

	// SubjectSPURegisterT: SPU -> SC request, SPURegister / SPURegisterResponse.
	SubjectSPURegisterT   = "fluvio.spu.%d.register"
	SubjectSPURegisterAll = "fluvio.spu.*.register"

	// SubjectSPUHeartbeatT: SPU -> SC request, Heartbeat / HeartbeatResponse.
	SubjectSPUHeartbeatT   = "fluvio.spu.%d.heartbeat"
	SubjectSPUHeartbeatAll = "fluvio.spu.*.heartbeat"

	// SubjectSPUISRT: SPU (a partition leader) -> SC request, ISRUpdate /
	// ISRUpdateResponse.
	SubjectSPUISRT   = "fluvio.spu.%d.isr"
	SubjectSPUISRAll = "fluvio.spu.*.isr"

	// SubjectSPUReplicasT: SC -> SPU publish, ReplicaSet.
	SubjectSPUReplicasT   = "fluvio.spu.%d.replicas"
	SubjectSPUReplicasAll = "fluvio.spu.*.replicas"

	// SubjectSPUControlT: SC -> SPU publish, Control (for example "stop"
	// after the SPU was unregistered).
	SubjectSPUControlT   = "fluvio.spu.%d.control"
	SubjectSPUControlAll = "fluvio.spu.*.control"

	// SubjectAdminPrefix is the prefix of the admin API served by the micro
	// service ServiceName; SubjectAdminT is its template (resource, verb).
	SubjectAdminPrefix = "fluvio.admin.v1"
	SubjectAdminT      = "fluvio.admin.v1.%s.%s"
	SubjectAdminAll    = "fluvio.admin.v1.>"
)

// Admin API subjects (SubjectAdmin(resource, verb)), served by the micro
// service ServiceName.
const (
	SubjectAdminSPUList       = "fluvio.admin.v1.spu.list"
	SubjectAdminSPURegister   = "fluvio.admin.v1.spu.register"
	SubjectAdminSPUUnregister = "fluvio.admin.v1.spu.unregister"
	SubjectAdminTopicCreate   = "fluvio.admin.v1.topic.create"
	SubjectAdminTopicDelete   = "fluvio.admin.v1.topic.delete"
	SubjectAdminTopicList     = "fluvio.admin.v1.topic.list"
	SubjectAdminPartitionList = "fluvio.admin.v1.partition.list"
	SubjectAdminMetadataGet   = "fluvio.admin.v1.metadata.get"
	SubjectAdminVersionGet    = "fluvio.admin.v1.version.get"

	// ServiceName is the nats.go micro service name of the SC
	// ("nats micro info fluvio-sc").
	ServiceName = "fluvio-sc"
)

// SubjectSPURegister returns the register subject of SPU id.
func SubjectSPURegister(id SPUID) string { return fmt.Sprintf(SubjectSPURegisterT, id) }

// SubjectSPUHeartbeat returns the heartbeat subject of SPU id.
func SubjectSPUHeartbeat(id SPUID) string { return fmt.Sprintf(SubjectSPUHeartbeatT, id) }

// SubjectSPUISR returns the ISR-update subject of SPU id.
func SubjectSPUISR(id SPUID) string { return fmt.Sprintf(SubjectSPUISRT, id) }

// SubjectSPUReplicas returns the subject the SC publishes SPU id's
// ReplicaSets on.
func SubjectSPUReplicas(id SPUID) string { return fmt.Sprintf(SubjectSPUReplicasT, id) }

// SubjectSPUControl returns the subject the SC publishes SPU id's Control
// messages on.
func SubjectSPUControl(id SPUID) string { return fmt.Sprintf(SubjectSPUControlT, id) }

// SubjectAdmin returns the admin subject of resource and verb, for example
// SubjectAdmin("topic", "create") is "fluvio.admin.v1.topic.create".
func SubjectAdmin(resource, verb string) string {
	return fmt.Sprintf(SubjectAdminT, resource, verb)
}

// ParseSPUSubject splits a per-SPU subject "fluvio.spu.<id>.<verb>" into
// the id and the verb. ok is false when subject is not of that form or the
// id is not a valid SPU id.
func ParseSPUSubject(subject string) (id SPUID, verb string, ok bool) {
	toks := strings.Split(subject, ".")
	if len(toks) != 4 || toks[0] != SubjectPrefix || toks[1] != "spu" {
		return 0, "", false
	}
	n, err := strconv.ParseInt(toks[2], 10, 32)
	if err != nil || n < 0 || toks[3] == "" {
		return 0, "", false
	}
	return SPUID(n), toks[3], true
}
