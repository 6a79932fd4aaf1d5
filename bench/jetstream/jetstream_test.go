package jetstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bench"
	"github.com/fluvio-go/fluvio/bench/internal/benchtest"
	"github.com/fluvio-go/fluvio/bench/internal/proc"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestMain(m *testing.M) { benchtest.Main(m) }

func TestConfig(t *testing.T) {
	c := Config("/tmp/x y", true)
	for _, want := range []string{`listen: "127.0.0.1:-1"`, `store_dir: "/tmp/x y"`, "sync_interval: always"} {
		if !strings.Contains(c, want) {
			t.Errorf("config lacks %q:\n%s", want, c)
		}
	}
	if strings.Contains(Config("/s", false), "sync_interval") {
		t.Error("default sync config sets sync_interval")
	}
}

func start(t *testing.T, cfg bench.ServerConfig) bench.Instance {
	t.Helper()
	bin, err := benchtest.Binaries(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sys := &System{ServerBin: bin + "/bench-nats-server"}
	if err := sys.Available(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	in, err := sys.Start(ctx, t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pid := in.DataPIDs()[0]
		if err := in.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
		if proc.Alive(pid) {
			t.Errorf("nats-server pid %d alive after Stop", pid)
		}
	})
	return in
}

// TestSmoke runs a tiny produce, consume and latency run against a real
// nats-server process: figures must be positive and counts exact.
func TestSmoke(t *testing.T) {
	for _, always := range []bool{false, true} {
		t.Run(fmt.Sprintf("sync_always=%v", always), func(t *testing.T) {
			in := start(t, bench.ServerConfig{SyncAlways: always})
			if !strings.HasPrefix(in.Addr(), "nats://127.0.0.1:") {
				t.Errorf("addr %q is not on 127.0.0.1", in.Addr())
			}
			l := bench.Layout{Topic: "smoke", Partitions: 2}
			if err := in.Create(t.Context(), l); err != nil {
				t.Fatal(err)
			}
			if n, err := proc.RSS(in.DataPIDs()[0]); err != nil || n <= 0 {
				t.Errorf("server RSS = %d, %v", n, err)
			}
			spec := bench.Spec{Addr: in.Addr(), Layout: l, RecordSize: 100, Records: 300, Duration: 10 * time.Second,
				MaxInFlight: 50, MaxInFlightBytes: 1 << 10, Acks: bench.AcksLeader}
			var d Driver
			p, err := d.Produce(t.Context(), spec)
			if err != nil {
				t.Fatal(err)
			}
			if p.Records != 300 || p.Bytes != 30000 || !(p.Values["rec_s"] > 0) || !(p.Values["mb_s"] > 0) {
				t.Errorf("produce figures %+v", p)
			}
			c, err := d.Consume(t.Context(), spec)
			if err != nil {
				t.Fatal(err)
			}
			if c.Records != 300 || c.Bytes != 30000 || !(c.Values["rec_s"] > 0) {
				t.Errorf("consume figures %+v", c)
			}
			spec.Records = 20
			lat, err := d.Latency(t.Context(), spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{bench.AckP50us, bench.AckP99us, bench.E2EP50us, bench.E2EP99us} {
				if !(lat.Values[name] > 0) {
					t.Errorf("%s = %v, want > 0", name, lat.Values[name])
				}
			}
		})
	}
}

// TestProduceBoundedByTime stops at the duration, not the count.
func TestProduceBoundedByTime(t *testing.T) {
	in := start(t, bench.ServerConfig{})
	l := bench.Layout{Topic: "timed", Partitions: 1}
	if err := in.Create(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	spec := bench.Spec{Addr: in.Addr(), Layout: l, RecordSize: 10, Records: 1 << 30, Duration: 200 * time.Millisecond,
		MaxInFlight: 100, MaxInFlightBytes: 1 << 20}
	start := time.Now()
	p, err := Driver{}.Produce(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if p.Records <= 0 || p.Records >= 1<<30 {
		t.Errorf("records = %d", p.Records)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v for a 200 ms run", took)
	}
}

// TestBatchModes publishes in both batch modes, with the default and the
// always sync, into two streams, and checks every record sent is stored
// exactly once: the stream's message count equals the records reported.
func TestBatchModes(t *testing.T) {
	for _, always := range []bool{false, true} {
		in := start(t, bench.ServerConfig{SyncAlways: always})
		for _, mode := range []string{bench.PublishFast, bench.PublishAtomic} {
			t.Run(fmt.Sprintf("%s/sync_always=%v", mode, always), func(t *testing.T) {
				l := bench.Layout{Topic: "batch" + mode, Partitions: 2}
				if err := in.Create(t.Context(), l); err != nil {
					t.Fatal(err)
				}
				// 1,001 records: not a whole number of batches.
				spec := bench.Spec{Addr: in.Addr(), Layout: l, RecordSize: 100, Records: 1001, Duration: 20 * time.Second,
					MaxInFlight: 200, MaxInFlightBytes: 1 << 20, PublishMode: mode, BatchBytes: 3000}
				p, err := Driver{}.Produce(t.Context(), spec)
				if err != nil {
					t.Fatal(err)
				}
				if p.Records < 1001 || p.Bytes != p.Records*100 || !(p.Values["rec_s"] > 0) {
					t.Errorf("produce figures %+v", p)
				}
				if got := storedMessages(t, in.Addr(), l); got != uint64(p.Records) {
					t.Errorf("streams hold %d messages, produce reported %d", got, p.Records)
				}
			})
		}
	}
}

func storedMessages(t *testing.T, url string, l bench.Layout) uint64 {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for i := range l.Partitions {
		st, err := js.Stream(t.Context(), StreamName(l.Topic, i))
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		n += info.State.Msgs
	}
	return n
}

// TestAtomicTooLarge: a record of the server's max_payload cannot carry the
// atomic batch headers; the mode says so (n/a) instead of failing the run.
func TestAtomicTooLarge(t *testing.T) {
	in := start(t, bench.ServerConfig{})
	l := bench.Layout{Topic: "big", Partitions: 1}
	if err := in.Create(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	spec := bench.Spec{Addr: in.Addr(), Layout: l, RecordSize: 1 << 20, Records: 2, Duration: 10 * time.Second,
		MaxInFlight: 10, MaxInFlightBytes: 4 << 20, PublishMode: bench.PublishAtomic, BatchBytes: 64 << 10}
	_, err := Driver{}.Produce(t.Context(), spec)
	if !errors.Is(err, bench.ErrNotAvailable) || !strings.Contains(err.Error(), "max_payload") {
		t.Errorf("atomic 1 MiB record: err = %v, want ErrNotAvailable naming max_payload", err)
	}
}
