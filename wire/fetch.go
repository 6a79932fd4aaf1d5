package wire

import "io"

// FetchRequest reads record batches from one or more partitions. It is a
// long poll: the server answers once it has MinBytes across the
// partitions, or MaxWaitMs has passed, whichever comes first.
type FetchRequest struct {
	// ReplicaID is -1 for consumers; a follower SPU sends its own id and
	// then reads up to the log end, and its fetch offset reports its
	// progress to the leader.
	ReplicaID int32
	// MaxWaitMs bounds the long poll; 0 answers at once.
	MaxWaitMs int32
	// MinBytes is the amount of data worth answering for; 0 or 1 answers as
	// soon as there is anything.
	MinBytes int32
	// MaxBytes bounds the whole response's records; at least one batch is
	// returned per partition even if it is larger, so progress is possible.
	MaxBytes   int32
	Partitions []FetchPartition
	// ReadUncommitted asks a consumer's fetch (ReplicaID -1) for records up
	// to the log end instead of below the high watermark (Fluvio's and
	// Kafka's read_uncommitted isolation): records the leader has but the
	// in-sync replicas may not have yet, which a failover can lose. On the
	// wire it is the last byte: 0 read committed, 1 read uncommitted.
	ReadUncommitted bool
	// ProgressApart marks a follower's fetch (ReplicaID >= 0) whose
	// offsets are only where to read: the follower reports what it holds
	// with FollowerProgress instead, so it can send its next fetch before
	// it has appended the previous answer (pipelined replication). On the
	// wire it is the last byte's value 2. Only servers that list
	// FollowerProgress in APIVersions take it.
	ProgressApart bool
}

// FetchPartition is one partition of a FetchRequest.
type FetchPartition struct {
	Topic     string
	Partition int32
	// Offset is the first offset wanted.
	Offset int64
	// MaxBytes bounds this partition's records (see FetchRequest.MaxBytes).
	MaxBytes int32
	// CurrentLeaderEpoch, when >= 0, is the epoch the sender believes the
	// leader has; a mismatch gets StaleEpoch or UnknownLeaderEpoch. -1
	// skips the check.
	CurrentLeaderEpoch int32
}

// APIKey implements Request.
func (*FetchRequest) APIKey() APIKey { return KeyFetch }

func (r *FetchRequest) encode(e *encoder) {
	e.int32(r.ReplicaID)
	e.int32(r.MaxWaitMs)
	e.int32(r.MinBytes)
	e.int32(r.MaxBytes)
	e.arrayLen(len(r.Partitions))
	for _, p := range r.Partitions {
		e.string(p.Topic)
		e.int32(p.Partition)
		e.int64(p.Offset)
		e.int32(p.MaxBytes)
		e.int32(p.CurrentLeaderEpoch)
	}
	mode := byte(0)
	switch {
	case r.ProgressApart:
		mode = 2
	case r.ReadUncommitted:
		mode = 1
	}
	e.buf = append(e.buf, mode)
}

func (r *FetchRequest) decode(d *decoder) {
	r.ReplicaID = d.int32()
	r.MaxWaitMs = d.int32()
	r.MinBytes = d.int32()
	r.MaxBytes = d.int32()
	n := d.arrayLen(2 + 4 + 8 + 4 + 4)
	r.Partitions = make([]FetchPartition, n)
	for i := range r.Partitions {
		p := &r.Partitions[i]
		p.Topic = d.string()
		p.Partition = d.int32()
		p.Offset = d.int64()
		p.MaxBytes = d.int32()
		p.CurrentLeaderEpoch = d.int32()
	}
	if d.need(1, "isolation") {
		switch d.p[0] {
		case 0:
		case 1:
			r.ReadUncommitted = true
		case 2:
			if r.ReplicaID < 0 {
				d.fail("mode byte 2 (progress apart) is for followers, replica id %d is a consumer's", r.ReplicaID)
			}
			r.ProgressApart = true
		default:
			d.fail("isolation byte %d (0 read committed, 1 read uncommitted, 2 follower with progress apart)", d.p[0])
		}
		d.p = d.p[1:]
	}
}

// RecordSource is a server-side run of raw batches that the connection
// writes straight from where they are (for example a segment file) instead
// of copying them into the response buffer. Len must not change. If it
// also implements io.Closer, the server closes it once the response has
// been written (or the connection failed).
type RecordSource interface {
	Len() int
	// WriteTo writes exactly Len bytes to w.
	WriteTo(w io.Writer) (int64, error)
}

// FetchResponse answers a FetchRequest, one entry per requested partition
// in request order.
type FetchResponse struct {
	Partitions []FetchPartitionResponse
}

// FetchPartitionResponse is one partition's answer.
type FetchPartitionResponse struct {
	Topic        string
	Partition    int32
	ErrorCode    ErrorCode
	ErrorMessage string
	// HighWatermark is the first uncommitted offset; consumers get records
	// below it only.
	HighWatermark int64
	// LogStartOffset is the first offset still in the log.
	LogStartOffset int64
	// LogEndOffset is the next offset the leader will assign.
	LogEndOffset int64
	// Records holds whole raw batches (client side: aliases the response
	// frame). The first batch may start before the requested offset; skip
	// records below it.
	Records []byte
	// Source, set by servers instead of Records, is written to the
	// connection directly. Never set on decoded responses.
	Source RecordSource
}

// Err returns the partition's error as an *Error, or nil.
func (p *FetchPartitionResponse) Err() error { return p.ErrorCode.ErrMsg(p.ErrorMessage) }

// APIKey implements Response.
func (*FetchResponse) APIKey() APIKey { return KeyFetch }

func (r *FetchResponse) encode(e *encoder) {
	e.arrayLen(len(r.Partitions))
	for i := range r.Partitions {
		p := &r.Partitions[i]
		e.string(p.Topic)
		e.int32(p.Partition)
		e.int16(int16(p.ErrorCode))
		e.string(p.ErrorMessage)
		e.int64(p.HighWatermark)
		e.int64(p.LogStartOffset)
		e.int64(p.LogEndOffset)
		if p.Source != nil {
			e.records(p.Source)
		} else {
			e.bytes(p.Records)
		}
	}
}

func (r *FetchResponse) decode(d *decoder) {
	n := d.arrayLen(2 + 4 + 2 + 2 + 8 + 8 + 8 + 4)
	r.Partitions = make([]FetchPartitionResponse, n)
	for i := range r.Partitions {
		p := &r.Partitions[i]
		p.Topic = d.string()
		p.Partition = d.int32()
		p.ErrorCode = ErrorCode(d.int16())
		p.ErrorMessage = d.string()
		p.HighWatermark = d.int64()
		p.LogStartOffset = d.int64()
		p.LogEndOffset = d.int64()
		p.Records = d.bytes()
	}
}
