package wire

// FollowerProgressRequest is a follower SPU's report, on the leader's
// private server, of how far it holds each partition's log: every record
// below EndOffset is in its log (and fsynced, for topics that sync
// always). A follower that fetches with FetchRequest.ProgressApart sends
// one after each append of fetched batches, while its next fetch is
// already in flight (pipelined replication). The leader takes it as soon
// as it reads the frame, not in answer order, so an acks=all produce is
// answered without waiting for the follower's next fetch to return.
type FollowerProgressRequest struct {
	// ReplicaID is the reporting follower's SPU id.
	ReplicaID  int32
	Partitions []ProgressPartition
}

// ProgressPartition is one partition of a FollowerProgressRequest.
type ProgressPartition struct {
	Topic     string
	Partition int32
	// EndOffset is the follower's log end: it holds every offset below.
	EndOffset int64
	// CurrentLeaderEpoch is the epoch the follower fetches under (fencing,
	// as in FetchPartition); -1 skips the check.
	CurrentLeaderEpoch int32
}

// APIKey implements Request.
func (*FollowerProgressRequest) APIKey() APIKey { return KeyFollowerProgress }

func (r *FollowerProgressRequest) encode(e *encoder) {
	e.int32(r.ReplicaID)
	e.arrayLen(len(r.Partitions))
	for _, p := range r.Partitions {
		e.string(p.Topic)
		e.int32(p.Partition)
		e.int64(p.EndOffset)
		e.int32(p.CurrentLeaderEpoch)
	}
}

func (r *FollowerProgressRequest) decode(d *decoder) {
	r.ReplicaID = d.int32()
	n := d.arrayLen(2 + 4 + 8 + 4)
	r.Partitions = make([]ProgressPartition, n)
	for i := range r.Partitions {
		p := &r.Partitions[i]
		p.Topic = d.string()
		p.Partition = d.int32()
		p.EndOffset = d.int64()
		p.CurrentLeaderEpoch = d.int32()
	}
}

// FollowerProgressResponse answers a FollowerProgressRequest, one entry
// per reported partition in request order.
type FollowerProgressResponse struct {
	Partitions []ProgressPartitionResponse
}

// ProgressPartitionResponse is one partition's answer: an error if the
// leader refused the report (not leader, fenced epoch, an end beyond its
// log), else the high watermark after taking it.
type ProgressPartitionResponse struct {
	Topic         string
	Partition     int32
	ErrorCode     ErrorCode
	ErrorMessage  string
	HighWatermark int64
}

// Err returns the partition's error as an *Error, or nil.
func (p *ProgressPartitionResponse) Err() error { return p.ErrorCode.ErrMsg(p.ErrorMessage) }

// APIKey implements Response.
func (*FollowerProgressResponse) APIKey() APIKey { return KeyFollowerProgress }

func (r *FollowerProgressResponse) encode(e *encoder) {
	e.arrayLen(len(r.Partitions))
	for _, p := range r.Partitions {
		e.string(p.Topic)
		e.int32(p.Partition)
		e.int16(int16(p.ErrorCode))
		e.string(p.ErrorMessage)
		e.int64(p.HighWatermark)
	}
}

func (r *FollowerProgressResponse) decode(d *decoder) {
	n := d.arrayLen(2 + 4 + 2 + 2 + 8)
	r.Partitions = make([]ProgressPartitionResponse, n)
	for i := range r.Partitions {
		p := &r.Partitions[i]
		p.Topic = d.string()
		p.Partition = d.int32()
		p.ErrorCode = ErrorCode(d.int16())
		p.ErrorMessage = d.string()
		p.HighWatermark = d.int64()
	}
}
