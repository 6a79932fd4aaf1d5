package sc

import (
	"context"
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio/bus"
)

// checkSender enforces that a message on fluvio.spu.<id>.* carries that
// same id: SPU N may only speak for itself.
func (s *Server) checkSender(subject string, id bus.SPUID) error {
	sid, _, ok := bus.ParseSPUSubject(subject)
	if !ok {
		return bus.ErrBadRequest.With(fmt.Sprintf("bad SPU subject %q", subject), "")
	}
	if sid != id {
		s.log.Warn("dropping message whose SPU id does not match its subject", "subject", subject, "id", id)
		return bus.ErrSPUIDMismatch.With(fmt.Sprintf("message for SPU %d on the subject of SPU %d", id, sid), "")
	}
	return nil
}

// checkIncarnation refuses a second spu-server with the same id: while
// the known incarnation is online, another one is a conflict. Once the
// first goes silent for the heartbeat timeout (it crashed), the new one
// is accepted. Caller holds st.mu.
func (s *Server) checkIncarnation(e *spuEntry, incarnation string, now time.Time) error {
	if !e.online || e.incarnation == "" || e.incarnation == incarnation || now.Sub(e.lastBeat) > s.cfg.HeartbeatTimeout {
		return nil
	}
	s.log.Warn("refusing a second spu-server with the same id", "id", e.rec.Spec.ID,
		"connected", e.incarnation, "refused", incarnation)
	return bus.ErrSPUConflict.With(fmt.Sprintf("another spu-server with id %d is connected (incarnation %s, last heartbeat %v ago)",
		e.rec.Spec.ID, e.incarnation, now.Sub(e.lastBeat).Round(time.Millisecond)), "")
}

func notRegistered(id bus.SPUID) *bus.Error {
	return bus.ErrSPUNotRegistered.With(fmt.Sprintf("SPU %d is not registered", id),
		fmt.Sprintf("register it first: fluvio custom-spu register --id %d --public-server HOST:PORT --private-server HOST:PORT", id))
}

// checkStorage adopts the storage identity an SPU says hello or beats
// with, when it is new (adoptStorage), after the checks that refuse the
// message anyway (unregistered, a second spu-server with the id).
func (s *Server) checkStorage(id bus.SPUID, incarnation, storageID string) error {
	s.st.mu.Lock()
	e := s.st.spus[id]
	if e == nil {
		s.st.mu.Unlock()
		return notRegistered(id)
	}
	if err := s.checkIncarnation(e, incarnation, time.Now()); err != nil {
		s.st.mu.Unlock()
		return err
	}
	changed := storageChanged(e, storageID)
	s.st.mu.Unlock()
	if !changed {
		return nil
	}
	return s.adoptStorage(id, storageID)
}

// handleHello answers an spu-server starting up: it must be registered;
// it becomes online and gets its full replica set in the reply.
func (s *Server) handleHello(_ context.Context, subject string, req bus.SPUHello) (bus.SPUHelloResponse, error) {
	var resp bus.SPUHelloResponse
	if err := s.checkSender(subject, req.ID); err != nil {
		return resp, err
	}
	if err := s.checkStorage(req.ID, req.Incarnation, req.StorageID); err != nil {
		return resp, err
	}
	id, now := req.ID, time.Now()
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	e := s.st.spus[id]
	if e == nil {
		s.log.Warn("refusing unregistered SPU", "id", id, "incarnation", req.Incarnation)
		return resp, notRegistered(id)
	}
	if err := s.checkIncarnation(e, req.Incarnation, now); err != nil {
		return resp, err
	}
	if !e.online || e.incarnation != req.Incarnation {
		s.log.Info("SPU online", "id", id, "name", e.rec.Name, "incarnation", req.Incarnation, "version", req.Version)
		s.kickElection()
	}
	e.online, e.lastBeat, e.incarnation, e.version = true, now, req.Incarnation, req.Version
	e.reports = nil
	resp.Spec, resp.Name = e.rec.Spec, e.rec.Name
	resp.HeartbeatIntervalMs = s.cfg.HeartbeatInterval.Milliseconds()
	resp.Replicas = s.st.fullSet(e, now)
	e.applied = 0
	return resp, nil
}

// handleHeartbeat records a heartbeat: liveness, the replica reports and
// the applied epoch. An SPU seen for the first time in this SC's life (it
// restarted) or one that lags or asks for it gets a full replica set.
func (s *Server) handleHeartbeat(_ context.Context, subject string, hb bus.Heartbeat) (bus.HeartbeatResponse, error) {
	resp := bus.HeartbeatResponse{HeartbeatIntervalMs: s.cfg.HeartbeatInterval.Milliseconds()}
	if err := s.checkSender(subject, hb.ID); err != nil {
		return resp, err
	}
	if err := s.checkStorage(hb.ID, hb.Incarnation, hb.StorageID); err != nil {
		return resp, err
	}
	id, now := hb.ID, time.Now()
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	e := s.st.spus[id]
	if e == nil {
		return resp, notRegistered(id)
	}
	if err := s.checkIncarnation(e, hb.Incarnation, now); err != nil {
		return resp, err
	}
	if hb.Stopping {
		if e.online {
			s.log.Info("SPU offline: shutting down", "id", id, "name", e.rec.Name, "incarnation", hb.Incarnation)
			e.online, e.fullSent = false, false
			s.kickElection()
		}
		return resp, nil
	}
	full := hb.NeedFullSync || !e.fullSent
	if !e.online || e.incarnation != hb.Incarnation {
		s.log.Info("SPU online", "id", id, "name", e.rec.Name, "incarnation", hb.Incarnation)
		full = full || e.incarnation != hb.Incarnation
		s.kickElection()
	}
	e.online, e.lastBeat, e.incarnation = true, now, hb.Incarnation
	if hb.Version != "" {
		e.version = hb.Version
	}
	e.applied = hb.AppliedEpoch
	prev := e.reports
	e.reports = make(map[bus.PartitionID]bus.ReplicaStatus, len(hb.Replicas))
	for _, r := range hb.Replicas {
		e.reports[r.PartitionID] = r
		if r.Corrupt != "" && prev[r.PartitionID].Corrupt == "" {
			s.log.Error("replica reported corrupt: it leaves the ISR and is never elected until repaired", "spu", id,
				"partition", partitionName(r.Topic, int(r.Partition)), "corrupt", r.Corrupt)
			s.kickElection()
		}
	}
	s.st.notifyLocked()
	// A set published but not applied within two beats was lost.
	if e.applied < e.sent && now.Sub(e.sentAt) > 2*s.cfg.HeartbeatInterval {
		full = true
	}
	if full {
		s.publish(bus.SubjectSPUReplicas(id), s.st.fullSet(e, now))
	}
	return resp, nil
}
