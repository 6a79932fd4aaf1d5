package fluvio

import (
	"context"
	"sync"
	"sync/atomic"
)

// budget bounds the records and bytes a producer holds unacknowledged.
// acquire blocks while the budget is spent; release wakes the waiters by
// closing a channel (and makes a new one only when someone took the old
// one: a 1,000-partition producer releases once per record).
type budget struct {
	maxRecords, maxBytes int

	mu      sync.Mutex
	records int           // guarded by mu
	bytes   int           // guarded by mu
	changed chan struct{} // guarded by mu; closed and replaced on release if watched
	watched bool          // guarded by mu: a waiter took changed since it was made

	// onBlock, if set, is called (without mu) each time acquire is about
	// to wait: the window is full, so the producer sends its lingering
	// batches at once instead of letting them wait out the linger time.
	onBlock func()
	waiting atomic.Int32 // acquire calls waiting for room
}

func newBudget(maxRecords, maxBytes int) *budget {
	return &budget{maxRecords: maxRecords, maxBytes: maxBytes, changed: make(chan struct{})}
}

// acquire takes one record of n bytes, blocking until there is room or ctx
// is done. A record larger than the whole byte budget is admitted when
// nothing else is outstanding, so it cannot wait forever.
func (b *budget) acquire(ctx context.Context, n int, closed <-chan struct{}) error {
	for {
		b.mu.Lock()
		if b.records == 0 || (b.records+1 <= b.maxRecords && b.bytes+n <= b.maxBytes) {
			b.records++
			b.bytes += n
			b.mu.Unlock()
			return nil
		}
		ch := b.changed
		b.watched = true
		b.mu.Unlock()
		if err := b.wait(ctx, ch, closed); err != nil {
			return err
		}
	}
}

// wait waits for ch (a release), counted in waiting while it does, after
// telling onBlock.
func (b *budget) wait(ctx context.Context, ch, closed <-chan struct{}) error {
	b.waiting.Add(1)
	defer b.waiting.Add(-1)
	if b.onBlock != nil {
		b.onBlock()
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-closed:
		return ErrClosed
	}
}

// blocked reports whether a sender waits for room: batches should not
// linger then.
func (b *budget) blocked() bool { return b.waiting.Load() > 0 }

// release returns records and bytes to the budget and wakes the waiters.
func (b *budget) release(records, n int) {
	b.mu.Lock()
	b.records -= records
	b.bytes -= n
	if !b.watched {
		b.mu.Unlock()
		return
	}
	ch := b.changed
	b.changed = make(chan struct{})
	b.watched = false
	b.mu.Unlock()
	close(ch)
}

// waitEmpty blocks until nothing is outstanding or ctx is done.
func (b *budget) waitEmpty(ctx context.Context) error {
	for {
		b.mu.Lock()
		if b.records == 0 {
			b.mu.Unlock()
			return nil
		}
		ch := b.changed
		b.watched = true
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// outstanding returns the records and bytes held.
func (b *budget) outstanding() (records, bytes int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.records, b.bytes
}
