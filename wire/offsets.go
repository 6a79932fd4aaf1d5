package wire

import "context"

// The offset APIs store named consumers' positions in the consumer-offset
// system topic. Each request goes to the leader of one partition of that
// topic (the consumer's: a hash of its name), which keeps the latest entry
// per key in memory and writes every change to that partition's log with
// acks=all before answering (spu/offsets.go).

// OffsetEntry is a named consumer's last read offset in one partition of
// a topic. TopicID is the topic's incarnation (bus.PartitionMetadata
// .TopicID) when the offset was committed: clients ignore entries of an
// older incarnation of the name. ModifiedMs is set by the leader.
type OffsetEntry struct {
	Consumer   string
	Topic      string
	Partition  int32
	Offset     int64
	TopicID    int64
	ModifiedMs int64
}

// offsetEntryMinSize is the encoded size of an entry with empty strings.
const offsetEntryMinSize = 2 + 2 + 4 + 8 + 8 + 8

func (o *OffsetEntry) encode(e *encoder) {
	e.string(o.Consumer)
	e.string(o.Topic)
	e.int32(o.Partition)
	e.int64(o.Offset)
	e.int64(o.TopicID)
	e.int64(o.ModifiedMs)
}

func (o *OffsetEntry) decode(d *decoder) {
	o.Consumer = d.string()
	o.Topic = d.string()
	o.Partition = d.int32()
	o.Offset = d.int64()
	o.TopicID = d.int64()
	o.ModifiedMs = d.int64()
}

func encodeEntries(e *encoder, es []OffsetEntry) {
	e.arrayLen(len(es))
	for i := range es {
		es[i].encode(e)
	}
}

func decodeEntries(d *decoder) []OffsetEntry {
	n := d.arrayLen(offsetEntryMinSize)
	es := make([]OffsetEntry, n)
	for i := range es {
		es[i].decode(d)
	}
	return es
}

// OffsetCommitRequest stores entries (their ModifiedMs is ignored) in
// partition Partition of the consumer-offset topic.
type OffsetCommitRequest struct {
	Partition int32
	Entries   []OffsetEntry
}

// APIKey implements Request.
func (*OffsetCommitRequest) APIKey() APIKey { return KeyOffsetCommit }

func (r *OffsetCommitRequest) encode(e *encoder) {
	e.int32(r.Partition)
	encodeEntries(e, r.Entries)
}

func (r *OffsetCommitRequest) decode(d *decoder) {
	r.Partition = d.int32()
	r.Entries = decodeEntries(d)
}

// OffsetCommitResponse answers an OffsetCommitRequest: no error means
// every entry is committed (on the ISR).
type OffsetCommitResponse struct {
	ErrorCode    ErrorCode
	ErrorMessage string
}

// APIKey implements Response.
func (*OffsetCommitResponse) APIKey() APIKey { return KeyOffsetCommit }

// Err returns the response's error as an *Error, or nil.
func (r *OffsetCommitResponse) Err() error { return r.ErrorCode.ErrMsg(r.ErrorMessage) }

func (r *OffsetCommitResponse) encode(e *encoder) {
	e.int16(int16(r.ErrorCode))
	e.string(r.ErrorMessage)
}

func (r *OffsetCommitResponse) decode(d *decoder) {
	r.ErrorCode = ErrorCode(d.int16())
	r.ErrorMessage = d.string()
}

// OffsetFetchRequest lists the entries of partition Partition of the
// consumer-offset topic; Consumer and Topic, when not empty, filter.
type OffsetFetchRequest struct {
	Partition int32
	Consumer  string
	Topic     string
}

// APIKey implements Request.
func (*OffsetFetchRequest) APIKey() APIKey { return KeyOffsetFetch }

func (r *OffsetFetchRequest) encode(e *encoder) {
	e.int32(r.Partition)
	e.string(r.Consumer)
	e.string(r.Topic)
}

func (r *OffsetFetchRequest) decode(d *decoder) {
	r.Partition = d.int32()
	r.Consumer = d.string()
	r.Topic = d.string()
}

// OffsetFetchResponse answers an OffsetFetchRequest with committed
// entries only, ordered by consumer, topic and partition.
type OffsetFetchResponse struct {
	ErrorCode    ErrorCode
	ErrorMessage string
	Entries      []OffsetEntry
}

// APIKey implements Response.
func (*OffsetFetchResponse) APIKey() APIKey { return KeyOffsetFetch }

// Err returns the response's error as an *Error, or nil.
func (r *OffsetFetchResponse) Err() error { return r.ErrorCode.ErrMsg(r.ErrorMessage) }

func (r *OffsetFetchResponse) encode(e *encoder) {
	e.int16(int16(r.ErrorCode))
	e.string(r.ErrorMessage)
	encodeEntries(e, r.Entries)
}

func (r *OffsetFetchResponse) decode(d *decoder) {
	r.ErrorCode = ErrorCode(d.int16())
	r.ErrorMessage = d.string()
	r.Entries = decodeEntries(d)
}

// OffsetDeleteRequest deletes the entries named by Keys (Consumer, Topic,
// Partition; the other fields are ignored) from partition Partition of the
// consumer-offset topic. Keys that have no entry are skipped.
type OffsetDeleteRequest struct {
	Partition int32
	Keys      []OffsetEntry
}

// APIKey implements Request.
func (*OffsetDeleteRequest) APIKey() APIKey { return KeyOffsetDelete }

func (r *OffsetDeleteRequest) encode(e *encoder) {
	e.int32(r.Partition)
	encodeEntries(e, r.Keys)
}

func (r *OffsetDeleteRequest) decode(d *decoder) {
	r.Partition = d.int32()
	r.Keys = decodeEntries(d)
}

// OffsetDeleteResponse answers an OffsetDeleteRequest with the entries it
// deleted (committed on the ISR).
type OffsetDeleteResponse struct {
	ErrorCode    ErrorCode
	ErrorMessage string
	Deleted      []OffsetEntry
}

// APIKey implements Response.
func (*OffsetDeleteResponse) APIKey() APIKey { return KeyOffsetDelete }

// Err returns the response's error as an *Error, or nil.
func (r *OffsetDeleteResponse) Err() error { return r.ErrorCode.ErrMsg(r.ErrorMessage) }

func (r *OffsetDeleteResponse) encode(e *encoder) {
	e.int16(int16(r.ErrorCode))
	e.string(r.ErrorMessage)
	encodeEntries(e, r.Deleted)
}

func (r *OffsetDeleteResponse) decode(d *decoder) {
	r.ErrorCode = ErrorCode(d.int16())
	r.ErrorMessage = d.string()
	r.Deleted = decodeEntries(d)
}

// OffsetCommit sends an OffsetCommitRequest; an error in the response is
// returned as an *Error.
func (c *Conn) OffsetCommit(ctx context.Context, req *OffsetCommitRequest) (*OffsetCommitResponse, error) {
	resp := new(OffsetCommitResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return nil, err
	}
	return resp, resp.Err()
}

// OffsetFetch sends an OffsetFetchRequest; an error in the response is
// returned as an *Error.
func (c *Conn) OffsetFetch(ctx context.Context, req *OffsetFetchRequest) (*OffsetFetchResponse, error) {
	resp := new(OffsetFetchResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return nil, err
	}
	return resp, resp.Err()
}

// OffsetDelete sends an OffsetDeleteRequest; an error in the response is
// returned as an *Error.
func (c *Conn) OffsetDelete(ctx context.Context, req *OffsetDeleteRequest) (*OffsetDeleteResponse, error) {
	resp := new(OffsetDeleteResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return nil, err
	}
	return resp, resp.Err()
}
