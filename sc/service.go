package sc

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/version"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// The micro service "fluvio-sc". A standby SC runs an instance with the
// read endpoints only (role "standby"); the active SC, the lease holder,
// runs one with every endpoint (role "active"): the admin reads and
// writes (fluvio.admin.v1.<resource>.<verb>) and the SPU-facing ones
// (fluvio.spu.*.register|heartbeat|isr). A role change starts the new
// instance before stopping the old one, so reads never go unanswered.

func (s *Server) readEndpoints() []endpoint {
	ctx := bus.WithLogger(s.ctx, s.log)
	return []endpoint{
		{"spu-list", "spu.list", bus.Micro(ctx, guard(s, s.handleSPUList))},
		{"topic-list", "topic.list", bus.Micro(ctx, guard(s, s.handleTopicList))},
		{"partition-list", "partition.list", bus.Micro(ctx, guard(s, s.handlePartitionList))},
		{"metadata-get", "metadata.get", bus.Micro(ctx, guard(s, s.handleMetadata))},
		{"version-get", "version.get", bus.Micro(ctx, guard(s, s.handleVersion))},
		{"consumer-list", "consumer.list", bus.Micro(ctx, guard(s, s.handleConsumerList))},
	}
}

// serveRole replaces the running instance by one for role ("active" or
// "standby").
func (s *Server) serveRole(role string) error {
	admin := s.readEndpoints()
	var other []endpoint
	if role == "active" {
		ctx := bus.WithLogger(s.ctx, s.log)
		admin = append(admin,
			endpoint{"spu-register", "spu.register", bus.Micro(ctx, guard(s, s.handleSPURegister))},
			endpoint{"spu-unregister", "spu.unregister", bus.Micro(ctx, guard(s, s.handleSPUUnregister))},
			endpoint{"topic-create", "topic.create", s.spawn("topic-create", bus.Micro(ctx, guard(s, s.handleTopicCreate)))},
			endpoint{"topic-delete", "topic.delete", bus.Micro(ctx, guard(s, s.handleTopicDelete))},
			endpoint{"topic-add-partition", "topic.add_partition", bus.Micro(ctx, guard(s, s.handleTopicAddPartition))},
			endpoint{"consumer-storage", "consumer.storage", bus.Micro(ctx, guard(s, s.handleConsumerStorage))},
			endpoint{"consumer-delete", "consumer.delete", bus.Micro(ctx, guard(s, s.handleConsumerDelete))},
			endpoint{"partition-repair", "partition.repair", bus.Micro(ctx, guard(s, s.handlePartitionRepair))},
		)
		other = []endpoint{
			{"spu-hello", bus.SubjectSPURegisterAll, bus.Micro(ctx, guard(s, s.handleHello))},
			{"spu-heartbeat", bus.SubjectSPUHeartbeatAll, bus.Micro(ctx, guard(s, s.handleHeartbeat))},
			{"spu-isr", bus.SubjectSPUISRAll, bus.Micro(ctx, guard(s, s.handleISR))},
		}
	}
	svc, err := s.addService(role, admin, other)
	if err != nil {
		return err
	}
	s.roleMu.Lock()
	old := s.svc
	s.svc = svc
	s.roleMu.Unlock()
	if old != nil {
		if err := old.Stop(); err != nil {
			s.log.Warn("stop the previous micro service instance", "err", err)
		}
	}
	return nil
}

// service is the running instance (nil before Start serves).
func (s *Server) service() micro.Service {
	s.roleMu.Lock()
	defer s.roleMu.Unlock()
	return s.svc
}

// endpoint is one micro endpoint: name, subject, handler.
type endpoint struct {
	name, subject string
	h             micro.Handler
}

// addService adds a "fluvio-sc" micro service instance with the admin
// endpoints under fluvio.admin.v1 and the others at their own subjects,
// and flushes, so a request sent once it returns finds a responder.
func (s *Server) addService(role string, admin, other []endpoint) (micro.Service, error) {
	svc, err := micro.AddService(s.nc, micro.Config{
		Name:        bus.ServiceName,
		Version:     version.Semver(), // micro wants semver: the tag, or 0.0.0-COMMIT
		Description: "fluvio Streaming Controller: admin API and SPU control",
		Metadata: map[string]string{
			"version": version.String(),
			"go":      runtime.Version(),
			"bucket":  s.cfg.Bucket,
			"sc":      s.cfg.Name,
			"role":    role,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("sc: add micro service %s: %w", bus.ServiceName, err)
	}
	g := svc.AddGroup(bus.SubjectAdminPrefix)
	for _, ep := range admin {
		if err := g.AddEndpoint(ep.name, s.metrics.count(ep.name, ep.h), micro.WithEndpointSubject(ep.subject)); err != nil {
			_ = svc.Stop()
			return nil, fmt.Errorf("sc: add endpoint %s: %w", ep.name, err)
		}
	}
	for _, ep := range other {
		if err := svc.AddEndpoint(ep.name, s.metrics.count(ep.name, ep.h), micro.WithEndpointSubject(ep.subject)); err != nil {
			_ = svc.Stop()
			return nil, fmt.Errorf("sc: add endpoint %s: %w", ep.name, err)
		}
	}
	if err := s.nc.FlushTimeout(s.cfg.StoreTimeout); err != nil {
		_ = svc.Stop()
		return nil, fmt.Errorf("sc: flush subscriptions: %w", err)
	}
	return svc, nil
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

// spawn runs each request of h on its own goroutine, counted in flight
// like a guarded handler (Close waits for it), for an endpoint whose
// requests may wait (micro calls one endpoint's handler for one request
// at a time). The goroutine answers through detached, not micro's
// request. When the SC is stopping, h answers at once, on the caller's
// goroutine (its guard refuses the request).
func (s *Server) spawn(endpoint string, h micro.Handler) micro.Handler {
	return micro.HandlerFunc(func(r micro.Request) {
		if !s.enter() {
			h.Handle(r)
			return
		}
		go func() {
			defer s.inflight.Done()
			h.Handle(detached{Request: r, s: s, endpoint: endpoint})
		}()
	})
}

// detached answers a micro request after its handler returned: it
// publishes on the request's reply subject itself. micro's own Respond and
// Error record the outcome for micro's stats, which micro reads when the
// handler returns (a data race once the answer comes later), so that
// endpoint's error count in 'nats micro stats' stays 0; the SC's own
// metrics count its errors.
type detached struct {
	micro.Request
	s        *Server
	endpoint string
}

// Respond implements micro.Request.
func (r detached) Respond(data []byte, opts ...micro.RespondOpt) error {
	m := &nats.Msg{Subject: r.Reply(), Data: data}
	for _, o := range opts {
		o(m)
	}
	return r.s.nc.PublishMsg(m)
}

// RespondJSON implements micro.Request.
func (r detached) RespondJSON(v any, opts ...micro.RespondOpt) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return r.Respond(b, opts...)
}

// Error implements micro.Request.
func (r detached) Error(code, description string, data []byte, opts ...micro.RespondOpt) error {
	if m := r.s.metrics; m != nil {
		m.errors.WithLabelValues(r.endpoint, code).Inc()
	}
	m := &nats.Msg{Subject: r.Reply(), Data: data,
		Header: nats.Header{micro.ErrorHeader: {description}, micro.ErrorCodeHeader: {code}}}
	for _, o := range opts {
		o(m)
	}
	return r.s.nc.PublishMsg(m)
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
	if !s.stopping {
		close(s.stopCh)
	}
	s.stopping = true
	s.stopMu.Unlock()
	s.inflight.Wait()
}
