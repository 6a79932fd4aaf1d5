package replica

import "errors"

var (
	// ErrStaleEpoch is returned for a request or assignment whose leader
	// epoch is older than the replica's.
	ErrStaleEpoch = errors.New("replica: stale leader epoch")
	// ErrUnknownEpoch is returned for a request whose leader epoch is newer
	// than the replica's (it has not heard of the new leader yet).
	ErrUnknownEpoch = errors.New("replica: unknown leader epoch")
	// ErrNotLeader is returned for leader-only operations on a follower.
	ErrNotLeader = errors.New("replica: not the leader")
	// ErrNotReplica is returned when an SPU that holds no replica of the
	// partition fetches as a follower.
	ErrNotReplica = errors.New("replica: not a replica")
	// ErrNotEnoughReplicas is returned when the ISR is smaller than
	// min-insync-replicas for an acks=all produce.
	ErrNotEnoughReplicas = errors.New("replica: not enough in-sync replicas")
	// ErrOutOfRange is returned for an offset outside the log.
	ErrOutOfRange = errors.New("replica: offset out of range")
)
