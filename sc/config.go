package sc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio/internal/tlsconf"
	"github.com/nats-io/nuid"
	"github.com/spf13/pflag"
)

// Config configures an SC. The zero value of each field means its default.
type Config struct {
	// Addr is the NATS listen address of the embedded server, and the
	// address SPUs and clients reach the SC at. Default "127.0.0.1:9003";
	// port 0 picks a free port (see Server.URL).
	Addr string
	// PrivateAddr is the private port for SPUs (Fluvio's 9004; private.go):
	// a proxy to the NATS listener, so 'spu-server --sc-controller
	// HOST:9004' works as in Fluvio. Empty derives it from Addr: port 9004
	// for the default 9003, a free port for port 0, else Addr's port + 1;
	// a derived address that is busy is logged and skipped, an explicit
	// one that is busy fails Start. "none" disables it. With NATSURL it is
	// served only when set explicitly (forwarding to that NATS).
	PrivateAddr string
	// NATSURL, when set, connects to an existing NATS (with JetStream)
	// instead of embedding one; Addr and DataDir are then unused.
	NATSURL string
	// ClusterAddr, when set, makes the embedded NATS a node of a NATS
	// cluster listening for routes on this HOST:PORT, with JetStream
	// clustered (RAFT) across the nodes. It implies HA and a bucket of
	// 3 replicas unless KVReplicas says otherwise.
	ClusterAddr string
	// Routes are the other cluster nodes' route URLs, comma-separated
	// (nats-route://HOST:PORT or HOST:PORT). Listing this node too is fine.
	Routes string
	// ClusterName names the NATS cluster. Default "fluvio".
	ClusterName string
	// DataDir holds the embedded NATS JetStream store. Default ~/.fluvio/sc.
	DataDir string
	// AuthDir, when set, turns identities on for the embedded NATS: it
	// holds the cluster's credential files (sc, admin, client, read-only;
	// made when missing) and the server accepts only those and the
	// registered SPUs' keys (auth.go). Empty: anyone may connect (tests,
	// and sc-server --no-auth). sc-server defaults it to DATA-DIR/auth.
	AuthDir string
	// Creds is the SC's own credential file for an external NATS
	// (NATSURL, flag --nats-creds); see 'fluvio cluster gen-nats-conf'.
	Creds string
	// HTTPAddr, when set, serves /metrics (Prometheus text), /livez,
	// /readyz and /healthz over HTTP (http.go); empty disables it.
	HTTPAddr string
	// Pprof also serves the Go runtime's profiles under /debug/pprof/ on
	// HTTPAddr (internal/pprofhttp). Default false.
	Pprof bool
	// Bucket is the JetStream KV bucket holding the metadata. Default "fluvio".
	Bucket string
	// KVReplicas is the bucket's replica count on a clustered NATS. Default 1.
	KVReplicas int
	// HeartbeatInterval is how often SPUs heartbeat. Default 1s.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout marks an SPU offline when no heartbeat arrived for
	// this long. Default 3s (three missed beats).
	HeartbeatTimeout time.Duration
	// ResyncInterval is how often the SC reloads the metadata from KV and
	// sends every online SPU its full replica set. Default 30s.
	ResyncInterval time.Duration
	// StoreTimeout bounds each KV operation. Default 5s.
	StoreTimeout time.Duration
	// HA runs this SC as one of several on the same bucket: at start it
	// takes the SC lease only if no live SC holds it, and otherwise waits
	// as a standby (serving reads) until the active SC's lease lapses.
	// Without HA the SC takes the lease at start, deposing any other.
	HA bool
	// LeaseTTL is how long the active SC's lease lasts without renewal;
	// a standby takes over this long after the active SC's last renewal
	// (lease.go). Default 4s.
	LeaseTTL time.Duration
	// Name identifies this SC in the lease and in logs. Default
	// sc-<hostname>-<random>.
	Name string
	// UncleanLeaderElection lets a replica outside the ISR become leader
	// when no ISR member is online (it may lose committed records).
	// Default false.
	UncleanLeaderElection bool
	// TLS names the SC's certificate and key and the cluster's CA (flags
	// --tls-cert, --tls-key, --tls-ca). The embedded NATS then speaks TLS
	// only on its client listener (and so through the private port,
	// which forwards bytes), with a CA it requires client certificates
	// signed by it, and its cluster routes use mutual TLS with the same
	// files. With NATSURL the SC connects to that NATS with TLS.
	TLS tlsconf.Files
	// Insecure lets the embedded NATS (and the private port and cluster
	// routes) listen on non-loopback addresses without TLS; a warning is
	// logged at every start (internal/bindcheck).
	Insecure bool
	// ConsumerOffsetPartitions is the partition count of the
	// consumer-offset system topic, used when the SC creates it (system.go).
	// Default 1.
	ConsumerOffsetPartitions int
	// SystemTopicSettle is how long the registered SPUs must stay the
	// same before the SC creates the consumer-offset topic with fewer than
	// 3 replicas (system.go). Default 5s.
	SystemTopicSettle time.Duration
	// Logger receives the SC's logs. Nil discards them.
	Logger *slog.Logger

	// fromFlags is set by AddFlags: sc-server turns auth on by default
	// (AuthDir = DataDir/auth) unless noAuth (--no-auth).
	fromFlags bool
	noAuth    bool
}

// Defaults.
const (
	DefaultAddr              = "127.0.0.1:9003"
	DefaultPrivatePort       = 9004
	DefaultBucket            = "fluvio"
	DefaultHeartbeatInterval = time.Second
	DefaultHeartbeatTimeout  = 3 * time.Second
	DefaultResyncInterval    = 30 * time.Second
	DefaultStoreTimeout      = 5 * time.Second
	DefaultLeaseTTL          = 4 * time.Second
	DefaultClusterName       = "fluvio"
)

// AddFlags binds the config's fields to fs.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Addr, "sc", DefaultAddr, "NATS listen address of the embedded server (the SC address SPUs and clients use)")
	fs.StringVar(&c.PrivateAddr, "sc-private", "", "private address for SPUs (spu-server --sc-controller), default the --sc port + 1 (9004); none disables")
	fs.StringVar(&c.PrivateAddr, "bind-private", "", "same as --sc-private (Fluvio's spelling)")
	_ = fs.MarkHidden("bind-private")
	fs.StringVar(&c.NATSURL, "nats-url", "", "use an existing NATS (with JetStream) at this URL instead of the embedded server")
	fs.StringVar(&c.ClusterAddr, "cluster", "", "make the embedded NATS a cluster node listening for routes on HOST:PORT (implies --ha and --kv-replicas 3)")
	fs.StringVar(&c.Routes, "routes", "", "the other NATS cluster nodes, comma-separated HOST:PORT route addresses")
	fs.StringVar(&c.ClusterName, "cluster-name", DefaultClusterName, "NATS cluster name (the same on every node)")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory for the embedded JetStream store (default ~/.fluvio/sc)")
	fs.StringVar(&c.AuthDir, "auth-dir", "", "directory of the cluster's NATS credentials, made when missing (default DATA-DIR/auth; see --no-auth)")
	fs.StringVar(&c.TLS.Cert, "tls-cert", "", "the SC's TLS certificate `FILE` (PEM): the embedded NATS speaks TLS only (clients, SPUs, the private port, routes)")
	fs.StringVar(&c.TLS.Key, "tls-key", "", "the private key `FILE` of --tls-cert (PEM)")
	fs.StringVar(&c.TLS.CA, "tls-ca", "", "the cluster's CA certificate `FILE` (PEM): clients and SPUs must present certificates it signed; routes verify each other with it")
	fs.BoolVar(&c.Insecure, "insecure", false, "allow non-loopback listen addresses without TLS (and without auth with --no-auth); logged as a warning at every start")
	fs.BoolVar(&c.noAuth, "no-auth", false, "let anyone connect to the embedded NATS (no identities; loopback only)")
	c.fromFlags = true
	fs.StringVar(&c.Creds, "nats-creds", "", "the SC's credential `FILE` for an external NATS (--nats-url; see 'fluvio cluster gen-nats-conf')")
	fs.StringVar(&c.HTTPAddr, "http", "", "HTTP address serving /metrics, /livez and /readyz (empty disables)")
	fs.BoolVar(&c.Pprof, "pprof", false, "also serve Go profiles under /debug/pprof/ on the --http address")
	fs.StringVar(&c.Bucket, "kv-bucket", DefaultBucket, "JetStream KV bucket holding the cluster metadata")
	fs.IntVar(&c.KVReplicas, "kv-replicas", 0, "replicas of the KV bucket on a clustered NATS (default 1, 3 with --cluster)")
	fs.DurationVar(&c.HeartbeatInterval, "heartbeat-interval", DefaultHeartbeatInterval, "how often SPUs heartbeat")
	fs.DurationVar(&c.HeartbeatTimeout, "heartbeat-timeout", DefaultHeartbeatTimeout, "mark an SPU offline after no heartbeat for this long")
	fs.DurationVar(&c.ResyncInterval, "resync-interval", DefaultResyncInterval, "how often to resend every SPU its full replica set")
	fs.BoolVar(&c.HA, "ha", false, "one of several SCs on this bucket: wait as a standby while another SC holds the lease")
	fs.DurationVar(&c.LeaseTTL, "lease-ttl", DefaultLeaseTTL, "a standby SC takes over this long after the active SC's last lease renewal")
	fs.StringVar(&c.Name, "name", "", "this SC's name in the lease and logs (default sc-HOSTNAME-RANDOM)")
	fs.IntVar(&c.ConsumerOffsetPartitions, "consumer-offset-partitions", DefaultConsumerOffsetPartitions, "partitions of the consumer-offset system topic (named consumers' offsets), when the SC creates it")
	fs.BoolVar(&c.UncleanLeaderElection, "unclean-leader-election", false, "allow a replica outside the ISR to become leader (may lose committed records)")
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.DataDir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			c.DataDir = filepath.Join(home, ".fluvio", "sc")
		}
	}
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if c.ConsumerOffsetPartitions <= 0 {
		c.ConsumerOffsetPartitions = DefaultConsumerOffsetPartitions
	}
	if c.SystemTopicSettle <= 0 {
		c.SystemTopicSettle = DefaultSystemTopicSettle
	}
	if c.fromFlags && !c.noAuth && c.NATSURL == "" && c.AuthDir == "" && c.DataDir != "" {
		c.AuthDir = filepath.Join(c.DataDir, "auth")
	}
	if c.ClusterName == "" {
		c.ClusterName = DefaultClusterName
	}
	if c.ClusterAddr != "" && c.NATSURL == "" {
		c.HA = true
		if c.KVReplicas == 0 {
			c.KVReplicas = 3
		}
		if c.Name == "" {
			// Stable across restarts: JetStream knows its peers by name.
			host, port, _ := net.SplitHostPort(c.ClusterAddr)
			c.Name = "sc-" + strings.NewReplacer(".", "-", ":", "-").Replace(host) + "-" + port
		}
	}
	if c.KVReplicas == 0 {
		c.KVReplicas = 1
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	if c.ResyncInterval == 0 {
		c.ResyncInterval = DefaultResyncInterval
	}
	if c.StoreTimeout == 0 {
		c.StoreTimeout = DefaultStoreTimeout
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.Name == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "host"
		}
		c.Name = "sc-" + host + "-" + strings.ToLower(nuid.Next()[16:])
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first problem with the config, if any.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.noAuth && c.AuthDir != "" {
		return errors.New("sc: --no-auth and --auth-dir contradict each other: pass one of them")
	}
	if c.AuthDir != "" && c.NATSURL != "" {
		return errors.New("sc: --auth-dir is for the embedded NATS; with --nats-url pass the SC's --nats-creds FILE (see 'fluvio cluster gen-nats-conf')")
	}
	if c.Creds != "" && c.NATSURL == "" {
		return errors.New("sc: --nats-creds is for an external NATS (--nats-url); the embedded NATS uses --auth-dir")
	}
	if err := c.TLS.Validate(c.NATSURL == ""); err != nil {
		return fmt.Errorf("sc: %w", err)
	}
	if c.ClusterAddr != "" && c.TLS.Cert != "" && c.TLS.CA == "" {
		return errors.New("sc: TLS on the NATS cluster routes needs the CA that signed the other SCs' certificates: pass --tls-ca")
	}
	if c.NATSURL == "" {
		if c.DataDir == "" {
			return errors.New("sc: no data dir: pass --data-dir DIR")
		}
		if _, _, err := splitHostPort(c.Addr); err != nil {
			return err
		}
		if c.ClusterAddr != "" {
			if _, port, err := splitHostPort(c.ClusterAddr); err != nil || port == 0 {
				return fmt.Errorf("sc: bad --cluster %q: want the route listen address HOST:PORT with a fixed port, e.g. 127.0.0.1:6222", c.ClusterAddr)
			}
		}
	} else if c.ClusterAddr != "" || c.Routes != "" {
		return errors.New("sc: --cluster and --routes make the embedded NATS a cluster node; with --nats-url (an existing NATS) leave them out")
	}
	if c.PrivateAddr != "" && c.PrivateAddr != "none" {
		if _, _, err := splitHostPort(c.PrivateAddr); err != nil {
			return fmt.Errorf("sc: bad --sc-private address %q: want HOST:PORT, e.g. 127.0.0.1:9004", c.PrivateAddr)
		}
	}
	if c.HeartbeatInterval < 0 || c.HeartbeatTimeout < 0 || c.ResyncInterval < 0 || c.StoreTimeout < 0 || c.LeaseTTL < 0 {
		return errors.New("sc: durations must be positive: check --heartbeat-interval, --heartbeat-timeout, --resync-interval and --lease-ttl")
	}
	if c.LeaseTTL < 200*time.Millisecond {
		return fmt.Errorf("sc: --lease-ttl %v is too short: use at least 200ms (4s is usual)", c.LeaseTTL)
	}
	if c.HeartbeatTimeout <= c.HeartbeatInterval {
		return fmt.Errorf("sc: --heartbeat-timeout %v must be longer than --heartbeat-interval %v (3x is usual)", c.HeartbeatTimeout, c.HeartbeatInterval)
	}
	if c.KVReplicas < 1 || c.KVReplicas > 5 {
		return fmt.Errorf("sc: --kv-replicas %d out of range: pick 1, 3 or 5", c.KVReplicas)
	}
	return nil
}

// privateAddr returns the private port's address and whether it was set
// explicitly; "" means none.
func (c Config) privateAddr() (addr string, explicit bool) {
	switch c.PrivateAddr {
	case "none":
		return "", true
	case "":
	default:
		return c.PrivateAddr, true
	}
	if c.NATSURL != "" {
		return "", false
	}
	host, port, err := splitHostPort(c.Addr)
	if err != nil {
		return "", false
	}
	switch {
	case port == 0:
	case port == 9003:
		port = DefaultPrivatePort
	case port < 65535:
		port++
	default:
		return "", false
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), false
}

// splitHostPort parses the --sc address.
func splitHostPort(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("sc: bad --sc address %q: %w (want HOST:PORT, e.g. 127.0.0.1:9003)", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("sc: bad port in --sc %q: want a number 0-65535", addr)
	}
	return host, port, nil
}
