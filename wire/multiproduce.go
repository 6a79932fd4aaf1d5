package wire

import "context"

// MultiProduceRequest appends record batches to several partitions of
// one leader in one request (Kafka's produce request carries topics and
// partitions likewise). Each partition is appended as a ProduceRequest
// of its own would be, in request order, and answered with its own
// ProduceResponse fields; the answer comes once every partition's acks
// are met. A client uses it only with a server that lists it in
// APIVersions; ProduceRequest stays the single-partition form.
type MultiProduceRequest struct {
	Acks Acks
	// TimeoutMs bounds how long the leader waits for acks=all, per
	// partition; 0 means the server's default (30 s).
	TimeoutMs  int32
	Partitions []ProducePartition
}

// ProducePartition is one partition of a MultiProduceRequest.
type ProducePartition struct {
	Topic     string
	Partition int32
	// Records holds one or more batches, as ProduceRequest.Records.
	Records []byte
}

// APIKey implements Request.
func (*MultiProduceRequest) APIKey() APIKey { return KeyMultiProduce }

func (r *MultiProduceRequest) encode(e *encoder) {
	e.int16(int16(r.Acks))
	e.int32(r.TimeoutMs)
	e.arrayLen(len(r.Partitions))
	for i := range r.Partitions {
		p := &r.Partitions[i]
		e.string(p.Topic)
		e.int32(p.Partition)
		e.bytes(p.Records)
	}
}

// encodedSizeHint is about the size of the encoded request in its first
// buffer (records of refThreshold or more are referenced, not copied), so
// that the encoder allocates it once instead of growing it partition by
// partition (a frame of a thousand 1 KiB records grew eleven times).
func (r *MultiProduceRequest) encodedSizeHint() int {
	n := 2 + 4 + 4
	for i := range r.Partitions {
		p := &r.Partitions[i]
		n += 2 + len(p.Topic) + 4 + 4
		if len(p.Records) < refThreshold {
			n += len(p.Records)
		}
	}
	return n
}

func (r *MultiProduceRequest) decode(d *decoder) {
	r.Acks = Acks(d.int16())
	r.TimeoutMs = d.int32()
	n := d.arrayLen(2 + 4 + 4)
	r.Partitions = make([]ProducePartition, n)
	for i := range r.Partitions {
		p := &r.Partitions[i]
		p.Topic = d.string()
		p.Partition = d.int32()
		p.Records = d.bytes()
	}
}

// Produce returns partition i as a single-partition request (its Records
// alias r's).
func (r *MultiProduceRequest) Produce(i int) *ProduceRequest {
	p := &r.Partitions[i]
	return &ProduceRequest{Acks: r.Acks, TimeoutMs: r.TimeoutMs, Topic: p.Topic, Partition: p.Partition, Records: p.Records}
}

// MultiProduceResponse answers a MultiProduceRequest: one ProduceResponse
// per partition, in request order.
type MultiProduceResponse struct {
	Partitions []ProduceResponse
}

// APIKey implements Response.
func (*MultiProduceResponse) APIKey() APIKey { return KeyMultiProduce }

func (r *MultiProduceResponse) encode(e *encoder) {
	e.arrayLen(len(r.Partitions))
	for i := range r.Partitions {
		r.Partitions[i].encode(e)
	}
}

func (r *MultiProduceResponse) decode(d *decoder) {
	n := d.arrayLen(2 + 2 + 8 + 8 + 8)
	r.Partitions = make([]ProduceResponse, n)
	for i := range r.Partitions {
		r.Partitions[i].decode(d)
	}
}

// MultiProduce sends a MultiProduceRequest and waits for its answer; the
// partitions' errors are in the response (ProduceResponse.Err), the error
// is the request's.
func (c *Conn) MultiProduce(ctx context.Context, req *MultiProduceRequest) (*MultiProduceResponse, error) {
	resp := new(MultiProduceResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return nil, err
	}
	return resp, nil
}
