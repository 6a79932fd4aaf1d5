package spu

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/spu/fetcher"
	"github.com/fluvio-go/fluvio/wire"
)

// testSPU is a data plane serving on 127.0.0.1:0, stopped at cleanup.
type testSPU struct {
	id       bus.SPUID
	dp       *dataPlane
	dir      string
	public   string
	private  string
	stop     func()
	setEpoch int64
}

func startSPU(t *testing.T, id bus.SPUID, lagMax time.Duration) *testSPU {
	t.Helper()
	return startSPUIn(t, id, t.TempDir(), lagMax)
}

func startSPUIn(t *testing.T, id bus.SPUID, dir string, lagMax time.Duration) *testSPU {
	t.Helper()
	dp, err := newDataPlane(Config{ID: id, LogBaseDir: dir, Logger: testLogger()}, id)
	testkit.NoErr(t, err)
	dp.lagMax = lagMax
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	priv, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dp.Serve(ctx, pub, priv) }()
	s := &testSPU{id: id, dp: dp, dir: dir, public: pub.Addr().String(), private: priv.Addr().String()}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := dp.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	t.Cleanup(s.stop)
	return s
}

// fetchSequentially makes the SPU's followers fetch one request at a time
// (as they do from a leader that does not take FollowerProgress reports)
// instead of pipelining. Call it before the first apply.
func (s *testSPU) fetchSequentially() {
	s.dp.fetchers.Close()
	s.dp.fetchers = fetcher.New(fetcher.Config{Self: int32(s.id), MaxWait: followerFetchWait, Logger: s.dp.log,
		Dial: s.dp.auth.dial, Sequential: true})
}

// fetchModes runs f as subtests with pipelining followers and with
// followers fetching one request at a time.
func fetchModes(t *testing.T, f func(t *testing.T, start func(id bus.SPUID) *testSPU)) {
	for _, sequential := range []bool{false, true} {
		t.Run(map[bool]string{false: "pipelined", true: "sequential"}[sequential], func(t *testing.T) {
			f(t, func(id bus.SPUID) *testSPU {
				s := startSPU(t, id, 0)
				if sequential {
					s.fetchSequentially()
				}
				return s
			})
		})
	}
}

// apply sends one replica set (the next epoch) to the SPU.
func (s *testSPU) apply(t *testing.T, full bool, peers []bus.PeerEndpoint, specs ...bus.ReplicaSpec) {
	t.Helper()
	s.setEpoch++
	testkit.NoErr(t, s.dp.Apply(bus.ReplicaSet{Type: bus.ReplicaSetType, SPU: s.id, Epoch: s.setEpoch, Full: full,
		Replicas: specs, Peers: peers}))
}

func spec(topic string, p int32, leader bus.SPUID, epoch int32, replicas ...bus.SPUID) bus.ReplicaSpec {
	if len(replicas) == 0 {
		replicas = []bus.SPUID{leader}
	}
	return bus.ReplicaSpec{PartitionID: bus.PartitionID{Topic: topic, Partition: p}, Leader: leader,
		Replicas: replicas, ISR: replicas, LeaderEpoch: epoch,
		Config: bus.TopicSpec{Partitions: 1, ReplicationFactor: int32(len(replicas))}}
}

func dial(t *testing.T, addr string) *wire.Conn {
	t.Helper()
	c, err := wire.Dial(context.Background(), addr)
	testkit.NoErr(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// records builds one batch of the given values.
func records(values ...string) []byte { return recordsAt(time.Now().UnixMilli(), values...) }

// recordsAt builds one batch of the given values at time ts (ms).
func recordsAt(ts int64, values ...string) []byte {
	var b batch.Builder
	b.Reset(ts)
	for _, v := range values {
		b.Add(nil, []byte(v), nil, ts)
	}
	return append([]byte(nil), b.Bytes()...)
}

// values decodes every record value from raw batches, skipping offsets
// below from.
func values(t testing.TB, raw []byte, from int64) []string {
	t.Helper()
	var out []string
	for len(raw) > 0 {
		b, n, err := batch.Decode(raw)
		testkit.NoErr(t, err)
		for _, r := range b.Records {
			if b.BaseOffset+int64(r.OffsetDelta) >= from {
				out = append(out, string(r.Value))
			}
		}
		raw = raw[n:]
	}
	return out
}

// consume fetches everything committed from offset on, without waiting.
func consume(t testing.TB, c *wire.Conn, topic string, p int32, from int64) ([]string, *wire.FetchPartitionResponse) {
	t.Helper()
	resp, err := c.Fetch(context.Background(), &wire.FetchRequest{ReplicaID: -1, MaxBytes: 1 << 20,
		Partitions: []wire.FetchPartition{{Topic: topic, Partition: p, Offset: from, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}})
	testkit.NoErr(t, err)
	pr := &resp.Partitions[0]
	return values(t, pr.Records, from), pr
}

func produce(ctx context.Context, c *wire.Conn, topic string, p int32, acks wire.Acks, vals ...string) (int64, error) {
	r, err := c.Produce(ctx, &wire.ProduceRequest{Acks: acks, TimeoutMs: 10000, Topic: topic, Partition: p, Records: records(vals...)})
	if err != nil {
		return -1, err
	}
	return r.BaseOffset, nil
}

func eq(a, b []string) error {
	if fmt.Sprint(a) != fmt.Sprint(b) {
		return fmt.Errorf("got %q, want %q", a, b)
	}
	return nil
}

// testLogger logs to stderr when FLUVIO_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("FLUVIO_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
