package spu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/natsurl"
	"github.com/nats-io/nats.go"
)

// ErrUnregistered is returned (wrapped) by Run and Server.Err when the SC
// told the SPU to stop because its id was unregistered.
var ErrUnregistered = errors.New("spu: unregistered from the SC")

// Server is a running SPU: the control side (hello, heartbeats, replica
// sets from the SC) around the data plane (replicas and TCP servers).
type Server struct {
	cfg         Config
	log         *slog.Logger
	id          bus.SPUID
	incarnation string
	nc          *nats.Conn
	dp          *dataPlane
	spec        bus.SPUSpec
	name        string
	pub, priv   net.Listener
	replicasCh  chan *nats.Msg
	controlCh   chan *nats.Msg
	repairCh    chan *nats.Msg
	subs        []*nats.Subscription
	hello       bus.SPUHelloResponse
	// storageID is the data directory's identity (storageid.go).
	storageID string

	ctx      context.Context // cancelled by Close or by a stop
	cancel   context.CancelFunc
	wg       sync.WaitGroup // the control loop and the data plane's Serve
	done     chan struct{}  // closed when the SPU stops on its own
	failOnce sync.Once
	err      error // why it stopped on its own; set before done closes

	closeOnce sync.Once
	closeErr  error
	killed    atomic.Bool // Kill: no goodbye heartbeat

	// HTTP endpoints (http.go): nil without Config.HTTPAddr.
	http     *http.Server
	httpAddr string
	httpWG   sync.WaitGroup
	serving  atomic.Bool // registered and serving: /readyz
}

// Run starts the SPU and blocks until ctx is cancelled or the SC stops it
// (unregistered: an error wrapping ErrUnregistered). It returns after all
// its goroutines have exited.
func Run(ctx context.Context, cfg Config) error {
	s, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		s.log.Info("spu stopping", "id", s.id)
	case <-s.Done():
	}
	cerr := s.Close()
	if err := s.Err(); err != nil {
		return err
	}
	return cerr
}

// Start prints the startup line, connects to the SC's NATS, says hello on
// fluvio.spu.<id>.register (the id must be registered), binds the public
// and private servers, applies the replica set from the SC and starts
// heartbeating. It returns once the SPU serves; ctx bounds the start only.
func Start(ctx context.Context, cfg Config) (s *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.HTTPAddr != "" || cfg.HTTPListener != nil {
		cfg.metrics = newMetrics(cfg.ID)
	}
	fmt.Fprintf(cfg.Stdout, "starting custom-spu services (id:%d)\n", cfg.ID)
	s = &Server{
		cfg: cfg, log: cfg.Logger.With("spu", cfg.ID), id: cfg.ID,
		incarnation: newIncarnation(), done: make(chan struct{}),
		replicasCh: make(chan *nats.Msg, 1024), controlCh: make(chan *nats.Msg, 16),
		repairCh: make(chan *nats.Msg, 16),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	started := s
	defer func() {
		if err != nil {
			_ = started.Close()
		}
	}()
	if err := s.startHTTP(); err != nil {
		return nil, err
	}
	if s.storageID, err = loadStorageID(cfg.LogBaseDir); err != nil {
		return nil, err
	}
	if err := s.connect(); err != nil {
		return nil, err
	}
	if err := s.register(ctx); err != nil {
		return nil, err
	}
	if err := s.bind(); err != nil {
		return nil, err
	}
	if s.dp, err = newDataPlane(cfg, s.id); err != nil {
		return nil, fmt.Errorf("spu: start the data plane: %w", err)
	}
	s.dp.setISRProposer(s.proposeISR)
	cfg.metrics.attach(s.dp)
	pub, priv := s.pub, s.priv
	s.wg.Go(func() {
		if err := s.dp.Serve(s.ctx, pub, priv); err != nil && s.ctx.Err() == nil {
			s.fail(fmt.Errorf("spu: data plane stopped: %w", err))
		}
	})
	st := newSyncState(s.hello.Replicas.Epoch - 1)
	s.applySet(st, s.hello.Replicas)
	interval := time.Duration(s.hello.HeartbeatIntervalMs) * time.Millisecond
	if interval <= 0 {
		interval = cfg.HeartbeatInterval
	}
	s.wg.Go(func() { s.controlLoop(st) })
	s.wg.Go(s.repairLoop)
	s.wg.Go(func() { s.heartbeatLoop(st, interval) })
	s.log.Info("spu started", "name", s.name, "public", s.pub.Addr().String(), "private", s.priv.Addr().String(),
		"advertised_public", s.spec.PublicEndpoint, "advertised_private", s.spec.PrivateEndpoint, "sc", s.nc.ConnectedUrlRedacted(),
		"http", s.httpAddr)
	s.serving.Store(true)
	return s, nil
}

// connect dials the SC's NATS and subscribes to this SPU's subjects.
func (s *Server) connect() error {
	url := natsurl.Normalize(s.cfg.SCAddr)
	aopts, _, err := natsauth.ConnectOptions(url, s.cfg.Creds)
	if err != nil {
		return fmt.Errorf("spu: --creds: %w", err)
	}
	_, tlsClient, err := loadTLS(s.cfg)
	if err != nil {
		return err
	}
	aopts = append(aopts, natsauth.TLSOptions(tlsClient)...)
	nc, err := nats.Connect(url, append(aopts,
		nats.Name(fmt.Sprintf("fluvio-spu-%d", s.id)),
		nats.Timeout(2*time.Second),
		nats.MaxReconnects(-1),
		// A stopped (not dead) NATS node keeps the TCP connection open:
		// PINGs find it in ~3 s, and the SPU moves to another node of
		// its --sc-controller list.
		nats.PingInterval(time.Second), nats.MaxPingsOutstanding(3),
		nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				s.log.Warn("lost the connection to the SC; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { s.log.Info("reconnected to the SC", "url", nc.ConnectedUrlRedacted()) }),
	)...)
	if err != nil {
		if hint, ok := natsauth.TLSHint(err, "the SC", natsurl.Redact(s.cfg.SCAddr), tlsClient != nil); ok {
			return fmt.Errorf("spu: cannot connect to the SC at %s: %w; %s", natsurl.Redact(s.cfg.SCAddr), natsurl.RedactError(err), hint)
		}
		if errors.Is(err, nats.ErrAuthorization) {
			what := "without credentials"
			if s.cfg.Creds != "" {
				what = "with the credentials " + s.cfg.Creds
			}
			return fmt.Errorf("spu: the SC's NATS at %s refused SPU %d %s: %w; an SPU gets its credentials when registered: run 'fluvio custom-spu register --id %d ...' and start it with --creds FILE (an unregistered SPU's are revoked); with an external NATS of passwords (nats.conf), put this SPU's user in the address instead: --sc-controller nats://USER:PASSWORD@HOST:PORT",
				natsurl.Redact(s.cfg.SCAddr), s.id, what, natsurl.RedactError(err), s.id)
		}
		return fmt.Errorf("spu: cannot reach the SC at %s: %w; %s", natsurl.Redact(s.cfg.SCAddr), natsurl.RedactError(err), connectHint(err))
	}
	s.nc = nc
	for subject, ch := range map[string]chan *nats.Msg{
		bus.SubjectSPUReplicas(s.id): s.replicasCh,
		bus.SubjectSPUControl(s.id):  s.controlCh,
		bus.SubjectSPURepair(s.id):   s.repairCh,
	} {
		sub, err := nc.ChanSubscribe(subject, ch)
		if err != nil {
			return fmt.Errorf("spu: subscribe %s: %w", subject, err)
		}
		s.subs = append(s.subs, sub)
	}
	return nc.FlushTimeout(5 * time.Second)
}

// Done is closed when the SPU stops on its own (see Err).
func (s *Server) Done() <-chan struct{} { return s.done }

// Err says why the SPU stopped on its own, nil while it runs.
func (s *Server) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Spec is what the SC registered for this SPU (advertised addresses).
func (s *Server) Spec() bus.SPUSpec { return s.spec }

// PublicAddr and PrivateAddr are the bound listener addresses.
func (s *Server) PublicAddr() string  { return s.pub.Addr().String() }
func (s *Server) PrivateAddr() string { return s.priv.Addr().String() }

// fail stops the SPU on its own with err.
func (s *Server) fail(err error) {
	s.failOnce.Do(func() {
		s.log.Error("spu stopping", "err", err)
		s.err = err
		close(s.done)
		s.cancel()
	})
}

// Close stops heartbeats and the data plane, waits for every goroutine,
// closes the replicas and the NATS connection. Safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.stopHTTP()
		if s.dp == nil {
			// Serve never ran: close what bind opened.
			for _, l := range []net.Listener{s.pub, s.priv, s.cfg.PublicListener, s.cfg.PrivateListener} {
				if l != nil {
					_ = l.Close()
				}
			}
		}
		s.wg.Wait()
		s.goodbye()
		for _, sub := range s.subs {
			_ = sub.Unsubscribe()
		}
		if s.dp != nil {
			if err := s.dp.Close(); err != nil {
				s.closeErr = fmt.Errorf("spu: close replicas: %w", err)
			}
		}
		if s.nc != nil {
			s.nc.Close()
		}
	})
	return s.closeErr
}

// Kill stops the SPU as a crash would look to the SC: like Close, but
// without the goodbye heartbeat, so the SC notices only after its
// heartbeat timeout (for tests of failure detection and failover).
func (s *Server) Kill() error {
	s.killed.Store(true)
	return s.Close()
}

func newIncarnation() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
