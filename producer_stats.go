package fluvio

import (
	"errors"
	"sync/atomic"

	"github.com/fluvio-go/fluvio/wire"
)

// ProducerStats counts what a Producer's produce requests met, since it
// was created. The idempotence answers tell how often the leader's
// sequence checks were reached: a DuplicateSequence answer is a retry of
// records stored before (completed with their original offsets), an
// OutOfOrderSequence or UnknownProducerID answer a request that arrived
// ahead of an earlier one that was refused or not yet stored (resent in
// order after it).
type ProducerStats struct {
	Requests           int64 // produce requests written, first tries and retries
	Retries            int64 // retries (including the single-batch requests of a split)
	DuplicateSequence  int64 // answers: stored before, with the original offset
	OutOfOrderSequence int64 // answers: an earlier sequence is missing
	UnknownProducerID  int64 // answers: the leader had no state for the producer
	PartlyDuplicate    int64 // answers: the request mixed stored and new batches (split)
	SequenceTooOld     int64 // answers: stored before, offset unknown (reported as failed)
	EpochBumps         int64 // partitions moved to a new producer epoch after a failure
}

// producerStats are the counters behind ProducerStats.
type producerStats struct {
	requests, retries, dup, ooo, unknownPID, partly, tooOld, epochBumps atomic.Int64
}

// count notes one answer.
func (s *producerStats) count(base int64, err error) {
	s.requests.Add(1)
	switch {
	case err == nil:
	case errors.Is(err, wire.ErrDuplicateSequence):
		s.dup.Add(1)
	case errors.Is(err, wire.ErrOutOfOrderSequence):
		s.ooo.Add(1)
	case errors.Is(err, wire.ErrUnknownProducerID):
		s.unknownPID.Add(1)
	case errors.Is(err, wire.ErrPartlyDuplicate):
		s.partly.Add(1)
	case errors.Is(err, wire.ErrSequenceTooOld):
		s.tooOld.Add(1)
	}
}

// Stats returns the producer's counters so far.
func (p *Producer) Stats() ProducerStats {
	s := &p.stats
	return ProducerStats{
		Requests: s.requests.Load(), Retries: s.retries.Load(),
		DuplicateSequence: s.dup.Load(), OutOfOrderSequence: s.ooo.Load(), UnknownProducerID: s.unknownPID.Load(),
		PartlyDuplicate: s.partly.Load(), SequenceTooOld: s.tooOld.Load(), EpochBumps: s.epochBumps.Load(),
	}
}
