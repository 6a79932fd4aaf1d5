package spu

import (
	"context"
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
)

// produce serves a produce request. It appends on the reader goroutine
// (so the batches of one connection keep their order; replica.Append
// validates the request in one pass and appends it to the log), runs the
// fsync and acks wait in a commit goroutine (bounded by the connection's
// queue depth, ended by ctx: the connection) and answers in order on the
// writer goroutine, recording the answer in the metrics. A commit with
// nothing to wait for runs here and its answer is ready at once (the
// connection's reader then writes it itself when nothing is queued ahead).
func (d *dataPlane) produce(ctx context.Context, req *wire.ProduceRequest) wire.Reply {
	start := time.Now()
	// req.Records aliases the connection's buffer: only its size is kept.
	topic, partition, size := req.Topic, req.Partition, len(req.Records)
	answered := func(resp *wire.ProduceResponse, records int64) *wire.ProduceResponse {
		d.cfg.metrics.produced(topic, partition, int(records), size, resp.ErrorCode, time.Since(start))
		return resp
	}
	fail := func(err error) wire.Reply { return wire.Respond(answered(produceErr(err), 0)) }
	switch req.Acks {
	case wire.AcksNone, wire.AcksLeader, wire.AcksAll:
	default:
		return fail(wire.InvalidRequest.ErrMsg("acks must be 0 (none), 1 (leader) or -1 (all)"))
	}
	if bus.IsSystemTopicName(req.Topic) {
		return fail(wire.InvalidRequest.ErrMsg(fmt.Sprintf("topic %q is a system topic: only its leader writes it (named consumers commit through the offset APIs)", req.Topic)))
	}
	r := d.lookup(req.Topic, req.Partition)
	if r == nil {
		return fail(d.unknownPartition(req.Topic, req.Partition))
	}
	base, next, err := r.Append(req.Records, req.Acks)
	// A retry of stored batches is committed and answered like an append,
	// with DuplicateSequence and their original offset.
	var dup error
	if replica.IsDuplicate(base, err) {
		dup, err = err, nil
	}
	if err != nil {
		return fail(err)
	}
	appended := time.Now().UnixMilli()
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	answer := func() *wire.ProduceResponse {
		resp := &wire.ProduceResponse{BaseOffset: base, LogAppendTimeMs: appended, LogStartOffset: r.Log().StartOffset()}
		if dup != nil {
			resp.ErrorCode, resp.ErrorMessage = errFields(dup)
			resp.LogAppendTimeMs = -1
		}
		return answered(resp, next-base)
	}
	if r.CommitsInline(req.Acks) {
		// Nothing to sync or wait for: answer without a commit goroutine.
		if err := r.Commit(ctx, next, req.Acks, timeout); err != nil {
			return fail(err)
		}
		return wire.Respond(answer())
	}
	return d.deferCommit(ctx, r, next, req.Acks, timeout, func(err error) wire.Response {
		if err != nil {
			return answered(produceErr(err), 0)
		}
		return answer()
	})
}

// deferCommit commits r up to next (fsync, acks wait) on a commit
// goroutine, beside the connection's writer, so that the requests
// pipelined on one connection share fsyncs (group commit) instead of
// syncing one after the other; the reply is answer of the commit's
// error, or of ShuttingDown if the connection closes first.
func (d *dataPlane) deferCommit(ctx context.Context, r *replica.Replica, next int64, acks wire.Acks, timeout time.Duration, answer func(error) wire.Response) wire.Reply {
	done := make(chan error, 1)
	d.commits.Go(func() { done <- r.Commit(ctx, next, acks, timeout) })
	return wire.Defer(func(ctx context.Context) (wire.Response, error) {
		var err error
		select {
		case err = <-done:
		case <-ctx.Done():
			err = wire.ShuttingDown.ErrMsg("the connection is closing")
		}
		return answer(err), nil
	})
}

func produceErr(err error) *wire.ProduceResponse {
	code, msg := errFields(err)
	return &wire.ProduceResponse{ErrorCode: code, ErrorMessage: msg, BaseOffset: -1, LogAppendTimeMs: -1, LogStartOffset: -1}
}

// multiProduce serves a MultiProduce request: each partition as produce
// serves a single-partition request (appended here, in request order, on
// the reader goroutine; committed beside the writer), answered together
// once every partition's commit is done.
func (d *dataPlane) multiProduce(ctx context.Context, req *wire.MultiProduceRequest) wire.Reply {
	replies := make([]wire.Reply, len(req.Partitions))
	for i := range req.Partitions {
		replies[i] = d.produce(ctx, req.Produce(i))
	}
	return wire.Defer(func(ctx context.Context) (wire.Response, error) {
		resp := &wire.MultiProduceResponse{Partitions: make([]wire.ProduceResponse, len(replies))}
		for i, r := range replies {
			out, err := r.Resolve(ctx)
			pr, ok := out.(*wire.ProduceResponse)
			switch {
			case err != nil:
				pr = produceErr(err)
			case !ok:
				pr = produceErr(wire.Unknown.ErrMsg("produce answered with no response"))
			}
			resp.Partitions[i] = *pr
		}
		return resp, nil
	})
}
