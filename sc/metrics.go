package sc

import (
	"strconv"
	"time"

	"github.com/nats-io/nats.go/micro"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics is the SC's Prometheus registry (its own, never the global
// default, so in-process test clusters do not collide). Cluster gauges
// (SPUs, liveness, partitions, ISR sizes) are read from the SC's memory
// at scrape time; request counters move as the micro endpoints answer. A
// nil *metrics counts nothing.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec // endpoint
	errors   *prometheus.CounterVec // endpoint, code
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fluvio_sc_requests_total",
			Help: "Requests answered by the SC's micro endpoints (admin API and SPU control), by endpoint.",
		}, []string{"endpoint"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fluvio_sc_request_errors_total",
			Help: "Requests answered with an error, by endpoint and bus error code (see bus/SUBJECTS.md).",
		}, []string{"endpoint", "code"}),
	}
	m.reg.MustRegister(m.requests, m.errors, newClusterCollector(s),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// count wraps an endpoint's handler to count its requests and errors.
func (m *metrics) count(endpoint string, h micro.Handler) micro.Handler {
	if m == nil {
		return h
	}
	requests := m.requests.WithLabelValues(endpoint)
	return micro.HandlerFunc(func(r micro.Request) {
		requests.Inc()
		h.Handle(countingRequest{Request: r, m: m, endpoint: endpoint})
	})
}

// countingRequest counts the error answers of one request.
type countingRequest struct {
	micro.Request
	m        *metrics
	endpoint string
}

// Error implements micro.Request.
func (r countingRequest) Error(code, description string, data []byte, opts ...micro.RespondOpt) error {
	r.m.errors.WithLabelValues(r.endpoint, code).Inc()
	return r.Request.Error(code, description, data, opts...)
}

// clusterCollector reports the SC's view of the cluster at scrape time.
type clusterCollector struct {
	s *Server

	spus, spuOnline, beatAge                    *prometheus.Desc
	topics, partitions, leaderOffline, underRep *prometheus.Desc
	isrSize, replicas, generation, connected    *prometheus.Desc
}

func newClusterCollector(s *Server) *clusterCollector {
	d := prometheus.NewDesc
	spu, part := []string{"spu", "name"}, []string{"topic", "partition"}
	return &clusterCollector{
		s:             s,
		spus:          d("fluvio_sc_spus", "Registered SPUs by liveness.", []string{"state"}, nil),
		spuOnline:     d("fluvio_sc_spu_online", "1 while the SPU is online (heartbeating), else 0.", spu, nil),
		beatAge:       d("fluvio_sc_spu_heartbeat_age_seconds", "Time since the SPU's last heartbeat (only SPUs that beat since the SC started).", spu, nil),
		topics:        d("fluvio_sc_topics", "Topics.", nil, nil),
		partitions:    d("fluvio_sc_partitions", "Partitions.", nil, nil),
		leaderOffline: d("fluvio_sc_partitions_leader_offline", "Partitions whose leader SPU is offline.", nil, nil),
		underRep:      d("fluvio_sc_partitions_under_replicated", "Partitions whose ISR is smaller than their replica set.", nil, nil),
		isrSize:       d("fluvio_sc_partition_isr_size", "In-sync replicas of the partition as stored by the SC.", part, nil),
		replicas:      d("fluvio_sc_partition_replicas", "Replicas assigned to the partition.", part, nil),
		generation:    d("fluvio_sc_generation", "SC generation (bumped at each start).", nil, nil),
		connected:     d("fluvio_sc_nats_connected", "1 when the SC is connected to NATS.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.spus, c.spuOnline, c.beatAge, c.topics, c.partitions,
		c.leaderOffline, c.underRep, c.isrSize, c.replicas, c.generation, c.connected} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	now := time.Now()
	st := c.s.st
	st.mu.Lock()
	online, offline := 0, 0
	for _, id := range st.sortedSPUs() {
		e := st.spus[id]
		l := []string{strconv.Itoa(int(id)), e.rec.Name}
		if e.online {
			online++
			gauge(c.spuOnline, 1, l...)
		} else {
			offline++
			gauge(c.spuOnline, 0, l...)
		}
		if !e.lastBeat.IsZero() {
			gauge(c.beatAge, now.Sub(e.lastBeat).Seconds(), l...)
		}
	}
	partitions, leaderless, under := 0, 0, 0
	for _, name := range st.sortedTopics() {
		for i, p := range st.topics[name].rec.Partitions {
			partitions++
			if !st.online(p.Leader) {
				leaderless++
			}
			if len(p.ISR) < len(p.Replicas) {
				under++
			}
			l := []string{name, strconv.Itoa(i)}
			gauge(c.isrSize, float64(len(p.ISR)), l...)
			gauge(c.replicas, float64(len(p.Replicas)), l...)
		}
	}
	topics, gen := len(st.topics), st.gen
	st.mu.Unlock()
	gauge(c.spus, float64(online), "online")
	gauge(c.spus, float64(offline), "offline")
	gauge(c.topics, float64(topics))
	gauge(c.partitions, float64(partitions))
	gauge(c.leaderOffline, float64(leaderless))
	gauge(c.underRep, float64(under))
	gauge(c.generation, float64(gen))
	connected := 0.0
	if c.s.nc != nil && c.s.nc.IsConnected() {
		connected = 1
	}
	gauge(c.connected, connected)
}
