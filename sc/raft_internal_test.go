package sc

import "testing"

// TestRaftTimersLinked fails when nats-server renamed or removed one of
// the RAFT timers raft.go links to: the link would then silently make a
// variable of ours (zero), and an SC failover would wait nats-server's
// default 4-9 s elections again.
func TestRaftTimersLinked(t *testing.T) {
	if !raftLinked() {
		t.Fatalf("nats-server's RAFT timers are not linked (min election %v, max %v, heartbeat %v): update raft.go to the nats-server version in go.mod",
			natsMinElectionTimeout, natsMaxElectionTimeout, natsHBInterval)
	}
	if !tuneRaft() {
		t.Fatal("tuneRaft did not set the RAFT timers")
	}
	if natsHBInterval != raftHeartbeat || natsMinElectionTimeout != raftMinElectionTimeout || natsMaxElectionTimeout != raftMaxElectionTimeout {
		t.Fatalf("RAFT timers: heartbeat %v, elections %v-%v", natsHBInterval, natsMinElectionTimeout, natsMaxElectionTimeout)
	}
}
