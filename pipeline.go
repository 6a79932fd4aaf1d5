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
// retry of stored batches with their offsets (DuplicateSequence) instead
// of storing them again, and refuses the requests written after a refused
// one (out of order sequence, unknown producer) until it is resent: they
// fail too and are resent after it. A resend the leader finds partly
// stored (PartlyDuplicate: a new leader that copied only some of its
// batches) is split into one request per batch. Without idempotence a later request that had already succeeded
// stays where it is, and a retried batch can land after it (see
// WithMaxInFlight).

// inflightReq is one started request.
type inflightReq struct {
	batches []*pendingBatch
	wait    func() (int64, error) // the answer: base offset or error
	attempt int                   // retries so far
	failed  time.Time             // first retriable failure (zero: none yet)
	// answered, if set, is closed once the request is settled: run waits
	// for it before starting another request (the request starts a
	// producer epoch; see start).
	answered chan struct{}
	part     bool // one batch of a split request: settling it frees no slot
	// maybeStored: an earlier attempt failed in a way that may have
	// stored it (a lost answer): a refusal of a later attempt is no proof
	// that it was never stored, so it does not move the epoch.
	maybeStored bool
}

// unknownPartitionWait bounds how long a request refused with "unknown
// topic or partition" keeps being retried (after a metadata refresh)
// beyond WithRetries: the leader of a topic just created may still be
// creating its replica (Kafka likewise retries it until its delivery
// timeout).
const unknownPartitionWait = 30 * time.Second

// start writes one request for batches. Caller (run) holds a slot.
//
// A request that starts a producer epoch (a batch at sequence 0: the
// producer's first request on the partition, or the first after an epoch
// bump) is answered before the next one is written: the leader takes an
// unknown producer or a new epoch only from sequence 0, so requests
// pipelined behind a refused first one would only be refused too (and a
// leader that still took them at any sequence would store them ahead of
// the first one).
func (q *partitionQueue) start(batches []*pendingBatch) {
	q.sendMu <- struct{}{}
	first := q.stamp(batches)
	records := q.requestBytes(batches)
	req := &inflightReq{batches: batches}
	if first {
		req.answered = make(chan struct{})
	}
	req.wait = q.p.startRequest(q.id, records)
	q.inflight <- req // never blocks: slots bound it
	<-q.sendMu
	if req.answered != nil {
		<-req.answered
	}
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
		p.stats.count(base, err)
		return base, err
	}
}

// completer reads the answers in order until run closes q.inflight.
//
// A failed request (retriable or not) goes through retryFrom, under
// sendMu: a failure may move the partition to the next producer epoch,
// and the requests written after it must be settled (re-stamped and
// resent in order) before run stamps a new batch under that epoch, or a
// newer batch would be stored ahead of them.
func (q *partitionQueue) completer() {
	for req := range q.inflight {
		base, err := req.wait()
		if err != nil && !isDuplicate(base, err) {
			q.retryFrom(req, base, err)
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

// finish settles a request and frees its slot.
func (q *partitionQueue) finish(req *inflightReq, base int64, err error) {
	q.settle(req, base, err)
	q.release(req)
}

// release frees req's slot and lets run start the next request.
func (q *partitionQueue) release(req *inflightReq) {
	if req.answered != nil {
		close(req.answered)
	}
	<-q.slots
}

// settle completes a request's records: stored at base (a DuplicateSequence
// answer with the original offset is the leader's proof that the records
// were stored before: they are complete at that offset), or failed with
// err. A definite refusal is never turned into success.
func (q *partitionQueue) settle(req *inflightReq, base int64, err error) {
	if isDuplicate(base, err) {
		err = nil
	} else if err != nil && q.p.cfg.unsafeRefusedResendStored && unsafeStored(req, err) {
		// Test only (the negative control of the chaos suite and the
		// model test): the rule this package had before, which lost
		// records.
		base, err = -1, nil
	}
	if err != nil {
		if !retriable(err) && !storedBefore(err) && !req.maybeStored {
			// Refused, and no earlier attempt may have been stored: its
			// sequences never will be.
			q.failed(req.batches)
		}
		if retriable(err) && req.attempt > 0 {
			err = fmt.Errorf("after %d retries: %w", req.attempt, err)
		}
		err = fmt.Errorf("produce to %s partition %d: %w", q.p.topic, q.id, err)
	}
	q.complete(req.batches, base, err)
}

// errNotSent marks a request that never left the client (no leader known,
// no connection): it stored nothing.
type errNotSent struct{ err error }

func (e *errNotSent) Error() string { return e.err.Error() }
func (e *errNotSent) Unwrap() error { return e.err }

// notSent wraps err as errNotSent (retriable(err) is kept).
func notSent(err error) error { return &errNotSent{err: err} }

// definitelyNotStored reports whether a failed attempt surely stored
// nothing: it was not sent, or the leader refused it before appending.
// Anything else (a lost connection, a timeout, not leader or not enough
// replicas after the append, an SPU shutting down) may have been stored.
func definitelyNotStored(err error) bool {
	if _, ok := errors.AsType[*errNotSent](err); ok {
		return true
	}
	we, ok := errors.AsType[*wire.Error](err)
	if !ok {
		return false
	}
	switch we.Code {
	case wire.NotEnoughReplicas, wire.UnknownTopicOrPartition, wire.OutOfOrderSequence, wire.UnknownProducerID,
		wire.PartlyDuplicate, wire.CorruptBatch, wire.InvalidRecord, wire.RecordTooLarge, wire.InvalidProducerEpoch,
		wire.InvalidRequest, wire.UnsupportedVersion, wire.FrameTooLarge, wire.UnknownAPIKey:
		return true
	}
	return false
}

// noteAttempt records that an attempt of req may have been stored.
func (req *inflightReq) noteAttempt(base int64, err error) {
	if err != nil && !isDuplicate(base, err) && !definitelyNotStored(err) {
		req.maybeStored = true
	}
}

// isDuplicate reports whether an answer is the leader's DuplicateSequence
// with the original offset of the batches: they were stored before.
func isDuplicate(base int64, err error) bool {
	return base >= 0 && errors.Is(err, wire.ErrDuplicateSequence)
}

// storedBefore reports whether a refusal says that the batch's sequences
// were stored before, without their offset (SequenceTooOld, or an older
// leader's DuplicateSequence): the records fail, but the epoch stays, so
// the next batches follow them.
func storedBefore(err error) bool {
	return errors.Is(err, wire.ErrSequenceTooOld) || errors.Is(err, wire.ErrDuplicateSequence)
}

// unsafeStored is the rule of WithUnsafeRefusedSendsStored (tests only):
// a sequence refusal, or a resend refused before the leader appended.
func unsafeStored(req *inflightReq, err error) bool {
	return sequenceRefusal(err) || req.attempt > 0 && definitelyNotStored(err)
}

// sequenceRefusal reports whether err is one of the leader's idempotence
// refusals.
func sequenceRefusal(err error) bool {
	for _, e := range []error{wire.ErrDuplicateSequence, wire.ErrOutOfOrderSequence, wire.ErrUnknownProducerID, wire.ErrPartlyDuplicate, wire.ErrSequenceTooOld} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// retryFrom handles a failure of first: it stops new requests, collects
// the answers of the requests written after first, then settles them all
// in order, sending the failed ones again (with backoff, until stored,
// failed for good or out of retries) before releasing sendMu.
func (q *partitionQueue) retryFrom(first *inflightReq, base int64, err error) {
	q.sendMu <- struct{}{}
	defer func() { <-q.sendMu }()
	type answer struct {
		req  *inflightReq
		base int64
		err  error
	}
	answers := []answer{{first, base, err}}
	// Everything started is in q.inflight (run starts under sendMu).
	for n := len(q.inflight); n > 0; n-- {
		req := <-q.inflight
		base, err := req.wait()
		answers = append(answers, answer{req, base, err})
	}
	backoff := q.p.cfg.retryBackoff
	for _, a := range answers {
		q.resend(a.req, a.base, a.err, &backoff)
	}
}

// resend sends req again until it is stored, fails for good or runs out
// of retries, then settles it (and frees its slot unless it is part of a
// split request). base and err are its last answer (nil err: nothing to
// resend). Caller holds sendMu.
func (q *partitionQueue) resend(req *inflightReq, base int64, err error, backoff *time.Duration) {
	resent := false
	req.noteAttempt(base, err)
	for err != nil && q.shouldRetry(req, err) {
		if q.p.cfg.unsafeRefusedResendStored && unsafeStored(req, err) {
			break // test only: settle completes it as stored
		}
		if errors.Is(err, wire.ErrPartlyDuplicate) && len(req.batches) > 1 {
			// Some of its batches were stored before and some not (a
			// leader that has only part of the request, copied before a
			// failover): each batch alone is either a duplicate, answered
			// with its offset, or new.
			q.split(req, err, backoff)
			return
		}
		if resent && (errors.Is(err, wire.ErrOutOfOrderSequence) || errors.Is(err, wire.ErrUnknownProducerID)) {
			// Refused as out of order (or from a producer the leader has
			// no state for) although every earlier request is settled:
			// the leader lacks sequences it will never get (records it
			// acknowledged with acks=leader and lost in a failover, or a
			// producer state dropped by retention or eviction). Move on
			// to the next producer epoch, from sequence 0.
			q.failed(req.batches)
		}
		q.p.log.Debug("produce retry", "partition", q.id, "attempt", req.attempt+1, "backoff", *backoff, "err", err)
		if serr := sleepCtx(q.p.ctx, *backoff); serr != nil {
			err = fmt.Errorf("%w (while retrying: %w)", ErrClosed, err)
			break
		}
		*backoff = min(2**backoff, q.p.cfg.maxRetryBackoff)
		req.attempt++
		q.p.stats.retries.Add(1)
		q.stamp(req.batches)
		base, err = q.p.startRequest(q.id, q.requestBytes(req.batches))()
		req.noteAttempt(base, err)
		resent = true
	}
	q.settle(req, base, err)
	if !req.part {
		q.release(req)
	}
}

// split resends each batch of req in a request of its own, in order, then
// frees req's slot.
func (q *partitionQueue) split(req *inflightReq, err error, backoff *time.Duration) {
	q.p.log.Debug("produce retry: one request per batch", "partition", q.id, "batches", len(req.batches), "err", err)
	for _, pb := range req.batches {
		q.resend(&inflightReq{batches: []*pendingBatch{pb}, attempt: req.attempt, failed: req.failed, part: true, maybeStored: req.maybeStored}, -1, err, backoff)
	}
	q.release(req)
}
