package natsauth

import (
	"fmt"
	"slices"
	"strings"
)

// The control plane's subjects (bus/SUBJECTS.md; bus/subjects.go has the
// same, and the security suite checks the two agree by using them).
const (
	subjAdminAll      = "fluvio.admin.v1.>"
	subjAdmin         = "fluvio.admin.v1."
	subjSPURegisterT  = "fluvio.spu.%d.register"
	subjSPUHeartbeatT = "fluvio.spu.%d.heartbeat"
	subjSPUISRT       = "fluvio.spu.%d.isr"
	subjSPUReplicasT  = "fluvio.spu.%d.replicas"
	subjSPUControlT   = "fluvio.spu.%d.control"
	subjSPURepairT    = "fluvio.spu.%d.repair"
)

// SPUID is an SPU id (bus.SPUID).
type SPUID = int32

func spuSubject(format string, id SPUID) string { return fmt.Sprintf(format, id) }
func anySPU(format string) string               { return fmt.Sprintf(strings.Replace(format, "%d", "%s", 1), "*") }

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
	// SC sends it (fluvio.spu.<id>.replicas|control|repair), answering
	// the repair requests.
	RoleSPU Role = "spu"
	// RoleAdmin may call every admin endpoint and watch (not publish) the
	// SC-SPU subjects.
	RoleAdmin Role = "admin"
	// RoleClient may read the metadata produce and consume need (leaders,
	// topics, partitions), not change anything.
	RoleClient Role = "client"
	// RoleReadOnly may list and describe (topic, partition and SPU lists,
	// the version) and read the metadata consumers need (leaders); the
	// SPUs let it consume, not produce (spu/clientauth.go). It may not
	// commit a named consumer's offset.
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
	subjAdmin + "topic.list", subjAdmin + "partition.list", subjAdmin + "spu.list", subjAdmin + "version.get",
	subjAdmin + "consumer.list", subjAdmin + "metadata.get",
}

// clientSubjects are the admin endpoints RoleClient may call.
var clientSubjects = append(slices.Clone(readOnlySubjects), subjAdmin+"consumer.storage")

// Permissions returns what an identity with role and public key pub may
// do. spu is the SPU id for RoleSPU (ignored otherwise); bucket is the
// SC's JetStream KV bucket (RoleSC only).
func Permissions(role Role, pub string, spu SPUID, bucket string) (Perms, error) {
	inbox := InboxPrefix(pub) + ".>"
	switch role {
	case RoleSC:
		return Perms{
			Publish: []string{
				anySPU(subjSPUReplicasT), anySPU(subjSPUControlT), anySPU(subjSPURepairT),
				// JetStream and every KV bucket of the account (the
				// metadata, the named consumers' offsets): only the SC.
				"$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "$KV.>",
			},
			Subscribe: []string{
				subjAdminAll, anySPU(subjSPURegisterT), anySPU(subjSPUHeartbeatT), anySPU(subjSPUISRT),
				"$SRV.>", inbox,
				// The metadata stream's leader elections (logged).
				"$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.>",
			},
			AllowResponses: true,
		}, nil
	case RoleSPU:
		return Perms{
			Publish: []string{spuSubject(subjSPURegisterT, spu), spuSubject(subjSPUHeartbeatT, spu), spuSubject(subjSPUISRT, spu)},
			Subscribe: []string{spuSubject(subjSPUReplicasT, spu), spuSubject(subjSPUControlT, spu),
				spuSubject(subjSPURepairT, spu), inbox},
			// To answer the SC's repair requests (only the SC may send
			// them: nobody else may publish on fluvio.spu.<id>.repair).
			AllowResponses: true,
		}, nil
	case RoleAdmin:
		// Admins may watch the SC-SPU traffic ('nats sub fluvio.spu.>'),
		// not publish on it.
		// and read (not write) the metadata bucket ('fluvio cluster
		// status' shows the SC lease and the bucket's replicas).
		return Perms{Publish: append([]string{subjAdminAll, "$SRV.>"}, kvReadSubjects(bucket)...), Subscribe: []string{"fluvio.spu.>", inbox}}, nil
	case RoleClient:
		return Perms{Publish: slices.Clone(clientSubjects), Subscribe: []string{inbox}}, nil
	case RoleReadOnly:
		return Perms{Publish: slices.Clone(readOnlySubjects), Subscribe: []string{inbox}}, nil
	}
	return Perms{}, fmt.Errorf("natsauth: unknown role %q", role)
}

// kvReadSubjects are the JetStream API subjects that read bucket without
// changing it: the account and stream info and direct gets.
func kvReadSubjects(bucket string) []string {
	return []string{
		"$JS.API.INFO",
		"$JS.API.STREAM.INFO.KV_" + bucket,
		"$JS.API.DIRECT.GET.KV_" + bucket,
		"$JS.API.DIRECT.GET.KV_" + bucket + ".>",
		"$JS.API.STREAM.MSG.GET.KV_" + bucket,
	}
}
