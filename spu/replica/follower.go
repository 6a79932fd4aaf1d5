package replica

import (
	"errors"
	"fmt"

	"github.com/fluvio-go/fluvio/wal"
)

// FollowerView is what the fetcher needs to fetch for a follower replica.
type FollowerView struct {
	Leader      ID
	Epoch       int32 // the leader epoch the follower runs under
	LEO         int64
	LatestEpoch int32 // the epoch of the last batch in the log
	Start       int64
}

// View returns the follower's fetch state; ok is false when the replica
// is not a follower (any more) or is closed.
func (r *Replica) View() (FollowerView, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.mu.st
	if st.Role() != Follower || r.mu.closed || st.Leader() < 0 {
		return FollowerView{}, false
	}
	return FollowerView{Leader: st.Leader(), Epoch: st.Epoch(), LEO: r.log.EndOffset(),
		LatestEpoch: r.log.LatestEpoch(), Start: r.log.StartOffset()}, true
}

// ErrRoleChanged is returned by follower operations when the replica is
// no longer the follower of that epoch.
var ErrRoleChanged = errors.New("replica: role or epoch changed")

// Reconcile truncates the follower's log by the leader's answer to the
// KIP-101 query for asked (see TruncationOffset). epoch is the follower's
// epoch when it asked; if the replica moved on meanwhile nothing happens
// (ErrRoleChanged). It returns the new log end.
func (r *Replica) Reconcile(epoch, asked, leaderEpoch int32, leaderEnd int64) (int64, error) {
	r.role.Lock()
	defer r.role.Unlock()
	r.mu.Lock()
	st := r.mu.st
	if st.Role() != Follower || st.Epoch() != epoch || r.mu.closed {
		r.mu.Unlock()
		return 0, ErrRoleChanged
	}
	r.mu.Unlock()
	leo := r.log.EndOffset()
	to := TruncationOffset(leo, r.log.StartOffset(), asked, r.log.EndOffsetForEpoch, leaderEpoch, leaderEnd)
	if to < leo {
		r.logg.Info("truncating diverged log (KIP-101)", "from", leo, "to", to, "asked_epoch", asked,
			"leader_epoch", leaderEpoch, "leader_end", leaderEnd)
		r.invalidateProducers()
		if err := r.log.Truncate(to); err != nil {
			return 0, r.storageErr("truncate", err)
		}
	}
	r.mu.Lock()
	r.mu.st.LocalAppended(r.log.EndOffset(), r.durable())
	r.mu.Unlock()
	return r.log.EndOffset(), nil
}

// ResetTo restarts the follower's log empty at the leader's log start
// (wal.Log.Reset), when its log ends below it: retention on the leader
// removed the records it lacks, so it could never catch up otherwise.
// epoch is the follower's epoch when it fetched (ErrRoleChanged if it
// moved on); nothing happens unless start is past the log's end.
func (r *Replica) ResetTo(epoch int32, start int64) error {
	r.role.Lock()
	defer r.role.Unlock()
	r.mu.Lock()
	st := r.mu.st
	if st.Role() != Follower || st.Epoch() != epoch || r.mu.closed {
		r.mu.Unlock()
		return ErrRoleChanged
	}
	r.mu.Unlock()
	leo := r.log.EndOffset()
	if start <= leo {
		return nil
	}
	r.logg.Warn("follower below the leader's log start: restarting the log there (the records in between were removed by retention)",
		"follower_end", leo, "leader_start", start)
	r.invalidateProducers()
	if err := r.log.Reset(start); err != nil {
		return r.storageErr("reset", err)
	}
	r.mu.Lock()
	r.mu.st.LocalAppended(r.log.EndOffset(), r.durable())
	r.notifyLocked()
	r.mu.Unlock()
	return nil
}

// AppendFromLeader appends batches fetched from the leader, unchanged
// (wal.AppendReplica), syncs them under SyncAppends, and takes the
// leader's high watermark. epoch is the follower's epoch when it fetched.
func (r *Replica) AppendFromLeader(epoch int32, records []byte, leaderHW int64) error {
	r.role.RLock()
	defer r.role.RUnlock()
	r.mu.Lock()
	st := r.mu.st
	if st.Role() != Follower || st.Epoch() != epoch || r.mu.closed {
		r.mu.Unlock()
		return ErrRoleChanged
	}
	r.mu.Unlock()
	if len(records) > 0 {
		if err := r.log.AppendReplica(records); err != nil {
			if errors.Is(err, wal.ErrOffsetMismatch) {
				return fmt.Errorf("%w (follower at %d)", err, r.log.EndOffset())
			}
			return r.storageErr("replica append", err)
		}
		r.recordFromLeader(records)
		if r.cfg.SyncAppends {
			if err := r.log.Sync(); err != nil {
				return r.storageErr("fsync", err)
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	moved := r.mu.st.LocalAppended(r.log.EndOffset(), r.durable())
	if r.mu.st.FollowerHW(leaderHW) || moved {
		r.notifyLocked()
	}
	return nil
}

// NextISR returns an ISR change to propose to the SC, with the epoch to
// propose it under; see State.NextISR.
func (r *Replica) NextISR() (isr []ID, epoch int32, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mu.closed {
		return nil, 0, false
	}
	isr, ok = r.mu.st.NextISR(r.now())
	return isr, r.mu.st.Epoch(), ok
}

// ISRCommitted records the SC's answer to a proposal made under epoch.
func (r *Replica) ISRCommitted(epoch int32, isr []ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mu.st.Epoch() != epoch || r.mu.st.Role() != Leader {
		return
	}
	if r.mu.st.ISRCommitted(isr) {
		r.notifyLocked()
	}
}

// ISRRejected drops a proposal the SC refused, so it can be retried.
func (r *Replica) ISRRejected() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mu.st.ISRRejected()
}

// ISRUnknown drops a proposal that got no answer; its members keep
// holding HW back (see State.ISRUnknown).
func (r *Replica) ISRUnknown() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mu.st.ISRUnknown()
}
