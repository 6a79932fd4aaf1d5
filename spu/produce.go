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
	// req.Records aliases the connection's buffer: only its size is kept.
	a := produceAnswer{m: d.cfg.metrics, topic: req.Topic, partition: req.Partition, size: len(req.Records), start: time.Now()}
	switch req.Acks {
	case wire.AcksNone, wire.AcksLeader, wire.AcksAll:
	default:
		return a.fail(wire.InvalidRequest.ErrMsg("acks must be 0 (none), 1 (leader) or -1 (all)"))
	}
	if bus.IsSystemTopicName(req.Topic) {
		return a.fail(wire.InvalidRequest.ErrMsg(fmt.Sprintf("topic %q is a system topic: only its leader writes it (named consumers commit through the offset APIs)", req.Topic)))
	}
	r := d.lookup(req.Topic, req.Partition)
	if r == nil {
		return a.fail(d.unknownPartition(req.Topic, req.Partition))
	}
	base, next, err := r.Append(req.Records, req.Acks)
	// A retry of stored batches is committed and answered like an append,
	// with DuplicateSequence and their original offset.
	if replica.IsDuplicate(base, err) {
		a.dup, err = err, nil
	}
	if err != nil {
		return a.fail(err)
	}
	appended := time.Now()
	a.r, a.base, a.next, a.appendedMs = r, base, next, appended.UnixMilli()
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	if r.CommitsInline(req.Acks) {
		// Nothing to sync or wait for: answer without a commit goroutine
		// (and without allocating one; the append's clock reading is the
		// answer's).
		if err := r.Commit(ctx, next, req.Acks, timeout); err != nil {
			return a.fail(err)
		}
		return wire.Respond(a.answer(nil, appended))
	}
	deferred := a // only this copy lives on beside the commit
	return d.deferCommit(ctx, r, next, req.Acks, timeout, func(err error) wire.Response {
		return deferred.answer(err, time.Now())
	})
}

// produceAnswer is what a produce's answer is made of: the request's
// partition and size, when it arrived, and once appended the replica, the
// offsets and the append time (and dup, a retry of stored batches). The
// answer is recorded in the metrics.
type produceAnswer struct {
	m          *metrics
	topic      string
	partition  int32
	size       int
	start      time.Time
	r          *replica.Replica
	base, next int64
	appendedMs int64
	dup        error
}

// fail answers the request with err (nothing was appended).
func (a *produceAnswer) fail(err error) wire.Reply {
	return wire.Respond(a.answered(produceErr(err), 0, time.Now()))
}

// answer is the appended request's answer once its commit returned err,
// at now.
func (a *produceAnswer) answer(err error, now time.Time) *wire.ProduceResponse {
	if err != nil {
		return a.answered(produceErr(err), 0, now)
	}
	resp := &wire.ProduceResponse{BaseOffset: a.base, LogAppendTimeMs: a.appendedMs, LogStartOffset: a.r.Log().StartOffset()}
	if a.dup != nil {
		resp.ErrorCode, resp.ErrorMessage = errFields(a.dup)
		resp.LogAppendTimeMs = -1
	}
	return a.answered(resp, a.next-a.base, now)
}

// answered records resp (records appended) in the metrics and returns it.
func (a *produceAnswer) answered(resp *wire.ProduceResponse, records int64, now time.Time) *wire.ProduceResponse {
	a.m.produced(a.topic, a.partition, int(records), a.size, resp.ErrorCode, now.Sub(a.start))
	return resp
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
