package fluvio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio/wire"
)

// The produce pipeline of one partition. run (accumulator.go) takes a
// slot, starts a request (written to the leader's connection at once) and
// hands it to the completer through q.inflight; the completer reads the
// answers in the order the requests were written, completes their records
// and frees the slot. With up to WithMaxInFlight requests in flight the
// connection stays busy while the SPU appends and syncs.
//
// Retries keep the order: when an answer is a retriable error, the
// completer takes sendMu (so run starts nothing new), waits for the
// requests already written after the failed one, and sends every failed
// request again, oldest first, before releasing sendMu. With idempotence
// (idempotence.go) a retry keeps its sequences, so the leader answers a
// retry of stored batches with their offsets instead of storing them
// again, and refuses the requests written after a refused one (out of
// order sequence) until it is resent: they fail too and are resent after
// it. Without idempotence a later request that had already succeeded
// stays where it is, and a retried batch can land after it (see
// WithMaxInFlight).

// inflightReq is one started request.
type inflightReq struct {
	batches []*pendingBatch
	wait    func() (int64, error) // the answer: base offset or error
	attempt int                   // retries so far
	failed  time.Time             // first retriable failure (zero: none yet)
}

// unknownPartitionWait bounds how long a request refused with "unknown
// topic or partition" keeps being retried (after a metadata refresh)
// beyond WithRetries: the leader of a topic just created may still be
// creating its replica (Kafka likewise retries it until its delivery
// timeout).
const unknownPartitionWait = 30 * time.Second

// start writes one request for batches. Caller (run) holds a slot.
func (q *partitionQueue) start(batches []*pendingBatch) {
	q.sendMu <- struct{}{}
	q.stamp(batches)
	records := q.requestBytes(batches)
	wait := q.p.startRequest(q.id, records)
	q.inflight <- &inflightReq{batches: batches, wait: wait} // never blocks: slots bound it
	<-q.sendMu
}

// startRequest writes one produce request and returns the wait for its
// answer. The request's deadline leaves the leader its produce timeout
// plus a margin for the network.
func (p *Producer) startRequest(part int32, records []byte) func() (int64, error) {
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.produceTimeout+5*time.Second)
	wait := p.t.startProduce(ctx, produceCall{
		topic: p.topic, partition: part, acks: p.cfg.acks,
		timeout: p.cfg.produceTimeout, records: records,
	})
	return func() (int64, error) {
		defer cancel()
		base, err := wait(ctx)
		if err != nil && errors.Is(err, context.DeadlineExceeded) && p.ctx.Err() == nil {
			// The leader did not answer in time: try again (after a
			// metadata refresh).
			err = markRetriable(fmt.Errorf("no answer in %v: %w", p.cfg.produceTimeout+5*time.Second, err))
		}
		return base, err
	}
}

// completer reads the answers in order until run closes q.inflight.
func (q *partitionQueue) completer() {
	for req := range q.inflight {
		base, err := req.wait()
		if err != nil && q.shouldRetry(req, err) {
			q.retryFrom(req, err)
			continue
		}
		q.finish(req, base, err)
	}
}

// shouldRetry reports whether req, failed with err, is tried again: a
// retriable error within WithRetries, or (unless retries are off) an
// unknown partition within unknownPartitionWait of req's first failure
// (noted here). Called only
// by the completer, which owns req.
func (q *partitionQueue) shouldRetry(req *inflightReq, err error) bool {
	if !retriable(err) || q.p.ctx.Err() != nil {
		return false
	}
	now := q.p.cfg.now()
	if req.failed.IsZero() {
		req.failed = now
	}
	if req.attempt < q.p.cfg.maxRetries {
		return true
	}
	return q.p.cfg.maxRetries > 0 && errors.Is(err, wire.ErrUnknownTopicOrPartition) && now.Sub(req.failed) < unknownPartitionWait
}

// finish completes a request's records and frees its slot.
func (q *partitionQueue) finish(req *inflightReq, base int64, err error) {
	if err != nil && req.attempt > 0 && errors.Is(err, wire.ErrDuplicateSequence) {
		// A resend whose sequences the leader stored before, further back
		// than the runs it remembers (Kafka's DUPLICATE_SEQUENCE): the
		// leader accepts sequences only in order, so the records are stored,
		// once; their offsets are unknown (-1).
		base, err = -1, nil
	}
	if err != nil {
		if !retriable(err) {
			// Refused: not stored, its sequences never will be.
			q.failed(req.batches)
		}
		if retriable(err) && req.attempt > 0 {
			err = fmt.Errorf("after %d retries: %w", req.attempt, err)
		}
		err = fmt.Errorf("produce to %s partition %d: %w", q.p.topic, q.id, err)
	}
	q.complete(req.batches, base, err)
	<-q.slots
}

// retryFrom handles a retriable failure of first: it stops new requests,
// collects the answers of the requests written after first, and sends the
// failed ones again in order, each with backoff until it succeeds, fails
// for good or runs out of retries.
func (q *partitionQueue) retryFrom(first *inflightReq, err error) {
	q.sendMu <- struct{}{}
	defer func() { <-q.sendMu }()
	failed := []*inflightReq{first}
	errs := []error{err}
	// Everything started is in q.inflight (run starts under sendMu).
	for n := len(q.inflight); n > 0; n-- {
		req := <-q.inflight
		base, err := req.wait()
		if err == nil || !q.shouldRetry(req, err) {
			q.finish(req, base, err)
			continue
		}
		failed = append(failed, req)
		errs = append(errs, err)
	}
	backoff := q.p.cfg.retryBackoff
	for i, req := range failed {
		err := errs[i]
		var base int64
		resent := false
		for err != nil && q.shouldRetry(req, err) {
			if resent && errors.Is(err, wire.ErrOutOfOrderSequence) {
				// Refused as out of order although every earlier request
				// is settled: the leader lacks sequences it will never
				// get (records it acknowledged with acks=leader and lost
				// in a failover). Move on to the next producer epoch.
				q.failed(req.batches)
			}
			q.p.log.Debug("produce retry", "partition", q.id, "attempt", req.attempt+1, "backoff", backoff, "err", err)
			if serr := sleepCtx(q.p.ctx, backoff); serr != nil {
				err = fmt.Errorf("%w (while retrying: %w)", ErrClosed, err)
				break
			}
			backoff = min(2*backoff, q.p.cfg.maxRetryBackoff)
			req.attempt++
			q.stamp(req.batches)
			base, err = q.p.startRequest(q.id, q.requestBytes(req.batches))()
			resent = true
		}
		q.finish(req, base, err)
	}
}
