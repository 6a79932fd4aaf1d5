package sc

import (
	"sync"
	"time"
	_ "unsafe" // go:linkname to nats-server's RAFT timers
)

// RAFT timers of the embedded NATS cluster node.
//
// When the NATS node that led the metadata bucket's RAFT group dies, no
// write (the lease CAS included) can succeed until the two others elect
// a new stream leader. nats-server waits a random 4-9 s without a leader
// heartbeat (sent every 1 s) before a follower campaigns: tuned for WAN
// clusters, it was most of the SC failover time (p50 6.3 s, p99 26.7 s
// in chaos with the other causes). Its timers are package variables with
// no option to set them (its own tests assign them), so the SC links to
// them and shortens them once, before its first clustered node starts:
// heartbeats every 500 ms, elections after 2-4 s of silence (4 to 8
// missed heartbeats, so a loaded machine's scheduling delays do not
// trigger elections). Only RAFT (clustered JetStream) reads them.
//
// A linked variable that nats-server renamed or removed would silently
// be a new variable of ours: raftLinked checks each still holds a
// non-zero value (the server's default) before anything is changed, and
// TestRaftTimersLinked fails if one does not.

//go:linkname natsMinElectionTimeout github.com/nats-io/nats-server/v2/server.minElectionTimeout
var natsMinElectionTimeout time.Duration

//go:linkname natsMaxElectionTimeout github.com/nats-io/nats-server/v2/server.maxElectionTimeout
var natsMaxElectionTimeout time.Duration

//go:linkname natsHBInterval github.com/nats-io/nats-server/v2/server.hbInterval
var natsHBInterval time.Duration

// The RAFT timers the SC's clustered NATS node uses.
const (
	raftHeartbeat          = 500 * time.Millisecond
	raftMinElectionTimeout = 2 * time.Second
	raftMaxElectionTimeout = 4 * time.Second
)

var raftOnce sync.Once

// raftLinked reports whether every linked variable is nats-server's (it
// holds a value; ours would be zero).
func raftLinked() bool {
	return natsMinElectionTimeout > 0 && natsMaxElectionTimeout > natsMinElectionTimeout && natsHBInterval > 0
}

// tuneRaft shortens the RAFT timers, once per process, before the first
// clustered node is created (no RAFT goroutine reads them yet). It
// reports whether the timers are the SC's.
func tuneRaft() bool {
	raftOnce.Do(func() {
		if !raftLinked() {
			return
		}
		natsHBInterval = raftHeartbeat
		natsMinElectionTimeout = raftMinElectionTimeout
		natsMaxElectionTimeout = raftMaxElectionTimeout
	})
	return natsMinElectionTimeout == raftMinElectionTimeout
}
