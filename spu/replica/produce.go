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
// validates every batch in one pass (wal.Log.Check: CorruptBatch,
// InvalidRecord, RecordTooLarge; nothing is appended if one is bad),
// converts the batches to the topic's codec if it has one, stamps the
// leader epoch into each batch (records is modified) and appends. Batches
// of an idempotent producer (producer id >= 0) are first checked against
// the producer-state table (see Producers.Check): a retry of stored
// batches appends nothing and returns a DuplicateSequence error together
// with their original base offset and end (the caller commits and answers
// them like an append: IsDuplicate); the other refusals append nothing
// and return base -1. It returns the first base offset and the offset
// after the last record. It does not wait for fsync when SyncAppends is
// set; Commit does.
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
	// The one validating pass over the request: CRC and every record.
	c, err := r.log.Check(records)
	if err != nil {
		return -1, -1, r.appendErr(err)
	}
	if r.cfg.Recompress {
		if c, err = r.recompress(c); err != nil {
			return -1, -1, err
		}
	}
	// One walk over the checked headers: stamp the leader epoch, read the
	// producer fields.
	var seqArr [8]SeqBatch
	seqs, idempotent := seqArr[:0], false
	for b := range c.All() {
		batch.SetLeaderEpoch(b, epoch)
		sb := SeqBatchOf(b)
		idempotent = idempotent || sb.PID >= 0
		seqs = append(seqs, sb)
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
			return dupBase, dupBase + c.Records(), newError(KindDuplicate, fmt.Sprintf(
				"the request's batches were stored before at offset %d; nothing was appended", dupBase))
		}
	}
	base, err = r.log.AppendChecked(c)
	if err != nil {
		return -1, -1, r.appendErr(err)
	}
	if idempotent {
		r.prod.t.RecordAppended(seqs, base)
	}
	return base, base + c.Records(), nil
}

// appendErr is the error for a failed Check or append of the log: the
// request's fault (too large, invalid, corrupt), else the storage's.
func (r *Replica) appendErr(err error) error {
	switch {
	case errors.Is(err, wal.ErrTooLarge):
		return &Error{Kind: KindRecordTooLarge, Msg: err.Error(), Err: err}
	case errors.Is(err, batch.ErrInvalid), errors.Is(err, batch.ErrCompressed):
		return &Error{Kind: KindInvalidBatch, Msg: InvalidBatchMessage(err), Err: err}
	case errors.Is(err, wal.ErrInvalidBatch):
		return &Error{Kind: KindCorruptBatch, Msg: err.Error() + "; nothing was appended", Err: err}
	}
	return r.storageErr("append", err)
}

// recompress returns c with every batch in the topic's codec (c itself
// when all are). The new bytes are checked again: the log's size limit
// applies to what it stores.
func (r *Replica) recompress(c batch.Checked) (batch.Checked, error) {
	same := true
	for b := range c.All() {
		if batch.CodecOf(b) != r.cfg.Compression {
			same = false
			break
		}
	}
	if same {
		return c, nil
	}
	out := make([]byte, 0, len(c.Bytes()))
	for b := range c.All() {
		var err error
		if out, err = batch.Recompress(out, b, r.cfg.Compression, 0); err != nil {
			return batch.Checked{}, batchErr(err)
		}
	}
	c, err := r.log.Check(out)
	if err != nil {
		return batch.Checked{}, r.appendErr(err)
	}
	return c, nil
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
		st, ch, closed := r.mu.st, r.hwChLocked(), r.mu.closed
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
