package fluvio

import (
	"sync"
	"sync/atomic"
	"time"
)

// partitionQueue accumulates one partition's records into batches
// (producer_batch.go). Its run loop (one goroutine, owned by the Producer)
// decides when batches go out: when one is full, has lingered long
// enough, or is flushed (Flush, SendSync, or a Send that finds the window
// full). It hands them to the partition's pipeline (producer_pipeline.go),
// which writes, retries and completes the requests. With the Client's
// transport most batches of a producer writing many partitions are
// started elsewhere, many partitions at once (Producer.drain,
// producer_drain.go): when their linger time is over (the Producer's one
// linger timer), on Flush and when a Send finds the window full with
// nothing in flight; the run loop starts the rest (full batches, and
// partitions that drain found busy).
type partitionQueue struct {
	id      int32
	cfg     *producerConfig
	closing <-chan struct{} // the Producer's: closed by Close
	linger  *lingerControl  // the Producer's (producer_linger.go)
	pool    *batchPool
	pipe    *pipeline
	wake    chan struct{} // capacity 1: a notification that work may be ready
	slot    lingerSlot    // this queue in linger's list
	// timers, if set, is the Producer's shared linger timer
	// (producer_linger.go), which starts this queue's batch when its
	// linger time is over; else the run loop keeps a timer of its own.
	timers *lingerTimers
	timed  bool // guarded by timers.mu: listed in timers

	// runMu is held by whoever takes batches and starts their request:
	// the run loop, or a SendSync caller on the fast path (startNow), so
	// that requests start one at a time, oldest batches first. A channel
	// of capacity 1, like the pipeline's sendMu (waiting on it is a
	// durable block under testing/synctest).
	runMu chan struct{}
	// wakes counts the run loop's wake-ups (the tests' measure of
	// hand-offs).
	wakes atomic.Int64

	mu     sync.Mutex
	cur    *pendingBatch   // guarded by mu: the batch being filled
	ready  []*pendingBatch // guarded by mu: full batches, oldest first
	urgent bool            // guarded by mu: send without lingering (Flush, SendSync, a full window)
}

func newPartitionQueue(id int32, cfg *producerConfig, closing <-chan struct{}, linger *lingerControl, pool *batchPool, pipe *pipeline) *partitionQueue {
	q := &partitionQueue{id: id, cfg: cfg, closing: closing, linger: linger, pool: pool, pipe: pipe, wake: make(chan struct{}, 1),
		runMu: make(chan struct{}, 1)}
	q.slot.q = q
	return q
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
// It returns whether the run loop has work (a full batch, or urgent): the
// caller then calls startNow (urgent, when it holds no lock) or notify;
// or else whether the record started a new batch, which lingers: the
// caller then calls lingering.
func (q *partitionQueue) add(key, value []byte, headers []Header, n int, done chan<- SendResult, urgent bool, now time.Time) (wake, started bool) {
	nowMs := now.UnixMilli()
	size := recordSize(n, headers)
	q.mu.Lock()
	if q.cur != nil && q.cur.b.Len() > 0 && q.cur.b.Size()+size > q.cfg.batchSize {
		q.ready = append(q.ready, q.cur)
		q.cur = nil
		wake = true
	}
	if q.cur == nil {
		q.cur = q.pool.get(now)
		q.linger.unsentBatches.Add(1)
		started = true
	}
	cur := q.cur
	if urgent {
		q.urgent = true
		wake = true
	}
	cur.add(key, value, headers, n, done, nowMs)
	q.linger.unsent.Add(1)
	if cur.b.Size() >= q.cfg.batchSize {
		q.ready = append(q.ready, cur)
		q.cur = nil
		wake = true
	}
	q.mu.Unlock()
	return wake, started && !wake
}

// lingering follows an add at now that started a batch (and left the run
// loop nothing to do): the batch waits out its linger time. With the
// Producer's linger timer the queue is listed there from the sender's
// goroutine, as the run loop would list it, without waking the run loop:
// over many partitions (1,000 records over 1,000 partitions: every record
// starts a batch) that wake-up was a goroutine hand-off per record. A
// batch that must not linger (no linger time, or a full window with
// nothing in flight: lingerControl.cut) wakes the run loop.
func (q *partitionQueue) lingering(now time.Time) {
	if q.timers == nil || q.cfg.linger <= 0 {
		q.notify()
		return
	}
	// Listed before checking for blocked senders, as in run.
	q.linger.add(&q.slot)
	if q.linger.cut() {
		q.notify()
		return
	}
	q.timers.add(q, now.Add(q.cfg.linger))
}

// startNow is SendSync's fast path: when nothing else is starting a
// request of this partition and a pipeline slot is free, the caller takes
// the batches (as of now, send's clock reading) and starts the request
// itself instead of waking the run loop, one goroutine hand-off less on an
// idle producer's round trip. It reports whether it did; if not, the
// caller notifies the run loop. When the request carries the record whose
// waiter is done and the caller may own the request (pipeline.start), own
// is set (owned) and the caller must call own.wait once: it returns that
// record's offset once the answer is a success (false otherwise: the
// completer reports the outcome on done), one more hand-off less, the
// completer's.
func (q *partitionQueue) startNow(done chan<- SendResult, now time.Time) (started bool, own ownedReq, owned bool) {
	select {
	case q.runMu <- struct{}{}:
	default:
		return false, ownedReq{}, false
	}
	defer func() { <-q.runMu }()
	if !q.pipe.tryReserve() {
		return false, ownedReq{}, false
	}
	req := q.pipe.newReq()
	batches, _, exit := q.take(req.batches, now)
	if exit || len(batches) == 0 {
		q.pipe.freeReq(req)
		q.pipe.unreserve()
		return false, ownedReq{}, false
	}
	// The record's place in the request, read before the request starts:
	// its batches are recycled once the request is settled.
	delta, w, found := recordDelta(batches, done)
	own, owned = q.pipe.start(req, batches, found, now)
	own.delta, own.waiter = delta, w
	q.afterStart()
	return true, own, owned
}

// afterStart follows a request started outside the run loop (startNow,
// Producer.drain): the run loop sends what is left, if anything.
func (q *partitionQueue) afterStart() {
	q.mu.Lock()
	more := q.cur != nil || len(q.ready) > 0
	if !more {
		q.urgent = false // as the run loop's next take would
	}
	q.mu.Unlock()
	if more {
		q.notify()
	}
}

// recordDelta is the offset of done's record relative to the first record
// of batches, and its waiter.
func recordDelta(batches []*pendingBatch, done chan<- SendResult) (delta int64, w *waiter, found bool) {
	if done == nil {
		return 0, nil, false
	}
	for _, pb := range batches {
		for i := range pb.waiters {
			if pb.waiters[i].done == done {
				return delta + int64(pb.waiters[i].index), &pb.waiters[i], true
			}
		}
		delta += int64(pb.b.Len())
	}
	return 0, nil, false
}

// tryLockRun takes runMu if it is free; unlockRun gives it back.
func (q *partitionQueue) tryLockRun() bool {
	select {
	case q.runMu <- struct{}{}:
		return true
	default:
		return false
	}
}

func (q *partitionQueue) unlockRun() { <-q.runMu }

// requestFlush sends the queued batches without lingering.
func (q *partitionQueue) requestFlush() {
	q.mu.Lock()
	q.urgent = true
	q.mu.Unlock()
	q.notify()
}

// run is the partition's send loop: it waits until batches are ready and
// sends them as one request once a pipeline slot is free. It exits once
// the producer is closing and the queue is empty, closing the pipeline so
// that its completer exits after the last answer.
func (q *partitionQueue) run() {
	defer q.pipe.close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		// Take a slot first, so that everything that accumulated while
		// the pipeline was full goes into this request.
		q.pipe.reserve()
		q.runMu <- struct{}{}
		req := q.pipe.newReq()
		now := q.cfg.now()
		batches, wait, exit := q.take(req.batches, now)
		if exit {
			<-q.runMu
			q.pipe.freeReq(req)
			q.pipe.unreserve()
			return
		}
		if len(batches) == 0 {
			<-q.runMu
			q.pipe.freeReq(req)
			q.pipe.unreserve()
			if wait > 0 {
				// Listed before checking for blocked senders: a sender
				// that blocks after the check flushes the list.
				q.linger.add(&q.slot)
				if q.linger.cut() {
					continue
				}
				if q.timers != nil {
					// The Producer's linger timer starts the batch when
					// it is due, together with the others due then.
					q.timers.add(q, q.cfg.now().Add(wait))
				} else {
					timer.Reset(wait)
				}
			}
			select {
			case <-q.wake:
			case <-timer.C:
			case <-q.closing:
			}
			q.wakes.Add(1)
			timer.Stop()
			continue
		}
		q.pipe.start(req, batches, false, now)
		<-q.runMu
	}
}

// take returns the batches to send now, appended to dst (a recycled
// request's slice); or, if none, how long the current batch may still
// linger (0: nothing to wait for) and whether the loop should exit.
func (q *partitionQueue) take(dst []*pendingBatch, now time.Time) (batches []*pendingBatch, wait time.Duration, exit bool) {
	closing := false
	select {
	case <-q.closing:
		closing = true
	default:
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.cur != nil && q.cur.b.Len() > 0 {
		age := now.Sub(q.cur.created)
		if q.urgent || closing || age >= q.cfg.linger || q.linger.cut() {
			q.ready = append(q.ready, q.cur)
			q.cur = nil
		} else {
			wait = q.cfg.linger - age
		}
	}
	if len(q.ready) == 0 {
		if q.cur == nil {
			q.urgent = false
		}
		return nil, wait, closing && q.cur == nil
	}
	// Take the oldest batches up to the max request size (at least one).
	// Batches of one big record (larger than the batch size) travel
	// together like the others: a request that the leader refuses as too
	// large (one batch over the topic's max record size; it appends
	// nothing then) is sent again one batch per request, so that only the
	// big record fails (pipeline.resend).
	size, n := 0, 0
	for n < len(q.ready) {
		s := q.ready[n].b.Size()
		if n > 0 && size+s > q.cfg.maxRequestSize {
			break
		}
		size += s
		n++
	}
	batches = append(dst[:0], q.ready[:n]...)
	for _, pb := range batches {
		q.linger.unsent.Add(-int64(pb.b.Len()))
	}
	q.linger.unsentBatches.Add(-int64(len(batches)))
	q.ready = append(q.ready[:0], q.ready[n:]...)
	return batches, 0, false
}
