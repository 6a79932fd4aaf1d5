package fluvio

import (
	"crypto/rand"
	"encoding/binary"
	"math"

	"github.com/fluvio-go/fluvio/batch"
)

// Idempotent produce. Each Producer draws a random producer id; each
// partition of it numbers its records with sequences (0, 1, 2, ...) under
// a producer epoch (0 at first). A batch's BaseSequence is the sequence
// of its first record; it is assigned when the batch is first sent and
// kept by every retry, so the leader recognizes a retried batch that it
// had already stored (the answer to the first try was lost) and answers
// with the original offset instead of storing it again. The leader also
// refuses a batch whose sequence skips ahead (OutOfOrderSequence,
// retriable): the pipeline then resends the earlier batches first, in
// order, and the records keep their order even with several requests in
// flight.
//
// When the leader refuses a batch (an error that is not retriable: it
// stored nothing) its sequences leave a gap that the leader would refuse
// forever, so the partition moves to the next producer epoch and starts
// again at sequence 0: batches sent after it (already in flight, then
// refused as out of order) are re-stamped under the new epoch when
// retried. A batch that ran out of retries may have been stored (its
// answers lost): the partition keeps its epoch, so that a stored batch
// keeps counting and the next ones follow it. If it was not stored, the
// next batch is refused as out of order; a resend refused as out of order
// although every earlier request is settled moves to the next epoch too
// (this also covers a leader that lost records it had acknowledged with
// acks=leader in a failover: the sequences it lacks will never come). A
// re-stamped batch loses the duplicate check only if an earlier try of it
// was stored while its predecessor was not, which the leader's in-order
// rule rules out except across such a loss.

// noProducerID marks a batch without idempotence (WithIdempotence(false)).
const noProducerID = -1

// newProducerID returns a random non-negative producer id.
func newProducerID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return int64(binary.BigEndian.Uint64(b[:]) & math.MaxInt64)
}

// seqState is a partition's idempotence state; guarded by its
// partitionQueue's seqMu.
type seqState struct {
	pid   int64
	epoch int16
	next  int32 // the sequence of the next new record
}

// stamp gives each batch that has none under the partition's current
// epoch its producer id, epoch and base sequence, before its bytes are
// sent. A batch stamped under an older epoch (one that failed for good
// came before it) is re-stamped with new sequences.
func (q *partitionQueue) stamp(batches []*pendingBatch) {
	if !q.p.cfg.idempotent {
		return
	}
	q.seqMu.Lock()
	defer q.seqMu.Unlock()
	for _, pb := range batches {
		if pb.stamped && pb.pid == q.seq.pid && pb.epoch == q.seq.epoch {
			continue // a retry keeps its sequence
		}
		n := int32(pb.b.Len())
		if q.seq.next > math.MaxInt32-n {
			q.nextEpochLocked() // sequences would wrap
		}
		first := !pb.stamped
		pb.stamped, pb.pid, pb.epoch, pb.seq = true, q.seq.pid, q.seq.epoch, q.seq.next
		q.seq.next += n
		if first {
			pb.b.SetProducer(pb.pid, pb.epoch, pb.seq) // before Bytes computes the CRC
		} else {
			batch.SetProducerFields(pb.b.Bytes(), pb.pid, pb.epoch, pb.seq)
		}
	}
}

// failed notes that batches will never be stored (refused by the leader,
// or refused as out of order with nothing earlier outstanding): if they
// were stamped under the current epoch, the partition moves to the next
// one.
func (q *partitionQueue) failed(batches []*pendingBatch) {
	if !q.p.cfg.idempotent {
		return
	}
	q.seqMu.Lock()
	defer q.seqMu.Unlock()
	for _, pb := range batches {
		if pb.stamped && pb.pid == q.seq.pid && pb.epoch == q.seq.epoch {
			q.nextEpochLocked()
			return
		}
	}
}

// nextEpochLocked starts the next producer epoch at sequence 0 (a new
// producer id once the epochs run out); seqMu held.
func (q *partitionQueue) nextEpochLocked() {
	if q.seq.epoch == math.MaxInt16 {
		q.seq.pid, q.seq.epoch = newProducerID(), 0
	} else {
		q.seq.epoch++
	}
	q.seq.next = 0
	q.p.log.Debug("producer epoch bumped", "partition", q.id, "producer_id", q.seq.pid, "epoch", q.seq.epoch)
}
