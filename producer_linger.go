package fluvio

import (
	"sync"
	"sync/atomic"
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
	// lingering).
	unsent atomic.Int64

	mu sync.Mutex
	qs []*lingerSlot // guarded by mu: the queues waiting out a linger time
}

// lingerSlot is one partition queue in lingerControl's list.
type lingerSlot struct {
	listed bool   // guarded by lingerControl.mu
	flush  func() // sends the queue's batches without lingering
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
	for _, s := range qs {
		s.flush()
	}
}

// unsentHeavy reports whether every record held is in a batch not yet
// sent: nothing is in flight, so no answer will make room and lingering
// only wastes the linger time. Only then does a full window cut the
// linger short; while requests are in flight their answers make room
// soon and the batches keep growing meanwhile (cutting at once sends
// one-record batches over many partitions, each request costing as much
// as a full one: measured slower over 100 and 1,000 partitions).
func (l *lingerControl) unsentHeavy() bool {
	records, _ := l.budget.outstanding()
	return l.unsent.Load() >= int64(records)
}

// cut reports whether batches should go out without lingering: a sender
// waits for room and nothing is in flight.
func (l *lingerControl) cut() bool { return l.budget.blocked() && l.unsentHeavy() }
