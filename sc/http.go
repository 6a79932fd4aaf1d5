package sc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// startHTTP serves /healthz and /metrics (Prometheus text format) on
// Config.HTTPAddr. The server goroutine is owned by Server and stopped by
// Close.
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
	mux.HandleFunc("GET /metrics", s.handleMetrics)
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

func (s *Server) handleMetrics(w http.ResponseWriter, _ *http.Request) {
	s.st.mu.Lock()
	online, offline, partitions, leaderless := 0, 0, 0, 0
	for _, e := range s.st.spus {
		if e.online {
			online++
		} else {
			offline++
		}
	}
	for _, t := range s.st.topics {
		for _, p := range t.rec.Partitions {
			partitions++
			if !s.st.online(p.Leader) {
				leaderless++
			}
		}
	}
	topics, gen := len(s.st.topics), s.st.gen
	s.st.mu.Unlock()
	connected := 0
	if s.nc.IsConnected() {
		connected = 1
	}
	var b strings.Builder
	metric := func(name, help, labels string, v any) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s%s %v\n", name, help, name, name, labels, v)
	}
	fmt.Fprintf(&b, "# HELP fluvio_sc_spus Registered SPUs by liveness.\n# TYPE fluvio_sc_spus gauge\n")
	fmt.Fprintf(&b, "fluvio_sc_spus{state=\"online\"} %d\nfluvio_sc_spus{state=\"offline\"} %d\n", online, offline)
	metric("fluvio_sc_topics", "Topics.", "", topics)
	metric("fluvio_sc_partitions", "Partitions.", "", partitions)
	metric("fluvio_sc_partitions_leader_offline", "Partitions whose leader SPU is offline.", "", leaderless)
	metric("fluvio_sc_generation", "SC generation (bumped at each start).", "", gen)
	metric("fluvio_sc_nats_connected", "1 when the SC is connected to NATS.", "", connected)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write([]byte(b.String()))
}
