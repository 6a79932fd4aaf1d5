package sc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsurl"
	"github.com/fluvio-go/fluvio/internal/pprofhttp"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// startHTTP serves the SC's operational endpoints on Config.HTTPAddr:
//
//	/metrics  Prometheus text format, the SC's own registry (metrics.go)
//	/livez    200 while the process serves HTTP at all
//	/readyz   200 once started, connected to NATS, the micro service up and
//	          the KV bucket answering; 503 with the reason otherwise
//	/healthz  200 while connected to NATS (kept for older scripts)
//
// The server goroutine is owned by Server and stopped by Close.
func (s *Server) startHTTP() error {
	if s.cfg.HTTPAddr == "" {
		return nil
	}
	l, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("sc: cannot listen on %s for HTTP: %w; pick another address with --http HOST:PORT, or drop --http", s.cfg.HTTPAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealth)
	s.metrics = newMetrics(s)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.handleReady)
	if s.cfg.Pprof {
		pprofhttp.Mount(mux)
	}
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.httpAddr = l.Addr().String()
	s.wg.Go(func() {
		if err := s.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP server stopped", "err", err)
		}
	})
	return nil
}

// stopHTTP shuts the HTTP server down (before wg.Wait in Close).
func (s *Server) stopHTTP() {
	if s.http == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
}

// HTTPAddr is the bound HTTP address, "" without Config.HTTPAddr.
func (s *Server) HTTPAddr() string { return s.httpAddr }

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	if !s.nc.IsConnected() {
		http.Error(w, "not connected to NATS", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// readyErr says why the SC is not ready, nil when it is: started, connected
// to NATS, its micro service serving, and its KV bucket answering.
func (s *Server) readyErr(ctx context.Context) error {
	switch {
	case s.ctx.Err() != nil:
		return errors.New("stopping")
	case !s.serving.Load():
		return errors.New("starting: the admin service is not up yet")
	case !s.nc.IsConnected():
		return fmt.Errorf("not connected to NATS at %s; the SC reconnects on its own: check that NATS runs", natsurl.Redact(s.url))
	case s.service() == nil || s.service().Stopped():
		return fmt.Errorf("the %s micro service stopped: restart sc-server", bus.ServiceName)
	}
	ctx, cancel := context.WithTimeout(ctx, min(s.cfg.StoreTimeout, 2*time.Second))
	defer cancel()
	if _, err := s.store.kv.Status(ctx); err != nil {
		return fmt.Errorf("KV bucket %s unreachable: %w; check JetStream with 'nats kv info %s'", s.cfg.Bucket, err, s.cfg.Bucket)
	}
	return nil
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if err := s.readyErr(r.Context()); err != nil {
		http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}
