package spu

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsurl"
	"github.com/fluvio-go/fluvio/internal/version"
	"github.com/nats-io/nats.go"
)

// syncState is what the control side knows about replica sets. The
// control loop writes it (and Start before the loops run); the heartbeat
// loop reads it.
type syncState struct {
	applied  atomic.Int64 // epoch of the last set applied
	needFull atomic.Bool  // a change set arrived out of order: ask for a full one
	// beatNow asks the heartbeat loop for a beat before its next tick:
	// sent after a replica set is applied, so the SC learns at once that
	// the new replicas exist (a partition is Online only from then on).
	beatNow chan struct{}
}

func newSyncState(applied int64) *syncState {
	st := &syncState{beatNow: make(chan struct{}, 1)}
	st.applied.Store(applied)
	return st
}

// controlLoop applies replica sets and obeys control messages until the
// SPU stops. Owned by Server. Heartbeats run in their own loop so that a
// slow Apply (opening many logs) never delays them.
func (s *Server) controlLoop(st *syncState) {
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
		}
	}
}

// heartbeatLoop heartbeats every interval (as the SC asks) until the SPU
// stops. Owned by Server.
func (s *Server) heartbeatLoop(st *syncState, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	scOK := true // the last heartbeat got an answer (to log transitions only)
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-st.beatNow:
			_, scOK = s.heartbeat(st, interval, scOK)
		case <-t.C:
			next, ok := s.heartbeat(st, interval, scOK)
			scOK = ok
			if next > 0 && next != interval {
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
	applied := st.applied.Load()
	if set.Epoch <= applied {
		s.log.Debug("ignoring stale replica set", "epoch", set.Epoch, "applied", applied)
		return
	}
	if set.Full {
		st.needFull.Store(false)
	} else if set.Epoch != applied+1 {
		st.needFull.Store(true)
	}
	// Stored before Apply: heartbeats report what arrived (the SC resends
	// only lost sets), even while a slow Apply is still opening logs.
	st.applied.Store(set.Epoch)
	if err := s.dp.Apply(set); err != nil {
		s.log.Error("applying the replica set failed", "epoch", set.Epoch, "full", set.Full, "err", err)
	}
	s.log.Debug("replica set applied", "epoch", set.Epoch, "full", set.Full, "replicas", len(set.Replicas), "removed", len(set.Removed))
	select {
	case st.beatNow <- struct{}{}:
	default: // a beat is already due
	}
}

// heartbeat sends one heartbeat and returns the interval the SC asks for
// (0 if unknown) and whether the SC answered. An SC that says the id is
// not registered (or taken by another spu-server) stops the SPU.
func (s *Server) heartbeat(st *syncState, interval time.Duration, scOK bool) (time.Duration, bool) {
	ctx, cancel := context.WithTimeout(s.ctx, interval)
	defer cancel()
	hb := bus.Heartbeat{ID: s.id, Incarnation: s.incarnation, StorageID: s.storageID, Version: version.String(), AppliedEpoch: st.applied.Load(),
		NeedFullSync: st.needFull.Load(), Replicas: s.dp.Status()}
	if hb.Replicas == nil {
		hb.Replicas = []bus.ReplicaStatus{}
	}
	resp, err := bus.Request[bus.HeartbeatResponse](ctx, s.nc, bus.SubjectSPUHeartbeat(s.id), hb)
	switch {
	case err == nil:
		if !scOK {
			s.log.Info("the SC answers heartbeats again")
		}
		return time.Duration(resp.HeartbeatIntervalMs) * time.Millisecond, true
	case errors.Is(err, bus.ErrSPUNotRegistered):
		s.fail(fmt.Errorf("%w: the SC at %s no longer knows SPU %d; register it again with 'fluvio custom-spu register --id %d --public-server HOST:PORT --private-server HOST:PORT'",
			ErrUnregistered, natsurl.Redact(s.cfg.SCAddr), s.id, s.id))
	case errors.Is(err, bus.ErrSPUConflict):
		s.fail(fmt.Errorf("spu: %w", err))
	case s.ctx.Err() != nil, errors.Is(err, nats.ErrConnectionClosed):
	default:
		if scOK {
			s.log.Warn("heartbeat failed; will keep trying", "err", err)
		}
		return 0, false
	}
	return 0, scOK
}

// goodbye sends a last heartbeat with Stopping set, so the SC marks this
// SPU offline at once. Skipped when the SC stopped us or never knew us.
func (s *Server) goodbye() {
	if s.nc == nil || s.dp == nil || s.Err() != nil || s.killed.Load() || !s.nc.IsConnected() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	hb := bus.Heartbeat{ID: s.id, Incarnation: s.incarnation, StorageID: s.storageID, Stopping: true, Replicas: []bus.ReplicaStatus{}}
	if _, err := bus.Request[bus.HeartbeatResponse](ctx, s.nc, bus.SubjectSPUHeartbeat(s.id), hb); err != nil {
		s.log.Debug("goodbye heartbeat failed", "err", err)
	}
}
