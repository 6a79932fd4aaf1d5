package replica

import (
	"errors"

	"github.com/fluvio-go/fluvio/wal"
)

// scanChunk is the read size of the producer-state scan.
const scanChunk = 1 << 20

// checkProducersLocked checks an idempotent request against the table,
// rebuilding the table first if a truncation made it stale; prod held.
func (r *Replica) checkProducersLocked(seqs []SeqBatch) (base int64, dup bool, err error) {
	if !r.prod.valid {
		r.prod.t, r.prod.valid = r.scanProducers(r.log.StartOffset(), nil), true
	}
	return r.prod.t.Check(seqs)
}

// scanProducers records into t (a new table if nil) the batch headers of
// the log from offset from to the end (the payloads are read with them:
// wal reads whole batches, CRC-checked). It runs when the replica opens
// (from a clean close's snapshot, or the whole log) and when a leader
// starts leading after a truncation (the whole log); its cost is one
// sequential read. A read error stops the scan with what it found so far
// (logged): the producers it missed count as new, which is the behaviour
// without idempotence, and the log failure surfaces on the next append or
// read.
func (r *Replica) scanProducers(from int64, t *Producers) *Producers {
	if t == nil {
		t = NewProducers(r.cfg.MaxProducers)
	}
	off := from
	for off < r.log.EndOffset() {
		c, err := r.log.Read(off, scanChunk)
		if err != nil {
			if errors.Is(err, wal.ErrOutOfRange) && off < r.log.StartOffset() {
				off = r.log.StartOffset() // retention moved the start
				continue
			}
			r.logg.Warn("producer-state scan stopped early; producers past this offset count as new", "offset", off, "err", err)
			break
		}
		b, _ := c.Bytes()
		t.RecordBatches(b)
		next := c.NextOffset()
		_ = c.Close()
		if next <= off {
			break
		}
		off = next
	}
	return t
}

// invalidateProducers marks the table stale after a truncation; the next
// Become as leader (or idempotent append) rebuilds it.
func (r *Replica) invalidateProducers() {
	r.prod.Lock()
	r.prod.valid = false
	r.prod.Unlock()
}

// recordFromLeader notes a follower's appended batches in a valid table.
func (r *Replica) recordFromLeader(records []byte) {
	r.prod.Lock()
	if r.prod.valid {
		r.prod.t.RecordBatches(records)
	}
	r.prod.Unlock()
}

// ProducerCount returns how many idempotent producers the replica
// remembers (for tests and metrics).
func (r *Replica) ProducerCount() int {
	r.prod.Lock()
	defer r.prod.Unlock()
	return r.prod.t.Len()
}
