package sc

import (
	"errors"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go/jetstream"
)

// Memory can lag KV after an ambiguous write (a KV call that failed on
// our side, for example a timeout, may still have been stored) or an edit
// behind the SC's back. Admin writes therefore check existence in KV, not
// in memory, and bring memory up to date as they go; the resync loop
// catches up everything else.

// syncTopic re-reads topic.<name> from KV into memory and returns the
// current entry (nil when KV has none). stale is the record memory held
// that KV no longer has (its SPUs may still hold replicas). Caller holds
// writeMu.
func (s *Server) syncTopic(name string) (cur *topicEntry, stale *topicRecord, err error) {
	ctx, cancel := s.storeCtx()
	defer cancel()
	var rec topicRecord
	rev, err := s.store.get(ctx, topicKey(name), &rec)
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil, err
	}
	if err == nil {
		if cerr := checkTopic(&rec); cerr != nil || rec.Name != name {
			s.badKey(topicKey(name), cerr)
			err = jetstream.ErrKeyNotFound
		}
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	old := s.st.topics[name]
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		delete(s.st.topics, name)
		if old != nil {
			return nil, &old.rec, nil
		}
		return nil, nil, nil
	}
	if old != nil && old.rev == rev {
		return old, nil, nil
	}
	cur = &topicEntry{rec: rec, rev: rev}
	s.st.topics[name] = cur
	return cur, nil, nil
}

// syncSPU re-reads spu.<id> from KV into memory (keeping liveness) and
// returns the current entry, nil when KV has none. Caller holds writeMu.
func (s *Server) syncSPU(id bus.SPUID) (*spuEntry, error) {
	ctx, cancel := s.storeCtx()
	defer cancel()
	var rec spuRecord
	rev, err := s.store.get(ctx, spuKey(id), &rec)
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, err
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if err != nil || rec.Spec.ID != id {
		delete(s.st.spus, id)
		return nil, nil
	}
	e := s.st.spus[id]
	if e == nil {
		e = &spuEntry{}
		s.st.spus[id] = e
	}
	e.rec, e.rev = rec, rev
	return e, nil
}
