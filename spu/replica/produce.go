package replica

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"
)

// Append is the ordered half of a produce on the leader: it checks the
// role (NotLeader), for acks=all the ISR size (NotEnoughReplicas),
// validates every batch (CorruptBatch, InvalidRecord, RecordTooLarge: nothing is appended
// if one is bad), stamps the leader epoch into each batch (records is
// modified) and appends. Batches of an idempotent producer (producer id
// >= 0) are first checked against the producer-state table (see
// Producers.Check): a retry of stored batches appends nothing and returns
// a DuplicateSequence error together with their original base offset and
// end (the caller commits and answers them like an append: IsDuplicate);
// the other refusals append nothing and return base -1. It returns the
// first base offset and the offset after the last record. It does not
// wait for fsync when SyncAppends is set; Commit does.
func (r *Replica) Append(records []byte, acks wire.Acks) (base, next int64, err error) {
	r.role.RLock()
	defer r.role.RUnlock()
	r.mu.Lock()
	st := r.mu.st
	if r.mu.closed {
		r.mu.Unlock()
		return -1, -1, newError(KindNotLeader, fmt.Sprintf("replica %s-%d is closed", r.cfg.Topic, r.cfg.Partition))
	}
	if st.Role() != Leader {
		err := r.notLeaderLocked()
		r.mu.Unlock()
		return -1, -1, err
	}
	if acks == wire.AcksAll {
		if err := st.CanAckAll(); err != nil {
			r.mu.Unlock()
			return -1, -1, &Error{Kind: KindNotEnoughReplicas, Msg: err.Error(), Err: err}
		}
	}
	epoch := st.Epoch()
	r.mu.Unlock()

	if len(records) == 0 {
		return -1, -1, newError(KindCorruptBatch, "the request holds no record batch")
	}
	if r.cfg.Recompress {
		if records, err = r.recompress(records); err != nil {
			return -1, -1, err
		}
	}
	// Walk the batch boundaries to stamp the epoch and count offsets; the
	// log validates each batch (length, magic, CRC) before writing any.
	var records64 int64
	var seqArr [8]SeqBatch
	seqs, idempotent := seqArr[:0], false
	for p := records; len(p) > 0; {
		n, err := batch.Size(p)
		if err == nil && (n < batch.HeaderSize || n > len(p)) {
			err = fmt.Errorf("%w: a %d-byte batch with %d bytes left", batch.ErrTooShort, n, len(p))
		}
		if err != nil {
			return -1, -1, batchErr(err)
		}
		span := int64(batch.LastOffsetDelta(p)) + 1
		sb := SeqBatchOf(p)
		if sb.PID >= 0 {
			if int64(sb.Count) != span {
				return -1, -1, newError(KindInvalidBatch, fmt.Sprintf("an idempotent batch of producer %d holds %d records over %d offsets; nothing was appended", sb.PID, sb.Count, span))
			}
			idempotent = true
		}
		seqs = append(seqs, sb)
		records64 += span
		batch.SetLeaderEpoch(p, epoch)
		p = p[n:]
	}
	if idempotent {
		// Check, append and record under the producers' lock, so that
		// concurrent requests of one producer are judged in log order.
		r.prod.Lock()
		defer r.prod.Unlock()
		dupBase, dup, err := r.checkProducersLocked(seqs)
		if err != nil {
			return -1, -1, err
		}
		if dup {
			// A retry of stored batches: answer with where they are
			// (Commit then waits for them as for a new append).
			return dupBase, dupBase + records64, newError(KindDuplicate, fmt.Sprintf(
				"the request's batches were stored before at offset %d; nothing was appended", dupBase))
		}
	}
	base, err = r.log.Append(records)
	if err != nil {
		switch {
		case errors.Is(err, wal.ErrTooLarge):
			return -1, -1, &Error{Kind: KindRecordTooLarge, Msg: err.Error(), Err: err}
		case errors.Is(err, batch.ErrInvalid), errors.Is(err, batch.ErrCompressed):
			return -1, -1, &Error{Kind: KindInvalidBatch, Msg: InvalidBatchMessage(err), Err: err}
		case errors.Is(err, wal.ErrInvalidBatch):
			return -1, -1, &Error{Kind: KindCorruptBatch, Msg: err.Error() + "; nothing was appended", Err: err}
		}
		return -1, -1, r.storageErr("append", err)
	}
	if idempotent {
		r.prod.t.RecordBatches(records) // Append set their base offsets
	}
	return base, base + records64, nil
}

// recompress returns records with every batch in the topic's codec
// (records itself when all are). Each batch is validated (CRC) first, so
// a corrupt one is refused, not rewritten with a fresh CRC.
func (r *Replica) recompress(records []byte) ([]byte, error) {
	same := true
	for p := records; len(p) > 0; {
		n, err := batch.Validate(p)
		if err != nil {
			return nil, batchErr(err)
		}
		if batch.CodecOf(p) != r.cfg.Compression {
			same = false
		}
		p = p[n:]
	}
	if same {
		return records, nil
	}
	out := make([]byte, 0, len(records))
	for p := records; len(p) > 0; {
		n, _ := batch.Size(p)
		var err error
		if out, err = batch.Recompress(out, p[:n], r.cfg.Compression, 0); err != nil {
			return nil, batchErr(err)
		}
		p = p[n:]
	}
	return out, nil
}

// IsDuplicate reports whether Append's answer is a retry of stored
// batches: err is DuplicateSequence and base their original offset.
func IsDuplicate(base int64, err error) bool {
	return base >= 0 && errors.Is(err, ErrDuplicate)
}

// InvalidBatchMessage is the wire message for a batch refused by
// batch.Check: which batch of the request and what is wrong with it,
// without the sentinels' prefixes (the wire code names the error).
func InvalidBatchMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), wal.ErrInvalidBatch.Error()+": ")
	msg = strings.Replace(msg, batch.ErrInvalid.Error()+": ", "", 1)
	return msg + "; nothing was appended"
}

func batchErr(err error) error {
	if errors.Is(err, batch.ErrTooLarge) {
		return &Error{Kind: KindRecordTooLarge, Msg: err.Error(), Err: err}
	}
	return &Error{Kind: KindCorruptBatch, Msg: err.Error() + "; nothing was appended", Err: err}
}

// Commit is the waiting half of a produce: with SyncAppends it fsyncs
// (group commit with concurrent producers), then updates the HW, and for
// acks=all waits until the HW reaches next, ctx is done, or timeout
// passes (RequestTimedOut). It holds no lock while waiting.
func (r *Replica) Commit(ctx context.Context, next int64, acks wire.Acks, timeout time.Duration) error {
	if r.cfg.SyncAppends {
		if err := r.log.Sync(); err != nil {
			return r.storageErr("fsync", err)
		}
	}
	r.LocalProgress()
	if acks != wire.AcksAll {
		return nil
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		st, ch, closed := r.mu.st, r.mu.hwCh, r.mu.closed
		hw, role, isr := st.HW(), st.Role(), st.ISR()
		err := st.CanAckAll()
		r.mu.Unlock()
		if hw >= next {
			return nil
		}
		if closed || role != Leader {
			return newError(KindNotLeader, fmt.Sprintf("SPU %d stopped leading %s-%d before offset %d was committed; the record may or may not be kept",
				r.cfg.Self, r.cfg.Topic, r.cfg.Partition, next-1))
		}
		if err != nil {
			return &Error{Kind: KindNotReplicated, Msg: err.Error(), Err: err}
		}
		select {
		case <-ch:
		case <-timer.C:
			return newError(KindTimedOut, fmt.Sprintf("offset %d not replicated to the ISR %v within %s (high watermark %d)", next-1, isr, timeout, hw))
		case <-ctx.Done():
			return newError(KindShuttingDown, fmt.Sprintf("connection closing before offset %d was committed", next-1))
		}
	}
}

// LocalProgress feeds the log's end and durable offsets to the State
// (after an append or a sync) and wakes HW waiters if HW moved.
func (r *Replica) LocalProgress() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mu.st.LocalAppended(r.log.EndOffset(), r.durable()) {
		r.notifyLocked()
	}
}
