package spu

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
	"github.com/fluvio-go/fluvio/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// startMeteredSPU is startSPU with metrics on; it returns the metrics.
func startMeteredSPU(t *testing.T, id bus.SPUID) (*testSPU, *metrics) {
	t.Helper()
	m := newMetrics(id)
	dir := t.TempDir()
	dp, err := newDataPlane(Config{ID: id, LogBaseDir: dir, Logger: testLogger(), metrics: m}, id)
	testkit.NoErr(t, err)
	m.attach(dp)
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	priv, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dp.Serve(ctx, pub, priv) }()
	s := &testSPU{id: id, dp: dp, dir: dir, public: pub.Addr().String(), private: priv.Addr().String()}
	s.stop = func() {
		cancel()
		testkit.NoErr(t, <-done)
		testkit.NoErr(t, dp.Close())
	}
	t.Cleanup(s.stop)
	return s, m
}

// TestMetricsProduceFetch: after produces and fetches the in/out counters
// moved by exactly the records and bytes sent, errors are counted by code,
// fsyncs were timed and the partition gauges match the replica.
func TestMetricsProduceFetch(t *testing.T) {
	s, m := startMeteredSPU(t, 1)
	s.apply(t, true, nil, spec("metered", 0, 1, 0))
	c := dial(t, s.public)
	ctx := context.Background()

	batch1, batch2 := records("a", "b", "c"), records("d", "e")
	for _, b := range [][]byte{batch1, batch2} {
		resp, err := c.Produce(ctx, &wire.ProduceRequest{Topic: "metered", Partition: 0, Acks: wire.AcksLeader, TimeoutMs: 5000, Records: b})
		testkit.NoErr(t, err)
		testkit.Equal(t, resp.ErrorCode, wire.None)
	}
	testkit.Equal(t, value(t, m.recordsIn.WithLabelValues("metered", "0")), 5)
	testkit.Equal(t, value(t, m.bytesIn.WithLabelValues("metered", "0")), float64(len(batch1)+len(batch2)))

	got, pr := consume(t, c, "metered", 0, 0)
	testkit.NoErr(t, eq(got, []string{"a", "b", "c", "d", "e"}))
	testkit.Equal(t, value(t, m.recordsOut.WithLabelValues("metered", "0", readerConsumer)), 5)
	testkit.Equal(t, value(t, m.bytesOut.WithLabelValues("metered", "0", readerConsumer)), float64(len(pr.Records)))
	// From offset 3 the second batch only comes back.
	_, pr2 := consume(t, c, "metered", 0, 3)
	testkit.Equal(t, value(t, m.recordsOut.WithLabelValues("metered", "0", readerConsumer)), 7)
	testkit.Equal(t, value(t, m.bytesOut.WithLabelValues("metered", "0", readerConsumer)), float64(len(pr.Records)+len(pr2.Records)))

	// Errors: a produce to a partition this SPU does not hold, a fetch of
	// one; neither moves the data counters.
	_, err := c.Produce(ctx, &wire.ProduceRequest{Topic: "nope", Partition: 0, Acks: wire.AcksLeader, Records: records("x")})
	testkit.Equal(t, wire.CodeOf(err), wire.UnknownTopicOrPartition)
	fr, err := c.Fetch(ctx, &wire.FetchRequest{ReplicaID: -1, Partitions: []wire.FetchPartition{{Topic: "nope", CurrentLeaderEpoch: -1}}})
	if err == nil {
		testkit.Equal(t, fr.Partitions[0].ErrorCode, wire.UnknownTopicOrPartition)
	} else {
		testkit.Equal(t, wire.CodeOf(err), wire.UnknownTopicOrPartition)
	}
	code := "3"
	testkit.Equal(t, int(wire.UnknownTopicOrPartition), 3)
	name := wire.UnknownTopicOrPartition.String()
	testkit.Equal(t, value(t, m.errors.WithLabelValues(apiProduce, code, name)), 1)
	testkit.Equal(t, value(t, m.errors.WithLabelValues(apiFetch, code, name)), 1)
	testkit.Equal(t, value(t, m.recordsIn.WithLabelValues("metered", "0")), 5)

	// Latency: 3 produces, 3 fetches observed.
	body := scrape(t, m)
	for _, want := range []string{
		`fluvio_spu_request_duration_seconds_count{api="produce",spu="1"} 3`,
		`fluvio_spu_request_duration_seconds_count{api="fetch",spu="1"} 3`,
		`fluvio_spu_log_end_offset{partition="0",role="leader",spu="1",topic="metered"} 5`,
		`fluvio_spu_high_watermark{partition="0",role="leader",spu="1",topic="metered"} 5`,
		`fluvio_spu_isr_size{partition="0",role="leader",spu="1",topic="metered"} 1`,
		`fluvio_spu_replicas{role="leader",spu="1"} 1`,
		`fluvio_spu_log_size_bytes{partition="0",role="leader",spu="1",topic="metered"} `,
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// The default sync policy fsyncs every produce: at least two timed.
	if n := fsyncCount(t, body); n < 2 {
		t.Errorf("fsync count %d, want >= 2 (one per produce under sync always)", n)
	}
	if t.Failed() {
		t.Log(body)
	}
}

func scrape(t *testing.T, m *metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	testkit.Equal(t, rec.Code, 200)
	return rec.Body.String()
}

func fsyncCount(t *testing.T, body string) int {
	t.Helper()
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(line, `fluvio_spu_fsync_duration_seconds_count{spu="1"} `); ok {
			var n int
			for _, c := range strings.TrimSpace(v) {
				n = n*10 + int(c-'0')
			}
			return n
		}
	}
	return 0
}

// TestMetricsNilRecordsNothing: without metrics nothing panics and the FS
// is not wrapped.
func TestMetricsNil(t *testing.T) {
	var m *metrics
	m.produced("t", 0, 1, 1, wire.None, 0)
	m.fetched(&wire.FetchRequest{}, nil, nil, 0)
	m.observeSync(0)
	m.requestError(apiFetch, wire.NotLeader)
	m.attach(nil)
	if m.timeSyncs(nil) != nil {
		t.Fatal("nil metrics wrapped the FS")
	}
}

func TestCountRecords(t *testing.T) {
	a, b := records("1", "2", "3"), records("4")
	for _, tc := range []struct {
		name     string
		in       []byte
		recs, by int
	}{
		{"empty", nil, 0, 0},
		{"one", a, 3, len(a)},
		{"two", append(append([]byte{}, a...), b...), 4, len(a) + len(b)},
		{"torn second", append(append([]byte{}, a...), b[:len(b)-1]...), 3, len(a)},
		{"garbage", []byte("not a batch at all, but long enough to look like a header of sixty-one bytes"), 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, n := countRecords(tc.in)
			testkit.Equal(t, r, tc.recs)
			testkit.Equal(t, n, tc.by)
		})
	}
}

// value reads a counter's value.
func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var d dto.Metric
	testkit.NoErr(t, c.Write(&d))
	return d.GetCounter().GetValue()
}

// TestMetricsReplication: a follower's fetches count as reader="follower"
// on the leader, by exactly the bytes the follower stored; both report an
// ISR of 2 once the follower caught up.
func TestMetricsReplication(t *testing.T) {
	s1, m1 := startMeteredSPU(t, 1)
	s2, m2 := startMeteredSPU(t, 2)
	peers := peersOf(s1, s2)
	sp := spec("rm", 0, 1, 0, 1, 2)
	s1.apply(t, true, peers, sp)
	s2.apply(t, true, peers, sp)
	c := dial(t, s1.public)
	for range 4 {
		_, err := produce(context.Background(), c, "rm", 0, wire.AcksAll, "a", "b", "c")
		testkit.NoErr(t, err)
	}
	sameLogs(t, "rm", s1, s2)
	stored := len(logBytes(t, s2, "rm"))
	testkit.WaitFor(t, 5*time.Second, func() error {
		// Batches fetched from a sparse-index position may repeat; the
		// follower stored each once, so out >= stored, and the records
		// out at least the 12 produced.
		if got := value(t, m1.bytesOut.WithLabelValues("rm", "0", readerFollower)); got < float64(stored) {
			return fmt.Errorf("follower bytes out %v, follower stored %d", got, stored)
		}
		if got := value(t, m1.recordsOut.WithLabelValues("rm", "0", readerFollower)); got < 12 {
			return fmt.Errorf("follower records out %v, want >= 12", got)
		}
		for m, want := range map[*metrics]string{
			m1: `fluvio_spu_isr_size{partition="0",role="leader",spu="1",topic="rm"} 2`,
			m2: `fluvio_spu_log_end_offset{partition="0",role="follower",spu="2",topic="rm"} 12`,
		} {
			if body := scrape(t, m); !strings.Contains(body, want) {
				return fmt.Errorf("metrics lack %q:\n%s", want, body)
			}
		}
		return nil
	})
	testkit.Equal(t, value(t, m1.recordsIn.WithLabelValues("rm", "0")), 12)
	testkit.Equal(t, value(t, m2.recordsIn.WithLabelValues("rm", "0")), 0) // followers take no produces
	testkit.Equal(t, value(t, m1.recordsOut.WithLabelValues("rm", "0", readerConsumer)), 0)
}

// TestTimedFSPassesWriteback: the WAL's early writeback reaches the file
// under the SPU's timed filesystem (a wrapper that hid it would turn it
// off) and is not counted as an fsync.
func TestTimedFSPassesWriteback(t *testing.T) {
	inj := vfstest.NewInjector()
	m := newMetrics(1)
	fs := m.timeSyncs(vfstest.WithErrors(vfs.Default, inj))
	f, err := fs.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 8192)); err != nil {
		t.Fatal(err)
	}
	if err := vfs.StartWriteback(f, 0, 8192); err != nil {
		t.Fatalf("StartWriteback through the timed FS: %v", err)
	}
	if n := inj.Count(vfstest.OpWriteback); n != 1 {
		t.Errorf("%d writebacks reached the file system, want 1", n)
	}
}

// TestWALOptionsWriteback: early writeback and the background fsync of
// sealed segments are on for the interval and never policies and off for
// always (every append is fsynced anyway).
func TestWALOptionsWriteback(t *testing.T) {
	for sync, on := range map[string]bool{"always": false, "": false, "interval": true, "never": true} {
		o, _, err := walOptions(bus.TopicSpec{Sync: sync})
		if err != nil {
			t.Fatal(err)
		}
		if got := o.WritebackBytes >= 0; got != on {
			t.Errorf("sync %q: WritebackBytes %d, want on=%v", sync, o.WritebackBytes, on)
		}
		// Rolls are fsynced at once exactly where every append is:
		// elsewhere the sealed segment's fsync is left to the background.
		if o.SyncAtRoll == on {
			t.Errorf("sync %q: SyncAtRoll %v, want %v", sync, o.SyncAtRoll, !on)
		}
	}
}
