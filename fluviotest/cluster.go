package fluviotest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/bus/bustest"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/fluvio-go/fluvio/spu"
	"github.com/nats-io/nats.go"
)

// Options configures Start. Zero values mean the defaults.
type Options struct {
	// SPUs is how many SPUs to start. Default 1; use NoSPUs for none.
	SPUs int
	// NoSPUs starts no SPU (SPUs is ignored).
	NoSPUs bool
	// FirstID is the id of the first SPU; the others follow. Default 5001.
	FirstID int32
	// Custom registers the SPUs as custom SPUs (as `fluvio custom-spu
	// register` does) instead of managed ones.
	Custom bool
	// Racks, when set, assigns SPU i the rack Racks[i % len(Racks)].
	Racks []string
	// HeartbeatInterval and HeartbeatTimeout tune liveness. Defaults
	// 100ms and 1s, so tests see an SPU go offline quickly.
	HeartbeatInterval time.Duration
	HeartbeatTimeout  time.Duration
	// Logger receives the SC's and SPUs' logs. Default: discarded, unless
	// the environment variable FLUVIOTEST_LOG is set (then stderr).
	Logger *slog.Logger
	// HTTP serves /metrics, /livez and /readyz from the SC and every SPU
	// on free loopback ports: Cluster.SCHTTPAddr, SPU(id).HTTPAddr().
	HTTP bool
	// OffsetSnapshotEvery is the SPUs' spu.Config.OffsetSnapshotEvery
	// (consumer-offset snapshots); 0 means its default.
	OffsetSnapshotEvery int
}

// Cluster is an in-process cluster: an embedded NATS with JetStream, the SC
// and SPUs, all on 127.0.0.1 with OS-assigned ports and t.TempDir()
// storage. Its methods are safe for concurrent use.
type Cluster struct {
	t    testing.TB
	opts Options
	ns   *bustest.Server
	nc   *nats.Conn
	log  *slog.Logger

	mu     sync.Mutex
	sc     *sc.Server
	scDir  string
	spus   map[int32]*spuProc
	closed bool
}

// spuProc is one SPU's in-process server and what survives its restarts.
type spuProc struct {
	id        int32
	dir       string
	public    string // registered public address (bound to on restart)
	private   string
	srv       *spu.Server
	publicLn  net.Listener
	privateLn net.Listener
}

// Start runs a cluster for t and registers Close with t.Cleanup. It fails
// the test if anything does not come up within a few seconds; when it
// returns, every SPU is online.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.SPUs == 0 && !opts.NoSPUs {
		opts.SPUs = 1
	}
	if opts.NoSPUs {
		opts.SPUs = 0
	}
	if opts.FirstID == 0 {
		opts.FirstID = 5001
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = 100 * time.Millisecond
	}
	if opts.HeartbeatTimeout == 0 {
		opts.HeartbeatTimeout = time.Second
	}
	if opts.Logger == nil {
		if os.Getenv("FLUVIOTEST_LOG") != "" {
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		} else {
			opts.Logger = slog.New(slog.DiscardHandler)
		}
	}
	c := &Cluster{t: t, opts: opts, log: opts.Logger, spus: map[int32]*spuProc{}, scDir: t.TempDir()}
	c.ns = bustest.Start(t)
	t.Cleanup(c.Close)
	c.startSC()
	nc, err := nats.Connect(c.ns.URL(), nats.Name("fluviotest"), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("fluviotest: connect %s: %v", c.ns.URL(), err)
	}
	c.nc = nc
	for i := range opts.SPUs {
		id := opts.FirstID + int32(i)
		rack := ""
		if len(opts.Racks) > 0 {
			rack = opts.Racks[i%len(opts.Racks)]
		}
		c.AddSPU(id, rack)
	}
	return c
}

func (c *Cluster) startSC() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := sc.Start(ctx, sc.Config{
		NATSURL:           c.ns.URL(),
		HeartbeatInterval: c.opts.HeartbeatInterval,
		HeartbeatTimeout:  c.opts.HeartbeatTimeout,
		Logger:            c.log.With("component", "sc"),
		HTTPAddr:          c.httpAddr(),
	})
	if err != nil {
		c.t.Fatalf("fluviotest: start SC: %v", err)
	}
	c.mu.Lock()
	c.sc = s
	c.mu.Unlock()
}

// httpAddr is the HTTP address servers get: a free loopback port with
// Options.HTTP, else none.
func (c *Cluster) httpAddr() string {
	if c.opts.HTTP {
		return "127.0.0.1:0"
	}
	return ""
}

// SCHTTPAddr is the SC's HTTP address (/metrics, /livez, /readyz) with
// Options.HTTP, else "". It changes when RestartSC picks a new port.
func (c *Cluster) SCHTTPAddr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sc.HTTPAddr()
}

// SCAddr is the SC's address as HOST:PORT: what --sc, --sc-controller
// and fluvio.Connect take.
func (c *Cluster) SCAddr() string { return c.ns.Addr() }

// NATSURL is the SC's NATS URL, nats://HOST:PORT.
func (c *Cluster) NATSURL() string { return c.ns.URL() }

// Conn is a NATS connection to the cluster, for bus.Request in tests.
func (c *Cluster) Conn() *nats.Conn { return c.nc }

// SPUIDs lists the ids of the SPUs the cluster manages, running or not.
func (c *Cluster) SPUIDs() []int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]int32, 0, len(c.spus))
	for id := range c.spus {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// AddSPU registers SPU id (managed, or custom with Options.Custom) on two
// fresh loopback ports, starts it and waits until the SC sees it online.
func (c *Cluster) AddSPU(id int32, rack string) {
	c.t.Helper()
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatalf("fluviotest: listen: %v", err)
	}
	priv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pub.Close()
		c.t.Fatalf("fluviotest: listen: %v", err)
	}
	typ := bus.SPUTypeManaged
	if c.opts.Custom {
		typ = bus.SPUTypeCustom
	}
	_, err = bus.Request[bus.SPURegisterResponse](context.Background(), c.nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: int64(id), Rack: rack, SPUType: typ,
		PublicEndpoint: pub.Addr().String(), PrivateEndpoint: priv.Addr().String(),
	})
	if err != nil {
		pub.Close()
		priv.Close()
		c.t.Fatalf("fluviotest: register SPU %d: %v", id, err)
	}
	p := &spuProc{id: id, dir: c.t.TempDir(), public: pub.Addr().String(), private: priv.Addr().String(),
		publicLn: pub, privateLn: priv}
	c.mu.Lock()
	c.spus[id] = p
	c.mu.Unlock()
	c.startSPU(p)
	c.WaitSPUOnline(id, true)
}

// startSPU starts p's server on its listeners (binding its registered
// addresses again after a stop).
func (c *Cluster) startSPU(p *spuProc) {
	c.t.Helper()
	var err error
	if p.publicLn == nil {
		if p.publicLn, err = listenRetry(p.public); err != nil {
			c.t.Fatalf("fluviotest: SPU %d: %v", p.id, err)
		}
	}
	if p.privateLn == nil {
		if p.privateLn, err = listenRetry(p.private); err != nil {
			p.publicLn.Close()
			p.publicLn = nil
			c.t.Fatalf("fluviotest: SPU %d: %v", p.id, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	srv, err := spu.Start(ctx, spu.Config{
		ID:              p.id,
		SCAddr:          c.ns.URL(),
		LogBaseDir:      p.dir,
		Stdout:          io.Discard,
		PublicListener:  p.publicLn,
		PrivateListener: p.privateLn,
		Logger:          c.log.With("component", "spu", "id", p.id),
		HTTPAddr:        c.httpAddr(),

		OffsetSnapshotEvery: c.opts.OffsetSnapshotEvery,
	})
	p.publicLn, p.privateLn = nil, nil // the SPU owns them now
	if err != nil {
		c.t.Fatalf("fluviotest: start SPU %d: %v", p.id, err)
	}
	c.mu.Lock()
	p.srv = srv
	c.mu.Unlock()
}

// listenRetry binds addr again, retrying briefly while the old socket
// goes away.
func listenRetry(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var l net.Listener
		if l, err = net.Listen("tcp", addr); err == nil {
			return l, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("rebind %s: %w", addr, err)
}

// SPU returns the running server of SPU id, or nil.
func (c *Cluster) SPU(id int32) *spu.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.spus[id]; p != nil {
		return p.srv
	}
	return nil
}

// SPUPublicAddr is SPU id's public (client) address.
func (c *Cluster) SPUPublicAddr(id int32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.spus[id]; p != nil {
		return p.public
	}
	return ""
}

// StopSPU stops SPU id cleanly, without unregistering it (it tells the SC
// it is going, so the SC marks it offline and moves its leaderships at
// once), and waits until the SC reports it offline.
func (c *Cluster) StopSPU(id int32) {
	c.t.Helper()
	c.haltSPU(id, "stop", (*spu.Server).Close)
}

// KillSPU stops SPU id as a crash would look to the SC (no goodbye): the
// SC notices after the heartbeat timeout, then moves its leaderships.
// It waits until the SC reports it offline.
func (c *Cluster) KillSPU(id int32) {
	c.t.Helper()
	c.haltSPU(id, "kill", (*spu.Server).Kill)
}

// haltSPU takes SPU id's server out of the cluster, ends it with halt and
// waits until the SC reports the SPU offline.
func (c *Cluster) haltSPU(id int32, what string, halt func(*spu.Server) error) {
	c.t.Helper()
	c.mu.Lock()
	p := c.spus[id]
	var srv *spu.Server
	if p != nil {
		srv, p.srv = p.srv, nil
	}
	c.mu.Unlock()
	if p == nil {
		c.t.Fatalf("fluviotest: no SPU %d", id)
	}
	if srv != nil {
		if err := halt(srv); err != nil {
			c.t.Errorf("fluviotest: %s SPU %d: %v", what, id, err)
		}
	}
	c.WaitSPUOnline(id, false)
}

// StartSPU starts a stopped SPU id again on the same addresses and data
// directory, and waits until the SC marks it online.
func (c *Cluster) StartSPU(id int32) {
	c.t.Helper()
	c.mu.Lock()
	p := c.spus[id]
	running := p != nil && p.srv != nil
	c.mu.Unlock()
	if p == nil {
		c.t.Fatalf("fluviotest: no SPU %d", id)
	}
	if running {
		return
	}
	c.startSPU(p)
	c.WaitSPUOnline(id, true)
}

// SPUDataDir returns the data directory (--log-base-dir) of SPU id.
func (c *Cluster) SPUDataDir(id int32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.spus[id]; p != nil {
		return p.dir
	}
	return ""
}

// WipeSPUData empties the data directory of SPU id, which must be
// stopped: its next start is an SPU back with an empty (replaced) disk.
func (c *Cluster) WipeSPUData(id int32) {
	c.t.Helper()
	c.mu.Lock()
	p := c.spus[id]
	running := p != nil && p.srv != nil
	c.mu.Unlock()
	if p == nil || running {
		c.t.Fatalf("fluviotest: SPU %d is not a stopped SPU of this cluster", id)
	}
	if err := os.RemoveAll(p.dir); err != nil {
		c.t.Fatalf("fluviotest: wipe SPU %d: %v", id, err)
	}
}

// UnregisterSPU unregisters SPU id (as 'fluvio custom-spu unregister'
// does); its server, told to stop, is closed. RegisterSPU registers it
// again with the same addresses and data directory (not started).
func (c *Cluster) UnregisterSPU(id int32) {
	c.t.Helper()
	c.mu.Lock()
	p := c.spus[id]
	var srv *spu.Server
	if p != nil {
		srv, p.srv = p.srv, nil
	}
	c.mu.Unlock()
	if p == nil {
		c.t.Fatalf("fluviotest: no SPU %d", id)
	}
	sid := int64(id)
	if _, err := bus.Request[bus.SPUUnregisterResponse](context.Background(), c.nc, bus.SubjectAdminSPUUnregister,
		bus.SPUUnregisterRequest{ID: &sid}); err != nil {
		c.t.Fatalf("fluviotest: unregister SPU %d: %v", id, err)
	}
	if srv != nil {
		select {
		case <-srv.Done():
		case <-time.After(10 * time.Second):
			c.t.Errorf("fluviotest: SPU %d did not stop within 10s of its unregistration", id)
		}
		_ = srv.Close()
	}
}

// RegisterSPU registers SPU id again after UnregisterSPU, with the same
// addresses; start it with StartSPU.
func (c *Cluster) RegisterSPU(id int32) {
	c.t.Helper()
	c.mu.Lock()
	p := c.spus[id]
	c.mu.Unlock()
	if p == nil {
		c.t.Fatalf("fluviotest: no SPU %d", id)
	}
	typ := bus.SPUTypeManaged
	if c.opts.Custom {
		typ = bus.SPUTypeCustom
	}
	if _, err := bus.Request[bus.SPURegisterResponse](context.Background(), c.nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: int64(id), SPUType: typ, PublicEndpoint: p.public, PrivateEndpoint: p.private,
	}); err != nil {
		c.t.Fatalf("fluviotest: register SPU %d: %v", id, err)
	}
}

// RestartSC stops the SC and starts a new one on the same NATS: it must
// rebuild everything from the KV bucket.
func (c *Cluster) RestartSC() {
	c.t.Helper()
	c.mu.Lock()
	s := c.sc
	c.sc = nil
	c.mu.Unlock()
	if s != nil {
		if err := s.Close(); err != nil {
			c.t.Errorf("fluviotest: stop SC: %v", err)
		}
	}
	c.startSC()
}

// WaitSPUOnline waits up to 10s until the SC reports SPU id online (or
// offline when online is false).
func (c *Cluster) WaitSPUOnline(id int32, online bool) {
	c.t.Helper()
	want := bus.SPUOffline
	if online {
		want = bus.SPUOnline
	}
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		resp, err := bus.Request[bus.SPUListResponse](context.Background(), c.nc, bus.SubjectAdminSPUList, bus.SPUListRequest{})
		if err == nil {
			for _, s := range resp.Items {
				if s.Spec.ID == id {
					last = s.Status.Resolution
				}
			}
			if last == want {
				return
			}
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("fluviotest: SPU %d is not %s after 10s (last: %s)", id, want, last)
}

// Close stops the SPUs, the SC and NATS. Start registers it with
// t.Cleanup; calling it again is a no-op.
func (c *Cluster) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	spus := make([]*spuProc, 0, len(c.spus))
	for _, p := range c.spus {
		spus = append(spus, p)
	}
	s := c.sc
	c.sc = nil
	c.mu.Unlock()
	for _, p := range spus {
		if p.srv != nil {
			_ = p.srv.Close()
			p.srv = nil
		}
		for _, l := range []net.Listener{p.publicLn, p.privateLn} {
			if l != nil {
				_ = l.Close()
			}
		}
	}
	if s != nil {
		_ = s.Close()
	}
	if c.nc != nil {
		c.nc.Close()
	}
	if c.ns != nil {
		c.ns.Stop()
	}
}
