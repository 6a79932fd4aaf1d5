package sc

import (
	"errors"
	"slices"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/sc/placement"
)

// kickElection asks electionLoop for a pass; it never blocks.
func (s *Server) kickElection() {
	select {
	case s.electKick <- struct{}{}:
	default:
	}
}

// electionLoop runs an election pass whenever an SPU goes offline or
// online (and at every resync). Owned by Server; stopped by Close.
//
// No pass runs before electAfter: a freshly started SC (or one that just
// got its NATS connection back) sees live SPUs as offline until their
// next heartbeat, and electing then would move leaderships away from
// them. A kick meanwhile waits (the channel holds one) until that time.
func (s *Server) electionLoop() {
	s.runElections(func() {
		s.elect()
		s.electPasses.Add(1)
	})
}

// runElections is electionLoop with the pass as a parameter: one pass per
// kick (kicks during a pass coalesce into one more, kicks during a hold
// into the one at its end), never before electAfter, until s.ctx ends.
func (s *Server) runElections(pass func()) {
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.electKick:
		}
		if wait := time.Until(time.Unix(0, s.electAfter.Load())); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			// A kick during the hold is covered by this pass: it reads
			// the state as it is now.
			select {
			case <-s.electKick:
			default:
			}
		}
		pass()
	}
}

// holdElectionsUntil defers elections until t.
func (s *Server) holdElectionsUntil(t time.Time) {
	s.electAfter.Store(t.UnixNano())
}

// elect moves the leadership of every partition whose leader is offline
// to the first online member of its ISR (placement.ChooseLeader; outside
// the ISR only with Config.UncleanLeaderElection), bumps the leader epoch,
// drops the old leader from the ISR, stores the topic with CAS and tells
// the replicas. A partition with no eligible replica keeps its leader and
// shows LeaderOffline until one comes back.
func (s *Server) elect() {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if !s.active.Load() {
		return // a standby elects nobody; the active SC's decisions are in KV
	}
	type change struct {
		rec   topicRecord
		rev   uint64
		parts []int
	}
	var changes []change
	s.st.mu.Lock()
	for _, name := range s.st.sortedTopics() {
		t := s.st.topics[name]
		var c *change
		for n, p := range t.rec.Partitions {
			pid := bus.PartitionID{Topic: name, Partition: int32(n)}
			corrupt := func(id bus.SPUID) bool { return s.st.corrupt(id, pid) }
			eligible := func(id bus.SPUID) bool { return s.st.online(id) && !corrupt(id) }
			if eligible(p.Leader) && !slices.ContainsFunc(p.ISR, corrupt) {
				continue
			}
			// A corrupt replica (its log did not open) leaves the ISR and
			// never leads: it is repaired from the new leader.
			isr := slices.DeleteFunc(slices.Clone(p.ISR), corrupt)
			leader := p.Leader
			if !eligible(p.Leader) {
				if l, ok := placement.ChooseLeader(p.Replicas, isr, eligible, s.cfg.UncleanLeaderElection); ok {
					leader = l
				}
			}
			switch {
			case leader != p.Leader && slices.Contains(isr, leader):
				isr = slices.DeleteFunc(isr, func(id bus.SPUID) bool { return id == p.Leader })
			case leader != p.Leader:
				isr = []bus.SPUID{leader} // unclean: the new leader's log is the truth
			case !slices.Contains(isr, leader):
				isr = append(isr, leader) // nobody else to elect: it stays
			}
			if leader == p.Leader && slices.Equal(sortedCopy(isr), sortedCopy(p.ISR)) {
				continue
			}
			if c == nil {
				changes = append(changes, change{rec: cloneTopic(t.rec), rev: t.rev})
				c = &changes[len(changes)-1]
			}
			np := &c.rec.Partitions[n]
			np.Leader, np.ISR = leader, isr
			np.LeaderEpoch++
			c.parts = append(c.parts, n)
		}
	}
	s.st.mu.Unlock()

	for _, c := range changes {
		ctx, cancel := s.storeCtx()
		rev, err := s.kvUpdate(ctx, topicKey(c.rec.Name), c.rec, c.rev)
		cancel()
		if errors.Is(err, errNotActive) {
			s.log.Warn("leader election abandoned: this SC is no longer active", "topic", c.rec.Name)
			return
		}
		if err != nil {
			// A concurrent write (or a KV failure): reload and try again
			// at the next kick; resync kicks periodically.
			s.log.Warn("leader election: cannot store topic; will retry", "topic", c.rec.Name, "err", err)
			_, _, _ = s.syncTopic(c.rec.Name)
			continue
		}
		now := time.Now()
		s.st.mu.Lock()
		if cur, ok := s.st.topics[c.rec.Name]; ok {
			cur.rec, cur.rev = c.rec, rev
		}
		for _, n := range c.parts {
			p := c.rec.Partitions[n]
			s.log.Info("leader elected", "partition", partitionName(c.rec.Name, n), "leader", p.Leader,
				"epoch", p.LeaderEpoch, "isr", joinIDs(p.ISR))
			spec := replicaSpec(&c.rec, n)
			for _, id := range p.Replicas {
				if e := s.st.spus[id]; e != nil {
					s.publish(bus.SubjectSPUReplicas(id), s.st.changeSet(e, now, []bus.ReplicaSpec{spec}, nil))
				}
			}
		}
		s.st.mu.Unlock()
	}
}
