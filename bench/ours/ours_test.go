package ours

import (
	"context"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bench"
	"github.com/fluvio-go/fluvio/bench/internal/benchtest"
	"github.com/fluvio-go/fluvio/bench/internal/proc"
)

func TestMain(m *testing.M) { benchtest.Main(m) }

// TestSmoke starts a real sc-server and spu-server and runs a tiny
// produce, consume and latency run with the Driver: figures must be
// positive and counts exact; nothing about speed.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes: skipped with -short")
	}
	bin, err := benchtest.Binaries(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sys := &System{BinDir: bin}
	if err := sys.Available(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	in, err := sys.Start(ctx, t.TempDir(), bench.ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	pids := in.DataPIDs()
	t.Cleanup(func() {
		if err := in.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
		for _, pid := range pids {
			if proc.Alive(pid) {
				t.Errorf("pid %d alive after Stop", pid)
			}
		}
	})
	l := bench.Layout{Topic: "smoke", Partitions: 2}
	if err := in.Create(ctx, l); err != nil {
		t.Fatal(err)
	}
	if n, err := proc.RSS(pids[0]); err != nil || n <= 0 {
		t.Errorf("SPU RSS = %d, %v", n, err)
	}
	spec := bench.Spec{Addr: in.Addr(), Layout: l, RecordSize: 100, Records: 300, Duration: 20 * time.Second,
		MaxInFlight: 50, MaxInFlightBytes: 1 << 10, Acks: bench.AcksLeader}
	var d Driver
	p, err := d.Produce(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if p.Records != 300 || p.Bytes != 30000 || !(p.Values["rec_s"] > 0) || !(p.Values["mb_s"] > 0) {
		t.Errorf("produce figures %+v", p)
	}
	c, err := d.Consume(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if c.Records != 300 || c.Bytes != 30000 || !(c.Values["rec_s"] > 0) {
		t.Errorf("consume figures %+v", c)
	}
	spec.Records = 20
	spec.Duration = 5 * time.Second
	lat, err := d.Latency(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{bench.AckP50us, bench.AckP99us, bench.E2EP50us, bench.E2EP99us} {
		if !(lat.Values[name] > 0) {
			t.Errorf("%s = %v, want > 0", name, lat.Values[name])
		}
	}
}
