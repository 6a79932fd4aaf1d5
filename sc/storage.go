package sc

import (
	"fmt"
	"slices"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/sc/placement"
)

// maxStorageIDLen bounds the storage identity an SPU may send.
const maxStorageIDLen = 64

// checkStorageID refuses an absurd storage identity (it is stored in KV
// and logged).
func checkStorageID(id string) error {
	if len(id) > maxStorageIDLen {
		return bus.ErrBadRequest.Withf("storage id of %d bytes, at most %d", len(id), maxStorageIDLen)
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-') {
			return bus.ErrBadRequest.Withf("storage id %q is not hexadecimal", id)
		}
	}
	return nil
}

// storageChanged reports whether SPU e says hello or beats with a storage
// identity other than the one recorded for it. Caller holds st.mu.
func storageChanged(e *spuEntry, storageID string) bool {
	return storageID != "" && e.rec.StorageID != storageID
}

// adoptStorage records SPU id's storage identity. When one was recorded
// before and differs, the SPU's disk was wiped or replaced: its replicas
// are empty, so first it leaves every ISR (resetReplicas: new leaders
// where it led, epochs bumped) and only then is the new identity stored.
// The SPU is answered only after this, so it never leads or counts as in
// sync with an empty log. It takes writeMu; the caller holds no lock.
func (s *Server) adoptStorage(id bus.SPUID, storageID string) error {
	if err := checkStorageID(storageID); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	e, err := s.syncSPU(id)
	if err != nil {
		return storeError("record the SPU's storage identity", err)
	}
	if e == nil {
		return notRegistered(id)
	}
	s.st.mu.Lock()
	old, changed := e.rec.StorageID, storageChanged(e, storageID)
	rec, rev := e.rec, e.rev
	s.st.mu.Unlock()
	if !changed {
		return nil
	}
	if old != "" {
		s.log.Warn("SPU came back with another storage identity (its data directory was wiped or replaced): its replicas are new and empty; taking it out of every ISR",
			"id", id, "recorded", old, "now", storageID)
		if err := s.resetReplicas(id, "its storage identity changed"); err != nil {
			return err
		}
	}
	rec.StorageID = storageID
	ctx, cancel := s.storeCtx()
	defer cancel()
	newRev, err := s.kvUpdate(ctx, spuKey(id), rec, rev)
	if err != nil {
		_, _ = s.syncSPU(id)
		return storeError("record the SPU's storage identity", err)
	}
	s.st.mu.Lock()
	if cur := s.st.spus[id]; cur != nil {
		cur.rec, cur.rev = rec, newRev
	}
	s.st.mu.Unlock()
	return nil
}

// resetReplicas treats every replica on SPU id as new and empty: the SPU
// leaves the ISR of each of its partitions; where it led, the first
// online member of the remaining ISR leads (any member if none is
// online: the election moves it on when one comes up); the leader epoch
// of each changed partition is bumped, so the leader takes the new ISR
// (within a term the leader owns it). Where the SPU is the only in-sync
// replica nothing changes: electing another would be unclean. Topics are
// stored with CAS (retried on conflict) and the replicas told. Caller
// holds writeMu, not st.mu.
func (s *Server) resetReplicas(id bus.SPUID, why string) error {
	s.st.mu.Lock()
	names := s.st.sortedTopics()
	s.st.mu.Unlock()
	for _, name := range names {
		if err := s.resetTopic(name, id, why); err != nil {
			return err
		}
	}
	return nil
}

// dropUnregistered takes every SPU that is no longer registered out of
// the ISRs that still name it (an unregister whose reset failed, or an
// SC that stopped in between). Caller holds writeMu, not st.mu.
func (s *Server) dropUnregistered() {
	s.st.mu.Lock()
	var gone []bus.SPUID
	for _, t := range s.st.topics {
		for _, p := range t.rec.Partitions {
			for _, r := range p.ISR {
				if s.st.spus[r] == nil && !slices.Contains(gone, r) && (r != p.Leader || len(p.ISR) > 1) {
					gone = append(gone, r)
				}
			}
		}
	}
	s.st.mu.Unlock()
	slices.Sort(gone)
	for _, id := range gone {
		if err := s.resetReplicas(id, "it is not registered"); err != nil {
			s.log.Warn("resync: cannot take an unregistered SPU out of the ISRs", "id", id, "err", err)
		}
	}
}

func (s *Server) resetTopic(name string, id bus.SPUID, why string) error {
	for attempt := 0; ; attempt++ {
		s.st.mu.Lock()
		t, ok := s.st.topics[name]
		if !ok {
			s.st.mu.Unlock()
			return nil
		}
		rec, rev := cloneTopic(t.rec), t.rev
		var parts []int
		for n := range rec.Partitions {
			p := &rec.Partitions[n]
			if !slices.Contains(p.Replicas, id) || (!slices.Contains(p.ISR, id) && p.Leader != id) {
				continue
			}
			isr := slices.DeleteFunc(slices.Clone(p.ISR), func(r bus.SPUID) bool { return r == id })
			switch {
			case p.Leader != id:
				p.ISR = isr
			case len(isr) == 0:
				// No other copy is known to be in sync: electing another
				// replica would be unclean, so nothing changes.
				s.log.Warn("SPU is the only in-sync replica; it keeps leading with what it holds", "partition", partitionName(name, n),
					"spu", id, "why", why)
				continue
			default:
				leader, ok := placement.ChooseLeader(p.Replicas, isr, s.st.online, false)
				if !ok {
					leader = isr[0]
				}
				p.Leader, p.ISR = leader, isr
			}
			p.LeaderEpoch++
			parts = append(parts, n)
		}
		s.st.mu.Unlock()
		if len(parts) == 0 {
			return nil
		}
		ctx, cancel := s.storeCtx()
		newRev, err := s.kvUpdate(ctx, topicKey(name), rec, rev)
		cancel()
		if isConflict(err) && attempt < 3 {
			_, _, _ = s.syncTopic(name)
			continue
		}
		if err != nil {
			_, _, _ = s.syncTopic(name)
			return storeError(fmt.Sprintf("take SPU %d out of the ISRs of topic %q", id, name), err)
		}
		now := time.Now()
		s.st.mu.Lock()
		if cur, ok := s.st.topics[name]; ok {
			cur.rec, cur.rev = rec, newRev
		}
		for _, n := range parts {
			p := rec.Partitions[n]
			s.log.Info("replica reset: out of the ISR until it catches up", "partition", partitionName(name, n), "spu", id,
				"why", why, "leader", p.Leader, "epoch", p.LeaderEpoch, "isr", joinIDs(p.ISR))
			spec := replicaSpec(&rec, n)
			for _, r := range p.Replicas {
				if e := s.st.spus[r]; e != nil && r != id {
					s.publish(bus.SubjectSPUReplicas(r), s.st.changeSet(e, now, []bus.ReplicaSpec{spec}, nil))
				}
			}
		}
		s.st.mu.Unlock()
		return nil
	}
}
