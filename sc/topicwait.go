package sc

import (
	"time"

	"github.com/fluvio-go/fluvio/bus"
)

// waitProvisioned waits until every partition of topic name from
// partition from on can take a produce (its leader SPU reported the replica at the current leader
// epoch: leaderReady, the topic view's status provisioned), until d has
// passed, or until the SC stops, and returns the topic's view then. It
// wakes on every change of the replica reports (state.changed: an SPU's
// heartbeat, which an SPU sends as soon as it has applied a replica set),
// not on a timer. A topic deleted meanwhile is ErrTopicNotFound.
func (s *Server) waitProvisioned(name string, from int, d time.Duration) (bus.Topic, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		s.st.mu.Lock()
		t, ok := s.st.topics[name]
		if !ok {
			s.st.mu.Unlock()
			return bus.Topic{}, topicNotFound(name)
		}
		ready := s.st.topicReady(t, from)
		changed := s.st.changed
		var v bus.Topic
		if ready {
			v = s.st.topicView(t)
		}
		s.st.mu.Unlock()
		if ready {
			return v, nil
		}
		select {
		case <-changed:
			continue
		case <-timer.C:
		case <-s.stopCh:
		}
		s.st.mu.Lock()
		defer s.st.mu.Unlock()
		if t, ok = s.st.topics[name]; !ok {
			return bus.Topic{}, topicNotFound(name)
		}
		return s.st.topicView(t), nil
	}
}

// topicReady reports whether every partition of t from partition from on
// has its leader's report (with from 0, topicView's provisioned, without
// building the view). Caller holds mu.
func (st *state) topicReady(t *topicEntry, from int) bool {
	for n, p := range t.rec.Partitions {
		if n >= from && !st.leaderReady(t.rec.Name, n, p) {
			return false
		}
	}
	return true
}
