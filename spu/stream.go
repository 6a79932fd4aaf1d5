package spu

import (
	"context"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
)

// StreamProduce implements wire.ProduceStreamer for the public server: a
// large produce request's batch is written to its partition's log while
// it arrives (replica.BeginStream; nothing is visible before Handle
// checks and commits it in appendProduce). Anything unusual (a refused
// client, an unknown or system topic, bad acks, a partition that cannot
// stream now) declines, and the request is read whole and served by
// Handle as usual, which gives the answer.
func (h *handler) StreamProduce(ctx context.Context, req *wire.ProduceRequest, n int, first []byte) wire.RecordsStream {
	if h.private {
		return nil
	}
	if err := h.d.clients.check(ctx, req); err != nil {
		return nil
	}
	switch req.Acks {
	case wire.AcksNone, wire.AcksLeader, wire.AcksAll:
	default:
		return nil
	}
	if bus.IsSystemTopicName(req.Topic) {
		return nil
	}
	pt := h.d.lookupPartition(req.Topic, req.Partition)
	if pt == nil {
		return nil
	}
	if s := pt.r.BeginStream(first, n, req.Acks); s != nil {
		return s
	}
	return nil
}

// appendRecords appends a produce request's records to r: by committing
// the stream that wrote them while they arrived when there is one for r,
// else with Append.
func appendRecords(r *replica.Replica, req *wire.ProduceRequest) (base, next int64, err error) {
	if s, ok := req.Stream.(*replica.Stream); ok {
		if s.Replica() == r {
			return s.Commit(req.Records)
		}
		s.Abort()
	}
	return r.Append(req.Records, req.Acks)
}
