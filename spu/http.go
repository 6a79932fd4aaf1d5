package spu

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/fluvio-go/fluvio/internal/pprofhttp"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// startHTTP serves the SPU's operational endpoints on Config.HTTPAddr:
//
//	/metrics  Prometheus text format, the SPU's own registry (metrics.go)
//	/livez    200 while the process serves HTTP at all
//	/readyz   200 once the SPU is registered with the SC and serves its
//	          public and private servers, and while its NATS connection to
//	          the SC is up; 503 with the reason otherwise
//
// It starts before the SPU registers, so /readyz answers 503 during
// registration. The server goroutine is owned by Server and stopped by
// stopHTTP in Close.
func (s *Server) startHTTP() error {
	l := s.cfg.HTTPListener
	if l == nil {
		if s.cfg.HTTPAddr == "" {
			return nil
		}
		var err error
		if l, err = net.Listen("tcp", s.cfg.HTTPAddr); err != nil {
			return fmt.Errorf("spu: cannot listen on %s for HTTP: %w; pick another address with --http HOST:PORT, or drop --http", s.cfg.HTTPAddr, err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.handleReady)
	if s.cfg.Pprof {
		pprofhttp.Mount(mux)
	}
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.httpAddr = l.Addr().String()
	srv := s.http
	s.httpWG.Go(func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP server stopped", "err", err)
		}
	})
	return nil
}

// stopHTTP shuts the HTTP server down and waits for its goroutine.
func (s *Server) stopHTTP() {
	if s.http == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
	s.httpWG.Wait()
}

// HTTPAddr is the bound HTTP address (/metrics, /livez, /readyz), "" without
// Config.HTTPAddr.
func (s *Server) HTTPAddr() string { return s.httpAddr }

// readyErr says why the SPU is not ready, nil when it is.
func (s *Server) readyErr() error {
	switch {
	case s.ctx.Err() != nil:
		return errors.New("stopping")
	case !s.serving.Load():
		return errors.New("starting: not yet registered with the SC and serving")
	case s.nc == nil || !s.nc.IsConnected():
		return errors.New("not connected to the SC's NATS; it reconnects on its own (check the SC with 'fluvio cluster status')")
	}
	return nil
}

func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	if err := s.readyErr(); err != nil {
		http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}
