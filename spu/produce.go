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
	resp := new(wire.ProduceResponse)
	pc := d.appendProduce(ctx, req, time.Now(), resp)
	if pc.done == nil {
		return wire.Respond(resp)
	}
	return wire.Defer(func(ctx context.Context) (wire.Response, error) {
		pc.wait(ctx, resp)
		return resp, nil
	})
}

// produceCommit is a partition's produce whose answer waits for its
// commit (fsync, acks wait) on a commit goroutine.
type produceCommit struct {
	done   <-chan error // the commit's outcome; nil: the answer is ready
	answer func(err error, resp *wire.ProduceResponse)
}

// wait fills resp once the commit is done, or with ShuttingDown if ctx
// (the connection) ends first.
func (pc produceCommit) wait(ctx context.Context, resp *wire.ProduceResponse) {
	var err error
	select {
	case err = <-pc.done:
	case <-ctx.Done():
		err = wire.ShuttingDown.ErrMsg("the connection is closing")
	}
	pc.answer(err, resp)
}

// appendProduce appends one partition's records (req; its Records alias
// the connection's buffer and are not kept) and fills resp with the
// answer, or, when the answer waits for a commit, starts the commit and
// returns it: its wait fills resp. start is when the request arrived
// (the latency metric). Everything per partition here is O(1) besides
// the append itself: a request of one record for each of 1,000
// partitions costs 1,000 of these.
func (d *dataPlane) appendProduce(ctx context.Context, req *wire.ProduceRequest, start time.Time, resp *wire.ProduceResponse) produceCommit {
	a := produceAnswer{m: d.cfg.metrics, topic: req.Topic, partition: req.Partition, size: len(req.Records), start: start}
	switch req.Acks {
	case wire.AcksNone, wire.AcksLeader, wire.AcksAll:
	default:
		return a.fail(wire.InvalidRequest.ErrMsg("acks must be 0 (none), 1 (leader) or -1 (all)"), resp)
	}
	if bus.IsSystemTopicName(req.Topic) {
		return a.fail(wire.InvalidRequest.ErrMsg(fmt.Sprintf("topic %q is a system topic: only its leader writes it (named consumers commit through the offset APIs)", req.Topic)), resp)
	}
	pt := d.lookupPartition(req.Topic, req.Partition)
	if pt == nil {
		return a.fail(d.unknownPartition(req.Topic, req.Partition), resp)
	}
	r := pt.r
	a.counters = pt.counters(d.cfg.metrics)
	base, next, err := appendRecords(r, req)
	// A retry of stored batches is committed and answered like an append,
	// with DuplicateSequence and their original offset.
	if replica.IsDuplicate(base, err) {
		a.dup, err = err, nil
	}
	if err != nil {
		return a.fail(err, resp)
	}
	appended := time.Now()
	a.r, a.base, a.next, a.appendedMs = r, base, next, appended.UnixMilli()
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	if r.CommitsInline(req.Acks) {
		// Nothing to sync or wait for: answer without a commit goroutine
		// (and without allocating: a lives on this stack; the append's
		// clock reading ends the answer's latency).
		if err := r.Commit(ctx, next, req.Acks, timeout); err != nil {
			return a.fail(err, resp)
		}
		a.answer(nil, resp, appended)
		return produceCommit{}
	}
	deferred := a // only this copy lives on beside the commit
	return produceCommit{done: d.startCommit(ctx, r, next, req.Acks, timeout), answer: func(err error, resp *wire.ProduceResponse) {
		deferred.answer(err, resp, time.Now())
	}}
}

// produceAnswer is what one partition's produce answer is made of: the
// request's partition and size, when it arrived, and once appended the
// replica, its counters, the offsets and the append time (and dup, a
// retry of stored batches). The answer is recorded in the metrics. A
// value, not closures: an inline answer allocates nothing for it.
type produceAnswer struct {
	m          *metrics
	counters   *inCounters
	topic      string
	partition  int32
	size       int
	start      time.Time
	r          *replica.Replica
	base, next int64
	appendedMs int64
	dup        error
}

// fail fills resp with err (nothing was appended): the answer is ready.
func (a *produceAnswer) fail(err error, resp *wire.ProduceResponse) produceCommit {
	*resp = *produceErr(err)
	a.answered(resp, 0, time.Now())
	return produceCommit{}
}

// answer fills resp with the appended request's answer once its commit
// returned err, at now.
func (a *produceAnswer) answer(err error, resp *wire.ProduceResponse, now time.Time) {
	if err != nil {
		*resp = *produceErr(err)
		a.answered(resp, 0, now)
		return
	}
	*resp = wire.ProduceResponse{BaseOffset: a.base, LogAppendTimeMs: a.appendedMs, LogStartOffset: a.r.Log().StartOffset()}
	if a.dup != nil {
		resp.ErrorCode, resp.ErrorMessage = errFields(a.dup)
		resp.LogAppendTimeMs = -1
	}
	a.answered(resp, a.next-a.base, now)
}

// answered records resp (records appended) in the metrics.
func (a *produceAnswer) answered(resp *wire.ProduceResponse, records int64, now time.Time) {
	a.m.producedTo(a.counters, a.topic, a.partition, int(records), a.size, resp.ErrorCode, now.Sub(a.start))
}

// startCommit commits r up to next (fsync, acks wait) on a commit
// goroutine, beside the connection's writer, and returns the channel of
// its outcome.
func (d *dataPlane) startCommit(ctx context.Context, r *replica.Replica, next int64, acks wire.Acks, timeout time.Duration) <-chan error {
	done := make(chan error, 1)
	d.commits.Go(func() { done <- r.Commit(ctx, next, acks, timeout) })
	return done
}

// deferCommit commits r up to next (fsync, acks wait) on a commit
// goroutine, beside the connection's writer, so that the requests
// pipelined on one connection share fsyncs (group commit) instead of
// syncing one after the other; the reply is answer of the commit's
// error, or of ShuttingDown if the connection closes first.
func (d *dataPlane) deferCommit(ctx context.Context, r *replica.Replica, next int64, acks wire.Acks, timeout time.Duration, answer func(error) wire.Response) wire.Reply {
	done := d.startCommit(ctx, r, next, acks, timeout)
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
// once every partition's commit is done. A request whose partitions have
// nothing to wait for (acks none or leader, no fsync per append) is
// answered at once, like produce's, without a reply per partition.
func (d *dataPlane) multiProduce(ctx context.Context, req *wire.MultiProduceRequest) wire.Reply {
	start := time.Now()
	resp := &wire.MultiProduceResponse{Partitions: make([]wire.ProduceResponse, len(req.Partitions))}
	type waiting struct {
		i  int
		pc produceCommit
	}
	var commits []waiting
	var one wire.ProduceRequest
	for i := range req.Partitions {
		p := &req.Partitions[i]
		one = wire.ProduceRequest{Acks: req.Acks, TimeoutMs: req.TimeoutMs, Topic: p.Topic, Partition: p.Partition, Records: p.Records}
		if pc := d.appendProduce(ctx, &one, start, &resp.Partitions[i]); pc.done != nil {
			commits = append(commits, waiting{i, pc})
		}
	}
	if len(commits) == 0 {
		return wire.Respond(resp)
	}
	return wire.Defer(func(ctx context.Context) (wire.Response, error) {
		for _, w := range commits {
			w.pc.wait(ctx, &resp.Partitions[w.i])
		}
		return resp, nil
	})
}
