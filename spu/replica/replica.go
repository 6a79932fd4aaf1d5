package replica

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/wal"
)

// Config configures a Replica.
type Config struct {
	// Topic and Partition name the partition.
	Topic     string
	Partition int32
	// Self is this SPU's id.
	Self ID
	// Log is the replica's log; the Replica owns it from New on (Close
	// closes it, Remove deletes it).
	Log *wal.Log
	// SyncAppends makes the Replica fsync (wal.Log.Sync, shared between
	// concurrent producers) before it acknowledges an append, and only
	// count synced data as durable: the topic's "always" sync policy with a
	// log opened with wal.SyncNever, so that one fsync serves many
	// pipelined requests. Without it, data counts as durable once written.
	SyncAppends bool
	// MinISR is the ISR size acks=all and HW advance need; < 1 means 1.
	MinISR int
	// LagMax is replica-lag-time-max; 0 means DefaultLagMax.
	LagMax time.Duration
	// FS holds the HW checkpoint (beside the log); nil means vfs.Default.
	// Use the log's filesystem.
	FS vfs.FS
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives role changes; nil discards.
	Logger *slog.Logger
	// Recompress makes the leader store every produced batch with the
	// codec Compression (the topic's compression type): a batch with
	// another codec is recompressed before it is appended. False (the
	// default, the topic's "any") keeps what the producer sent.
	Recompress  bool
	Compression batch.Codec
	// MaxProducers bounds the idempotent producers remembered for this
	// partition (see Producers); < 1 means DefaultMaxProducers.
	MaxProducers int
}

// Assignment is what the SC wants of this replica: who leads under which
// epoch, the replicas and the ISR it stored.
type Assignment struct {
	Leader   ID
	Epoch    int32
	Replicas []ID
	ISR      []ID
	MinISR   int
}

// Replica is one partition replica: a wal.Log and its replication State.
// It is safe for concurrent use.
//
// Lock order: role (RW; held shared by appends and reads that must not
// straddle a role change, exclusive by role changes and truncation), then
// mu (the State and the HW channel), then the wal.Log's own locks. No lock
// is held while waiting (fsync by another caller, HW, long poll).
type Replica struct {
	cfg  Config
	log  *wal.Log
	fs   vfs.FS
	now  func() time.Time
	logg *slog.Logger

	role sync.RWMutex

	mu struct {
		sync.Mutex
		st      *State
		hwCh    chan struct{} // closed when HW or the role changes; nil until asked for
		closed  bool
		lastErr error // a storage failure that took the replica down
		savedHW int64 // the HW last checkpointed
		// removing: Remove is closing the replica (no snapshot to write).
		removing bool
	}

	// prod is the idempotent producers' state (producers.go). Its lock
	// serializes the check-append-record of idempotent appends; it comes
	// after role and before the wal.Log's locks, and is not taken with mu.
	prod struct {
		sync.Mutex
		t     *Producers
		valid bool // t covers the whole log (false after a truncation, until rebuilt)
	}
}

// New returns a follower Replica with no leader yet; Become gives it its
// role.
func New(cfg Config) *Replica {
	r := &Replica{cfg: cfg, log: cfg.Log, now: cfg.Now, logg: cfg.Logger}
	if r.now == nil {
		r.now = time.Now
	}
	if r.logg == nil {
		r.logg = slog.New(slog.DiscardHandler)
	}
	r.logg = r.logg.With("topic", cfg.Topic, "partition", cfg.Partition)
	r.fs = cfg.FS
	if r.fs == nil {
		r.fs = vfs.Default
	}
	r.mu.st = NewState(cfg.Self, cfg.MinISR, cfg.LagMax)
	leo := r.log.EndOffset()
	r.mu.st.leo, r.mu.st.durable = leo, r.durable()
	hw, err := readHW(r.fs, r.log.Dir())
	if err != nil {
		r.logg.Warn("ignoring the HW checkpoint; the HW is rebuilt from the followers", "err", err)
	}
	r.mu.st.hw = min(hw, r.mu.st.durable)
	r.mu.savedHW = hw
	r.prod.t, r.prod.valid = r.loadProducers(), true
	return r
}

// Topic returns the topic name.
func (r *Replica) Topic() string { return r.cfg.Topic }

// Partition returns the partition number.
func (r *Replica) Partition() int32 { return r.cfg.Partition }

// Log returns the replica's log (for reads that need no state).
func (r *Replica) Log() *wal.Log { return r.log }

func (r *Replica) durable() int64 {
	if r.cfg.SyncAppends {
		return r.log.DurableOffset()
	}
	return r.log.EndOffset()
}

// notifyLocked wakes everything waiting on the HW channel; mu held. The
// next channel is made when someone asks for it (hwChLocked): an append
// that no one waits for (no consumer in a long poll, acks below all)
// makes none.
func (r *Replica) notifyLocked() {
	if r.mu.hwCh != nil {
		close(r.mu.hwCh)
		r.mu.hwCh = nil
	}
}

// hwChLocked returns the channel notifyLocked closes next; mu held.
func (r *Replica) hwChLocked() chan struct{} {
	if r.mu.hwCh == nil {
		r.mu.hwCh = make(chan struct{})
	}
	return r.mu.hwCh
}

// HWChanged returns a channel closed at the next HW or role change. Get
// it, then check, then wait, to never miss a change.
func (r *Replica) HWChanged() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hwChLocked()
}

// Become applies the SC's assignment. It returns whether the replica is
// (now) a follower that must reconcile its log with the leader (KIP-101)
// before fetching: true on every change of leader or epoch. An assignment
// with an older epoch than the replica's changes nothing and returns an
// error wrapping ErrStaleEpoch: the SC has since moved on.
//
// A replica that starts leading has its producer-state table rebuilt from
// the log, if a truncation made it stale, before Become returns: no
// produce is accepted (Append needs the role lock) until then.
func (r *Replica) Become(a Assignment) (follow bool, err error) {
	r.role.Lock()
	defer r.role.Unlock()
	follow, err = r.becomeLocked(a)
	if err == nil && a.Leader == r.cfg.Self {
		r.prod.Lock()
		if !r.prod.valid {
			r.prod.t, r.prod.valid = r.scanProducers(r.log.StartOffset(), nil), true
		}
		r.prod.Unlock()
	}
	return follow, err
}

// becomeLocked is Become with role held.
func (r *Replica) becomeLocked(a Assignment) (follow bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.mu.st
	if a.Epoch < st.Epoch() {
		return false, fmt.Errorf("%w: assignment epoch %d, replica at %d", ErrStaleEpoch, a.Epoch, st.Epoch())
	}
	st.SetMinISR(a.MinISR)
	sameTerm := a.Epoch == st.Epoch() && a.Leader == st.Leader()
	leo, durable := r.log.EndOffset(), r.durable()
	if a.Leader == r.cfg.Self {
		if sameTerm && st.Role() == Leader {
			// Within its term the leader owns the ISR: the SC changes it
			// only on the leader's proposals, whose answers the leader
			// already applied (or counts as maybe-stored). A pushed ISR
			// may be older than those answers, and re-adding a removed
			// follower would count a replica that lacks records below HW.
			st.replicas = slices.Clone(a.Replicas)
			return false, nil
		}
		if err := st.BecomeLeader(a.Epoch, a.Replicas, a.ISR, leo, durable, st.HW(), r.now()); err != nil {
			return false, err
		}
		r.logg.Info("replica leads", "epoch", a.Epoch, "replicas", a.Replicas, "isr", a.ISR, "leo", leo)
		r.notifyLocked()
		return false, nil
	}
	if sameTerm && st.Role() == Follower {
		st.replicas, st.isr = slices.Clone(a.Replicas), slices.Clone(a.ISR)
		return false, nil
	}
	if err := st.BecomeFollower(a.Epoch, a.Leader, a.Replicas, a.ISR, leo, st.HW()); err != nil {
		return false, err
	}
	r.logg.Info("replica follows", "leader", a.Leader, "epoch", a.Epoch, "leo", leo)
	r.notifyLocked()
	return true, nil
}

// Status is a replica's state for heartbeats.
type Status struct {
	Role   Role
	Leader ID
	Epoch  int32
	LEO    int64
	HW     int64
	Start  int64
	Size   int64
	ISR    []ID
	Err    error
}

// Status reports the replica's state.
func (r *Replica) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.mu.st
	return Status{Role: st.Role(), Leader: st.Leader(), Epoch: st.Epoch(), LEO: r.log.EndOffset(),
		HW: st.HW(), Start: r.log.StartOffset(), Size: r.log.Size(), ISR: st.ISR(), Err: r.mu.lastErr}
}

// Close checkpoints the HW and closes the log. Waiters on HWChanged are
// woken.
func (r *Replica) Close() error {
	cerr := r.CheckpointHW()
	r.role.Lock()
	defer r.role.Unlock()
	r.mu.Lock()
	if r.mu.closed {
		r.mu.Unlock()
		return nil
	}
	r.mu.closed = true
	r.notifyLocked()
	removing := r.mu.removing
	r.mu.Unlock()
	var serr error
	if !removing {
		serr = r.saveProducers()
	}
	if err := r.log.Close(); err != nil && !errors.Is(err, wal.ErrClosed) {
		return errors.Join(cerr, serr, fmt.Errorf("replica %s-%d: %w", r.cfg.Topic, r.cfg.Partition, err))
	}
	return errors.Join(cerr, serr)
}

// Remove closes the replica and deletes its log directory (checkpoint
// included).
func (r *Replica) Remove() error {
	r.mu.Lock()
	r.mu.savedHW = r.mu.st.HW() // no checkpoint for a log about to go
	r.mu.removing = true        // nor a producer-state snapshot
	r.mu.Unlock()
	_ = r.Close()
	return r.log.Remove()
}

// Failed returns the storage failure that took the replica down (its log
// failed a write or an fsync, or holds corruption), or nil. A failed
// replica refuses writes; the SPU re-opens it from disk (see the spu
// package's reopen).
func (r *Replica) Failed() error {
	r.mu.Lock()
	err := r.mu.lastErr
	r.mu.Unlock()
	if err != nil {
		return err
	}
	if err := r.log.Failed(); err != nil {
		return fmt.Errorf("%w: %w", wal.ErrFailed, err)
	}
	return nil
}

// Closed reports whether Close has been called.
func (r *Replica) Closed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mu.closed
}

// storageErr marks a log failure and maps it to a wire error.
func (r *Replica) storageErr(op string, err error) error {
	if errors.Is(err, wal.ErrClosed) {
		return newError(KindNotLeader, fmt.Sprintf("replica %s-%d is closed (removed or moving)", r.cfg.Topic, r.cfg.Partition))
	}
	r.mu.Lock()
	if r.mu.lastErr == nil && (errors.Is(err, wal.ErrFailed) || wal.IsCorrupt(err)) {
		r.mu.lastErr = err
		r.logg.Error("replica log failed", "op", op, "err", err)
	}
	r.mu.Unlock()
	return &Error{Kind: KindStorage, Msg: fmt.Sprintf("%s on %s-%d: %v", op, r.cfg.Topic, r.cfg.Partition, err), Err: err}
}

// notLeaderLocked is the error for leader-only calls on a follower; mu held.
func (r *Replica) notLeaderLocked() error {
	st := r.mu.st
	if st.Leader() < 0 {
		return newError(KindNoLeader, fmt.Sprintf("%s-%d has no leader yet", r.cfg.Topic, r.cfg.Partition))
	}
	return newError(KindNotLeader, fmt.Sprintf("SPU %d is not the leader of %s-%d (the leader is SPU %d)",
		r.cfg.Self, r.cfg.Topic, r.cfg.Partition, st.Leader()))
}
