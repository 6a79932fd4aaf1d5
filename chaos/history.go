package chaos

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio"
)

// Ack is a record the cluster acknowledged: the producer's send with
// sequence Seq of Value went to Partition at Offset, answered at At.
type Ack struct {
	Producer  int
	Seq       int64
	Partition int32
	Offset    int64
	Value     string
	At        time.Time
}

// Unknown is a send that failed or timed out: the record may or may not be
// stored. It is never counted as lost; if it is stored it must still be
// stored once and in order.
type Unknown struct {
	Producer  int
	Seq       int64
	Partition int32
	Value     string
	Err       string
}

// FaultKind names what the nemesis did.
type FaultKind string

// The faults of the nemesis.
const (
	// FaultKill: kill -9 a partition's leader, start it again after a delay.
	FaultKill FaultKind = "kill"
	// FaultPause: SIGSTOP a partition's leader for longer than the
	// heartbeat timeout, then SIGCONT.
	FaultPause FaultKind = "pause"
	// FaultRestart: SIGTERM an SPU, wait for it to exit, start it again.
	FaultRestart FaultKind = "restart"
	// FaultWipe: SIGTERM an SPU, delete its whole data directory, start
	// it again: an SPU back with an empty (replaced) disk.
	FaultWipe FaultKind = "wipe"
	// FaultReregister: unregister an SPU (its spu-server is told to stop
	// and exits), register the id again with the same addresses, start
	// it again on its data directory.
	FaultReregister FaultKind = "reregister"
	// FaultCorrupt: SIGTERM a follower of a partition, flip one byte in
	// the first batch of its replica's newest closed segment that has
	// index entries (valid batches and segments follow: corruption, not a
	// torn tail; chaos topics use small segments so they roll), start it
	// again. Its open must find the damage, it must leave the ISR, cut its
	// log at the damage and fetch the rest from its leader: the fault is
	// recorded once its .broken file appears (the run fails after 30 s
	// without). Drawn before any such segment exists, it is tried again
	// at the next fault.
	FaultCorrupt FaultKind = "corrupt"
	// FaultStallKill: SIGSTOP a partition's followers, kill -9 its leader
	// while they are stopped, SIGCONT them, start the leader again. With
	// acks=leader the leader acknowledges records no follower has.
	FaultStallKill FaultKind = "stall-kill"
	// FaultSCKill: kill -9 the sc-server (and its embedded NATS), start
	// it again after a delay (only with Config.KillSC).
	FaultSCKill FaultKind = "sc-kill"
	// FaultActiveSCKill: kill -9 the active SC (and its NATS node), start
	// it again after a delay (only with Config.SCReplicas > 1); a standby
	// takes the lease (Fault.SCFailover).
	FaultActiveSCKill FaultKind = "active-sc-kill"
	// FaultActiveSCPause: SIGSTOP the active SC (and its NATS node) for
	// longer than the lease, then SIGCONT: a standby takes over and the
	// old one, deposed, must write nothing (Config.SCReplicas > 1).
	FaultActiveSCPause FaultKind = "active-sc-pause"
	// FaultNATSNodeKill: kill -9 a standby SC with its NATS node, start it
	// again after a delay (Config.SCReplicas > 1).
	FaultNATSNodeKill FaultKind = "nats-node-kill"
	// FaultControlPlaneOutage: SIGSTOP every SC and NATS node for a few
	// heartbeat timeouts, then SIGCONT them all: producers and consumers
	// go on against the leaders they know (Config.SCReplicas > 1).
	FaultControlPlaneOutage FaultKind = "control-plane-outage"
	// FaultNewTopic: create a topic and send a burst of records to it at
	// once, pipelined, while its replicas are still being created (the
	// leader refuses the first requests: unknown partition, not leader).
	FaultNewTopic FaultKind = "new-topic"
)

// Fault is one nemesis action: Kind against SPU at At, when SPU led the
// partitions Led.
type Fault struct {
	Kind FaultKind
	SPU  int32
	Led  []int32
	At   time.Time
	// SCFailover is, for a fault on the active SC, the time from the fault
	// until another SC held the lease (0: not measured).
	SCFailover time.Duration
	// SCFailoverSeen is when the harness's client saw the new active SC
	// (its lease readable again), after the fault.
	SCFailoverSeen time.Duration
}

// History is what the harness saw while the faults ran.
type History struct {
	Acks    []Ack
	Unknown []Unknown
	Faults  []Fault
	// Producers sums the producers' counters: how often the leaders'
	// idempotence checks answered (DuplicateSequence, OutOfOrderSequence).
	Producers fluvio.ProducerStats
	// Elections is the number of leader changes the SC made (the sum over
	// partitions of the rise of the leader epoch).
	Elections int
}

// Value is the record value for sequence seq of producer p: "p<p>-<seq>".
// Values are unique within a run.
func Value(p int, seq int64) string { return fmt.Sprintf("p%d-%d", p, seq) }

// parseValue is the inverse of Value.
func parseValue(v string) (p int, seq int64, ok bool) {
	rest, found := strings.CutPrefix(v, "p")
	if !found {
		return 0, 0, false
	}
	ps, ss, found := strings.Cut(rest, "-")
	if !found {
		return 0, 0, false
	}
	pi, err1 := strconv.Atoi(ps)
	si, err2 := strconv.ParseInt(ss, 10, 64)
	if err1 != nil || err2 != nil || pi < 0 || si < 0 {
		return 0, 0, false
	}
	return pi, si, true
}
