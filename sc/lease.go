package sc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fluvio-go/fluvio/internal/natsurl"
	"github.com/nats-io/nats.go/jetstream"
)

// The SC lease: one key, sc.lease, says which SC is active. Its holder
// renews it with compare-and-set on its revision every LeaseTTL/4; a
// standby takes it over (CAS at the revision it saw) once that revision
// has not changed for LeaseTTL by the standby's own clock, or at once
// when the holder released it (Holder ""). Each takeover increments the
// generation, the high 32 bits of every replica-set epoch, so SPUs can
// tell sets of a deposed SC (older generation) from the new one's.
//
// Expiry is measured by the observers, not by a server-side key TTL: the
// holder stops acting LeaseTTL/4 before a standby can possibly take over
// (validity = time the renewal was sent + 3/4 LeaseTTL), no clock is
// compared across machines, and the bucket needs no per-key TTL support.
// The fence (fence.go) covers whatever slips through anyway: a write of
// a deposed SC fails inside JetStream.

// leaseRecord is the value of sc.lease.
type leaseRecord struct {
	Holder     string `json:"holder"` // "" once released
	Generation int64  `json:"generation"`
	TTLMs      int64  `json:"ttlMs"`
	AcquiredMs int64  `json:"acquiredMs"`
	RenewedMs  int64  `json:"renewedMs"`
	NATS       string `json:"nats,omitempty"` // the holder's NATS URL, for status
	HTTP       string `json:"http,omitempty"` // the holder's --http address
}

// readLease returns the lease and its revision; ok is false when there is
// none (never taken, or deleted by hand).
func (s *store) readLease(ctx context.Context) (rec leaseRecord, rev uint64, ok bool, err error) {
	rev, err = s.get(ctx, keyLease, &rec)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return rec, 0, false, nil
	}
	return rec, rev, err == nil, err
}

// lastGeneration is the highest generation any SC used, as far as the
// bucket tells: the lease's, the last fenced write's (sc.fence) and the
// pre-lease counter (sc.generation).
func (s *store) lastGeneration(ctx context.Context, lease leaseRecord) (int64, error) {
	g := lease.Generation
	for _, key := range []string{keyFence, keyGeneration} {
		e, err := s.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if v, err := strconv.ParseInt(string(e.Value()), 10, 64); err == nil && v > g {
			g = v
		}
	}
	return g, nil
}

// writeLease stores rec with CAS at rev (0: create).
func (s *store) writeLease(ctx context.Context, rec leaseRecord, rev uint64) (uint64, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return 0, err
	}
	if rev == 0 {
		return s.kv.Create(ctx, keyLease, b)
	}
	return s.kv.Update(ctx, keyLease, b, rev)
}

// leaseState is this SC's view of the lease. Guarded by Server.leaseMu.
type leaseState struct {
	rec        leaseRecord // as last written by this SC (when active)
	rev        uint64      // the lease revision this SC holds (0: none)
	validUntil time.Time   // this SC acts only before this instant

	seenRev   uint64    // standby: the lease revision last observed...
	seenAt    time.Time // ...and when it was first observed
	warnedRev uint64    // the lapsed lease revision already logged
	triedGen  int64     // the generation of this SC's last failed take-over CAS (it may have been stored)
}

// The lease's timing decisions read only the clock and leaseState, so
// tests run them under testing/synctest's fake clock
// (timing_synctest_test.go).

// renewed records a renewal (or a takeover) of rev carrying rec, sent at
// sent: this SC acts until 3/4 of ttl after it, a quarter of ttl before a
// standby that saw rev no earlier than sent can take over.
func (l *leaseState) renewed(rec leaseRecord, rev uint64, sent time.Time, ttl time.Duration) {
	l.rec, l.rev = rec, rev
	l.validUntil = sent.Add(ttl * 3 / 4)
}

// expired reports whether this SC's validity has run out at now.
func (l *leaseState) expired(now time.Time) bool { return now.After(l.validUntil) }

// valid reports whether this SC holds the lease and may act at now.
func (l *leaseState) valid(now time.Time) bool { return l.rev != 0 && !l.expired(now) }

// lapsed is a standby's look at the lease revision rev at now: how long
// rev has stood still by this SC's clock (from when it first saw it), and
// whether that is longer than ttl (its holder stopped renewing).
func (l *leaseState) lapsed(rev uint64, now time.Time, ttl time.Duration) (stood time.Duration, lapsed bool) {
	if rev > l.seenRev { // revisions only grow; an older one is a stale read
		l.seenRev, l.seenAt = rev, now
	}
	stood = now.Sub(l.seenAt)
	return stood, stood > ttl
}

// errNotActive answers writes on an SC that is not (or no longer) active.
var errNotActive = errors.New("sc: this SC is not the active one")

// currentFence returns what a write must be conditioned on, or
// errNotActive when this SC does not hold a valid lease.
func (s *Server) currentFence() (fence, error) {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	if !s.active.Load() || !s.lease.valid(time.Now()) {
		return fence{}, errNotActive
	}
	return fence{leaseRev: s.lease.rev, gen: s.lease.rec.Generation}, nil
}

// leaseRetry is how soon a standby tries again when it wants the lease
// (lapsed or released) but could not take it: typically the bucket's
// stream has no leader for a moment after a NATS node died, and the
// first attempt after its election should not wait a whole poll.
const leaseRetry = 100 * time.Millisecond

// leaseOpTimeout bounds one lease read or write. A request routed to a
// NATS node that stopped answering (a paused peer whose routes are not
// yet closed) is abandoned in time to try again within the lease's
// period, instead of waiting the whole StoreTimeout.
func (s *Server) leaseOpTimeout() time.Duration {
	return min(s.cfg.StoreTimeout, max(s.cfg.LeaseTTL/4, time.Second))
}

// leaseLoop renews the lease while active (every LeaseTTL/4) and
// campaigns for it while standby: every LeaseTTL/4, at the instant the
// revision it saw will have stood still for LeaseTTL, at once when the
// watch (watch.go) shows the lease released, and every leaseRetry while
// it wants the lease and cannot store it. Owned by Server; stopped by
// Close.
func (s *Server) leaseLoop() {
	period := s.cfg.LeaseTTL / 4
	t := time.NewTimer(period)
	defer t.Stop()
	for {
		next := period
		select {
		case <-s.ctx.Done():
			return
		case <-s.demoteKick:
			s.demote("a write found the lease taken by another SC")
		case <-s.leaseKick:
			if !s.active.Load() {
				next = s.campaignStep()
			}
		case <-t.C:
			if s.active.Load() {
				s.renew()
			} else {
				next = s.campaignStep()
			}
		}
		t.Stop()
		t.Reset(next)
	}
}

// campaignStep runs one campaign and returns when to look again.
func (s *Server) campaignStep() time.Duration {
	wait, err := s.campaign(false)
	if err != nil {
		s.log.Debug("lease campaign failed", "err", err)
	}
	return wait
}

// kickLease wakes the lease loop; it never blocks.
func (s *Server) kickLease() {
	select {
	case s.leaseKick <- struct{}{}:
	default:
	}
}

// noteLease records a lease revision the watch delivered: the instant a
// standby first sees a renewal is what its LeaseTTL counts from, so the
// watch (milliseconds) makes a takeover start up to one poll period
// sooner than polling alone. A released lease wakes the lease loop.
func (s *Server) noteLease(rec leaseRecord, rev uint64) {
	s.leaseMu.Lock()
	if rev > s.lease.seenRev {
		s.lease.seenRev, s.lease.seenAt = rev, time.Now()
	}
	s.leaseMu.Unlock()
	if rec.Holder == "" {
		s.kickLease()
	}
}

// renew extends the lease. A CAS conflict means another SC took it:
// demote at once. Other failures (NATS or KV down) are retried until the
// lease's validity runs out, then this SC demotes itself.
func (s *Server) renew() {
	ctx, cancel := context.WithTimeout(s.ctx, min(s.cfg.StoreTimeout, s.cfg.LeaseTTL/2))
	defer cancel()
	s.leaseMu.Lock()
	rec, rev := s.lease.rec, s.lease.rev
	s.leaseMu.Unlock()
	sent := time.Now()
	rec.RenewedMs = sent.UnixMilli()
	newRev, err := s.store.writeLease(ctx, rec, rev)
	switch {
	case err == nil:
		s.leaseMu.Lock()
		if s.lease.rev == rev {
			s.lease.renewed(rec, newRev, sent, s.cfg.LeaseTTL)
		}
		s.leaseMu.Unlock()
	case isConflict(err):
		// A renewal that timed out may have been stored all the same
		// (its answer was lost, not its write): then the lease is still
		// ours at a later revision. Nobody else writes our name with
		// our generation.
		if s.adoptOwnRenewal(ctx, rec) {
			s.renew()
			return
		}
		s.demote("another SC took the lease")
	default:
		s.leaseMu.Lock()
		expired := s.lease.expired(time.Now())
		s.leaseMu.Unlock()
		if expired {
			s.demote(fmt.Sprintf("could not renew the lease for %v: %v", s.cfg.LeaseTTL*3/4, err))
		}
	}
}

// adoptOwnRenewal reads the lease after a renewal conflict; if it still
// names this SC with the generation it holds, it adopts that revision
// (the last renewal was stored though it seemed to fail) and reports
// true.
func (s *Server) adoptOwnRenewal(ctx context.Context, held leaseRecord) bool {
	cur, rev, ok, err := s.store.readLease(ctx)
	if err != nil || !ok || cur.Holder != s.cfg.Name || cur.Generation != held.Generation {
		return false
	}
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	if s.lease.rev == 0 || s.lease.rec.Generation != held.Generation || rev <= s.lease.rev {
		return false
	}
	s.log.Info("a lease renewal that seemed to fail was stored; keeping the lease", "revision", rev)
	s.lease.rev = rev
	return true
}

// campaign tries to take the lease: at once when there is none or it was
// released, or with preempt; otherwise once its revision has stood still
// for LeaseTTL. On success the SC becomes active. It returns how long to
// wait before the next attempt: leaseRetry while it wants the lease and
// could not take it, else until the revision it saw would have stood
// still for LeaseTTL (at most LeaseTTL/4).
func (s *Server) campaign(preempt bool) (time.Duration, error) {
	period := s.cfg.LeaseTTL / 4
	timeout := s.leaseOpTimeout()
	if preempt { // at start: no hurry, and the machine may be busy
		timeout = s.cfg.StoreTimeout
	}
	ctx, cancel := context.WithTimeout(s.ctx, timeout)
	defer cancel()
	cur, rev, ok, err := s.store.readLease(ctx)
	if err != nil {
		return leaseRetry, fmt.Errorf("read the SC lease: %w", err)
	}
	now := time.Now()
	s.leaseMu.Lock()
	ownLost := ok && cur.Holder == s.cfg.Name && cur.Generation == s.lease.triedGen
	s.leaseMu.Unlock()
	// ownLost: our own take-over CAS timed out but was stored: the lease
	// is ours, nobody acts on it, so take it again at once (a new
	// generation) instead of waiting for it to lapse.
	if ok && cur.Holder != "" && !preempt && !ownLost {
		ttl := time.Duration(cur.TTLMs) * time.Millisecond
		if ttl <= 0 {
			ttl = s.cfg.LeaseTTL
		}
		s.leaseMu.Lock()
		if rev < s.lease.seenRev {
			// A replica behind the one the watch or an earlier read came
			// from (direct gets are served by any replica): ask again.
			s.leaseMu.Unlock()
			return leaseRetry, nil
		}
		stood, lapsed := s.lease.lapsed(rev, now, ttl)
		s.leaseMu.Unlock()
		if !lapsed {
			// The holder is alive, as far as we can tell: look again
			// when it will have been silent for ttl.
			return min(period, ttl-stood+time.Millisecond), nil
		}
		s.leaseMu.Lock()
		first := s.lease.warnedRev != rev
		s.lease.warnedRev = rev
		s.leaseMu.Unlock()
		if first { // once per lapsed lease, not at every retry
			s.log.Warn("the active SC stopped renewing its lease; taking over", "holder", cur.Holder,
				"generation", cur.Generation, "silent_for", stood.Round(time.Millisecond))
		}
	}
	ctx, cancel = context.WithTimeout(s.ctx, timeout) // a fresh budget for the generation and the CAS
	defer cancel()
	gen, err := s.store.lastGeneration(ctx, cur)
	if err != nil {
		return leaseRetry, fmt.Errorf("read the SC generation: %w", err)
	}
	rec := leaseRecord{Holder: s.cfg.Name, Generation: gen + 1, TTLMs: s.cfg.LeaseTTL.Milliseconds(),
		AcquiredMs: now.UnixMilli(), RenewedMs: now.UnixMilli(), NATS: natsurl.Redact(s.url), HTTP: s.httpAddr}
	newRev, err := s.store.writeLease(ctx, rec, rev)
	if err != nil {
		if !isConflict(err) {
			s.leaseMu.Lock()
			s.lease.triedGen = rec.Generation
			s.leaseMu.Unlock()
		}
		// Right after a NATS node died the bucket may have no stream
		// leader for a few seconds (a RAFT election): try again soon. A
		// conflict means another SC took it (or the holder renewed):
		// read it again soon too.
		return leaseRetry, fmt.Errorf("take the SC lease: %w", err)
	}
	if err := s.becomeActive(rec, newRev, now); err != nil {
		s.log.Warn("took the lease but cannot serve; handing it back", "err", err)
		s.leaseMu.Lock()
		s.lease.rec, s.lease.rev = rec, newRev
		s.leaseMu.Unlock()
		s.release()
		return period, err
	}
	// Taking over (reloading KV, waiting for writeMu) used part of the
	// lease: the standbys count LeaseTTL from the revision just written,
	// so renew now rather than at the next period.
	if time.Since(now) > period {
		s.renew()
	}
	return period, nil
}

// release hands the lease back (Holder ""), so a standby takes over at
// its next look instead of after LeaseTTL. The generation stays.
func (s *Server) release() {
	s.leaseMu.Lock()
	rec, rev := s.lease.rec, s.lease.rev
	s.lease.rev, s.lease.validUntil = 0, time.Time{}
	s.leaseMu.Unlock()
	if rev == 0 {
		return
	}
	rec.Holder, rec.RenewedMs = "", time.Now().UnixMilli()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.StoreTimeout)
	defer cancel()
	if _, err := s.store.writeLease(ctx, rec, rev); err != nil {
		s.log.Warn("could not release the SC lease; a standby takes over after --lease-ttl", "err", err)
	}
}
