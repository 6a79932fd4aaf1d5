package spu

import (
	"context"
	"time"

	"github.com/fluvio-go/fluvio/spu/wire"
)

// produce appends on the reader goroutine (so the batches of one
// connection keep their order) and defers the fsync and acks wait to the
// writer goroutine, so one fsync covers many pipelined requests.
func (d *dataPlane) produce(req *wire.ProduceRequest) wire.Reply {
	fail := func(err error) wire.Reply { return wire.Respond(produceErr(err)) }
	switch req.Acks {
	case wire.AcksNone, wire.AcksLeader, wire.AcksAll:
	default:
		return fail(wire.InvalidRequest.ErrMsg("acks must be 0 (none), 1 (leader) or -1 (all)"))
	}
	r := d.lookup(req.Topic, req.Partition)
	if r == nil {
		return fail(d.unknownPartition(req.Topic, req.Partition))
	}
	base, next, err := r.Append(req.Records, req.Acks)
	if err != nil {
		return fail(err)
	}
	appended := time.Now().UnixMilli()
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	return wire.Defer(func(ctx context.Context) (wire.Response, error) {
		if err := r.Commit(ctx, next, req.Acks, timeout); err != nil {
			return produceErr(err), nil
		}
		return &wire.ProduceResponse{BaseOffset: base, LogAppendTimeMs: appended, LogStartOffset: r.Log().StartOffset()}, nil
	})
}

func produceErr(err error) *wire.ProduceResponse {
	code, msg := errFields(err)
	return &wire.ProduceResponse{ErrorCode: code, ErrorMessage: msg, BaseOffset: -1, LogAppendTimeMs: -1, LogStartOffset: -1}
}
