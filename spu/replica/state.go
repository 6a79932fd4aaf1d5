package replica

import (
	"fmt"
	"slices"
	"time"
)

// ID is an SPU id.
type ID = int32

// Role is a replica's role in its partition.
type Role int

const (
	// Follower replicas copy the leader's log.
	Follower Role = iota
	// Leader replicas take produce requests and serve consumers.
	Leader
)

func (r Role) String() string {
	if r == Leader {
		return "leader"
	}
	return "follower"
}

// DefaultLagMax is how long an in-sync follower may go without catching
// up with the leader's log end before it leaves the ISR
// (replica-lag-time-max).
const DefaultLagMax = 10 * time.Second

// follower is the leader's view of one follower.
type follower struct {
	// leo is the follower's log end as of its last fetch (-1 unknown).
	leo int64
	// lastFetch is when it last fetched; lastFetchLeaderLEO the leader's
	// log end at that moment.
	lastFetch          time.Time
	lastFetchLeaderLEO int64
	// lastCaughtUp is the last time the follower had everything the
	// leader had.
	lastCaughtUp time.Time
	// fetched is set by a fetch and cleared by NextISR: only a follower
	// that fetched since the last ISR check may join (Kafka checks in the
	// fetch path), so a dead follower is never added back from its last
	// known offset.
	fetched bool
}

// State is the replication state of one partition replica: role, epoch,
// high watermark, and on the leader the followers' progress and the ISR.
// It is pure: no I/O and no clock (every call that needs the time takes
// it), so tests drive it deterministically. It is not safe for concurrent
// use; the Replica guards it with its mutex.
//
// Rules:
//   - HW = min(leader's durable offset, follower log ends over the maximal
//     ISR), and it advances only while the committed ISR has at least
//     MinISR members. It never goes back while the replica leads.
//   - ISR changes are proposals: the SC stores them (ISRCommitted) before
//     they count. Until then the maximal ISR (committed plus proposed
//     additions; proposed removals still count) is what HW waits for, so a
//     shrink never lets HW pass a replica the SC could still elect.
//   - A follower joins when its log end reaches the HW and the start of
//     the leader's current epoch; it leaves after LagMax without catching
//     up to the leader's log end.
type State struct {
	self   ID
	minISR int
	lagMax time.Duration

	role     Role
	epoch    int32
	leader   ID
	replicas []ID
	isr      []ID // committed (stored by the SC)
	proposed []ID // in-flight ISR proposal; nil when none
	// maybe holds members of proposals whose outcome is unknown (no
	// answer): the SC may have stored them, so HW waits for them too
	// until a later proposal is answered.
	maybe      []ID
	epochStart int64
	followers  map[ID]*follower

	leo     int64 // local log end
	durable int64 // local durable offset
	hw      int64
}

// NewState returns a follower State with nothing known. minISR < 1 means
// 1; lagMax <= 0 means DefaultLagMax.
func NewState(self ID, minISR int, lagMax time.Duration) *State {
	if minISR < 1 {
		minISR = 1
	}
	if lagMax <= 0 {
		lagMax = DefaultLagMax
	}
	return &State{self: self, minISR: minISR, lagMax: lagMax, leader: -1, epoch: -1}
}

// Role returns the current role.
func (s *State) Role() Role { return s.role }

// Epoch returns the leader epoch the replica runs under.
func (s *State) Epoch() int32 { return s.epoch }

// Leader returns the leader's id (-1 unknown).
func (s *State) Leader() ID { return s.leader }

// HW returns the high watermark.
func (s *State) HW() int64 { return s.hw }

// LEO returns the local log end offset.
func (s *State) LEO() int64 { return s.leo }

// ISR returns a copy of the committed ISR.
func (s *State) ISR() []ID { return slices.Clone(s.isr) }

// Proposed returns the in-flight ISR proposal, or nil.
func (s *State) Proposed() []ID { return slices.Clone(s.proposed) }

// SetMinISR changes the ISR size acks=all and HW advance need.
func (s *State) SetMinISR(n int) {
	s.minISR = max(n, 1)
}

// maximalISR is the committed ISR plus proposed additions and members of
// proposals with an unknown outcome: every replica the SC may count.
// IsReplica reports whether id is a follower of this leader's partition.
func (s *State) IsReplica(id ID) bool {
	_, ok := s.followers[id]
	return ok
}

func (s *State) maximalISR() []ID {
	out := slices.Clone(s.isr)
	for _, set := range [][]ID{s.proposed, s.maybe} {
		for _, id := range set {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// CheckEpoch validates a request's epoch against the replica's: it
// returns an error naming the mismatch, or nil. A negative epoch skips the
// check.
func (s *State) CheckEpoch(epoch int32) error {
	switch {
	case epoch < 0 || epoch == s.epoch:
		return nil
	case epoch < s.epoch:
		return fmt.Errorf("%w: request epoch %d, replica epoch %d", ErrStaleEpoch, epoch, s.epoch)
	default:
		return fmt.Errorf("%w: request epoch %d, replica epoch %d", ErrUnknownEpoch, epoch, s.epoch)
	}
}

// BecomeLeader makes the replica lead under epoch with the given replicas
// and committed ISR. leo and durable are the local log's ends; hw is the
// replica's last known high watermark (a new leader keeps it and lets it
// advance as followers report). Every follower gets LagMax from now to
// fetch before it can leave the ISR. A stale epoch is refused.
func (s *State) BecomeLeader(epoch int32, replicas, isr []ID, leo, durable, hw int64, now time.Time) error {
	if epoch < s.epoch {
		return fmt.Errorf("%w: leader epoch %d, replica at %d", ErrStaleEpoch, epoch, s.epoch)
	}
	if s.role == Leader && epoch == s.epoch {
		// Same term: keep follower progress, update the membership.
		s.replicas = slices.Clone(replicas)
		s.setCommitted(isr)
		s.recomputeHW()
		return nil
	}
	s.role, s.epoch, s.leader = Leader, epoch, s.self
	s.replicas = slices.Clone(replicas)
	s.isr = slices.Clone(isr)
	if !slices.Contains(s.isr, s.self) {
		s.isr = append(s.isr, s.self)
	}
	s.proposed, s.maybe = nil, nil
	s.leo, s.durable = leo, durable
	s.hw = min(hw, durable)
	s.epochStart = leo
	s.followers = make(map[ID]*follower)
	for _, id := range replicas {
		if id != s.self {
			s.followers[id] = &follower{leo: -1, lastCaughtUp: now, lastFetch: now, lastFetchLeaderLEO: -1}
		}
	}
	s.recomputeHW()
	return nil
}

// BecomeFollower makes the replica follow leader under epoch. A stale
// epoch is refused.
func (s *State) BecomeFollower(epoch int32, leader ID, replicas, isr []ID, leo, hw int64) error {
	if epoch < s.epoch {
		return fmt.Errorf("%w: leader epoch %d, replica at %d", ErrStaleEpoch, epoch, s.epoch)
	}
	s.role, s.epoch, s.leader = Follower, epoch, leader
	s.replicas = slices.Clone(replicas)
	s.isr = slices.Clone(isr)
	s.proposed, s.maybe = nil, nil
	s.followers = nil
	s.leo, s.durable = leo, leo
	s.hw = min(hw, leo)
	return nil
}

// LocalAppended records the local log's new end and durable offsets
// (after an append, a sync, or a truncation on a follower). It reports
// whether HW moved.
func (s *State) LocalAppended(leo, durable int64) bool {
	s.leo, s.durable = leo, durable
	if s.role != Leader {
		if s.hw > leo {
			s.hw = leo
			return true
		}
		return false
	}
	return s.recomputeHW()
}

// FollowerHW sets a follower's HW from the leader's fetch response
// (bounded by its own log end). It reports whether it moved.
func (s *State) FollowerHW(leaderHW int64) bool {
	if s.role != Follower {
		return false
	}
	hw := min(leaderHW, s.leo)
	if hw == s.hw {
		return false
	}
	s.hw = hw
	return true
}

// FollowerFetched records that follower id fetched from offset at now:
// everything below offset is in its log (durably, under its sync policy).
// It reports whether HW moved.
func (s *State) FollowerFetched(id ID, offset int64, now time.Time) (bool, error) {
	if s.role != Leader {
		return false, fmt.Errorf("%w: replica %d fetched from a follower", ErrNotLeader, id)
	}
	f, ok := s.followers[id]
	if !ok {
		return false, fmt.Errorf("%w: SPU %d holds no replica of this partition (replicas %v)", ErrNotReplica, id, s.replicas)
	}
	if offset > s.leo {
		return false, fmt.Errorf("%w: follower %d fetch offset %d beyond the log end %d", ErrOutOfRange, id, offset, s.leo)
	}
	// Kafka's rule: caught up now if it has everything; caught up as of
	// its previous fetch if it has what the leader had then.
	if offset >= s.leo {
		f.lastCaughtUp = now
	} else if f.lastFetchLeaderLEO >= 0 && offset >= f.lastFetchLeaderLEO && f.lastFetch.After(f.lastCaughtUp) {
		f.lastCaughtUp = f.lastFetch
	}
	f.leo = offset
	f.lastFetch, f.lastFetchLeaderLEO = now, s.leo
	f.fetched = true
	return s.recomputeHW(), nil
}

// NextISR returns the ISR the leader wants at now, if it differs from the
// maximal ISR and no proposal is in flight; the caller proposes it to the
// SC and reports back with ISRCommitted or ISRRejected.
func (s *State) NextISR(now time.Time) ([]ID, bool) {
	if s.role != Leader || s.proposed != nil {
		return nil, false
	}
	cur := s.maximalISR()
	want := []ID{s.self}
	for _, id := range s.replicas {
		f, ok := s.followers[id]
		if !ok {
			continue
		}
		if slices.Contains(cur, id) {
			if now.Sub(f.lastCaughtUp) <= s.lagMax {
				want = append(want, id)
			}
		} else if f.fetched && f.leo >= 0 && f.leo >= s.hw && f.leo >= s.epochStart {
			// It joins with a fresh lag allowance, so that it is not
			// dropped at once for the time it spent out.
			f.lastCaughtUp = now
			want = append(want, id)
		}
	}
	for _, f := range s.followers {
		f.fetched = false
	}
	// With unknown outcomes pending, propose even an unchanged ISR: its
	// answer tells what the SC holds.
	if sameSet(want, cur) && len(s.maybe) == 0 {
		return nil, false
	}
	s.proposed = slices.Clone(want)
	return want, true
}

// ISRCommitted records the SC's acceptance of this leader's proposal: the
// SC's ISR is now exactly isr (the SC changes a partition's ISR within a
// leader epoch only on the leader's proposals). It clears the proposal and
// the unknown outcomes. It reports whether HW moved.
func (s *State) ISRCommitted(isr []ID) bool {
	s.setCommitted(isr)
	s.proposed, s.maybe = nil, nil
	return s.recomputeHW()
}

// ISRRejected clears an in-flight proposal that the SC refused; the next
// NextISR may propose again.
func (s *State) ISRRejected() { s.proposed = nil }

// ISRUnknown clears an in-flight proposal that got no answer (timeout, SC
// unreachable): the SC may or may not have stored it, so its members keep
// counting for HW until a later proposal is answered.
func (s *State) ISRUnknown() {
	for _, id := range s.proposed {
		if !slices.Contains(s.maybe, id) {
			s.maybe = append(s.maybe, id)
		}
	}
	s.proposed = nil
}

func (s *State) setCommitted(isr []ID) {
	s.isr = slices.Clone(isr)
	if s.role == Leader && !slices.Contains(s.isr, s.self) {
		s.isr = append(s.isr, s.self)
	}
}

// CanAckAll reports whether an acks=all produce may be accepted: the
// committed ISR has at least MinISR members.
func (s *State) CanAckAll() error {
	if len(s.isr) < s.minISR {
		return fmt.Errorf("%w: in-sync replicas %v, need %d", ErrNotEnoughReplicas, s.isr, s.minISR)
	}
	return nil
}

// recomputeHW advances HW on the leader; it reports whether it moved.
func (s *State) recomputeHW() bool {
	if s.role != Leader || len(s.isr) < s.minISR {
		return false
	}
	hw := s.durable
	for _, id := range s.maximalISR() {
		if id == s.self {
			continue
		}
		f, ok := s.followers[id]
		if !ok {
			continue // listed in the ISR but no longer a replica
		}
		hw = min(hw, f.leo)
	}
	if hw > s.hw {
		s.hw = hw
		return true
	}
	return false
}

func sameSet(a, b []ID) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
