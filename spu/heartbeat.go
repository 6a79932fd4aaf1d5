package spu

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go"
)

// syncState is what the control loop knows about replica sets. Owned by
// the control loop goroutine (and by Start before the loop runs).
type syncState struct {
	applied  int64 // epoch of the last set applied
	needFull bool  // a change set arrived out of order: ask for a full one
	scOK     bool  // the last heartbeat got an answer (for logging transitions)
}

func newSyncState(applied int64) *syncState { return &syncState{applied: applied, scOK: true} }

// controlLoop applies replica sets, obeys control messages and heartbeats
// every interval until the SPU stops. Owned by Server.
func (s *Server) controlLoop(st *syncState, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case m := <-s.replicasCh:
			var set bus.ReplicaSet
			if err := bus.Unmarshal(m.Data, &set); err != nil {
				s.log.Warn("ignoring undecodable replica set", "err", err)
				continue
			}
			if set.SPU != s.id {
				s.log.Warn("ignoring replica set for another SPU", "for", set.SPU)
				continue
			}
			s.applySet(st, set)
		case m := <-s.controlCh:
			var c bus.Control
			if err := bus.Unmarshal(m.Data, &c); err != nil {
				s.log.Warn("ignoring undecodable control message", "err", err)
				continue
			}
			if c.Command == bus.ControlStop && c.SPU == s.id {
				s.fail(fmt.Errorf("%w: SPU %d was unregistered; to bring it back, register it again with 'fluvio custom-spu register --id %d --public-server HOST:PORT --private-server HOST:PORT'",
					ErrUnregistered, s.id, s.id))
				return
			}
		case <-t.C:
			if next := s.heartbeat(st, interval); next > 0 && next != interval {
				interval = next
				t.Reset(interval)
			}
		}
	}
}

// applySet hands a replica set to the data plane unless it is stale. A
// change set must follow the last applied epoch directly; after a gap it
// is applied anyway (changes are idempotent) and a full set is requested.
func (s *Server) applySet(st *syncState, set bus.ReplicaSet) {
	if set.Epoch <= st.applied {
		s.log.Debug("ignoring stale replica set", "epoch", set.Epoch, "applied", st.applied)
		return
	}
	if set.Full {
		st.needFull = false
	} else if set.Epoch != st.applied+1 {
		st.needFull = true
	}
	if err := s.dp.Apply(set); err != nil {
		s.log.Error("applying the replica set failed", "epoch", set.Epoch, "full", set.Full, "err", err)
	}
	st.applied = set.Epoch
	s.log.Debug("replica set applied", "epoch", set.Epoch, "full", set.Full, "replicas", len(set.Replicas), "removed", len(set.Removed))
}

// heartbeat sends one heartbeat and returns the interval the SC asks for
// (0 if unknown). An SC that says the id is not registered stops the SPU.
func (s *Server) heartbeat(st *syncState, interval time.Duration) time.Duration {
	ctx, cancel := context.WithTimeout(s.ctx, interval)
	defer cancel()
	hb := bus.Heartbeat{ID: s.id, Incarnation: s.incarnation, AppliedEpoch: st.applied,
		NeedFullSync: st.needFull, Replicas: s.dp.Status()}
	if hb.Replicas == nil {
		hb.Replicas = []bus.ReplicaStatus{}
	}
	resp, err := bus.Request[bus.HeartbeatResponse](ctx, s.nc, bus.SubjectSPUHeartbeat(s.id), hb)
	switch {
	case err == nil:
		if !st.scOK {
			s.log.Info("the SC answers heartbeats again")
		}
		st.scOK = true
		return time.Duration(resp.HeartbeatIntervalMs) * time.Millisecond
	case errors.Is(err, bus.ErrSPUNotRegistered):
		s.fail(fmt.Errorf("%w: the SC at %s no longer knows SPU %d; register it again with 'fluvio custom-spu register --id %d --public-server HOST:PORT --private-server HOST:PORT'",
			ErrUnregistered, s.cfg.SCAddr, s.id, s.id))
	case errors.Is(err, bus.ErrSPUConflict):
		s.fail(fmt.Errorf("spu: %w", err))
	case s.ctx.Err() != nil, errors.Is(err, nats.ErrConnectionClosed):
	default:
		if st.scOK {
			s.log.Warn("heartbeat failed; will keep trying", "err", err)
		}
		st.scOK = false
	}
	return 0
}

// goodbye sends a last heartbeat with Stopping set, so the SC marks this
// SPU offline at once. Skipped when the SC stopped us or never knew us.
func (s *Server) goodbye() {
	if s.nc == nil || s.dp == nil || s.Err() != nil || !s.nc.IsConnected() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	hb := bus.Heartbeat{ID: s.id, Incarnation: s.incarnation, Stopping: true, Replicas: []bus.ReplicaStatus{}}
	if _, err := bus.Request[bus.HeartbeatResponse](ctx, s.nc, bus.SubjectSPUHeartbeat(s.id), hb); err != nil {
		s.log.Debug("goodbye heartbeat failed", "err", err)
	}
}
