package sc

import (
	"time"

	"github.com/fluvio-go/fluvio/bus"
)

// The failure detector. Its timing (livenessLoop, expire, resumeBeats,
// and the election hold in election.go) reads only the clock and the
// in-memory state, so tests run it under testing/synctest's fake clock
// (timing_synctest_test.go); the NATS side feeds it heartbeats
// (register.go) and connection events (server.go).

// livenessTick is how often livenessLoop looks for silent SPUs: an SPU
// goes offline between HeartbeatTimeout and HeartbeatTimeout+livenessTick
// after its last beat.
func livenessTick(timeout time.Duration) time.Duration { return min(timeout/4, 250*time.Millisecond) }

// livenessLoop marks SPUs offline when no heartbeat arrived for
// HeartbeatTimeout. Liveness lives in memory only; nothing is written to
// KV per beat. Owned by Server; stopped by Close.
func (s *Server) livenessLoop() {
	t := time.NewTicker(livenessTick(s.cfg.HeartbeatTimeout))
	defer t.Stop()
	var sys systemTopicWatch
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			s.expire(now)
			s.ensureSystemTopicsTick(&sys, now)
		}
	}
}

// expire marks offline every online SPU silent for longer than the
// timeout. While the SC itself has no NATS connection nobody can beat, so
// nobody expires; the first look after the connection is back restarts
// every SPU's timeout (resumeBeats) before expiring anyone: the NATS
// client runs its reconnect handler (reconnected) asynchronously, maybe
// after this loop's next tick. Called by livenessLoop only (it owns
// sawNATSDown).
func (s *Server) expire(now time.Time) {
	if s.natsDown != nil && s.natsDown() {
		s.sawNATSDown = true
		return
	}
	if s.sawNATSDown {
		s.sawNATSDown = false
		s.resumeBeats(now)
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for id, e := range s.st.spus {
		if e.online && now.Sub(e.lastBeat) > s.cfg.HeartbeatTimeout {
			e.online = false
			e.fullSent = false
			s.log.Warn("SPU offline: no heartbeat", "id", id, "name", e.rec.Name,
				"silent_for", now.Sub(e.lastBeat).Round(time.Millisecond), "timeout", s.cfg.HeartbeatTimeout)
			s.kickElection()
		}
	}
}

// resumeBeats runs when the SC's NATS connection comes back at now:
// heartbeats could not arrive meanwhile, so every online SPU gets a fresh
// timeout and elections wait one timeout for the SPUs to beat again.
func (s *Server) resumeBeats(now time.Time) {
	s.holdElectionsUntil(now.Add(s.cfg.HeartbeatTimeout))
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for _, e := range s.st.spus {
		if e.online {
			e.lastBeat = now
		}
	}
}

// resyncLoop periodically reloads the metadata from KV (picking up edits
// made behind the SC's back) and sends every online SPU its full replica
// set, repairing anything a lost publish missed. Owned by Server.
func (s *Server) resyncLoop() {
	t := time.NewTicker(s.cfg.ResyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.resync()
		case <-s.resyncKick:
			s.resync()
		}
	}
}

// resyncSoon asks resyncLoop for a pass now; it never blocks.
func (s *Server) resyncSoon() {
	select {
	case s.resyncKick <- struct{}{}:
	default:
	}
}

// resync is one pass of resyncLoop. The reload runs without writeMu:
// held across KV reads (up to StoreTimeout while a NATS node is stopped
// and not yet known dead), it kept a standby that had just taken the
// lease from becoming active for seconds, long enough for another
// standby to see the new lease unrenewed and take it in turn. A snapshot
// that overlapped one of this SC's own writes is dropped (it may predate
// the write; memory already has it), and the next pass reloads.
func (s *Server) resync() {
	before := s.writes.Load()
	ctx, cancel := s.storeCtx()
	defer cancel()
	snap, err := s.store.load(ctx, s.badKey)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	switch {
	case err != nil:
		s.log.Warn("resync: cannot reload metadata from KV; keeping the copy in memory", "err", err)
	case s.writes.Load() != before:
		s.log.Debug("resync: a write ran during the reload; keeping the copy in memory")
	default:
		s.st.mu.Lock()
		s.st.replace(snap)
		s.st.mu.Unlock()
		s.syncAuth()
		s.dropUnregistered()
	}
	now := time.Now()
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for id, e := range s.st.spus {
		if e.online {
			s.publish(bus.SubjectSPUReplicas(id), s.st.fullSet(e, now))
		}
	}
	s.kickElection()
}
