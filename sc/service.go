package sc

import (
	"context"
	"fmt"
	"runtime"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/version"
	"github.com/nats-io/nats.go/micro"
)

// semver matches what micro accepts as a service version.
// serve registers the micro service "fluvio-sc" with the admin endpoints
// (fluvio.admin.v1.<resource>.<verb>) and the SPU-facing endpoints
// (fluvio.spu.*.register|heartbeat|isr).
func (s *Server) serve() error {
	svc, err := micro.AddService(s.nc, micro.Config{
		Name:        bus.ServiceName,
		Version:     version.Semver(), // micro wants semver: the tag, or 0.0.0-COMMIT
		Description: "fluvio Streaming Controller: admin API and SPU control",
		Metadata: map[string]string{
			"version": version.String(),
			"go":      runtime.Version(),
			"bucket":  s.cfg.Bucket,
		},
	})
	if err != nil {
		return fmt.Errorf("sc: add micro service %s: %w", bus.ServiceName, err)
	}
	s.svc = svc
	admin := svc.AddGroup(bus.SubjectAdminPrefix)
	ctx := s.ctx
	endpoints := []struct {
		name, subject string
		h             micro.Handler
	}{
		{"spu-list", "spu.list", bus.Micro(ctx, guard(s, s.handleSPUList))},
		{"spu-register", "spu.register", bus.Micro(ctx, guard(s, s.handleSPURegister))},
		{"spu-unregister", "spu.unregister", bus.Micro(ctx, guard(s, s.handleSPUUnregister))},
		{"topic-create", "topic.create", bus.Micro(ctx, guard(s, s.handleTopicCreate))},
		{"topic-delete", "topic.delete", bus.Micro(ctx, guard(s, s.handleTopicDelete))},
		{"topic-list", "topic.list", bus.Micro(ctx, guard(s, s.handleTopicList))},
		{"partition-list", "partition.list", bus.Micro(ctx, guard(s, s.handlePartitionList))},
		{"metadata-get", "metadata.get", bus.Micro(ctx, guard(s, s.handleMetadata))},
		{"version-get", "version.get", bus.Micro(ctx, guard(s, s.handleVersion))},
	}
	for _, ep := range endpoints {
		if err := admin.AddEndpoint(ep.name, s.metrics.count(ep.name, ep.h), micro.WithEndpointSubject(ep.subject)); err != nil {
			return fmt.Errorf("sc: add endpoint %s: %w", ep.name, err)
		}
	}
	spu := []struct {
		name, subject string
		h             micro.Handler
	}{
		{"spu-hello", bus.SubjectSPURegisterAll, bus.Micro(ctx, guard(s, s.handleHello))},
		{"spu-heartbeat", bus.SubjectSPUHeartbeatAll, bus.Micro(ctx, guard(s, s.handleHeartbeat))},
		{"spu-isr", bus.SubjectSPUISRAll, bus.Micro(ctx, guard(s, s.handleISR))},
	}
	for _, ep := range spu {
		if err := svc.AddEndpoint(ep.name, s.metrics.count(ep.name, ep.h), micro.WithEndpointSubject(ep.subject)); err != nil {
			return fmt.Errorf("sc: add endpoint %s: %w", ep.name, err)
		}
	}
	// The subscriptions exist on the server once the flush returns, so a
	// request sent after Start returns finds a responder.
	if err := s.nc.FlushTimeout(s.cfg.StoreTimeout); err != nil {
		return fmt.Errorf("sc: flush subscriptions: %w", err)
	}
	return nil
}

// errShuttingDown answers requests that arrive while the SC stops.
var errShuttingDown = bus.ErrUnavailable.With("the SC is shutting down", "retry in a moment; if it does not come back, start sc-server again")

// guard counts a handler call as in flight, so Close can wait for it to
// finish (its KV write included) before the SC goes away; once Close has
// begun, new requests are refused with errShuttingDown instead.
func guard[Req, Resp any](s *Server, fn bus.HandlerFunc[Req, Resp]) bus.HandlerFunc[Req, Resp] {
	return func(ctx context.Context, subject string, req Req) (Resp, error) {
		if !s.enter() {
			var zero Resp
			return zero, errShuttingDown
		}
		defer s.inflight.Done()
		return fn(ctx, subject, req)
	}
}

// enter registers an in-flight handler unless the SC is stopping.
func (s *Server) enter() bool {
	s.stopMu.Lock()
	defer s.stopMu.Unlock()
	if s.stopping {
		return false
	}
	s.inflight.Add(1)
	return true
}

// quiesce refuses new requests and waits for those in flight.
func (s *Server) quiesce() {
	s.stopMu.Lock()
	s.stopping = true
	s.stopMu.Unlock()
	s.inflight.Wait()
}
