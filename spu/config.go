package spu

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/fluvio-go/fluvio/internal/tlsconf"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/spf13/pflag"
)

// Config configures an SPU. The zero value of each field means its default.
type Config struct {
	// ID is the SPU id; it must be registered with the SC. Required.
	ID int32
	// SCAddr is the SC's NATS address, HOST:PORT or a nats:// URL.
	// Default "127.0.0.1:9003".
	SCAddr string
	// Creds is this SPU's NATS credential file ('fluvio custom-spu
	// register' writes it; 'fluvio cluster start' makes its managed SPUs'
	// under DATA-DIR/auth). Empty: connect without an identity.
	Creds string
	// TLS names this SPU's certificate and key (its public and private
	// servers, and its client side towards NATS and its peers) and the
	// cluster's CA (flags --tls-cert, --tls-key, --tls-ca). With a CA the
	// servers require client certificates signed by it: on the private
	// server the certificate must name the SPU (CN or DNS SAN spu-N) and
	// a follower may fetch only as that SPU. Empty: plaintext.
	TLS tlsconf.Files
	// MaxConnections bounds the open connections of each TCP server
	// (public, private); 0: a third of the file descriptor limit
	// (wire.DefaultMaxConns). MaxConnectionsPerIP bounds those from one
	// IP address; 0: 1024. IdleTimeout closes a connection without a
	// request for that long; 0: 60 s.
	// Insecure lets the public and private servers bind non-loopback
	// addresses without TLS (a warning is logged at every start).
	Insecure            bool
	MaxConnections      int
	MaxConnectionsPerIP int
	IdleTimeout         time.Duration
	// PublicAddr, when set, is the bind address of the public server,
	// overriding the registered one (clients still get the registered address).
	PublicAddr string
	// PrivateAddr, when set, is the bind address of the private server.
	PrivateAddr string
	// LogBaseDir holds the replicas' logs. Default
	// ~/.fluvio/data/spu-logs-<id>, so SPUs on one host never share it.
	LogBaseDir string
	// HeartbeatInterval is used until the SC says otherwise. Default 1s.
	HeartbeatInterval time.Duration
	// RegisterTimeout bounds how long the SPU retries its hello while the
	// SC does not answer (NATS up, SC not yet serving). Default 10s.
	RegisterTimeout time.Duration
	// Stdout receives the startup line ("starting custom-spu services
	// (id:N)"). Default os.Stdout.
	Stdout io.Writer
	// PublicListener and PrivateListener, when set, are used instead of
	// binding addresses (tests and in-process clusters). The SPU closes
	// them when it stops.
	PublicListener  net.Listener
	PrivateListener net.Listener
	// Logger receives the SPU's logs. Nil discards them.
	Logger *slog.Logger
	// HTTPAddr, when set, serves /metrics (Prometheus text format),
	// /livez and /readyz over HTTP (http.go); empty (the default)
	// disables it. "127.0.0.1:0" picks a free port (Server.HTTPAddr).
	HTTPAddr string
	// HTTPListener, when set, is used instead of binding HTTPAddr (tests);
	// it enables HTTP like HTTPAddr does. The SPU closes it when it stops.
	HTTPListener net.Listener
	// Pprof also serves the Go runtime's profiles under /debug/pprof/ on
	// the HTTP address (internal/pprofhttp). Default false.
	Pprof bool
	// FS is the filesystem the replicas' logs live on; nil means the
	// operating system's. Tests inject write and fsync errors with
	// vfstest.WithErrors (vfs/vfstest).
	FS vfs.FS
	// OffsetSnapshotEvery is the least number of records the leader of a
	// consumer-offset partition writes between two snapshots of its live
	// entries (offsets.go); 0 means DefaultOffsetSnapshotEvery.
	OffsetSnapshotEvery int

	// metrics is set by Start when HTTPAddr is; nil records nothing.
	metrics *metrics
}

// Defaults.
const (
	DefaultSCAddr            = "127.0.0.1:9003"
	DefaultHeartbeatInterval = time.Second
	DefaultRegisterTimeout   = 10 * time.Second
)

// AddFlags binds the config's fields to fs.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.Int32Var(&c.ID, "id", -1, "SPU id (must be registered: fluvio custom-spu register --id N ...)")
	fs.StringVar(&c.SCAddr, "sc-controller", DefaultSCAddr, "address of the SC (its NATS)")
	fs.StringVar(&c.Creds, "creds", "", "this SPU's NATS credential `FILE` (written by 'fluvio custom-spu register')")
	fs.StringVar(&c.TLS.Cert, "tls-cert", "", "this SPU's TLS certificate `FILE` (PEM; CN or DNS SAN spu-ID): its servers speak TLS only and it dials NATS and its peers with TLS")
	fs.StringVar(&c.TLS.Key, "tls-key", "", "the private key `FILE` of --tls-cert (PEM)")
	fs.StringVar(&c.TLS.CA, "tls-ca", "", "the cluster's CA certificate `FILE` (PEM): verifies the SC and the peers, and the SPU's servers require client certificates it signed")
	fs.BoolVar(&c.Insecure, "insecure", false, "allow non-loopback public/private addresses without TLS (logged as a warning at every start)")
	fs.IntVar(&c.MaxConnections, "max-connections", 0, "open connections per TCP server before new ones are refused (default: a third of the file descriptor limit)")
	fs.IntVar(&c.MaxConnectionsPerIP, "max-connections-per-ip", 0, "open connections from one IP address per TCP server (default 1024)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 0, "close a client connection that sends nothing for this long (default 60s)")
	fs.StringVar(&c.PublicAddr, "public-server", "", "bind address of the public server (default: the registered one)")
	fs.StringVar(&c.PrivateAddr, "private-server", "", "bind address of the private server (default: the registered one)")
	fs.StringVar(&c.LogBaseDir, "log-base-dir", "", "directory for replica logs (default ~/.fluvio/data/spu-logs-<id>)")
	fs.StringVar(&c.HTTPAddr, "http", "", "HTTP address serving /metrics, /livez and /readyz (empty disables)")
	fs.BoolVar(&c.Pprof, "pprof", false, "also serve Go profiles under /debug/pprof/ on the --http address")
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.SCAddr == "" {
		c.SCAddr = DefaultSCAddr
	}
	if c.LogBaseDir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			c.LogBaseDir = filepath.Join(home, ".fluvio", "data", fmt.Sprintf("spu-logs-%d", c.ID))
		}
	}
	if c.OffsetSnapshotEvery <= 0 {
		c.OffsetSnapshotEvery = DefaultOffsetSnapshotEvery
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.RegisterTimeout == 0 {
		c.RegisterTimeout = DefaultRegisterTimeout
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first problem with the config, if any.
func (c Config) Validate() error {
	if c.ID < 0 {
		return errors.New("spu: missing --id: pass the id you registered with 'fluvio custom-spu register --id N'")
	}
	c = c.withDefaults()
	if c.LogBaseDir == "" {
		return errors.New("spu: no log directory: pass --log-base-dir DIR")
	}
	if err := c.TLS.Validate(true); err != nil {
		return fmt.Errorf("spu: %w", err)
	}
	if c.MaxConnections < 0 || c.MaxConnectionsPerIP < 0 || c.IdleTimeout < 0 {
		return errors.New("spu: --max-connections, --max-connections-per-ip and --idle-timeout may not be negative")
	}
	if c.HeartbeatInterval < 0 || c.RegisterTimeout < 0 {
		return errors.New("spu: durations must be positive")
	}
	for flag, a := range map[string]string{"--public-server": c.PublicAddr, "--private-server": c.PrivateAddr, "--http": c.HTTPAddr} {
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("spu: bad %s %q: %w (want HOST:PORT)", flag, a, err)
		}
	}
	return nil
}
