package spu

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics holds one SPU's Prometheus registry and instruments. Each SPU
// has its own registry (never the global default), so SPUs of an
// in-process test cluster do not collide. A nil *metrics records nothing:
// the data plane calls it unconditionally.
//
// Counters move where the data plane answers: records and bytes in are
// counted when a produce is acknowledged (whatever acks asked for),
// records and bytes out when a fetch response is handed to the writer.
// Per-partition gauges (log size, offsets, ISR size, role) are read from
// the replicas at scrape time.
type metrics struct {
	reg *prometheus.Registry

	recordsIn  *prometheus.CounterVec // topic, partition
	bytesIn    *prometheus.CounterVec // topic, partition
	recordsOut *prometheus.CounterVec // topic, partition, reader
	bytesOut   *prometheus.CounterVec // topic, partition, reader
	latency    *prometheus.HistogramVec
	// produceLatency is latency's produce child, looked up once.
	produceLatency prometheus.Observer
	errors         *prometheus.CounterVec // api, code, name
	fsync          prometheus.Histogram

	dp atomic.Pointer[dataPlane] // set once the data plane exists
}

// Reader label values of the out counters.
const (
	readerConsumer = "consumer"
	readerFollower = "follower"
)

// API label values.
const (
	apiProduce       = "produce"
	apiFetch         = "fetch"
	apiFollowerFetch = "follower_fetch"
)

// newMetrics creates the SPU's registry with the Go and process collectors
// and the SPU's own instruments.
func newMetrics(id int32) *metrics {
	reg := prometheus.NewRegistry()
	constLabels := prometheus.Labels{"spu": strconv.Itoa(int(id))}
	part := []string{"topic", "partition"}
	m := &metrics{
		reg: reg,
		recordsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fluvio_spu_records_in_total", ConstLabels: constLabels,
			Help: "Records acknowledged to producers, by partition (leader side).",
		}, part),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fluvio_spu_bytes_in_total", ConstLabels: constLabels,
			Help: "Record batch bytes acknowledged to producers, by partition.",
		}, part),
		recordsOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fluvio_spu_records_out_total", ConstLabels: constLabels,
			Help: "Records sent in fetch responses, by partition and reader (consumer or follower).",
		}, append(part, "reader")),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fluvio_spu_bytes_out_total", ConstLabels: constLabels,
			Help: "Record batch bytes sent in fetch responses, by partition and reader.",
		}, append(part, "reader")),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fluvio_spu_request_duration_seconds", ConstLabels: constLabels,
			Help:    "Time from a request's arrival to its answer, by API (produce includes fsync and acks wait; fetch includes its long poll).",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2.5, 14), // 50µs .. ~7.5s
		}, []string{"api"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fluvio_spu_request_errors_total", ConstLabels: constLabels,
			Help: "Requests (fetch: partitions) answered with an error, by API and wire error code.",
		}, []string{"api", "code", "name"}),
		fsync: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "fluvio_spu_fsync_duration_seconds", ConstLabels: constLabels,
			Help:    "Duration of each fsync of a replica's log files and directories.",
			Buckets: prometheus.ExponentialBuckets(10e-6, 2.5, 14), // 10µs .. ~1.5s
		}),
	}
	m.produceLatency = m.latency.WithLabelValues(apiProduce)
	reg.MustRegister(m.recordsIn, m.bytesIn, m.recordsOut, m.bytesOut, m.latency, m.errors, m.fsync,
		newReplicaCollector(m, constLabels),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// attach points the per-partition gauges at the data plane.
func (m *metrics) attach(d *dataPlane) {
	if m != nil {
		m.dp.Store(d)
	}
}

// observeSync records one fsync's duration.
func (m *metrics) observeSync(d time.Duration) {
	if m != nil {
		m.fsync.Observe(d.Seconds())
	}
}

// produced records an answered produce: its latency, and its records and
// bytes when it succeeded, or its error code.
func (m *metrics) produced(topic string, partition int32, records, bytes int, code wire.ErrorCode, took time.Duration) {
	m.producedTo(nil, topic, partition, records, bytes, code, took)
}

// inCounters are one partition's records-in and bytes-in counters, looked
// up once per replica (partition.counters) instead of by label values on
// every produce: with a request spread over 1,000 partitions the lookups
// were a tenth of the SPU's produce CPU.
type inCounters struct {
	records, bytes prometheus.Counter
}

// producedTo is produced with the partition's counters (nil: looked up by
// label values).
func (m *metrics) producedTo(c *inCounters, topic string, partition int32, records, bytes int, code wire.ErrorCode, took time.Duration) {
	if m == nil {
		return
	}
	m.produceLatency.Observe(took.Seconds())
	if code != wire.None {
		m.requestError(apiProduce, code)
		return
	}
	if c == nil {
		c = m.inCounters(topic, partition)
	}
	c.records.Add(float64(records))
	c.bytes.Add(float64(bytes))
}

// inCounters looks up a partition's produce counters (nil metrics: nil).
func (m *metrics) inCounters(topic string, partition int32) *inCounters {
	if m == nil {
		return nil
	}
	p := strconv.Itoa(int(partition))
	return &inCounters{records: m.recordsIn.WithLabelValues(topic, p), bytes: m.bytesIn.WithLabelValues(topic, p)}
}

// fetched records an answered fetch: its latency, per partition the
// records and bytes sent or the error code, or the whole request's error.
func (m *metrics) fetched(req *wire.FetchRequest, resp wire.Response, err error, took time.Duration) {
	if m == nil {
		return
	}
	api, reader := apiFetch, readerConsumer
	if req.ReplicaID >= 0 {
		api, reader = apiFollowerFetch, readerFollower
	}
	m.latency.WithLabelValues(api).Observe(took.Seconds())
	if err != nil {
		m.requestError(api, wire.CodeOf(err))
		return
	}
	fr, ok := resp.(*wire.FetchResponse)
	if !ok {
		return
	}
	for i := range fr.Partitions {
		p := &fr.Partitions[i]
		if p.ErrorCode != wire.None {
			m.requestError(api, p.ErrorCode)
			continue
		}
		b, ok := p.Source.(interface{ Bytes() ([]byte, error) })
		if !ok || b == nil {
			continue
		}
		data, err := b.Bytes()
		if err != nil || len(data) == 0 {
			continue
		}
		records, _ := countRecords(data)
		part := strconv.Itoa(int(p.Partition))
		m.recordsOut.WithLabelValues(p.Topic, part, reader).Add(float64(records))
		m.bytesOut.WithLabelValues(p.Topic, part, reader).Add(float64(len(data)))
	}
}

// requestError counts one error answer.
func (m *metrics) requestError(api string, code wire.ErrorCode) {
	if m == nil || code == wire.None {
		return
	}
	m.errors.WithLabelValues(api, strconv.Itoa(int(code)), code.String()).Inc()
}

// countRecords walks the batch headers of concatenated batches and returns
// the records they hold and the bytes walked. It stops at the first
// incomplete or malformed header (the data plane has validated the
// batches; this is only a count).
func countRecords(b []byte) (records, bytes int) {
	for len(b) >= batch.HeaderSize {
		n, err := batch.Size(b)
		if err != nil || n > len(b) {
			break
		}
		records += int(max(batch.RecordCount(b), 0))
		bytes += n
		b = b[n:]
	}
	return records, bytes
}

// replicaCollector reports each replica's state at scrape time.
type replicaCollector struct {
	m                         *metrics
	size, leo, hw, isr, roles *prometheus.Desc
}

func newReplicaCollector(m *metrics, constLabels prometheus.Labels) *replicaCollector {
	l := []string{"topic", "partition", "role"}
	return &replicaCollector{
		m:    m,
		size: prometheus.NewDesc("fluvio_spu_log_size_bytes", "Size of the replica's log on disk.", l, constLabels),
		leo:  prometheus.NewDesc("fluvio_spu_log_end_offset", "The replica's log end offset (the next offset to write).", l, constLabels),
		hw:   prometheus.NewDesc("fluvio_spu_high_watermark", "The replica's high watermark (offsets below it are committed).", l, constLabels),
		isr: prometheus.NewDesc("fluvio_spu_isr_size",
			"In-sync replicas of the partition as this replica knows them (the leader's view is the authoritative one).", l, constLabels),
		roles: prometheus.NewDesc("fluvio_spu_replicas", "Replicas this SPU holds, by role.", []string{"role"}, constLabels),
	}
}

// Describe implements prometheus.Collector.
func (c *replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.size, c.leo, c.hw, c.isr, c.roles} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *replicaCollector) Collect(ch chan<- prometheus.Metric) {
	d := c.m.dp.Load()
	if d == nil {
		return
	}
	roles := map[string]int{}
	for _, pt := range d.snapshot() {
		st := pt.r.Status()
		role := st.Role.String()
		roles[role]++
		l := []string{pt.id.Topic, strconv.Itoa(int(pt.id.Partition)), role}
		ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(st.Size), l...)
		ch <- prometheus.MustNewConstMetric(c.leo, prometheus.GaugeValue, float64(st.LEO), l...)
		ch <- prometheus.MustNewConstMetric(c.hw, prometheus.GaugeValue, float64(st.HW), l...)
		ch <- prometheus.MustNewConstMetric(c.isr, prometheus.GaugeValue, float64(len(st.ISR)), l...)
	}
	for role, n := range roles {
		ch <- prometheus.MustNewConstMetric(c.roles, prometheus.GaugeValue, float64(n), role)
	}
}
