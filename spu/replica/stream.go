package replica

import (
	"fmt"

	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"

	"github.com/fluvio-go/fluvio/batch"
)

// Stream is a leader's append of one large batch written to the log
// while its request still arrives (wal.Stream): Append's checks are made
// on the batch header before the first byte is written, the whole batch
// is checked (CRC and every record) before Commit makes it visible, and
// Abort leaves the log and the producer state as they were. It holds the
// replica's role lock (a role change waits for it), for an idempotent
// batch the producers' lock, and the log's lock, until Commit or Abort.
type Stream struct {
	r    *Replica
	ws   *wal.Stream
	seq  SeqBatch
	prod bool // holds r.prod
	done bool
	// The batch's CRC-32C, computed as its bytes are written (those
	// from batch.AttributesOffset on), so Commit's check needs no second
	// pass: at is how many bytes were written.
	sum uint32
	at  int
}

// BeginStream starts streaming one batch of n bytes whose first bytes
// (at least batch.HeaderSize) are hdr into the log, as Append would
// append it: it stamps the leader epoch and base offset into hdr. It
// returns nil when the request must take Append instead (not the
// leader, acks=all without enough replicas, a topic that recompresses,
// a retry or out-of-order batch of an idempotent producer, a busy log,
// or anything else Append reports as an error): Append then gives the
// answer, so BeginStream never fails a request itself.
func (r *Replica) BeginStream(hdr []byte, n int, acks wire.Acks) *Stream {
	if len(hdr) < batch.HeaderSize || r.cfg.Recompress {
		return nil
	}
	r.role.RLock()
	r.mu.Lock()
	st := r.mu.st
	ok := !r.mu.closed && st.Role() == Leader && (acks != wire.AcksAll || st.CanAckAll() == nil)
	epoch := st.Epoch()
	r.mu.Unlock()
	if !ok {
		r.role.RUnlock()
		return nil
	}
	s := &Stream{r: r, seq: SeqBatchOf(hdr)}
	if s.seq.PID >= 0 {
		r.prod.Lock()
		s.prod = true
		if _, dup, err := r.checkProducersLocked([]SeqBatch{s.seq}); dup || err != nil {
			s.release()
			return nil
		}
	}
	batch.SetLeaderEpoch(hdr, epoch)
	ws, err := r.log.BeginStream(hdr, n)
	if ws == nil || err != nil {
		s.release()
		return nil
	}
	s.ws = ws
	return s
}

// Write appends the next bytes of the batch (not yet visible).
func (s *Stream) Write(p []byte) error {
	if err := s.ws.Write(p); err != nil {
		return s.r.storageErr("append", err)
	}
	summed := p
	if skip := batch.AttributesOffset - s.at; skip > 0 {
		summed = p[min(skip, len(p)):]
	}
	s.sum = batch.UpdateChecksum(s.sum, summed)
	s.at += len(p)
	return nil
}

// Commit checks records (the whole batch, as written), like Append (the
// CRC computed as the bytes were written), and makes it part of the log; on a bad batch it aborts and
// returns Append's error for it. It returns the base offset and the
// offset after the last record.
func (s *Stream) Commit(records []byte) (base, next int64, err error) {
	if s.done {
		return -1, -1, fmt.Errorf("replica: commit of a finished stream")
	}
	defer s.release()
	c, err := s.r.log.CheckSummed(records, s.sum)
	if err != nil {
		s.ws.Abort()
		return -1, -1, s.r.appendErr(err)
	}
	base, err = s.ws.Commit(c)
	if err != nil {
		return -1, -1, s.r.appendErr(err)
	}
	if s.prod {
		s.r.prod.t.RecordAppended([]SeqBatch{s.seq}, base)
	}
	return base, base + c.Records(), nil
}

// Abort gives the stream up, leaving the log as it was. Abort after
// Commit or Abort does nothing.
func (s *Stream) Abort() {
	if s.done {
		return
	}
	s.ws.Abort()
	s.release()
}

// release drops the locks BeginStream took.
func (s *Stream) release() {
	if s.done {
		return
	}
	s.done = true
	if s.prod {
		s.r.prod.Unlock()
	}
	s.r.role.RUnlock()
}

// Replica is the replica the stream appends to.
func (s *Stream) Replica() *Replica { return s.r }
