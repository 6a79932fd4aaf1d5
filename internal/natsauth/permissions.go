package natsauth

import (
	"fmt"
	"slices"

	"github.com/fluvio-go/fluvio/bus"
)

// Role is what an identity may do on the control plane.
type Role string

// Roles.
const (
	// RoleSC is the Streaming Controller: it answers the admin API and the
	// SPUs' requests, publishes replica sets and control messages, and is
	// the only identity that touches JetStream (the KV bucket).
	RoleSC Role = "sc"
	// RoleSPU is one SPU: it publishes only its own request subjects
	// (fluvio.spu.<id>.register|heartbeat|isr) and receives only what the
	// SC sends it (fluvio.spu.<id>.replicas|control).
	RoleSPU Role = "spu"
	// RoleAdmin may call every admin endpoint.
	RoleAdmin Role = "admin"
	// RoleClient may read the metadata produce and consume need (leaders,
	// topics, partitions), not change anything.
	RoleClient Role = "client"
	// RoleReadOnly may list and describe (topic, partition and SPU lists,
	// the version), but not fetch the metadata producers and consumers use.
	RoleReadOnly Role = "read-only"
)

// Roles lists the client roles a person or program can be given.
var Roles = []Role{RoleAdmin, RoleClient, RoleReadOnly}

// ParseRole checks a client role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if slices.Contains(Roles, r) {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: pick admin, client or read-only", s)
}

// Perms are the subjects one identity may publish and subscribe to.
type Perms struct {
	Publish   []string
	Subscribe []string
	// AllowResponses lets the identity publish one reply to each request
	// it received (NATS allow_responses), whatever its reply subject.
	AllowResponses bool
}

// readOnlySubjects are the admin endpoints RoleReadOnly may call.
var readOnlySubjects = []string{
	bus.SubjectAdminTopicList, bus.SubjectAdminPartitionList, bus.SubjectAdminSPUList, bus.SubjectAdminVersionGet,
}

// clientSubjects are the admin endpoints RoleClient may call.
var clientSubjects = append(slices.Clone(readOnlySubjects), bus.SubjectAdminMetadataGet)

// Permissions returns what an identity with role and public key pub may
// do. spu is the SPU id for RoleSPU (ignored otherwise); bucket is the
// SC's JetStream KV bucket (RoleSC only).
func Permissions(role Role, pub string, spu bus.SPUID, bucket string) (Perms, error) {
	inbox := InboxPrefix(pub) + ".>"
	switch role {
	case RoleSC:
		return Perms{
			Publish: []string{
				bus.SubjectSPUReplicasAll, bus.SubjectSPUControlAll,
				"$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "$KV." + bucket + ".>",
			},
			Subscribe: []string{
				bus.SubjectAdminAll, bus.SubjectSPURegisterAll, bus.SubjectSPUHeartbeatAll, bus.SubjectSPUISRAll,
				"$SRV.>", inbox,
			},
			AllowResponses: true,
		}, nil
	case RoleSPU:
		return Perms{
			Publish:   []string{bus.SubjectSPURegister(spu), bus.SubjectSPUHeartbeat(spu), bus.SubjectSPUISR(spu)},
			Subscribe: []string{bus.SubjectSPUReplicas(spu), bus.SubjectSPUControl(spu), inbox},
		}, nil
	case RoleAdmin:
		return Perms{Publish: []string{bus.SubjectAdminAll, "$SRV.>"}, Subscribe: []string{inbox}}, nil
	case RoleClient:
		return Perms{Publish: slices.Clone(clientSubjects), Subscribe: []string{inbox}}, nil
	case RoleReadOnly:
		return Perms{Publish: slices.Clone(readOnlySubjects), Subscribe: []string{inbox}}, nil
	}
	return Perms{}, fmt.Errorf("natsauth: unknown role %q", role)
}
