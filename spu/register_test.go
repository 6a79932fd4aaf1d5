package spu_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/bus/bustest"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/spu"
	"github.com/nats-io/nats.go"
)

// fakeSC answers an SPU's hello and heartbeats over a test NATS, as the
// SC would, and records what it got.
type fakeSC struct {
	t  testing.TB
	ns *bustest.Server
	nc *nats.Conn

	mu         sync.Mutex
	registered bool
	spec       bus.SPUSpec
	epoch      int64
	hellos     []bus.SPUHello
	beats      []bus.Heartbeat
	subs       []*nats.Subscription
}

func newFakeSC(t testing.TB, spec bus.SPUSpec) *fakeSC {
	t.Helper()
	ns := bustest.Start(t)
	f := &fakeSC{t: t, ns: ns, nc: ns.Connect(t), registered: true, spec: spec, epoch: 10 << 32}
	return f
}

// serve subscribes the hello and heartbeat handlers.
func (f *fakeSC) serve() {
	f.t.Helper()
	ctx := context.Background()
	hello, err := f.nc.Subscribe(bus.SubjectSPURegisterAll, bus.Msg(ctx, func(_ context.Context, _ string, h bus.SPUHello) (bus.SPUHelloResponse, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.hellos = append(f.hellos, h)
		if !f.registered {
			return bus.SPUHelloResponse{}, bus.ErrSPUNotRegistered.Withf("SPU %d is not registered", h.ID)
		}
		f.epoch++
		return bus.SPUHelloResponse{Spec: f.spec, Name: "custom-spu-x", HeartbeatIntervalMs: 50,
			Replicas: bus.ReplicaSet{SPU: h.ID, Epoch: f.epoch, Full: true, Replicas: []bus.ReplicaSpec{}}}, nil
	}))
	testkit.NoErr(f.t, err)
	beat, err := f.nc.Subscribe(bus.SubjectSPUHeartbeatAll, bus.Msg(ctx, func(_ context.Context, _ string, hb bus.Heartbeat) (bus.HeartbeatResponse, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.beats = append(f.beats, hb)
		if !f.registered {
			return bus.HeartbeatResponse{}, bus.ErrSPUNotRegistered.Withf("SPU %d is not registered", hb.ID)
		}
		return bus.HeartbeatResponse{HeartbeatIntervalMs: 50}, nil
	}))
	testkit.NoErr(f.t, err)
	f.subs = append(f.subs, hello, beat)
	testkit.NoErr(f.t, f.nc.Flush())
}

func (f *fakeSC) lastBeat() (bus.Heartbeat, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.beats) == 0 {
		return bus.Heartbeat{}, false
	}
	return f.beats[len(f.beats)-1], true
}

// beatCount returns how many heartbeats arrived.
func (f *fakeSC) beatCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.beats)
}

func (f *fakeSC) publish(subject string, v any) {
	f.t.Helper()
	data, err := bus.Marshal(v, false)
	testkit.NoErr(f.t, err)
	testkit.NoErr(f.t, f.nc.Publish(subject, data))
	testkit.NoErr(f.t, f.nc.Flush())
}

func loopbackSpec(id bus.SPUID) bus.SPUSpec {
	return bus.SPUSpec{ID: id, Type: bus.SPUTypeCustom, PublicEndpoint: "127.0.0.1:0", PrivateEndpoint: "127.0.0.1:0"}
}

func testConfig(t testing.TB, f *fakeSC, id int32, out *bytes.Buffer) spu.Config {
	return spu.Config{ID: id, SCAddr: f.ns.Addr(), LogBaseDir: t.TempDir(), Stdout: out, RegisterTimeout: 3 * time.Second}
}

func TestRegisterUnknownID(t *testing.T) {
	f := newFakeSC(t, loopbackSpec(200))
	f.registered = false
	f.serve()
	var out bytes.Buffer
	err := spu.Run(context.Background(), testConfig(t, f, 200, &out))
	if err == nil {
		t.Fatal("an unregistered SPU started")
	}
	for _, want := range []string{"SPU 200 is not registered", f.ns.Addr(),
		"fluvio custom-spu register --id 200 --public-server HOST:PORT --private-server HOST:PORT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if got := out.String(); got != "starting custom-spu services (id:200)\n" {
		t.Errorf("stdout %q", got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.hellos) != 1 || len(f.beats) != 0 {
		t.Errorf("hellos %d beats %d: want one hello, no retries or heartbeats", len(f.hellos), len(f.beats))
	}
}

func TestSCUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	addr := l.Addr().String()
	l.Close()
	var out bytes.Buffer
	err = spu.Run(context.Background(), spu.Config{ID: 1, SCAddr: addr, LogBaseDir: t.TempDir(), Stdout: &out})
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "fluvio cluster start") {
		t.Fatalf("got %v, want an error naming %s and 'fluvio cluster start'", err, addr)
	}
}

// TestRegisterWaitsForSC: NATS is up but the SC is not serving yet; the
// SPU retries its hello until it answers.
func TestRegisterWaitsForSC(t *testing.T) {
	f := newFakeSC(t, loopbackSpec(3))
	var out bytes.Buffer
	type result struct {
		s   *spu.Server
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := spu.Start(context.Background(), testConfig(t, f, 3, &out))
		done <- result{s, err}
	}()
	time.Sleep(300 * time.Millisecond) // the SPU is retrying against no responders
	f.serve()
	r := <-done
	testkit.NoErr(t, r.err)
	testkit.NoErr(t, r.s.Close())
}

// TestBindAddresses: the registered addresses are bound unless the flags
// override them; a failure names the address and the flag.
func TestBindAddresses(t *testing.T) {
	spec := bus.SPUSpec{ID: 4, PublicEndpoint: "192.0.2.1:9005", PrivateEndpoint: "192.0.2.1:9006"} // TEST-NET: not ours
	f := newFakeSC(t, spec)
	f.serve()
	var out bytes.Buffer
	cfg := testConfig(t, f, 4, &out)
	_, err := spu.Start(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "192.0.2.1:9005") || !strings.Contains(err.Error(), "--public-server") {
		t.Fatalf("got %v, want a bind error naming the address and --public-server", err)
	}
	cfg.PublicAddr, cfg.PrivateAddr = "127.0.0.1:0", "127.0.0.1:0"
	s, err := spu.Start(context.Background(), cfg)
	testkit.NoErr(t, err)
	defer s.Close()
	if !strings.HasPrefix(s.PublicAddr(), "127.0.0.1:") || s.Spec().PublicEndpoint != "192.0.2.1:9005" {
		t.Fatalf("bound %s, advertised %s", s.PublicAddr(), s.Spec().PublicEndpoint)
	}
	if _, err := net.DialTimeout("tcp", s.PublicAddr(), time.Second); err != nil {
		t.Fatalf("public server not accepting: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (spu.Config{ID: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "--id") {
		t.Fatalf("got %v", err)
	}
	if err := (spu.Config{ID: 1, PublicAddr: "nope"}).Validate(); err == nil || !strings.Contains(err.Error(), "--public-server") {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(spu.ErrUnregistered, spu.ErrUnregistered) {
		t.Fatal("sentinel")
	}
}
