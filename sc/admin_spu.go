package sc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/nats-io/nats.go/jetstream"
)

// handleSPURegister authorises an SPU: it writes spu.<id> to KV (create
// only, so an existing id is refused) after checking the id range, the
// addresses and that the name is unused. The SPU shows offline until its
// spu-server says hello.
func (s *Server) handleSPURegister(_ context.Context, _ string, req bus.SPURegisterRequest) (bus.SPURegisterResponse, error) {
	var resp bus.SPURegisterResponse
	if req.ID < 0 || req.ID > bus.MaxSPUID {
		return resp, bus.ErrSPUInvalidID.With(fmt.Sprintf("SPU id %d is out of range", req.ID), "")
	}
	id := bus.SPUID(req.ID)
	typ := bus.SPUTypeCustom
	switch strings.ToLower(req.SPUType) {
	case "", "custom":
	case "managed":
		typ = bus.SPUTypeManaged
	default:
		return resp, bus.ErrBadRequest.With(fmt.Sprintf("unknown SPU type %q", req.SPUType), "use custom or managed")
	}
	name := req.Name
	if name == "" {
		name = fmt.Sprintf("custom-spu-%d", id)
	}
	if err := validateName("SPU", name); err != nil {
		return resp, err
	}
	if err := validateAddr("public", req.PublicEndpoint); err != nil {
		return resp, err
	}
	if err := validateAddr("private", req.PrivateEndpoint); err != nil {
		return resp, err
	}
	if req.Rack != "" {
		if err := validateName("rack", req.Rack); err != nil {
			return resp, err
		}
	}
	rec := spuRecord{Name: name, CreatedMs: time.Now().UnixMilli(), Spec: bus.SPUSpec{
		ID: id, Type: typ, PublicEndpoint: req.PublicEndpoint, PrivateEndpoint: req.PrivateEndpoint, NKey: req.NKey,
	}}
	if req.Rack != "" {
		rack := req.Rack
		rec.Spec.Rack = &rack
	}

	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	existing, err := s.syncSPU(id)
	if err != nil {
		return resp, storeError("register SPU", err)
	}
	if existing != nil {
		return resp, bus.ErrSPUExists.With(fmt.Sprintf("SPU %d is already registered (as %q)", id, existing.rec.Name), "")
	}
	if err := s.checkRegisterKey(id, req.NKey); err != nil {
		return resp, err
	}
	s.st.mu.Lock()
	if e := s.st.spuByName(name); e != nil {
		s.st.mu.Unlock()
		return resp, bus.ErrSPUExists.With(fmt.Sprintf("SPU name %q is already used by SPU %d", name, e.rec.Spec.ID),
			"pick another name with --name, or unregister it first with 'fluvio custom-spu unregister --name "+name+"'")
	}
	s.st.mu.Unlock()

	ctx, cancel := s.storeCtx()
	defer cancel()
	rev, err := s.kvCreate(ctx, spuKey(id), rec)
	if isConflict(err) {
		_, _ = s.syncSPU(id)
		return resp, bus.ErrSPUExists.With(fmt.Sprintf("SPU %d is already registered", id), "")
	}
	if err != nil {
		return resp, storeError("register SPU", err)
	}
	s.st.mu.Lock()
	e := &spuEntry{rec: rec, rev: rev}
	s.st.spus[id] = e
	resp.SPU = e.view()
	s.st.mu.Unlock()
	s.syncAuth()
	s.resendPeers()
	resp.AuthRequired = s.authOn() || s.cfg.Creds != "" || natsauth.URLHasUser(s.cfg.NATSURL)
	s.log.Info("SPU registered", "id", id, "name", name, "type", typ, "public", req.PublicEndpoint, "private", req.PrivateEndpoint)
	return resp, nil
}

// handleSPUUnregister removes an SPU by id or name. Its spu-server, if
// connected, is told to stop; later hellos and heartbeats are refused.
func (s *Server) handleSPUUnregister(_ context.Context, _ string, req bus.SPUUnregisterRequest) (bus.SPUUnregisterResponse, error) {
	var resp bus.SPUUnregisterResponse
	if (req.ID == nil) == (req.Name == "") {
		return resp, bus.ErrBadRequest.With("give either an SPU id or a name, not both or neither",
			"pass --id N or --name NAME")
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.st.mu.Lock()
	var e *spuEntry
	var what string
	if req.ID != nil {
		what = fmt.Sprintf("SPU %d", *req.ID)
		if *req.ID >= 0 && *req.ID <= bus.MaxSPUID {
			e = s.st.spus[bus.SPUID(*req.ID)]
		}
	} else {
		what = fmt.Sprintf("SPU %q", req.Name)
		e = s.st.spuByName(req.Name)
	}
	var id bus.SPUID
	switch {
	case e != nil:
		id = e.rec.Spec.ID
	case req.ID != nil && *req.ID >= 0 && *req.ID <= bus.MaxSPUID:
		id = bus.SPUID(*req.ID) // maybe in KV but not yet in memory
	default:
		s.st.mu.Unlock()
		return resp, bus.ErrSPUNotFound.With(what+" not found", "")
	}
	s.st.mu.Unlock()
	e, err := s.syncSPU(id)
	if err != nil {
		return resp, storeError("unregister SPU", err)
	}
	if e == nil {
		return resp, bus.ErrSPUNotFound.With(what+" not found", "")
	}
	rev := e.rev

	ctx, cancel := s.storeCtx()
	defer cancel()
	if err := s.kvDelete(ctx, spuKey(id), rev); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return resp, storeError("unregister SPU", err)
	}
	s.st.mu.Lock()
	resp.SPU = e.view()
	delete(s.st.spus, id)
	s.st.mu.Unlock()
	s.publish(bus.SubjectSPUControl(id), bus.Control{SPU: id, Command: bus.ControlStop,
		Reason: fmt.Sprintf("SPU %d was unregistered", id)})
	// Revoke its NATS user: the reload closes its connection at once.
	_ = s.nc.FlushTimeout(time.Second)
	s.syncAuth()
	s.log.Info("SPU unregistered", "id", id, "name", resp.SPU.Name)
	// Its replicas leave every ISR now (new leaders where it led): if the
	// id is registered again, whatever spu-server comes with it starts
	// as a follower that must catch up, never as a leader at the old
	// epoch with an ISR it is not in sync with.
	if err := s.resetReplicas(id, "it was unregistered"); err != nil {
		s.log.Warn("unregister: cannot take the SPU out of every ISR yet; the next resync retries", "id", id, "err", err)
	}
	return resp, nil
}

// handleSPUList lists SPUs by id with their liveness.
func (s *Server) handleSPUList(_ context.Context, _ string, req bus.SPUListRequest) (bus.SPUListResponse, error) {
	resp := bus.SPUListResponse{Items: []bus.SPU{}}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for _, id := range s.st.sortedSPUs() {
		e := s.st.spus[id]
		if req.CustomOnly && e.rec.Spec.Type != bus.SPUTypeCustom {
			continue
		}
		if len(req.Names) > 0 && !slices.Contains(req.Names, e.rec.Name) {
			continue
		}
		resp.Items = append(resp.Items, e.view())
	}
	return resp, nil
}

// resendPeers sends every online SPU its full replica set after a
// registration: the sets carry the peers' keys (bus.PeerEndpoint.NKey),
// and a leader must learn the key of an SPU registered again with new
// credentials before that SPU can prove itself to it and rejoin the ISR.
func (s *Server) resendPeers() {
	now := time.Now()
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for id, e := range s.st.spus {
		if e.online {
			s.publish(bus.SubjectSPUReplicas(id), s.st.fullSet(e, now))
		}
	}
}
