package sc_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/bus/bustest"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats.go"
)

// requireErr checks err matches target and its text contains every part.
func requireErr(t testing.TB, err, target error, parts ...string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q lacks %q", err, p)
		}
	}
}

// env is one SC on a test NATS, with a client connection.
type env struct {
	t   testing.TB
	ns  *bustest.Server
	nc  *nats.Conn
	cfg sc.Config
	sc  *sc.Server
}

// fastConfig is a config with short liveness for tests.
func fastConfig(url string) sc.Config {
	return sc.Config{
		NATSURL:           url,
		HeartbeatInterval: 100 * time.Millisecond,
		HeartbeatTimeout:  600 * time.Millisecond,
	}
}

// newEnv starts NATS and an SC; tweak adjusts the config.
func newEnv(t testing.TB, tweak func(*sc.Config)) *env {
	t.Helper()
	ns := bustest.Start(t)
	cfg := fastConfig(ns.URL())
	if tweak != nil {
		tweak(&cfg)
	}
	e := &env{t: t, ns: ns, nc: ns.Connect(t), cfg: cfg}
	e.start()
	return e
}

func (e *env) start() {
	e.t.Helper()
	s, err := sc.Start(context.Background(), e.cfg)
	testkit.NoErr(e.t, err)
	e.sc = s
	e.t.Cleanup(func() { _ = s.Close() })
}

// restartNATS stops NATS for outage (already stopped: no-op) and starts
// it again on the same port and store. The SC is closed before the new
// NATS stops at cleanup (Cleanup runs last in, first out): an SC closed
// with NATS gone waits out its store timeout to hand back its lease.
func (e *env) restartNATS(outage time.Duration) {
	e.t.Helper()
	e.ns = e.ns.RestartAfter(outage)
	s := e.sc
	e.t.Cleanup(func() { _ = s.Close() })
}

// restart closes the SC and starts a new one on the same NATS.
func (e *env) restart() {
	e.t.Helper()
	testkit.NoErr(e.t, e.sc.Close())
	e.start()
}

func req[Resp any](t testing.TB, nc *nats.Conn, subject string, r any) (Resp, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return bus.Request[Resp](ctx, nc, subject, r)
}

func (e *env) register(id int64, name string) bus.SPU {
	e.t.Helper()
	resp, err := req[bus.SPURegisterResponse](e.t, e.nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: id, Name: name, PublicEndpoint: "127.0.0.1:9005", PrivateEndpoint: "127.0.0.1:9006",
	})
	testkit.NoErr(e.t, err)
	return resp.SPU
}

func (e *env) spus() map[bus.SPUID]bus.SPU {
	e.t.Helper()
	resp, err := req[bus.SPUListResponse](e.t, e.nc, bus.SubjectAdminSPUList, bus.SPUListRequest{})
	testkit.NoErr(e.t, err)
	out := map[bus.SPUID]bus.SPU{}
	for _, s := range resp.Items {
		out[s.Spec.ID] = s
	}
	return out
}

func (e *env) createTopic(name string, partitions, replicas int32) (bus.Topic, error) {
	e.t.Helper()
	resp, err := req[bus.TopicCreateResponse](e.t, e.nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{
		Name: name, Spec: bus.TopicSpec{Partitions: partitions, ReplicationFactor: replicas},
	})
	return resp.Topic, err
}

// fakeSPU plays an spu-server over the bus: hello, heartbeats, and a
// record of the replica sets and control messages it receives.
type fakeSPU struct {
	t           testing.TB
	nc          *nats.Conn
	id          bus.SPUID
	incarnation string
	version     string // sent on heartbeats

	mu       sync.Mutex
	sets     []bus.ReplicaSet
	controls []bus.Control
	status   []bus.ReplicaStatus
	applied  int64
}

func newFakeSPU(t testing.TB, e *env, id bus.SPUID) *fakeSPU {
	t.Helper()
	return newFakeSPUOn(t, e.ns.Connect(t, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond)), id)
}

// newFakeSPUOn is newFakeSPU on a connection of the caller's.
func newFakeSPUOn(t testing.TB, nc *nats.Conn, id bus.SPUID) *fakeSPU {
	t.Helper()
	f := &fakeSPU{t: t, id: id, incarnation: "inc-1", nc: nc, version: "v-test"}
	_, err := f.nc.Subscribe(bus.SubjectSPUReplicas(id), func(m *nats.Msg) {
		var set bus.ReplicaSet
		if err := bus.Unmarshal(m.Data, &set); err != nil {
			t.Errorf("fake SPU %d: bad replica set: %v", id, err)
			return
		}
		f.mu.Lock()
		f.sets = append(f.sets, set)
		f.mu.Unlock()
	})
	testkit.NoErr(t, err)
	_, err = f.nc.Subscribe(bus.SubjectSPUControl(id), func(m *nats.Msg) {
		var c bus.Control
		if err := bus.Unmarshal(m.Data, &c); err == nil {
			f.mu.Lock()
			f.controls = append(f.controls, c)
			f.mu.Unlock()
		}
	})
	testkit.NoErr(t, err)
	testkit.NoErr(t, f.nc.Flush())
	return f
}

func (f *fakeSPU) hello() (bus.SPUHelloResponse, error) {
	return req[bus.SPUHelloResponse](f.t, f.nc, bus.SubjectSPURegister(f.id), bus.SPUHello{ID: f.id, Incarnation: f.incarnation})
}

func (f *fakeSPU) beat() error {
	f.mu.Lock()
	hb := bus.Heartbeat{ID: f.id, Incarnation: f.incarnation, AppliedEpoch: f.applied, Replicas: f.status, Version: f.version}
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := bus.Request[bus.HeartbeatResponse](ctx, f.nc, bus.SubjectSPUHeartbeat(f.id), hb)
	return err
}

// beatEvery heartbeats until the returned stop func is called.
func (f *fakeSPU) beatEvery(d time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = f.beat()
			}
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	f.t.Cleanup(stop)
	return stop
}

func (f *fakeSPU) received() []bus.ReplicaSet {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bus.ReplicaSet(nil), f.sets...)
}

func (f *fakeSPU) lastSet() (bus.ReplicaSet, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sets) == 0 {
		return bus.ReplicaSet{}, false
	}
	return f.sets[len(f.sets)-1], true
}
