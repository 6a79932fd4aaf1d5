package wire

import "fmt"

// Acks says when the leader answers a produce request.
type Acks int16

const (
	// AcksNone: the leader still answers (frames stay in order), after
	// the same fsync as AcksLeader; a client need not wait for it.
	AcksNone Acks = 0
	// AcksLeader: answered once the batch is in the leader's log, durable
	// under the topic's sync policy (fsynced with the default "always").
	AcksLeader Acks = 1
	// AcksAll: answered once the batch is below the high watermark: in
	// the log of every in-sync replica, with at least min-insync replicas.
	AcksAll Acks = -1
)

func (a Acks) String() string {
	switch a {
	case AcksNone:
		return "none"
	case AcksLeader:
		return "leader"
	case AcksAll:
		return "all"
	}
	return fmt.Sprintf("acks(%d)", int16(a))
}

// ProduceRequest appends record batches to one partition on its leader.
type ProduceRequest struct {
	Acks Acks
	// TimeoutMs bounds how long the leader waits for acks=all; 0 means the
	// server's default (30 s).
	TimeoutMs int32
	Topic     string
	Partition int32
	// Records holds one or more batch encoded batches, concatenated.
	// Their base offsets and leader epochs are overwritten by the leader;
	// nothing else is changed, so the CRCs stay valid.
	Records []byte
	// Stream, on the server only (never encoded), is set when the
	// Handler, a ProduceStreamer, took Records while they arrived: the
	// handler commits it (or aborts it) in Handle.
	Stream RecordsStream
}

// APIKey implements Request.
func (*ProduceRequest) APIKey() APIKey { return KeyProduce }

func (r *ProduceRequest) encode(e *encoder) {
	e.int16(int16(r.Acks))
	e.int32(r.TimeoutMs)
	e.string(r.Topic)
	e.int32(r.Partition)
	e.bytes(r.Records)
}

func (r *ProduceRequest) decode(d *decoder) {
	r.Acks = Acks(d.int16())
	r.TimeoutMs = d.int32()
	r.Topic = d.string()
	r.Partition = d.int32()
	r.Records = d.bytes()
}

// ProduceResponse answers a ProduceRequest.
type ProduceResponse struct {
	ErrorCode ErrorCode
	// ErrorMessage details ErrorCode; empty on success.
	ErrorMessage string
	// BaseOffset is the offset given to the first record of the first
	// batch; the batches got consecutive offsets from there. -1 on error
	// and for acks=none.
	BaseOffset int64
	// LogAppendTimeMs is the leader's clock when it appended (ms), or -1.
	LogAppendTimeMs int64
	// LogStartOffset is the partition's first offset after the append.
	LogStartOffset int64
}

// APIKey implements Response.
func (*ProduceResponse) APIKey() APIKey { return KeyProduce }

// Err returns the response's error as an *Error, or nil.
func (r *ProduceResponse) Err() error { return r.ErrorCode.ErrMsg(r.ErrorMessage) }

func (r *ProduceResponse) encode(e *encoder) {
	e.int16(int16(r.ErrorCode))
	e.string(r.ErrorMessage)
	e.int64(r.BaseOffset)
	e.int64(r.LogAppendTimeMs)
	e.int64(r.LogStartOffset)
}

func (r *ProduceResponse) decode(d *decoder) {
	r.ErrorCode = ErrorCode(d.int16())
	r.ErrorMessage = d.string()
	r.BaseOffset = d.int64()
	r.LogAppendTimeMs = d.int64()
	r.LogStartOffset = d.int64()
}
