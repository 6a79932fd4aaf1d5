package fluvio

import (
	"sync"
	"sync/atomic"
	"time"
)

// lingerControl ends the linger time of a Producer's batches early when
// lingering only delays: a Send waits for room in the window
// (WithMaxBuffered) and nothing is in flight, so no answer will make room
// and no batch grows while the senders wait (Kafka's and franz-go's linger
// ends early the same way). The partition queues list themselves while
// they linger; the budget calls flush when a Send is about to block.
type lingerControl struct {
	budget *budget
	// unsent counts the records in batches not yet sent (accumulating or
	// lingering), and unsentBatches those batches.
	unsent        atomic.Int64
	unsentBatches atomic.Int64
	// partitions is the producer's partition count.
	partitions atomic.Int64

	// drain, if set, sends the lingering batches of the queues listed
	// (the Producer's drain, producer_drain.go); else each queue is told
	// to flush.
	drain func([]*partitionQueue)

	mu sync.Mutex
	qs []*lingerSlot // guarded by mu: the queues waiting out a linger time
}

// lingerSlot is one partition queue in lingerControl's list.
type lingerSlot struct {
	listed bool            // guarded by lingerControl.mu
	q      *partitionQueue // the queue
}

// add records that a queue waits out the linger time of a non-empty
// batch.
func (l *lingerControl) add(s *lingerSlot) {
	l.mu.Lock()
	if !s.listed {
		s.listed = true
		l.qs = append(l.qs, s)
	}
	l.mu.Unlock()
}

// flush sends every lingering batch now if unsentHeavy says so. Called
// when a Send finds the window full.
func (l *lingerControl) flush() {
	if !l.unsentHeavy() {
		return
	}
	l.mu.Lock()
	qs := l.qs
	l.qs = nil
	for _, s := range qs {
		s.listed = false
	}
	l.mu.Unlock()
	if l.drain != nil {
		queues := make([]*partitionQueue, len(qs))
		for i, s := range qs {
			queues[i] = s.q
		}
		l.drain(queues)
		return
	}
	for _, s := range qs {
		s.q.requestFlush()
	}
}

// unsentHeavy reports whether lingering only delays the batches not yet
// sent, so that a full window should cut it short:
//
//   - every record held is in a batch not yet sent: nothing is in flight,
//     so no answer will make room and no batch grows while the senders
//     wait (Kafka's and franz-go's linger ends early the same way);
//   - or the window is spread over the partitions (it holds at most two
//     records per partition: 1,000 records over 1,000 partitions), at
//     least a quarter of it waits, and in batches of fewer than two
//     records on average: such a batch gets about one record per window,
//     so lingering would not grow it, while the leader idles for want of
//     requests.
//
// Otherwise, while requests are in flight, their answers make room soon
// and the batches keep growing meanwhile: cutting then sends smaller
// batches, each costing about as much as a full one (cutting whenever a
// quarter of the window waits was measured at 1.5 times the CPU per
// record over 256 partitions).
func (l *lingerControl) unsentHeavy() bool {
	held, _ := l.budget.outstanding()
	records := int64(held)
	unsent := l.unsent.Load()
	if unsent >= records {
		return true
	}
	return records <= 2*l.partitions.Load() && 4*unsent >= records && unsent < 2*l.unsentBatches.Load()
}

// cut reports whether batches should go out without lingering: a sender
// waits for room and nothing is in flight.
func (l *lingerControl) cut() bool { return l.budget.blocked() && l.unsentHeavy() }

// lingerTimers is a Producer's one timer for its partitions' linger
// times (with a manyStarter transport): a partition whose batch lingers
// is listed with the time it is due, and loop starts the batches due
// together (the Producer's drain, producer_drain.go) instead of each
// partition's run loop waking on a timer of its own to start its request
// alone. The list is in the order the batches were listed, which is the
// order they are due within the run loops' scheduling delay (every batch
// lingers the same time).
type lingerTimers struct {
	wake    chan struct{} // capacity 1: the list went from empty to not
	now     func() time.Time
	closing <-chan struct{}               // the Producer's
	drain   func([]*partitionQueue, bool) // the Producer's drain, without force

	mu      sync.Mutex
	pending []lingerEntry // guarded by mu
}

type lingerEntry struct {
	q   *partitionQueue
	due time.Time
}

// add lists q (once) as due at due.
func (t *lingerTimers) add(q *partitionQueue, due time.Time) {
	t.mu.Lock()
	if q.timed {
		t.mu.Unlock()
		return
	}
	q.timed = true
	t.pending = append(t.pending, lingerEntry{q: q, due: due})
	first := len(t.pending) == 1
	t.mu.Unlock()
	if first {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// takeDue removes and returns the queues due at now, and when the next
// one is due (zero: none listed).
func (t *lingerTimers) takeDue(now time.Time) (due []*partitionQueue, next time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for n < len(t.pending) && !t.pending[n].due.After(now) {
		t.pending[n].q.timed = false
		due = append(due, t.pending[n].q)
		n++
	}
	t.pending = append(t.pending[:0], t.pending[n:]...)
	if len(t.pending) > 0 {
		next = t.pending[0].due
	}
	return due, next
}

// loop starts the lingering batches when they are due, until the
// producer closes (the run loops then send what is left).
func (t *lingerTimers) loop() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		due, next := t.takeDue(t.now())
		if len(due) > 0 {
			t.drain(due, false)
			continue
		}
		if !next.IsZero() {
			timer.Reset(next.Sub(t.now()))
		}
		select {
		case <-t.wake:
		case <-timer.C:
		case <-t.closing:
			return
		}
		timer.Stop()
	}
}
