package sc

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// watchLoop keeps a standby's memory following KV, so its reads show
// what the active SC stored within milliseconds rather than at the next
// resync. The active SC updates its memory as it writes and ignores the
// watch. A broken watch is re-created after a pause; the resync loop
// stays the backstop (watches can miss keys: nats-server #4824). Owned by
// Server; stopped by Close.
func (s *Server) watchLoop() {
	for s.ctx.Err() == nil {
		w, err := s.store.kv.WatchAll(s.ctx, jetstream.UpdatesOnly())
		if err == nil {
			s.follow(w)
			_ = w.Stop()
		} else {
			s.log.Debug("KV watch failed; retrying", "err", err)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// follow applies watch updates until the watch or the SC stops.
func (s *Server) follow(w jetstream.KeyWatcher) {
	for {
		select {
		case <-s.ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e != nil && !s.active.Load() {
				if e.Key() == keyLease {
					var rec leaseRecord // deleted by hand: none, take it
					if e.Operation() != jetstream.KeyValuePut || json.Unmarshal(e.Value(), &rec) == nil {
						s.noteLease(rec, e.Revision())
					}
					continue
				}
				s.applyWatched(e)
				if strings.HasPrefix(e.Key(), keySPUPrefix) {
					s.syncAuth() // this node's NATS accepts the SPUs KV lists
				}
			}
		}
	}
}

// applyWatched installs one KV change into memory when it is newer than
// what memory holds.
func (s *Server) applyWatched(e jetstream.KeyValueEntry) {
	key, rev := e.Key(), e.Revision()
	gone := e.Operation() != jetstream.KeyValuePut
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	switch {
	case strings.HasPrefix(key, keyTopicPrefix):
		name := strings.TrimPrefix(key, keyTopicPrefix)
		cur := s.st.topics[name]
		if cur != nil && cur.rev >= rev {
			return
		}
		if gone {
			delete(s.st.topics, name)
			return
		}
		var r topicRecord
		if json.Unmarshal(e.Value(), &r) != nil || r.Name != name || checkTopic(&r) != nil {
			return
		}
		s.st.topics[name] = &topicEntry{rec: r, rev: rev}
	case strings.HasPrefix(key, keySPUPrefix):
		var r spuRecord
		if gone {
			for id, sp := range s.st.spus {
				if spuKey(id) == key && sp.rev < rev {
					delete(s.st.spus, id)
				}
			}
			return
		}
		if json.Unmarshal(e.Value(), &r) != nil || checkSPU(key, &r) != nil {
			return
		}
		sp := s.st.spus[r.Spec.ID]
		if sp == nil {
			sp = &spuEntry{}
			s.st.spus[r.Spec.ID] = sp
		}
		if sp.rev < rev {
			sp.rec, sp.rev = r, rev
		}
	}
}

// catchUp is for a standby answering a read about named topics: any name
// its memory lacks is read from KV first, so that a topic the active SC
// has just created is found (a client creates a topic and at once asks
// for its metadata; the watch may be milliseconds behind). The active SC
// and topics already known cost nothing.
func (s *Server) catchUp(names []string) {
	if s.active.Load() || len(names) == 0 {
		return
	}
	s.st.mu.Lock()
	var missing []string
	for _, n := range names {
		if _, ok := s.st.topics[n]; !ok {
			missing = append(missing, n)
		}
	}
	s.st.mu.Unlock()
	for _, n := range missing {
		ctx, cancel := s.storeCtx()
		e, err := s.store.kv.Get(ctx, topicKey(n))
		cancel()
		if err == nil {
			s.applyWatched(e)
		}
	}
}
