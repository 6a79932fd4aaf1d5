package fluvio

import (
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/batch"
)

// recordOverhead approximates a record's framing in a batch, to close a
// batch before it outgrows the batch size.
const recordOverhead = 24

// pendingBatch is one batch being filled or waiting to be sent.
type pendingBatch struct {
	b       batch.Builder
	bytes   int       // budget bytes of its records
	created time.Time // when its first record was added
	waiters []waiter  // SendSync callers
	// Idempotence (idempotence.go), set by stamp under seqMu: the
	// producer id, epoch and base sequence the batch was sent with.
	stamped bool
	pid     int64
	epoch   int16
	seq     int32
}

type waiter struct {
	index int // offset delta of the record in the batch
	done  chan<- SendResult
}

// partitionQueue accumulates one partition's records into batches; its run
// loop (one goroutine, owned by the Producer) starts requests and its
// completer (another) reads their answers in order (pipeline.go).
type partitionQueue struct {
	p    *Producer
	id   int32
	wake chan struct{} // capacity 1: a notification that work may be ready

	mu     sync.Mutex
	cur    *pendingBatch   // guarded by mu: the batch being filled
	ready  []*pendingBatch // guarded by mu: full batches, oldest first
	free   []*pendingBatch // guarded by mu: reusable batches
	urgent bool            // guarded by mu: send without lingering (Flush, SendSync, a full window)

	lingering bool // guarded by p.lingering: listed for flushLingering

	// The pipeline (pipeline.go). slots holds a token per request in
	// flight (capacity: the producer's max in flight); inflight carries
	// the started requests, in order, from run to complete.
	slots    chan struct{}
	inflight chan *inflightReq
	// sendMu (a channel of capacity 1, so that waiting on it is a
	// durable block under testing/synctest) is held to start a request;
	// the completer holds it while it retries, so that no later request
	// overtakes a retried one.
	sendMu  chan struct{}
	scratch []byte // guarded by sendMu: concatenation buffer

	// seqMu guards seq and the batches' stamps (idempotence.go).
	seqMu sync.Mutex
	seq   seqState
}

func (q *partitionQueue) notify() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// add appends a record to the current batch, closing it first if the
// record would take it past the batch size. done, if set, receives the
// record's outcome; urgent sends the batch without lingering (SendSync).
func (q *partitionQueue) add(key, value []byte, headers []Header, n int, done chan<- SendResult, urgent bool, nowMs int64) {
	size := n + recordOverhead + len(headers)*8
	q.mu.Lock()
	wake := false
	if q.cur != nil && q.cur.b.Len() > 0 && q.cur.b.Size()+size > q.p.cfg.batchSize {
		q.ready = append(q.ready, q.cur)
		q.cur = nil
		wake = true
	}
	if q.cur == nil {
		q.cur = q.newBatch(nowMs)
		wake = true // arm the linger timer
	}
	cur := q.cur
	if done != nil {
		cur.waiters = append(cur.waiters, waiter{index: cur.b.Len(), done: done})
	}
	if urgent {
		q.urgent = true
		wake = true
	}
	cur.b.Add(key, value, toBatchHeaders(headers), nowMs)
	cur.bytes += n
	q.p.unsentRecords.Add(1)
	if cur.b.Size() >= q.p.cfg.batchSize {
		q.ready = append(q.ready, cur)
		q.cur = nil
		wake = true
	}
	q.mu.Unlock()
	if wake {
		q.notify()
	}
}

func toBatchHeaders(hs []Header) []batch.Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]batch.Header, len(hs))
	for i, h := range hs {
		out[i] = batch.Header(h)
	}
	return out
}

// newBatch returns an empty batch, reusing a sent one. Caller holds mu.
func (q *partitionQueue) newBatch(nowMs int64) *pendingBatch {
	var pb *pendingBatch
	if n := len(q.free); n > 0 {
		pb = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		pb = &pendingBatch{}
	}
	pb.b.SetCompression(batch.Codec(q.p.cfg.compression))
	pb.b.Reset(nowMs)
	pb.bytes = 0
	pb.waiters = pb.waiters[:0]
	pb.created = q.p.cfg.now()
	pb.stamped = false
	return pb
}

func (q *partitionQueue) requestFlush() {
	q.mu.Lock()
	q.urgent = true
	q.mu.Unlock()
	q.notify()
}

// run is the partition's send loop: it waits until a batch is full, has
// lingered long enough, or is flushed (Flush, SendSync, or a Send that
// finds the window full), and sends the ready batches as one
// request once a pipeline slot is free (see pipeline.go). It exits once
// the producer is closing and the queue is empty, closing the in-flight
// queue so that the completer exits after the last answer.
func (q *partitionQueue) run() {
	defer close(q.inflight)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		// Take a slot first, so that everything that accumulated while
		// the pipeline was full goes into this request.
		q.slots <- struct{}{}
		batches, wait, exit := q.take()
		if exit {
			<-q.slots
			return
		}
		if len(batches) == 0 {
			<-q.slots
			if wait > 0 {
				// Listed before checking for blocked senders: a sender
				// that blocks after the check flushes the list.
				q.p.addLingering(q)
				if q.p.lingerCut() {
					continue
				}
				timer.Reset(wait)
			}
			select {
			case <-q.wake:
			case <-timer.C:
			case <-q.p.closing:
			}
			timer.Stop()
			continue
		}
		q.start(batches)
	}
}

// take returns the batches to send now; or, if none, how long the current
// batch may still linger (0: nothing to wait for) and whether the loop
// should exit.
func (q *partitionQueue) take() (batches []*pendingBatch, wait time.Duration, exit bool) {
	closing := false
	select {
	case <-q.p.closing:
		closing = true
	default:
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.cur != nil && q.cur.b.Len() > 0 {
		age := q.p.cfg.now().Sub(q.cur.created)
		if q.urgent || closing || age >= q.p.cfg.linger || q.p.lingerCut() {
			q.ready = append(q.ready, q.cur)
			q.cur = nil
		} else {
			wait = q.p.cfg.linger - age
		}
	}
	if len(q.ready) == 0 {
		if q.cur == nil {
			q.urgent = false
		}
		return nil, wait, closing && q.cur == nil
	}
	// Take the oldest batches up to the max request size (at least one). A
	// batch larger than the batch size (one big record) goes alone: if
	// the SPU refuses it (record too large), it fails no other batch.
	size, n := 0, 0
	for n < len(q.ready) {
		s := q.ready[n].b.Size()
		big := s > q.p.cfg.batchSize && q.ready[n].b.Len() == 1
		if n > 0 && (size+s > q.p.cfg.maxRequestSize || big) {
			break
		}
		size += s
		n++
		if big {
			break
		}
	}
	batches = append([]*pendingBatch(nil), q.ready[:n]...)
	for _, pb := range batches {
		q.p.unsentRecords.Add(-int64(pb.b.Len()))
	}
	q.ready = append(q.ready[:0], q.ready[n:]...)
	return batches, 0, false
}

// requestBytes returns the request's records: the batch's own bytes for a
// single batch (no copy), else the batches concatenated into q.scratch.
// Caller holds sendMu.
func (q *partitionQueue) requestBytes(batches []*pendingBatch) []byte {
	if len(batches) == 1 {
		return batches[0].b.Bytes()
	}
	q.scratch = q.scratch[:0]
	for _, pb := range batches {
		q.scratch = append(q.scratch, pb.b.Bytes()...)
	}
	return q.scratch
}

// complete reports each record's outcome, returns its budget and recycles
// the batches.
func (q *partitionQueue) complete(batches []*pendingBatch, base int64, err error) {
	next := base
	for _, pb := range batches {
		n := pb.b.Len()
		for _, w := range pb.waiters {
			r := SendResult{Offset: -1, Err: err}
			if err == nil && base >= 0 {
				r.Offset = next + int64(w.index)
			}
			w.done <- r // buffered, capacity 1
		}
		if err != nil && len(pb.waiters) < n {
			q.p.recordErr(err)
		}
		if base >= 0 {
			next += int64(n)
		}
		q.p.budget.release(n, pb.bytes)
	}
	q.mu.Lock()
	for _, pb := range batches {
		pb.waiters = pb.waiters[:0]
		q.free = append(q.free, pb)
	}
	q.mu.Unlock()
}
