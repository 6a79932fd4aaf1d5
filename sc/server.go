package sc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/bindcheck"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/natsurl"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
)

// Server is a running SC. Start returns it ready; Close stops it.
type Server struct {
	cfg   Config
	log   *slog.Logger
	ns    *server.Server // embedded NATS; nil with Config.NATSURL
	nc    *nats.Conn
	store *store
	// consumers is the named consumers' offset bucket (consumers.go).
	consumers jetstream.KeyValue
	svc       micro.Service // the running "fluvio-sc" instance (service.go); guarded by roleMu
	url       string

	// ids are the cluster identities with Config.AuthDir, else nil;
	// auth checks the embedded NATS's connections then (auth.go).
	ids  *natsauth.Identities
	auth *authenticator

	private *privatePort // the SPUs' private port (private.go); nil when off

	http     *http.Server // nil without Config.HTTPAddr
	httpAddr string
	metrics  *metrics    // nil without Config.HTTPAddr (metrics.go)
	serving  atomic.Bool // Start finished: /readyz (http.go)

	// writeMu serialises metadata writes (admin handlers, ISR updates,
	// resync). Lock order: writeMu, then st.mu. KV calls happen under
	// writeMu, never under st.mu.
	writeMu sync.Mutex
	st      *state

	// natsDown reports whether the SC's NATS connection is down (nobody
	// can beat then, so nobody expires); nil: never (timing tests).
	// sawNATSDown is livenessLoop's: it saw the connection down.
	natsDown    func() bool
	sawNATSDown bool

	electKick   chan struct{} // buffered 1: run an election pass
	electAfter  atomic.Int64  // unix nanos before which no election runs
	electPasses atomic.Int64  // election passes run (tests wait for one: export_test.go)

	// The lease and the role (lease.go, role.go). active is true while
	// this SC holds the lease; leaseMu guards lease; roleMu guards the
	// active service and the standby's passive subscription.
	active atomic.Bool
	// sysTopicBusy is set while a goroutine creates the system topic
	// (system.go), so the liveness loop never waits for it.
	sysTopicBusy  atomic.Bool
	serviceActive atomic.Bool // active and its endpoints are up (Active)
	leaseMu       sync.Mutex
	lease         leaseState
	roleMu        sync.Mutex
	passive       *nats.Subscription // standby: overheard SPU heartbeats
	demoteKick    chan struct{}      // buffered 1: a write found the lease gone
	leaseKick     chan struct{}      // buffered 1: the watch saw the lease released (lease.go)
	resyncKick    chan struct{}      // buffered 1: resync now (liveness.go)
	started       time.Time          // when Start began listening
	failovers     atomic.Int64       // times this SC became active
	writes        atomic.Uint64      // bumped before and after every fenced write (resync drops overlapping reloads)
	activeAt      atomic.Int64       // unix ns this SC last became active; 0 once its first write after that is logged
	killed        atomic.Bool        // Kill: keep the lease (like a crash)

	// stopMu guards stopping; inflight counts handler calls (see guard).
	stopMu   sync.Mutex
	stopping bool
	inflight sync.WaitGroup
	// stopCh is closed when Close begins: handlers that wait (a topic
	// create waiting for its partitions) answer at once.
	stopCh chan struct{}

	ctx       context.Context // cancelled by Close; handlers' base context
	cancel    context.CancelFunc
	wg        sync.WaitGroup // the liveness and resync loops
	closeOnce sync.Once
	closeErr  error
}

// Run starts the SC and blocks until ctx is cancelled; it returns after all
// its goroutines have exited and the embedded NATS has shut down.
func Run(ctx context.Context, cfg Config) error {
	s, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	s.log.Info("sc stopping")
	return s.Close()
}

// Start starts the embedded NATS (or connects to Config.NATSURL), opens
// the KV bucket, loads the metadata, serves the admin API and the SPU
// subjects, and returns once all of that is ready. ctx bounds the start
// only; stop the server with Close.
func Start(ctx context.Context, cfg Config) (s *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.NATSURL == "" {
		priv, _ := cfg.privateAddr()
		if err := bindcheck.Check("sc", []bindcheck.Listener{
			{Flag: "--sc", Addr: cfg.Addr, Auth: cfg.AuthDir != "" || cfg.TLS.CA != "", TLS: cfg.TLS.Cert != ""},
			{Flag: "--sc-private", Addr: priv, Auth: cfg.AuthDir != "" || cfg.TLS.CA != "", TLS: cfg.TLS.Cert != ""},
			// Routes present the route secret (auth on) and, with TLS,
			// authenticate by mutual TLS (the CA) too.
			{Flag: "--cluster", Addr: cfg.ClusterAddr, Auth: cfg.AuthDir != "" || cfg.TLS.CA != "", TLS: cfg.TLS.Cert != ""},
		}, cfg.Insecure, cfg.Logger); err != nil {
			return nil, err
		}
	}
	s = &Server{cfg: cfg, log: cfg.Logger.With("sc", cfg.Name), st: newState(), stopCh: make(chan struct{}),
		electKick: make(chan struct{}, 1), demoteKick: make(chan struct{}, 1), leaseKick: make(chan struct{}, 1), resyncKick: make(chan struct{}, 1)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	started := s
	defer func() {
		if err != nil {
			_ = started.Close()
		}
	}()
	if err := s.connect(); err != nil {
		return nil, err
	}
	nc := s.nc
	s.natsDown = func() bool { return !nc.IsConnected() }
	js, err := jetstream.New(s.nc)
	if err != nil {
		return nil, fmt.Errorf("sc: JetStream: %w", err)
	}
	if err := s.openBucketsRetry(ctx, js); err != nil {
		return nil, err
	}
	snap, err := s.loadRetry(ctx)
	if err != nil {
		return nil, err
	}
	s.st.mu.Lock()
	s.st.replace(snap)
	s.st.mu.Unlock()
	s.syncAuth() // the registered SPUs' users
	s.st.clients = s.clientKeys()
	if err := s.startPrivate(); err != nil {
		return nil, err
	}
	if err := s.startHTTP(); err != nil {
		return nil, err
	}
	s.started = time.Now()
	// Without --ha the SC takes the lease at once (one SC per bucket, as
	// before leases) and serves as the active SC from the start; with
	// --ha it serves reads as a standby and takes the lease only if it
	// is free (lease.go).
	if !cfg.HA {
		if _, err := s.campaign(true); err != nil {
			return nil, fmt.Errorf("sc: %w", err)
		}
	} else {
		s.startPassive()
		if err := s.serveRole("standby"); err != nil {
			return nil, err
		}
		_, _ = s.campaign(false) // a failure is retried by the lease loop
	}
	s.wg.Go(s.livenessLoop)
	s.wg.Go(s.resyncLoop)
	s.wg.Go(s.electionLoop)
	s.wg.Go(s.leaseLoop)
	s.wg.Go(s.watchLoop)
	if cfg.ClusterAddr != "" {
		s.logStreamLeaders()
	}
	role := "standby"
	if s.active.Load() {
		role = "active"
	}
	s.log.Info("sc started", "nats", natsurl.Redact(s.url), "bucket", cfg.Bucket, "role", role, "generation", s.Generation(),
		"spus", len(snap.spus), "topics", len(snap.topics), "http", s.httpAddr, "private", s.PrivateAddr())
	s.serving.Store(true)
	return s, nil
}

// connect starts the embedded NATS or connects to an external one.
func (s *Server) connect() error {
	cfg := s.cfg
	opts := []nats.Option{
		nats.Name("fluvio-sc"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		// A stopped NATS node of an external cluster: leave it in ~3 s.
		nats.PingInterval(time.Second), nats.MaxPingsOutstanding(3),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil && s.ctx.Err() == nil {
				s.log.Warn("lost the NATS connection; reconnecting (SPU liveness is paused)", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { s.reconnected(nc) }),
	}
	if cfg.NATSURL != "" {
		aopts, _, err := natsauth.ConnectOptions(cfg.NATSURL, cfg.Creds)
		if err != nil {
			return fmt.Errorf("sc: --nats-creds: %w", err)
		}
		if cfg.TLS.Enabled() {
			pem, err := cfg.TLS.Load()
			if err != nil {
				return fmt.Errorf("sc: %w", err)
			}
			tc, err := pem.ClientConfig("")
			if err != nil {
				return fmt.Errorf("sc: %w", err)
			}
			aopts = append(aopts, natsauth.TLSOptions(tc)...)
		}
		nc, err := nats.Connect(cfg.NATSURL, append(opts, aopts...)...)
		if err != nil {
			if hint, ok := natsauth.TLSHint(err, "the NATS", natsurl.Redact(cfg.NATSURL), cfg.TLS.Enabled()); ok {
				return fmt.Errorf("sc: cannot connect to NATS at %s: %w; %s", natsurl.Redact(cfg.NATSURL), natsurl.RedactError(err), hint)
			}
			return fmt.Errorf("sc: cannot connect to NATS at %s: %w; %s", natsurl.Redact(cfg.NATSURL), natsurl.RedactError(err), connectHint(err))
		}
		s.nc, s.url = nc, cfg.NATSURL
		return nil
	}
	host, port, err := splitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	if port != 0 {
		// nats-server only logs a busy port; find out first, clearly.
		l, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return fmt.Errorf("sc: cannot listen on %s: %w; is another sc-server running? stop it, or pick another address with --sc HOST:PORT", cfg.Addr, err)
		}
		_ = l.Close()
	} else {
		port = server.RANDOM_PORT
	}
	if cfg.ClusterAddr != "" { // the same for the route listener
		l, err := net.Listen("tcp", cfg.ClusterAddr)
		if err != nil {
			return fmt.Errorf("sc: cannot listen for NATS routes on %s: %w; is another sc-server running? stop it, or pick another address with --cluster HOST:PORT", cfg.ClusterAddr, err)
		}
		_ = l.Close()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("sc: create data dir: %w; pick another with --data-dir DIR", err)
	}
	nopts := &server.Options{
		ServerName: "fluvio-sc", Host: host, Port: port,
		JetStream: true, StoreDir: cfg.DataDir,
		NoSigs: true, NoLog: true,
	}
	var routeSecret string
	if cfg.AuthDir != "" {
		if s.ids, err = natsauth.EnsureIdentities(cfg.AuthDir); err != nil {
			return fmt.Errorf("sc: %w; fix the directory or pick another with --auth-dir DIR", err)
		}
		if cfg.ClusterAddr != "" {
			if routeSecret, err = natsauth.RouteSecret(cfg.AuthDir); err != nil {
				return fmt.Errorf("sc: %w", err)
			}
		}
		s.auth = newAuthenticator(s)
		if err := s.auth.set(s.ids.Users()); err != nil {
			return fmt.Errorf("sc: %w", err)
		}
		nopts.CustomClientAuthentication = s.auth
		nopts.AlwaysEnableNonce = true // nkey clients sign the INFO nonce
		opts = append(opts, s.ids.SC.Options()...)
	}
	if cfg.ClusterAddr != "" {
		if err := clusterOptions(nopts, cfg, routeSecret); err != nil {
			return err
		}
	}
	if err := tlsOptions(nopts, cfg); err != nil { // after clusterOptions: it adds the routes' TLS
		return err
	}
	ns, err := server.NewServer(nopts)
	if err != nil {
		return fmt.Errorf("sc: embedded NATS: %w", err)
	}
	s.ns = ns
	if nopts.TLSConfig != nil {
		ns.SetLoggerV2(natsTLSLog{log: s.log}, true, false, false)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		return fmt.Errorf("sc: embedded NATS did not start on %s: is the port in use? pick another with --sc HOST:PORT", cfg.Addr)
	}
	if cfg.ClusterAddr != "" && ns.ClusterAddr() == nil {
		return fmt.Errorf("sc: the embedded NATS could not listen for routes on %s: is the port in use? pick another with --cluster HOST:PORT", cfg.ClusterAddr)
	}
	s.url = ns.ClientURL() // tls://HOST:PORT with TLS
	// In-process: no TLS (the server does not require it there).
	nc, err := nats.Connect(strings.Replace(s.url, "tls://", "nats://", 1), append(opts, nats.InProcessServer(ns))...)
	if err != nil {
		return fmt.Errorf("sc: connect to the embedded NATS: %w", err)
	}
	s.nc = nc
	return nil
}

// startPrivate serves the private port (private.go) when configured.
func (s *Server) startPrivate() error {
	addr, explicit := s.cfg.privateAddr()
	if addr == "" {
		return nil
	}
	upstream := s.Addr()
	if s.ns == nil {
		u, err := url.Parse(strings.TrimSpace(strings.Split(s.cfg.NATSURL, ",")[0]))
		if err != nil || u.Host == "" {
			return fmt.Errorf("sc: --sc-private needs a nats://HOST:PORT --nats-url to forward to, got %s", natsurl.Redact(s.cfg.NATSURL))
		}
		upstream = u.Host
	}
	p, err := listenPrivate(addr, upstream, nil, s.log)
	if err != nil {
		if explicit {
			return fmt.Errorf("sc: cannot listen on the private port %s: %w; is another sc-server running? pick another with --sc-private HOST:PORT", addr, err)
		}
		s.log.Warn("private port busy: SPUs can use the public address; pick another with --sc-private HOST:PORT", "addr", addr, "err", err)
		return nil
	}
	s.private = p
	return nil
}

// PrivateAddr is the HOST:PORT of the private port SPUs may use as
// --sc-controller (Fluvio's 9004), or "" when it is not served.
func (s *Server) PrivateAddr() string {
	if s.private == nil {
		return ""
	}
	return s.private.Addr()
}

// reconnected runs when the SC's NATS connection comes back (see
// resumeBeats).
func (s *Server) reconnected(nc *nats.Conn) {
	s.log.Info("NATS connection back", "url", nc.ConnectedUrlRedacted())
	s.resumeBeats(time.Now())
}

// URL is the NATS URL SPUs and clients use, nats://HOST:PORT.
func (s *Server) URL() string { return s.url }

// Addr is the NATS HOST:PORT (the --sc / --sc-controller value); with
// Config.NATSURL it is that URL.
func (s *Server) Addr() string {
	if s.ns != nil {
		if a, ok := s.ns.Addr().(*net.TCPAddr); ok {
			return net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port))
		}
	}
	return s.url
}

// Close refuses new requests, waits for those in flight, stops serving,
// waits for the SC's goroutines, closes the NATS connection and shuts the
// embedded NATS down. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// Finish the requests in flight (their KV writes) with a live
		// context, so a new SC started after Close sees all of them.
		s.quiesce()
		s.cancel()
		s.stopHTTP()
		s.wg.Wait() // the lease loop is done: no role change from here on
		if svc := s.service(); svc != nil {
			if err := svc.Stop(); err != nil {
				s.closeErr = errors.Join(s.closeErr, fmt.Errorf("sc: stop micro service: %w", err))
			}
		}
		if err := s.private.Close(); err != nil {
			s.closeErr = errors.Join(s.closeErr, err)
		}
		wasActive := s.active.Swap(false)
		s.serviceActive.Store(false)
		s.stopPassive()
		if wasActive && !s.killed.Load() && s.nc != nil {
			s.release() // a standby takes over at once
		}
		if s.nc != nil {
			s.nc.Close()
		}
		if s.ns != nil {
			s.ns.Shutdown()
			s.ns.WaitForShutdown()
		}
	})
	return s.closeErr
}

// Kill stops the SC the way a crash would as far as the others can tell:
// it keeps the lease (a standby takes over only after LeaseTTL) and says
// goodbye to nobody. For tests and the chaos suite.
func (s *Server) Kill() error {
	s.killed.Store(true)
	return s.Close()
}

// badKey logs a KV value the SC cannot use (store.load, validate.go).
func (s *Server) badKey(key string, err error) {
	s.log.Error("bad KV value for "+key+" (not applied): see 'nats kv history "+s.cfg.Bucket+" "+key+"'", "key", key, "err", err)
}

// storeCtx bounds one KV operation.
func (s *Server) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.cfg.StoreTimeout)
}

// publish sends a message to an SPU (fire and forget) if this SC is the
// active one: a standby, or a deposed SC, tells SPUs nothing. Caller may
// hold st.mu.
func (s *Server) publish(subject string, v any) {
	if !s.active.Load() {
		return
	}
	data, err := bus.Marshal(v, false)
	if err == nil {
		err = s.nc.Publish(subject, data)
	}
	if err != nil {
		s.log.Warn("publish failed", "subject", subject, "err", err)
	}
}
