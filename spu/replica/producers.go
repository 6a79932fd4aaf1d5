package replica

import (
	"fmt"

	"github.com/fluvio-go/fluvio/batch"
)

// DefaultMaxProducers bounds the producer-state table of one partition:
// past it, a new producer evicts the one that appended least recently.
const DefaultMaxProducers = 10_000

// producerRuns is how many runs of stored sequences a producer's entry
// keeps (Kafka keeps the metadata of 5 batches per producer). A run is
// one or more batches whose sequences and offsets are both contiguous;
// with the client's 4 requests in flight, a retry is always of one of the
// last 5 runs.
const producerRuns = 5

// SeqBatch is what the idempotence check needs of one batch.
type SeqBatch struct {
	PID   int64 // producer id; < 0: not idempotent (no check)
	Epoch int16 // producer epoch
	Seq   int32 // base sequence: the sequence of the first record
	Count int32 // records in the batch (sequences Seq..Seq+Count-1)
}

// SeqBatchOf reads the producer fields of an encoded batch (header only).
func SeqBatchOf(b []byte) SeqBatch {
	return SeqBatch{PID: batch.ProducerID(b), Epoch: batch.ProducerEpoch(b),
		Seq: batch.BaseSequence(b), Count: batch.RecordCount(b)}
}

func (b SeqBatch) lastSeq() int32 { return b.Seq + b.Count - 1 }

// seqRun is a run of stored sequences: sequence s is at offset
// base + (s - first).
type seqRun struct {
	first, last int32
	base        int64
}

type producerEntry struct {
	epoch int16
	runs  []seqRun // oldest first, at most producerRuns
	stamp uint64   // the table's clock at the last append, for eviction
}

func (e *producerEntry) lastSeq() int32 { return e.runs[len(e.runs)-1].last }

// Producers is a partition's producer-state table, kept by the leader (and
// by followers as they append): for each producer id, its epoch and the
// last runs of sequences it stored, with their offsets. It is bounded by
// max entries. Not safe for concurrent use: the Replica serializes it.
type Producers struct {
	max   int
	m     map[int64]*producerEntry
	clock uint64
}

// NewProducers returns an empty table of at most max producers (< 1 means
// DefaultMaxProducers).
func NewProducers(max int) *Producers {
	if max < 1 {
		max = DefaultMaxProducers
	}
	return &Producers{max: max, m: make(map[int64]*producerEntry)}
}

// Len returns the number of producers in the table.
func (t *Producers) Len() int { return len(t.m) }

// verdict is the check's answer for one batch.
type verdict struct {
	dup bool  // stored before: do not append
	off int64 // the offset its first record was stored at (dup only)
}

// Check decides a request's batches, in order, against the table. It
// returns dup=true with the base offset of the first batch when every
// batch was stored before, contiguously (a retry: the leader appends
// nothing and answers DuplicateSequence with that offset), dup=false when
// every batch is new and in sequence (append them, then Record), or an
// error for a request that must not be appended:
//   - UnknownProducerID (retriable): a producer the table has no entry
//     for, with a batch that does not start at sequence 0;
//   - OutOfOrderSequence (retriable): an earlier batch is missing (a gap
//     after the last stored sequence, or a newer epoch that does not
//     start at sequence 0);
//   - PartlyDuplicate (retriable): a request that mixes stored and new
//     batches, or whose stored batches are apart in the log;
//   - SequenceTooOld: sequences stored before, further back than the
//     runs the entry keeps, so their offset is unknown;
//   - InvalidProducerEpoch: an older epoch (fenced).
//
// A batch counts as stored only when the entry proves it: same epoch and
// its sequences inside a remembered run, which names its offset. Every
// accepted batch either starts its (producer, epoch) at sequence 0 or
// follows the last stored sequence, so an entry's sequences from 0 up to
// its last were all stored: nothing in flight ahead of a refused batch
// can be taken in its place. Batches with a negative producer id are
// always new.
func (t *Producers) Check(bs []SeqBatch) (base int64, dup bool, err error) {
	// Sequences of this request's new batches, for the batches after them.
	var pending []pendingSeq
	ndup := 0
	var next int64
	for i, b := range bs {
		if b.PID < 0 {
			continue
		}
		v, err := t.check(b, pending)
		if err != nil {
			return -1, false, err
		}
		if !v.dup {
			pending = setPending(pending, b)
			continue
		}
		if ndup > 0 && v.off != next {
			return -1, false, newError(KindPartlyDuplicate, fmt.Sprintf(
				"producer %d: the request's batches were stored, but apart (batch %d at offset %d, expected %d); nothing was appended: send each batch in a request of its own", b.PID, i, v.off, next))
		}
		if ndup == 0 {
			base = v.off
		}
		ndup++
		next = v.off + int64(b.Count)
	}
	switch {
	case ndup == 0:
		return -1, false, nil
	case ndup == len(bs):
		return base, true, nil
	}
	return -1, false, newError(KindPartlyDuplicate, fmt.Sprintf(
		"the request mixes %d batches stored before with %d new ones; nothing was appended: send each batch in a request of its own", ndup, len(bs)-ndup))
}

type pendingSeq struct {
	pid   int64
	epoch int16
	last  int32
}

func setPending(p []pendingSeq, b SeqBatch) []pendingSeq {
	for i := range p {
		if p[i].pid == b.PID {
			p[i].epoch, p[i].last = b.Epoch, b.lastSeq()
			return p
		}
	}
	return append(p, pendingSeq{pid: b.PID, epoch: b.Epoch, last: b.lastSeq()})
}

func (t *Producers) check(b SeqBatch, pending []pendingSeq) (verdict, error) {
	if b.Count < 1 || b.Seq < 0 || int64(b.Seq)+int64(b.Count)-1 > int64(^uint32(0)>>1) {
		return verdict{}, newError(KindCorruptBatch, fmt.Sprintf("producer %d: base sequence %d with %d records is out of range; nothing was appended", b.PID, b.Seq, b.Count))
	}
	for _, p := range pending {
		if p.pid != b.PID {
			continue
		}
		if b.Epoch != p.epoch {
			return verdict{}, newError(KindFenced, fmt.Sprintf("producer %d: epochs %d and %d in one request", b.PID, p.epoch, b.Epoch))
		}
		if b.Seq != p.last+1 {
			return verdict{}, t.seqErr(b, p.last)
		}
		return verdict{}, nil
	}
	e := t.m[b.PID]
	if e == nil {
		if b.Seq == 0 {
			return verdict{}, nil // a new producer starts at sequence 0
		}
		return verdict{}, newError(KindUnknownProducer, fmt.Sprintf("producer %d: no state on this leader and base sequence %d is not 0; nothing was appended: resend the earlier batches first (a producer with none outstanding starts a new epoch at sequence 0)", b.PID, b.Seq))
	}
	if b.Epoch > e.epoch {
		if b.Seq == 0 {
			return verdict{}, nil // a new epoch starts at sequence 0
		}
		return verdict{}, newError(KindOutOfOrder, fmt.Sprintf("producer %d: epoch %d starts at base sequence %d, not 0; nothing was appended: resend the epoch's first batch first", b.PID, b.Epoch, b.Seq))
	}
	if b.Epoch < e.epoch {
		return verdict{}, newError(KindFenced, fmt.Sprintf("producer %d epoch %d is fenced by epoch %d on this partition; close the producer and create a new one", b.PID, b.Epoch, e.epoch))
	}
	last := e.lastSeq()
	if b.Seq == last+1 {
		return verdict{}, nil
	}
	for _, r := range e.runs {
		if b.Seq >= r.first && b.lastSeq() <= r.last {
			return verdict{dup: true, off: r.base + int64(b.Seq-r.first)}, nil
		}
	}
	return verdict{}, t.seqErr(b, last)
}

func (t *Producers) seqErr(b SeqBatch, last int32) error {
	if b.Seq <= last {
		return newError(KindSequenceTooOld, fmt.Sprintf("producer %d: sequences %d..%d were stored before (last stored %d) but not among its last %d runs, so their offsets are unknown; nothing was appended, do not resend them",
			b.PID, b.Seq, b.lastSeq(), last, producerRuns))
	}
	return newError(KindOutOfOrder, fmt.Sprintf("producer %d: base sequence %d, expected %d; nothing was appended: resend the earlier batches first", b.PID, b.Seq, last+1))
}

// Record notes a stored batch of an idempotent producer whose first record
// is at offset off. Batches with a negative producer id are ignored.
func (t *Producers) Record(b SeqBatch, off int64) {
	if b.PID < 0 || b.Count < 1 {
		return
	}
	t.clock++
	e := t.m[b.PID]
	if e == nil || b.Epoch > e.epoch {
		if e == nil {
			if len(t.m) >= t.max {
				t.evict()
			}
			e = &producerEntry{runs: make([]seqRun, 0, producerRuns)}
			t.m[b.PID] = e
		}
		e.epoch, e.runs = b.Epoch, e.runs[:0]
	}
	e.stamp = t.clock
	if n := len(e.runs); n > 0 {
		r := &e.runs[n-1]
		if b.Seq == r.last+1 && off == r.base+int64(r.last-r.first)+1 {
			r.last = b.lastSeq()
			return
		}
		if n == producerRuns {
			copy(e.runs, e.runs[1:])
			e.runs = e.runs[:n-1]
		}
	}
	e.runs = append(e.runs, seqRun{first: b.Seq, last: b.lastSeq(), base: off})
}

// RecordAppended notes the batches of a checked request appended from
// offset base, in order (each batch covers Count offsets).
func (t *Producers) RecordAppended(bs []SeqBatch, base int64) {
	for _, b := range bs {
		t.Record(b, base)
		base += int64(b.Count)
	}
}

// evict drops the producer that appended least recently (a linear scan:
// it runs only when a new producer finds the table full).
func (t *Producers) evict() {
	var oldest int64
	var stamp uint64
	first := true
	for pid, e := range t.m {
		if first || e.stamp < stamp {
			oldest, stamp, first = pid, e.stamp, false
		}
	}
	delete(t.m, oldest)
}

// RecordBatches notes every idempotent batch of encoded, offset-assigned
// batches (a follower's fetched data, or a chunk read back from the log).
func (t *Producers) RecordBatches(records []byte) {
	for p := records; len(p) >= batch.HeaderSize; {
		n, err := batch.Size(p)
		if err != nil || n > len(p) {
			return
		}
		t.Record(SeqBatchOf(p), batch.BaseOffset(p))
		p = p[n:]
	}
}
