package replica

import (
	"errors"
	"fmt"

	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"
)

// Offsets are a partition's offsets at one moment.
type Offsets struct {
	Start int64 // first offset held
	HW    int64 // high watermark
	LEO   int64 // log end
}

// Offsets returns the current offsets.
func (r *Replica) Offsets() Offsets {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Offsets{Start: r.log.StartOffset(), HW: r.mu.st.HW(), LEO: r.log.EndOffset()}
}

// ReadCommitted reads whole batches for a consumer from offset, up to
// maxBytes (at least one batch), below the high watermark only. Only the
// leader serves consumers. An empty chunk means nothing is committed at
// offset yet (wait on HWChanged). The caller closes the chunk.
func (r *Replica) ReadCommitted(offset int64, maxBytes int, epoch int32) (*wal.Chunk, Offsets, error) {
	return r.readForConsumer(offset, maxBytes, epoch, false)
}

// ReadUncommitted is ReadCommitted up to the log end instead of the high
// watermark, for a consumer that asked for read_uncommitted isolation:
// it may return records that a failover loses. Only the leader serves it.
func (r *Replica) ReadUncommitted(offset int64, maxBytes int, epoch int32) (*wal.Chunk, Offsets, error) {
	return r.readForConsumer(offset, maxBytes, epoch, true)
}

// readForConsumer reads for a consumer below the HW, or below the log end
// when uncommitted.
func (r *Replica) readForConsumer(offset int64, maxBytes int, epoch int32, uncommitted bool) (*wal.Chunk, Offsets, error) {
	r.mu.Lock()
	st := r.mu.st
	if st.Role() != Leader || r.mu.closed {
		err := r.notLeaderLocked()
		r.mu.Unlock()
		return nil, Offsets{}, err
	}
	if err := st.CheckEpoch(epoch); err != nil {
		r.mu.Unlock()
		return nil, Offsets{}, epochErr(err)
	}
	off := Offsets{Start: r.log.StartOffset(), HW: st.HW(), LEO: r.log.EndOffset()}
	r.mu.Unlock()
	if offset < off.Start || offset > off.LEO {
		return nil, off, outOfRange(r.cfg.Topic, r.cfg.Partition, offset, off)
	}
	upTo := off.HW
	if uncommitted {
		upTo = off.LEO
	}
	c, err := r.log.ReadUpTo(offset, maxBytes, upTo)
	if err != nil {
		return nil, off, r.readErr(offset, off, err)
	}
	return &c, off, nil
}

// ReadForFollower records that follower id has everything below offset
// (its fetch offset) and reads batches from offset up to the log end for
// it. It checks the follower's view of the leader epoch (StaleEpoch,
// UnknownLeaderEpoch) and that this replica leads. The caller closes the
// chunk.
func (r *Replica) ReadForFollower(id ID, offset int64, maxBytes int, epoch int32) (*wal.Chunk, Offsets, error) {
	off, err := r.FollowerProgress(id, offset, epoch)
	if err != nil {
		return nil, off, err
	}
	return r.readFollower(offset, maxBytes, off)
}

// ReadForFollowerAt reads batches from offset up to the log end for
// follower id without taking offset as its progress: the follower
// reports that apart (FollowerProgress), which lets it fetch the next
// batches before it has appended the last ones. The checks are
// ReadForFollower's.
func (r *Replica) ReadForFollowerAt(id ID, offset int64, maxBytes int, epoch int32) (*wal.Chunk, Offsets, error) {
	r.mu.Lock()
	st := r.mu.st
	if st.Role() != Leader || r.mu.closed {
		err := r.notLeaderLocked()
		r.mu.Unlock()
		return nil, Offsets{}, err
	}
	if err := st.CheckEpoch(epoch); err != nil {
		r.mu.Unlock()
		return nil, Offsets{}, epochErr(err)
	}
	if !st.IsReplica(id) {
		r.mu.Unlock()
		return nil, Offsets{}, &Error{Kind: KindBadRequest, Msg: fmt.Sprintf("SPU %d holds no replica of %s-%d", id, r.cfg.Topic, r.cfg.Partition)}
	}
	off := Offsets{Start: r.log.StartOffset(), HW: st.HW(), LEO: r.log.EndOffset()}
	r.mu.Unlock()
	if offset > off.LEO {
		return nil, off, outOfRange(r.cfg.Topic, r.cfg.Partition, offset, off)
	}
	return r.readFollower(offset, maxBytes, off)
}

// FollowerProgress records that follower id has everything below end
// (moving the HW and waking acks=all waiters at once when it passes
// their batches) and returns the offsets after it. It checks the epoch
// and leadership as ReadForFollower does; an end beyond the log end is
// OffsetOutOfRange.
func (r *Replica) FollowerProgress(id ID, end int64, epoch int32) (Offsets, error) {
	r.mu.Lock()
	st := r.mu.st
	if st.Role() != Leader || r.mu.closed {
		err := r.notLeaderLocked()
		r.mu.Unlock()
		return Offsets{}, err
	}
	if err := st.CheckEpoch(epoch); err != nil {
		r.mu.Unlock()
		return Offsets{}, epochErr(err)
	}
	// The log may be ahead of the State between an Append and its Commit.
	moved := st.LocalAppended(r.log.EndOffset(), r.durable())
	moved2, err := st.FollowerFetched(id, end, r.now())
	if moved || moved2 {
		r.notifyLocked()
	}
	off := Offsets{Start: r.log.StartOffset(), HW: st.HW(), LEO: r.log.EndOffset()}
	r.mu.Unlock()
	if err != nil {
		if errors.Is(err, ErrOutOfRange) {
			return off, outOfRange(r.cfg.Topic, r.cfg.Partition, end, off)
		}
		return off, &Error{Kind: KindBadRequest, Msg: err.Error(), Err: err}
	}
	return off, nil
}

// readFollower reads for a follower from offset (off: the offsets when
// it was checked).
func (r *Replica) readFollower(offset int64, maxBytes int, off Offsets) (*wal.Chunk, Offsets, error) {
	if offset < off.Start {
		return nil, off, outOfRange(r.cfg.Topic, r.cfg.Partition, offset, off)
	}
	c, err := r.log.Read(offset, maxBytes)
	if err != nil {
		return nil, off, r.readErr(offset, off, err)
	}
	return &c, off, nil
}

func (r *Replica) readErr(offset int64, off Offsets, err error) error {
	if errors.Is(err, wal.ErrOutOfRange) {
		return outOfRange(r.cfg.Topic, r.cfg.Partition, offset, off)
	}
	return r.storageErr("read", err)
}

func outOfRange(topic string, partition int32, offset int64, off Offsets) error {
	return newError(KindOutOfRange, fmt.Sprintf("offset %d of %s-%d is outside the log [%d, %d]",
		offset, topic, partition, off.Start, off.LEO))
}

func epochErr(err error) error {
	if errors.Is(err, ErrStaleEpoch) {
		return &Error{Kind: KindStaleEpoch, Msg: err.Error(), Err: err}
	}
	return &Error{Kind: KindUnknownEpoch, Msg: err.Error(), Err: err}
}

// ListOffset answers ListOffsets on the leader: wire.LatestTimestamp gives
// the HW, wire.EarliestTimestamp the log start, a time the first offset of
// the first batch with a max timestamp at or after it (capped at the HW).
func (r *Replica) ListOffset(ts int64) (int64, error) {
	r.mu.Lock()
	st := r.mu.st
	if st.Role() != Leader || r.mu.closed {
		err := r.notLeaderLocked()
		r.mu.Unlock()
		return -1, err
	}
	hw := st.HW()
	r.mu.Unlock()
	switch ts {
	case wire.LatestTimestamp:
		return hw, nil
	case wire.EarliestTimestamp:
		return r.log.StartOffset(), nil
	}
	if ts < 0 {
		return -1, newError(KindBadRequest, fmt.Sprintf("timestamp %d: use -1 (latest), -2 (earliest) or a time in ms since the epoch", ts))
	}
	off, err := r.log.OffsetForTimestamp(ts)
	if err != nil {
		if errors.Is(err, wal.ErrOutOfRange) {
			return hw, nil
		}
		return -1, r.storageErr("time lookup", err)
	}
	return min(off, hw), nil
}

// EndOffsetForEpoch answers a follower's KIP-101 query on the leader.
func (r *Replica) EndOffsetForEpoch(epoch, current int32) (int32, int64, error) {
	r.mu.Lock()
	st := r.mu.st
	if st.Role() != Leader || r.mu.closed {
		err := r.notLeaderLocked()
		r.mu.Unlock()
		return -1, -1, err
	}
	if err := st.CheckEpoch(current); err != nil {
		r.mu.Unlock()
		return -1, -1, epochErr(err)
	}
	r.mu.Unlock()
	// The log records an epoch with its first batch, so a leader that has
	// not written in its epoch yet knows only older ones. An asked epoch
	// above all of them (the follower led an epoch this leader never saw)
	// ended, as far as this log goes, at its end: answer the latest epoch
	// and the log end, as Kafka's cache (which records the epoch at
	// election) would.
	if latest := r.log.LatestEpoch(); latest != wal.UndefinedEpoch && epoch > latest {
		return latest, r.log.EndOffset(), nil
	}
	e, end := r.log.EndOffsetForEpoch(epoch)
	return e, end, nil
}
