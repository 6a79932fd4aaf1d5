package fluvio

import (
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"math"
	"sync"

	"github.com/fluvio-go/fluvio/batch"
)

// Idempotent produce. Each Producer draws a random producer id; each
// partition of it numbers its records with sequences (0, 1, 2, ...) under
// a producer epoch (0 at first). A batch's BaseSequence is the sequence
// of its first record; it is assigned when the batch is first sent and
// kept by every retry, so the leader recognizes a retried batch that it
// had already stored (the answer to the first try was lost) and answers
// DuplicateSequence with the original offset instead of storing it again.
// The leader takes a (producer, epoch) it does not know only from
// sequence 0 and then only the next sequence, so it refuses a batch that
// skips ahead (OutOfOrderSequence, or UnknownProducerID for a producer it
// has no state for; both retriable): the pipeline then resends the
// earlier batches first, in order, and the records keep their order even
// with several requests in flight. A send completes as stored only on an
// answer that stored it or names its original offset; a refusal is never
// turned into success.
//
// When the leader refuses a batch for good (an error that is not
// retriable: it stored nothing) and no earlier attempt of its request may
// have been stored (inflightReq.maybeStored), its sequences leave a gap
// that the leader would refuse forever, so the partition moves to the
// next producer epoch and starts again at sequence 0: batches sent after it (already in
// flight, then refused as out of order) are re-stamped under the new
// epoch when retried; batches sent before it keep their stamps (they may
// have been stored, and their retries must be recognized: sequencer.retired).
// A batch that ran out of retries may have been stored (its answers
// lost): the partition keeps its epoch, so that a stored batch keeps
// counting and the next ones follow it. If it was not stored, the next
// batch is refused as out of order; a resend refused as out of order (or
// as an unknown producer) although every earlier request is settled moves
// to the next epoch too (this also covers a leader that lost records it
// had acknowledged with acks=leader in a failover, and a leader that
// forgot the producer: the sequences it lacks will never come). The
// first request of an epoch is answered before the next one is written
// (pipeline.start).

// noProducerID marks a batch without idempotence (WithIdempotence(false)).
const noProducerID = -1

// newProducerID returns a random non-negative producer id.
func newProducerID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return int64(binary.BigEndian.Uint64(b[:]) & math.MaxInt64)
}

// sequencer is a partition's idempotence state: it stamps batches with
// the producer id, epoch and sequences, and moves to the next epoch after
// a failure. Without idempotence it stamps nothing.
type sequencer struct {
	enabled bool
	part    int32
	log     *slog.Logger
	stats   *producerStats

	mu    sync.Mutex // guards the fields below and the batches' stamps
	pid   int64
	epoch int16
	next  int32 // the sequence of the next new record
	// retired lists the last epochs left after a failure, with the first
	// sequence that failed: a batch of such an epoch below it was sent
	// before the failure and keeps its stamp (it may be stored, its
	// retry must be recognized); one at or after it is re-stamped.
	retired []retiredEpoch
}

type retiredEpoch struct {
	pid    int64
	epoch  int16
	cutoff int32
}

// maxRetired bounds sequencer.retired. A batch kept in flight across more
// epoch bumps than this (each needs a failure settled after it was sent)
// is re-stamped.
const maxRetired = 16

func newSequencer(enabled bool, pid int64, part int32, log *slog.Logger, stats *producerStats) *sequencer {
	return &sequencer{enabled: enabled, part: part, log: log, stats: stats, pid: pid}
}

// keepsLocked reports whether a batch stamped (pid, epoch, seq) under an
// epoch that is not the current one keeps its stamp; mu held.
func (s *sequencer) keepsLocked(pid int64, epoch int16, seq int32) bool {
	for _, r := range s.retired {
		if r.pid == pid && r.epoch == epoch {
			return seq < r.cutoff
		}
	}
	return false
}

// stamp gives each batch that has none its producer id, epoch and base
// sequence under the partition's current epoch, before its bytes are
// sent. A retry keeps its stamp, unless it was stamped under an epoch left
// after a failure of an earlier batch (a batch sent after the failed one:
// refused as out of order, never stored): it is re-stamped with new
// sequences under the current epoch. stamp reports whether a batch now
// starts the epoch (sequence 0): such a request is answered before the
// next one is written (see pipeline.start).
func (s *sequencer) stamp(batches []*pendingBatch) (first bool) {
	if !s.enabled {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pb := range batches {
		if pb.stamped && (pb.pid == s.pid && pb.epoch == s.epoch || s.keepsLocked(pb.pid, pb.epoch, pb.seq)) {
			continue // a retry keeps its sequence
		}
		n := int32(pb.b.Len())
		if s.next > math.MaxInt32-n {
			s.nextEpochLocked(s.next) // sequences would wrap
		}
		fresh := !pb.stamped
		pb.stamped, pb.pid, pb.epoch, pb.seq = true, s.pid, s.epoch, s.next
		s.next += n
		if pb.seq == 0 {
			first = true
		}
		if fresh {
			pb.b.SetProducer(pb.pid, pb.epoch, pb.seq) // before Bytes computes the CRC
		} else {
			batch.SetProducerFields(pb.b.Bytes(), pb.pid, pb.epoch, pb.seq)
		}
	}
	return first
}

// failed notes that batches will never be stored (refused by the leader,
// or refused as out of order with nothing earlier outstanding): if they
// were stamped under the current epoch, the partition moves to the next
// one, and the batches from the first of them on are re-stamped when
// (re)sent.
func (s *sequencer) failed(batches []*pendingBatch) {
	if !s.enabled {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pb := range batches {
		if pb.stamped && pb.pid == s.pid && pb.epoch == s.epoch {
			s.nextEpochLocked(pb.seq)
			return
		}
	}
}

// nextEpochLocked starts the next producer epoch at sequence 0 (a new
// producer id once the epochs run out), retiring the current one from
// sequence cutoff on; mu held.
func (s *sequencer) nextEpochLocked(cutoff int32) {
	if len(s.retired) == maxRetired {
		s.retired = append(s.retired[:0], s.retired[1:]...)
	}
	s.retired = append(s.retired, retiredEpoch{pid: s.pid, epoch: s.epoch, cutoff: cutoff})
	if s.epoch == math.MaxInt16 {
		s.pid, s.epoch = newProducerID(), 0
	} else {
		s.epoch++
	}
	s.next = 0
	s.stats.epochBumps.Add(1)
	s.log.Debug("producer epoch bumped", "partition", s.part, "producer_id", s.pid, "epoch", s.epoch)
}
