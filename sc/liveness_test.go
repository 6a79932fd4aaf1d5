package sc_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats.go"
)

func online(e *env, id bus.SPUID) error {
	if s := e.spus()[id]; s.Status.Resolution != bus.SPUOnline {
		return fmt.Errorf("SPU %d is %q, want online", id, s.Status.Resolution)
	}
	return nil
}

func offline(e *env, id bus.SPUID) error {
	if s := e.spus()[id]; s.Status.Resolution != bus.SPUOffline {
		return fmt.Errorf("SPU %d is %q, want offline", id, s.Status.Resolution)
	}
	return nil
}

// TestLiveness: over NATS, offline until hello, online with it, offline
// once heartbeats stop, online again when they resume (as after
// SIGSTOP/SIGCONT). The timing itself (online while beating, offline
// exactly one timeout after the last beat, never sooner) is checked on a
// fake clock by TestLivenessTiming.
func TestLiveness(t *testing.T) {
	e := newEnv(t, func(c *sc.Config) { c.HeartbeatTimeout = 400 * time.Millisecond })
	e.register(200, "")
	testkit.NoErr(t, offline(e, 200))
	f := newFakeSPU(t, e, 200)
	hello, err := f.hello()
	testkit.NoErr(t, err)
	testkit.Equal(t, hello.HeartbeatIntervalMs, int64(100))
	testkit.Equal(t, hello.Spec.PublicEndpoint, "127.0.0.1:9005")
	testkit.Equal(t, hello.Replicas.Full, true)
	testkit.NoErr(t, online(e, 200))
	testkit.NoErr(t, f.beat())
	testkit.NoErr(t, online(e, 200))
	testkit.WaitFor(t, 3*time.Second, func() error { return offline(e, 200) })
	testkit.NoErr(t, f.beat())
	testkit.NoErr(t, online(e, 200))
}

// TestHeartbeatWrongID: a heartbeat carrying another SPU's id is refused
// and changes nothing.
func TestHeartbeatWrongID(t *testing.T) {
	e := newEnv(t, nil)
	e.register(200, "")
	e.register(201, "")
	_, err := req[bus.HeartbeatResponse](t, e.nc, bus.SubjectSPUHeartbeat(200), bus.Heartbeat{ID: 201, Incarnation: "x"})
	requireErr(t, err, bus.ErrSPUIDMismatch, "SPU 201", "SPU 200")
	_, err = req[bus.SPUHelloResponse](t, e.nc, bus.SubjectSPURegister(200), bus.SPUHello{ID: 201, Incarnation: "x"})
	requireErr(t, err, bus.ErrSPUIDMismatch)
	testkit.NoErr(t, offline(e, 200))
	testkit.NoErr(t, offline(e, 201))
}

// TestHelloUnregistered: an spu-server with an unknown id gets the command
// to register it, and the SC sends it nothing.
func TestHelloUnregistered(t *testing.T) {
	e := newEnv(t, nil)
	got := make(chan *nats.Msg, 4)
	sub, err := e.nc.ChanSubscribe("fluvio.spu.300.>", got)
	testkit.NoErr(t, err)
	defer sub.Unsubscribe()
	_, err = req[bus.SPUHelloResponse](t, e.nc, bus.SubjectSPURegister(300), bus.SPUHello{ID: 300, Incarnation: "x"})
	requireErr(t, err, bus.ErrSPUNotRegistered, "SPU 300 is not registered",
		"fluvio custom-spu register --id 300 --public-server HOST:PORT --private-server HOST:PORT")
	_, err = req[bus.HeartbeatResponse](t, e.nc, bus.SubjectSPUHeartbeat(300), bus.Heartbeat{ID: 300})
	requireErr(t, err, bus.ErrSPUNotRegistered)
	testkit.NoErr(t, e.nc.Flush())
	for len(got) > 0 {
		m := <-got
		if m.Subject != bus.SubjectSPURegister(300) && m.Subject != bus.SubjectSPUHeartbeat(300) {
			t.Fatalf("SC sent %s to an unregistered SPU", m.Subject)
		}
	}
	testkit.Equal(t, len(e.spus()), 0)
}

// TestDuplicateSPU: a second spu-server with a connected id is refused
// until the first stops beating (a crash), then accepted.
func TestDuplicateSPU(t *testing.T) {
	e := newEnv(t, nil)
	e.register(200, "")
	first := newFakeSPU(t, e, 200)
	_, err := first.hello()
	testkit.NoErr(t, err)
	stop := first.beatEvery(100 * time.Millisecond)
	second := newFakeSPU(t, e, 200)
	second.incarnation = "inc-2"
	_, err = second.hello()
	requireErr(t, err, bus.ErrSPUConflict, "another spu-server with id 200 is connected", "inc-1")
	requireErr(t, second.beat(), bus.ErrSPUConflict)
	stop() // the first "crashes"
	testkit.WaitFor(t, 3*time.Second, func() error {
		_, err := second.hello()
		return err
	})
	requireErr(t, first.beat(), bus.ErrSPUConflict)
}

// TestStoppingHeartbeat: a clean shutdown marks the SPU offline at once.
func TestStoppingHeartbeat(t *testing.T) {
	e := newEnv(t, func(c *sc.Config) { c.HeartbeatTimeout = time.Minute })
	e.register(200, "")
	f := newFakeSPU(t, e, 200)
	_, err := f.hello()
	testkit.NoErr(t, err)
	testkit.NoErr(t, online(e, 200))
	_, err = req[bus.HeartbeatResponse](t, f.nc, bus.SubjectSPUHeartbeat(200),
		bus.Heartbeat{ID: 200, Incarnation: "someone-else", Stopping: true})
	requireErr(t, err, bus.ErrSPUConflict) // only the connected incarnation may say goodbye
	testkit.NoErr(t, online(e, 200))
	_, err = req[bus.HeartbeatResponse](t, f.nc, bus.SubjectSPUHeartbeat(200),
		bus.Heartbeat{ID: 200, Incarnation: f.incarnation, Stopping: true})
	testkit.NoErr(t, err)
	testkit.NoErr(t, offline(e, 200))
	// A new spu-server with the id is accepted right away.
	second := newFakeSPU(t, e, 200)
	second.incarnation = "inc-2"
	_, err = second.hello()
	testkit.NoErr(t, err)
}

// TestHeartbeatCarriesVersion: an SC that never saw the SPU's hello (it
// took over after a failover) learns the SPU's version from its beats.
func TestHeartbeatCarriesVersion(t *testing.T) {
	e := newEnv(t, nil)
	e.register(200, "")
	f := newFakeSPU(t, e, 200)
	f.version = "v-after-failover"
	testkit.NoErr(t, f.beat()) // no hello first
	testkit.Equal(t, e.spus()[200].Status.Version, "v-after-failover")
}
