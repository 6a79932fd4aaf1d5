package fluvio

import (
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/batch"
)

// One batch of a partition's records: filled by the partition queue
// (producer_queue.go), stamped by the sequencer (producer_sequencer.go),
// sent and completed by the pipeline (producer_pipeline.go), then
// returned to the queue's batchPool for reuse.

// recordOverhead approximates a record's framing in a batch, to close a
// batch before it outgrows the batch size.
const recordOverhead = 24

// pendingBatch is one batch being filled or waiting to be sent.
type pendingBatch struct {
	b       batch.Builder
	bytes   int       // budget bytes of its records
	created time.Time // when its first record was added
	waiters []waiter  // SendSync and SendAsync callers
	// The idempotence stamp, set by sequencer.stamp under its mutex: the
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

// recordSize is the size a record of n key, value and header bytes adds
// to a batch (an estimate of its framing).
func recordSize(n int, headers []Header) int { return n + recordOverhead + len(headers)*8 }

// add appends a record of n budget bytes; done, if set, will receive its
// outcome.
func (pb *pendingBatch) add(key, value []byte, headers []Header, n int, done chan<- SendResult, nowMs int64) {
	if done != nil {
		pb.waiters = append(pb.waiters, waiter{index: pb.b.Len(), done: done})
	}
	pb.b.Add(key, value, toBatchHeaders(headers), nowMs)
	pb.bytes += n
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

// complete reports the outcome to the batch's waiters: stored with its
// first record at offset base (-1: offsets unknown, AcksNone), or failed
// with err. It reports whether some record has no waiter (its failure is
// for Flush to report).
func (pb *pendingBatch) complete(base int64, err error) (unwaited bool) {
	for _, w := range pb.waiters {
		if w.done == nil {
			continue // answered by its SendSync itself (ownedReq.wait)
		}
		r := SendResult{Offset: -1, Err: err}
		if err == nil && base >= 0 {
			r.Offset = base + int64(w.index)
		}
		w.done <- r // buffered, capacity 1
	}
	return len(pb.waiters) < pb.b.Len()
}

// batchPool hands out empty batches, reusing completed ones.
type batchPool struct {
	compression Compression

	mu   sync.Mutex
	free []*pendingBatch // guarded by mu
}

// get returns an empty batch created at now.
func (bp *batchPool) get(now time.Time) *pendingBatch {
	var pb *pendingBatch
	bp.mu.Lock()
	if n := len(bp.free); n > 0 {
		pb = bp.free[n-1]
		bp.free = bp.free[:n-1]
	}
	bp.mu.Unlock()
	if pb == nil {
		pb = &pendingBatch{}
	}
	pb.b.SetCompression(batch.Codec(bp.compression))
	pb.b.Reset(now.UnixMilli())
	pb.bytes = 0
	pb.waiters = pb.waiters[:0]
	pb.created = now
	pb.stamped = false
	return pb
}

// put takes back completed batches.
func (bp *batchPool) put(batches []*pendingBatch) {
	bp.mu.Lock()
	for _, pb := range batches {
		pb.waiters = pb.waiters[:0]
		bp.free = append(bp.free, pb)
	}
	bp.mu.Unlock()
}
