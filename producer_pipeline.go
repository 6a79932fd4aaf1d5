package fluvio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/wire"
)

// The produce pipeline of one partition. The queue's run loop
// (producer_queue.go) reserves a slot and starts a request (written to the
// leader's connection at once by the requestWriter, producer_request.go),
// which goes to the completer through inflight; the completer reads the
// answers in the order the requests were written, completes their records
// and frees the slot. With up to WithMaxInFlight requests in flight the
// connection stays busy while the SPU appends and syncs.
//
// Retries keep the order: when an answer is a retriable error, the
// completer takes sendMu (so run starts nothing new), waits for the
// requests already written after the failed one, and sends every failed
// request again, oldest first, before releasing sendMu. With idempotence
// (the sequencer, producer_sequencer.go) a retry keeps its sequences, so the leader answers a
// retry of stored batches with their offsets (DuplicateSequence) instead
// of storing them again, and refuses the requests written after a refused
// one (out of order sequence, unknown producer) until it is resent: they
// fail too and are resent after it. A resend the leader finds partly
// stored (PartlyDuplicate: a new leader that copied only some of its
// batches) is split into one request per batch, and so is a request of
// several batches refused as too large (one of them is over the topic's
// max record size; sendAlone), so that only that batch fails. Without
// idempotence a later request that had already succeeded stays where it
// is, and a retried batch can land after it (see WithMaxInFlight).

// inflightReq is one started request.
type inflightReq struct {
	batches []*pendingBatch
	answer  answer    // base offset or error
	attempt int       // retries so far
	failed  time.Time // first retriable failure (zero: none yet)
	// answered, if set, is closed once the request is settled: start
	// waits for it before returning, so no other request is written (the request starts a
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

// pipeline writes, retries and completes the requests of one partition.
type pipeline struct {
	topic     string
	partition int32
	ctx       context.Context // the Producer's: cancelled by Close
	cfg       *producerConfig
	log       *slog.Logger
	stats     *producerStats
	seq       *sequencer     // stamps the batches (producer_sequencer.go)
	w         *requestWriter // writes the requests (producer_request.go)
	budget    *budget        // the Producer's: completed records return theirs
	errs      *firstError    // the Producer's: failures for Flush
	pool      *batchPool     // completed batches go back there

	// slots holds a token per request in flight (capacity: the producer's
	// max in flight); inflight carries the started requests, in order,
	// from start to the completer.
	slots    chan struct{}
	inflight chan *inflightReq
	// sendMu (a channel of capacity 1, so that waiting on it is a durable
	// block under testing/synctest) is held to start a request; the
	// completer holds it while it retries, so that no later request
	// overtakes a retried one.
	sendMu chan struct{}

	freeMu sync.Mutex
	free   []*inflightReq // guarded by freeMu: settled requests, for newReq
}

// reserve takes a slot (blocking while maxInFlight requests are in
// flight) for the next start; unreserve gives it back unused.
func (pl *pipeline) reserve() { pl.slots <- struct{}{} }

// tryReserve takes a slot if one is free.
func (pl *pipeline) tryReserve() bool {
	select {
	case pl.slots <- struct{}{}:
		return true
	default:
		return false
	}
}
func (pl *pipeline) unreserve() { <-pl.slots }

// tryLockSend takes sendMu if it is free (Producer.drain); the caller
// gives it back with <-pl.sendMu.
func (pl *pipeline) tryLockSend() bool {
	select {
	case pl.sendMu <- struct{}{}:
		return true
	default:
		return false
	}
}

// close tells the completer that no request follows: it exits after the
// last answer. Called once by the queue's run loop. It takes sendMu: a
// SendSync caller may still hold a request it has to hand over (start).
func (pl *pipeline) close() {
	pl.sendMu <- struct{}{}
	close(pl.inflight)
	<-pl.sendMu
}

// start writes one request for batches. Caller holds a reserved slot.
//
// A request that starts a producer epoch (a batch at sequence 0: the
// producer's first request on the partition, or the first after an epoch
// bump) is answered before the next one is written: the leader takes an
// unknown producer or a new epoch only from sequence 0, so requests
// pipelined behind a refused first one would only be refused too (and a
// leader that still took them at any sequence would store them ahead of
// the first one).
//
// With wantOwn (SendSync's fast path), when the transport can peek at the
// answer (see requestWriter.write), the request does not start an epoch
// and no other request is in flight, start leaves the request to the
// caller instead of the completer and returns own, which the caller must
// call exactly once: it waits for the answer on the caller's goroutine
// (the caller reads it off the connection) and, if it is a success,
// settles the request there and returns the first record's offset and
// true; otherwise it hands the request to the completer (which retries
// or fails it as always) and returns false. Until own returns, the caller
// keeps sendMu, so no request starts behind this one: on an idle
// partition nothing would anyway, and the answer reaches the caller
// without waking another goroutine.
func (pl *pipeline) start(req *inflightReq, batches []*pendingBatch, wantOwn bool, now time.Time) (own ownedReq, owned bool) {
	pl.sendMu <- struct{}{}
	first := pl.seq.stamp(batches)
	req.batches = batches
	var answered chan struct{} // req may be recycled once answered
	if first {
		answered = make(chan struct{})
		req.answered = answered
	}
	var peek answerPeeker
	req.answer, peek = pl.w.write(batches, now)
	if peek != nil && wantOwn && !first && len(pl.slots) == 1 {
		return ownedReq{pl: pl, req: req, peek: peek}, true
	}
	pl.inflight <- req // never blocks: slots bound it
	<-pl.sendMu
	if answered != nil {
		<-answered
	}
	return ownedReq{}, false
}

// ownedReq is a request that start left to its SendSync caller (a value,
// not a closure: no allocation per round trip). The caller holds sendMu
// until wait returns.
type ownedReq struct {
	pl    *pipeline
	req   *inflightReq
	peek  answerPeeker
	delta int64 // the caller's record's offset relative to the request's first (startNow)
	// waiter is the caller's record's waiter (startNow): on a success
	// wait returns the offset itself, and the settling sends nothing to
	// the waiter's channel (a send and a receive less per round trip).
	waiter *waiter
}

// wait is start's own (see start): it waits for the answer on the
// caller's goroutine and, if it is a success, settles the request there
// and returns the caller's record's offset and true; otherwise it hands
// the request to the completer and returns false. Called exactly once.
func (o ownedReq) wait(ctx context.Context) (Offset, bool) {
	pl, req := o.pl, o.req
	defer func() { <-pl.sendMu }()
	if _, ok := o.peek.peek(ctx); ok {
		base, err := req.answer.get() // the answer is in: no wait
		if err == nil {
			if o.waiter != nil {
				o.waiter.done = nil // answered here (pendingBatch.complete skips it)
			}
			pl.finish(req, base, nil) // recycles req
			return base + o.delta, true
		}
		req.answer = takenAnswer(base, err)
	}
	pl.inflight <- req // never blocks: slots bound it
	return -1, false
}

// newReq returns an empty request (a recycled one if there is one), for
// start: a 1,000-partition producer starts a request per record, and
// reusing them and their batch slices saves two allocations each.
func (pl *pipeline) newReq() *inflightReq {
	pl.freeMu.Lock()
	defer pl.freeMu.Unlock()
	if n := len(pl.free); n > 0 {
		req := pl.free[n-1]
		pl.free = pl.free[:n-1]
		return req
	}
	return &inflightReq{}
}

// freeReq takes back a request that is settled and released (or was
// never started); nothing refers to it any more.
func (pl *pipeline) freeReq(req *inflightReq) {
	clear(req.batches)
	*req = inflightReq{batches: req.batches[:0]}
	pl.freeMu.Lock()
	if len(pl.free) < cap(pl.slots)+1 {
		pl.free = append(pl.free, req)
	}
	pl.freeMu.Unlock()
}

// completer reads the answers in order until close.
//
// A failed request (retriable or not) goes through retryFrom, under
// sendMu: a failure may move the partition to the next producer epoch,
// and the requests written after it must be settled (re-stamped and
// resent in order) before start stamps a new batch under that epoch, or a
// newer batch would be stored ahead of them.
func (pl *pipeline) completer() {
	for req := range pl.inflight {
		base, err := req.answer.get()
		if err != nil && !isDuplicate(base, err) {
			pl.retryFrom(req, base, err)
			continue
		}
		pl.finish(req, base, err)
	}
}

// shouldRetry reports whether req, failed with err, is tried again: a
// retriable error within WithRetries, or (unless retries are off) an
// unknown partition within unknownPartitionWait of req's first failure
// (noted here). Called only by the completer, which owns req.
func (pl *pipeline) shouldRetry(req *inflightReq, err error) bool {
	if !retriable(err) || pl.ctx.Err() != nil {
		return false
	}
	now := pl.cfg.now()
	if req.failed.IsZero() {
		req.failed = now
	}
	if req.attempt < pl.cfg.maxRetries {
		return true
	}
	return pl.cfg.maxRetries > 0 && errors.Is(err, wire.ErrUnknownTopicOrPartition) && now.Sub(req.failed) < unknownPartitionWait
}

// finish settles a request, frees its slot and recycles it.
func (pl *pipeline) finish(req *inflightReq, base int64, err error) {
	pl.settle(req, base, err)
	pl.release(req)
	pl.freeReq(req)
}

// release frees req's slot and lets start write the next request.
func (pl *pipeline) release(req *inflightReq) {
	if req.answered != nil {
		close(req.answered)
	}
	<-pl.slots
}

// settle completes a request's records: stored at base (a DuplicateSequence
// answer with the original offset is the leader's proof that the records
// were stored before: they are complete at that offset), or failed with
// err. A definite refusal is never turned into success.
func (pl *pipeline) settle(req *inflightReq, base int64, err error) {
	if isDuplicate(base, err) {
		err = nil
	} else if err != nil && pl.cfg.unsafeRefusedResendStored && unsafeStored(req, err) {
		// Test only (the negative control of the chaos suite and the
		// model test): the rule this package had before, which lost
		// records.
		base, err = -1, nil
	}
	if err != nil {
		if !retriable(err) && !storedBefore(err) && !req.maybeStored {
			// Refused, and no earlier attempt may have been stored: its
			// sequences never will be.
			pl.seq.failed(req.batches)
		}
		if retriable(err) && req.attempt > 0 {
			err = fmt.Errorf("after %d retries: %w", req.attempt, err)
		}
		err = fmt.Errorf("produce to %s partition %d: %w", pl.topic, pl.partition, err)
	}
	pl.complete(req.batches, base, err)
}

// complete reports each record's outcome (a record without a waiter
// reports its failure to Flush), returns the budget and recycles the
// batches.
func (pl *pipeline) complete(batches []*pendingBatch, base int64, err error) {
	next := base
	for _, pb := range batches {
		if pb.complete(next, err) && err != nil {
			pl.errs.record(err)
		}
		n := pb.b.Len()
		if base >= 0 {
			next += int64(n)
		}
		pl.budget.release(n, pb.bytes)
	}
	pl.pool.put(batches)
}

// unsafeStored is the rule of WithUnsafeRefusedSendsStored (tests only):
// a sequence refusal, or a resend refused before the leader appended.
func unsafeStored(req *inflightReq, err error) bool {
	return sequenceRefusal(err) || req.attempt > 0 && definitelyNotStored(err)
}

// noteAttempt records that an attempt of req may have been stored.
func (req *inflightReq) noteAttempt(base int64, err error) {
	if err != nil && !isDuplicate(base, err) && !definitelyNotStored(err) {
		req.maybeStored = true
	}
}

// retryFrom handles a failure of first: it stops new requests, collects
// the answers of the requests written after first, then settles them all
// in order, sending the failed ones again (with backoff, until stored,
// failed for good or out of retries) before releasing sendMu.
func (pl *pipeline) retryFrom(first *inflightReq, base int64, err error) {
	pl.sendMu <- struct{}{}
	defer func() { <-pl.sendMu }()
	type answer struct {
		req  *inflightReq
		base int64
		err  error
	}
	answers := []answer{{first, base, err}}
	// Everything started is in inflight (start writes under sendMu).
	for n := len(pl.inflight); n > 0; n-- {
		req := <-pl.inflight
		base, err := req.answer.get()
		answers = append(answers, answer{req, base, err})
	}
	backoff := pl.cfg.retryBackoff
	for _, a := range answers {
		pl.resend(a.req, a.base, a.err, &backoff)
	}
}

// resend sends req again until it is stored, fails for good or runs out
// of retries, then settles it (and frees its slot unless it is part of a
// split request). base and err are its last answer (nil err: nothing to
// resend). Caller holds sendMu.
func (pl *pipeline) resend(req *inflightReq, base int64, err error, backoff *time.Duration) {
	resent := false
	req.noteAttempt(base, err)
	for err != nil {
		if len(req.batches) > 1 && errors.Is(err, wire.ErrRecordTooLarge) {
			// One of its batches is over the topic's max record size
			// (the leader appended nothing): each batch alone, so that
			// only that one fails.
			pl.sendAlone(req, err, backoff)
			return
		}
		if !pl.shouldRetry(req, err) {
			break
		}
		if pl.cfg.unsafeRefusedResendStored && unsafeStored(req, err) {
			break // test only: settle completes it as stored
		}
		if errors.Is(err, wire.ErrPartlyDuplicate) && len(req.batches) > 1 {
			// Some of its batches were stored before and some not (a
			// leader that has only part of the request, copied before a
			// failover): each batch alone is either a duplicate, answered
			// with its offset, or new.
			pl.split(req, err, backoff)
			return
		}
		if resent && (errors.Is(err, wire.ErrOutOfOrderSequence) || errors.Is(err, wire.ErrUnknownProducerID)) {
			// Refused as out of order (or from a producer the leader has
			// no state for) although every earlier request is settled:
			// the leader lacks sequences it will never get (records it
			// acknowledged with acks=leader and lost in a failover, or a
			// producer state dropped by retention or eviction). Move on
			// to the next producer epoch, from sequence 0.
			pl.seq.failed(req.batches)
		}
		pl.log.Debug("produce retry", "partition", pl.partition, "attempt", req.attempt+1, "backoff", *backoff, "err", err)
		if serr := sleepCtx(pl.ctx, *backoff); serr != nil {
			err = fmt.Errorf("%w (while retrying: %w)", ErrClosed, err)
			break
		}
		*backoff = min(2**backoff, pl.cfg.maxRetryBackoff)
		req.attempt++
		pl.stats.retries.Add(1)
		pl.seq.stamp(req.batches)
		a, _ := pl.w.write(req.batches, pl.cfg.now())
		base, err = a.get()
		req.noteAttempt(base, err)
		resent = true
	}
	pl.settle(req, base, err)
	if !req.part {
		pl.release(req)
	}
}

// split resends each batch of req in a request of its own, in order, then
// frees req's slot.
func (pl *pipeline) split(req *inflightReq, err error, backoff *time.Duration) {
	pl.log.Debug("produce retry: one request per batch", "partition", pl.partition, "batches", len(req.batches), "err", err)
	for _, pb := range req.batches {
		pl.resend(&inflightReq{batches: []*pendingBatch{pb}, attempt: req.attempt, failed: req.failed, part: true, maybeStored: req.maybeStored}, -1, err, backoff)
	}
	pl.release(req)
}

// sendAlone sends each batch of req, refused as too large, in a request
// of its own, in order, then frees req's slot: each one is settled
// (retried if need be) before the next is stamped and written, so the
// batch over the limit fails alone and moves the partition to the next
// epoch (its sequences will never be stored) before the batches after it
// are stamped again. Caller holds sendMu.
func (pl *pipeline) sendAlone(req *inflightReq, err error, backoff *time.Duration) {
	pl.log.Debug("produce: one request per batch after a too large refusal", "partition", pl.partition, "batches", len(req.batches), "err", err)
	for _, pb := range req.batches {
		part := &inflightReq{batches: []*pendingBatch{pb}, attempt: req.attempt, failed: req.failed, part: true, maybeStored: req.maybeStored}
		pl.stats.retries.Add(1)
		pl.seq.stamp(part.batches)
		a, _ := pl.w.write(part.batches, pl.cfg.now())
		base, err := a.get()
		pl.resend(part, base, err, backoff)
	}
	pl.release(req)
}
