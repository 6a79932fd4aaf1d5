package wire

// Special ListOffsetsRequest timestamps.
const (
	// LatestTimestamp asks for the log end offset (for consumers, the high
	// watermark): the offset the next record will get.
	LatestTimestamp int64 = -1
	// EarliestTimestamp asks for the log start offset.
	EarliestTimestamp int64 = -2
)

// ListOffsetsRequest asks for an offset of one partition by time.
type ListOffsetsRequest struct {
	Topic     string
	Partition int32
	// Timestamp is LatestTimestamp, EarliestTimestamp, or a time in ms
	// since the Unix epoch: the answer is then the first offset whose
	// batch's max timestamp is at or after it (the log end if none).
	Timestamp int64
}

// APIKey implements Request.
func (*ListOffsetsRequest) APIKey() APIKey { return KeyListOffsets }

func (r *ListOffsetsRequest) encode(e *encoder) {
	e.string(r.Topic)
	e.int32(r.Partition)
	e.int64(r.Timestamp)
}

func (r *ListOffsetsRequest) decode(d *decoder) {
	r.Topic = d.string()
	r.Partition = d.int32()
	r.Timestamp = d.int64()
}

// ListOffsetsResponse answers a ListOffsetsRequest.
type ListOffsetsResponse struct {
	ErrorCode    ErrorCode
	ErrorMessage string
	Offset       int64
}

// APIKey implements Response.
func (*ListOffsetsResponse) APIKey() APIKey { return KeyListOffsets }

// Err returns the response's error as an *Error, or nil.
func (r *ListOffsetsResponse) Err() error { return r.ErrorCode.ErrMsg(r.ErrorMessage) }

func (r *ListOffsetsResponse) encode(e *encoder) {
	e.int16(int16(r.ErrorCode))
	e.string(r.ErrorMessage)
	e.int64(r.Offset)
}

func (r *ListOffsetsResponse) decode(d *decoder) {
	r.ErrorCode = ErrorCode(d.int16())
	r.ErrorMessage = d.string()
	r.Offset = d.int64()
}
