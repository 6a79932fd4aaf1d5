package sc

import (
	"context"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go"
)

// Roles. Every SC serves the read endpoints (lists, metadata, version)
// from its memory, which follows KV (watch.go) and, on a standby, the
// SPUs' heartbeats it overhears (passive subscription). Only the active
// SC, the lease holder, serves writes and the SPU endpoints (hello,
// heartbeat, ISR), publishes replica sets and runs elections.

// becomeActive turns a standby into the active SC right after it took
// the lease: it reloads KV (everything stored under older leases is in
// it, nothing newer can be), adopts the lease's generation for epochs,
// sends every SPU it knows to be online a full replica set, and starts
// serving writes and SPUs.
func (s *Server) becomeActive(rec leaseRecord, rev uint64, sent time.Time) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// The lease runs from now: a load slower than its validity would
	// lose it. Right after a node died, listing keys can wait for a new
	// JetStream meta leader; then go on with the memory the watch kept
	// (every write is a CAS, so stale memory costs retries, not
	// correctness) and reload at once in the background.
	ctx, cancel := context.WithTimeout(s.ctx, min(s.cfg.StoreTimeout, s.cfg.LeaseTTL/2))
	defer cancel()
	snap, err := s.store.load(ctx, s.badKey)
	loaded := err == nil
	if !loaded {
		s.log.Warn("taking the lease: cannot reload the metadata now; using the copy in memory and reloading soon", "err", err)
		s.resyncSoon()
	}
	s.leaseMu.Lock()
	s.lease.renewed(rec, rev, sent, s.cfg.LeaseTTL)
	s.leaseMu.Unlock()
	// Without a full timeout of overheard heartbeats, the SPUs' liveness
	// is unknown: elect nobody until they had time to beat.
	if time.Since(s.started) < s.cfg.HeartbeatTimeout {
		s.holdElectionsUntil(s.started.Add(s.cfg.HeartbeatTimeout))
	}
	now := time.Now()
	s.st.mu.Lock()
	if loaded {
		s.st.replace(snap)
		s.writes.Add(1) // a resync reload that began before this one is older
	}
	s.st.gen = rec.Generation
	s.active.Store(true)
	for id, e := range s.st.spus {
		e.fullSent, e.sent = false, 0
		if e.online {
			s.publish(bus.SubjectSPUReplicas(id), s.st.fullSet(e, now))
		}
	}
	s.st.mu.Unlock()
	s.stopPassive()
	if err := s.serveRole("active"); err != nil {
		s.active.Store(false)
		s.startPassive()
		return err
	}
	s.serviceActive.Store(true)
	s.failovers.Add(1)
	s.activeAt.Store(time.Now().UnixNano())
	s.log.Info("this SC is active", "name", s.cfg.Name, "generation", rec.Generation, "reloaded", loaded)
	s.kickElection()
	return nil
}

// demote turns the active SC back into a standby: it stops serving
// writes and SPUs and publishing. Called by the lease loop only.
func (s *Server) demote(reason string) {
	if !s.active.CompareAndSwap(true, false) {
		return
	}
	s.serviceActive.Store(false)
	s.log.Warn("this SC is no longer active", "name", s.cfg.Name, "reason", reason)
	s.leaseMu.Lock()
	s.lease.rev, s.lease.validUntil = 0, time.Time{}
	s.leaseMu.Unlock()
	if err := s.serveRole("standby"); err != nil {
		s.log.Error("cannot serve reads as a standby", "err", err)
	}
	s.startPassive()
}

// Active reports whether this SC holds the lease and serves writes (its
// active endpoints are up).
func (s *Server) Active() bool { return s.serviceActive.Load() }

// Generation is the generation of this SC's lease (0 while standby).
func (s *Server) Generation() int64 {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	if !s.active.Load() {
		return 0
	}
	return s.lease.rec.Generation
}

// Name is this SC's name in the lease (Config.Name).
func (s *Server) Name() string { return s.cfg.Name }

// startPassive subscribes (not in the queue group, never replying) to
// the SPUs' heartbeats, so a standby knows which SPUs are online for its
// reads and for the elections it may soon have to run.
func (s *Server) startPassive() {
	s.roleMu.Lock()
	defer s.roleMu.Unlock()
	if s.passive != nil || s.ctx.Err() != nil {
		return
	}
	sub, err := s.nc.Subscribe(bus.SubjectSPUHeartbeatAll, s.overhear)
	if err != nil {
		s.log.Warn("standby: cannot overhear SPU heartbeats", "err", err)
		return
	}
	s.passive = sub
}

func (s *Server) stopPassive() {
	s.roleMu.Lock()
	defer s.roleMu.Unlock()
	if s.passive != nil {
		_ = s.passive.Unsubscribe()
		s.passive = nil
	}
}

// overhear records an SPU heartbeat meant for the active SC.
func (s *Server) overhear(m *nats.Msg) {
	var hb bus.Heartbeat
	if err := bus.Unmarshal(m.Data, &hb); err != nil {
		return
	}
	if id, _, ok := bus.ParseSPUSubject(m.Subject); !ok || id != hb.ID {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	e := s.st.spus[hb.ID]
	if e == nil || s.active.Load() {
		return
	}
	if hb.Stopping {
		e.online = false
		return
	}
	e.online, e.lastBeat, e.incarnation, e.applied = true, time.Now(), hb.Incarnation, hb.AppliedEpoch
	e.reports = make(map[bus.PartitionID]bus.ReplicaStatus, len(hb.Replicas))
	for _, r := range hb.Replicas {
		e.reports[r.PartitionID] = r
	}
}
