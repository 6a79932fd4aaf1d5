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
	if l.seenRev != rev {
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

// leaseLoop renews the lease while active and campaigns for it while
// standby, every LeaseTTL/4. Owned by Server; stopped by Close.
func (s *Server) leaseLoop() {
	t := time.NewTicker(s.cfg.LeaseTTL / 4)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.demoteKick:
			s.demote("a write found the lease taken by another SC")
		case <-t.C:
			if s.active.Load() {
				s.renew()
			} else if err := s.campaign(false); err != nil {
				s.log.Debug("lease campaign failed", "err", err)
			}
		}
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

// campaign tries to take the lease: at once when there is none or it was
// released, or with preempt; otherwise once its revision has stood still
// for LeaseTTL. On success the SC becomes active.
func (s *Server) campaign(preempt bool) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.StoreTimeout)
	defer cancel()
	cur, rev, ok, err := s.store.readLease(ctx)
	if err != nil {
		return fmt.Errorf("read the SC lease: %w", err)
	}
	now := time.Now()
	if ok && cur.Holder != "" && !preempt {
		ttl := time.Duration(cur.TTLMs) * time.Millisecond
		if ttl <= 0 {
			ttl = s.cfg.LeaseTTL
		}
		s.leaseMu.Lock()
		stood, lapsed := s.lease.lapsed(rev, now, ttl)
		s.leaseMu.Unlock()
		if !lapsed {
			return nil // the holder is alive, as far as we can tell
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
	gen, err := s.store.lastGeneration(ctx, cur)
	if err != nil {
		return fmt.Errorf("read the SC generation: %w", err)
	}
	rec := leaseRecord{Holder: s.cfg.Name, Generation: gen + 1, TTLMs: s.cfg.LeaseTTL.Milliseconds(),
		AcquiredMs: now.UnixMilli(), RenewedMs: now.UnixMilli(), NATS: natsurl.Redact(s.url), HTTP: s.httpAddr}
	newRev, err := s.store.writeLease(ctx, rec, rev)
	if err != nil {
		// Right after a NATS node died the bucket may have no stream
		// leader for a few seconds (a RAFT election): try again next poll.
		return fmt.Errorf("take the SC lease: %w", err)
	}
	if err := s.becomeActive(rec, newRev, now); err != nil {
		s.log.Warn("took the lease but cannot serve; handing it back", "err", err)
		s.leaseMu.Lock()
		s.lease.rec, s.lease.rev = rec, newRev
		s.leaseMu.Unlock()
		s.release()
		return err
	}
	return nil
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
