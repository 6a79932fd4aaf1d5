package wire

// EpochEndOffsetRequest is the follower's KIP-101 query: for each
// partition, where did the leader's log end for the follower's last
// epoch? The follower truncates there before fetching.
type EpochEndOffsetRequest struct {
	// ReplicaID is the asking follower's SPU id.
	ReplicaID  int32
	Partitions []EpochPartition
}

// EpochPartition is one partition of an EpochEndOffsetRequest.
type EpochPartition struct {
	Topic     string
	Partition int32
	// LeaderEpoch is the epoch of the follower's last batch.
	LeaderEpoch int32
	// CurrentLeaderEpoch is the epoch the follower believes the leader
	// has (fencing, as in FetchPartition); -1 skips the check.
	CurrentLeaderEpoch int32
}

// APIKey implements Request.
func (*EpochEndOffsetRequest) APIKey() APIKey { return KeyEpochEndOffset }

func (r *EpochEndOffsetRequest) encode(e *encoder) {
	e.int32(r.ReplicaID)
	e.arrayLen(len(r.Partitions))
	for _, p := range r.Partitions {
		e.string(p.Topic)
		e.int32(p.Partition)
		e.int32(p.LeaderEpoch)
		e.int32(p.CurrentLeaderEpoch)
	}
}

func (r *EpochEndOffsetRequest) decode(d *decoder) {
	r.ReplicaID = d.int32()
	n := d.arrayLen(2 + 4 + 4 + 4)
	r.Partitions = make([]EpochPartition, n)
	for i := range r.Partitions {
		p := &r.Partitions[i]
		p.Topic = d.string()
		p.Partition = d.int32()
		p.LeaderEpoch = d.int32()
		p.CurrentLeaderEpoch = d.int32()
	}
}

// EpochEndOffsetResponse answers an EpochEndOffsetRequest, one entry per
// requested partition in request order.
type EpochEndOffsetResponse struct {
	Partitions []EpochPartitionResponse
}

// EpochPartitionResponse is one partition's answer: the largest epoch
// the leader knows that is <= the asked epoch, and the offset where it
// ended (the start of the next epoch, or the log end for the current one).
// A follower truncates to min(EndOffset, its own end offset).
// LeaderEpoch -1 and EndOffset -1 mean the leader knows no such epoch.
type EpochPartitionResponse struct {
	Topic        string
	Partition    int32
	ErrorCode    ErrorCode
	ErrorMessage string
	LeaderEpoch  int32
	EndOffset    int64
}

// Err returns the partition's error as an *Error, or nil.
func (p *EpochPartitionResponse) Err() error { return p.ErrorCode.ErrMsg(p.ErrorMessage) }

// APIKey implements Response.
func (*EpochEndOffsetResponse) APIKey() APIKey { return KeyEpochEndOffset }

func (r *EpochEndOffsetResponse) encode(e *encoder) {
	e.arrayLen(len(r.Partitions))
	for _, p := range r.Partitions {
		e.string(p.Topic)
		e.int32(p.Partition)
		e.int16(int16(p.ErrorCode))
		e.string(p.ErrorMessage)
		e.int32(p.LeaderEpoch)
		e.int64(p.EndOffset)
	}
}

func (r *EpochEndOffsetResponse) decode(d *decoder) {
	n := d.arrayLen(2 + 4 + 2 + 2 + 4 + 8)
	r.Partitions = make([]EpochPartitionResponse, n)
	for i := range r.Partitions {
		p := &r.Partitions[i]
		p.Topic = d.string()
		p.Partition = d.int32()
		p.ErrorCode = ErrorCode(d.int16())
		p.ErrorMessage = d.string()
		p.LeaderEpoch = d.int32()
		p.EndOffset = d.int64()
	}
}
