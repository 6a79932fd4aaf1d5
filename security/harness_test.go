package security

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/fluvio-go/fluvio/spu"
	"github.com/nats-io/nats.go"
)

// cluster is an SC with auth on its embedded NATS and in-process SPUs.
type cluster struct {
	t    *testing.T
	dir  string
	sc   *sc.Server
	ids  *natsauth.Identities
	spus map[bus.SPUID]*spu.Server
	keys map[bus.SPUID]*natsauth.Creds
	// With TLS (startTLSCluster): the CA under dir/tls, and the admin's
	// client configuration (certificate with role admin, the CA).
	ca        *tlsconf.Authority
	adminTLS  *tls.Config
	tlsFiles  map[string]tlsconf.Files // by certificate name: sc, spu-5001, admin
	listeners map[bus.SPUID][2]string  // public, private addresses
	logs      *logBuffer               // the SC's and SPUs' logs
	noAuth    bool                     // no NATS identities: connect ignores creds
}

func startCluster(t *testing.T, nSPU int) *cluster { return startClusterTLS(t, nSPU, false, false) }

// startTLSCluster is startCluster with TLS on every link: a CA, the SC's
// and each SPU's certificate (mutual TLS everywhere) and an admin
// client certificate. noAuth leaves the NATS identities out (the SPUs
// then have no nkey: their certificates are their only proof).
func startTLSCluster(t *testing.T, nSPU int, noAuth bool) *cluster {
	return startClusterTLS(t, nSPU, true, noAuth)
}

func startClusterTLS(t *testing.T, nSPU int, withTLS, noAuth bool) *cluster {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := &cluster{t: t, dir: dir, spus: map[bus.SPUID]*spu.Server{}, keys: map[bus.SPUID]*natsauth.Creds{},
		tlsFiles: map[string]tlsconf.Files{}, listeners: map[bus.SPUID][2]string{}, logs: &logBuffer{}}
	logger := slog.New(slog.NewTextHandler(c.logs, nil))
	authDir := filepath.Join(dir, "auth")
	if noAuth {
		authDir = ""
	}
	c.noAuth = noAuth
	issue := func(name, role string) tlsconf.Files { return tlsconf.Files{} }
	if withTLS {
		var err error
		if c.ca, err = tlsconf.EnsureAuthority(filepath.Join(dir, "tls"), "test-ca"); err != nil {
			t.Fatal(err)
		}
		issue = func(name, role string) tlsconf.Files {
			f, err := c.ca.Ensure(filepath.Join(dir, "tls"), tlsconf.Leaf{Name: name, Role: role, Hosts: tlsconf.LocalHosts})
			if err != nil {
				t.Fatal(err)
			}
			c.tlsFiles[name] = f
			return f
		}
		pem, err := issue("admin", tlsconf.RoleAdmin).Load()
		if err != nil {
			t.Fatal(err)
		}
		if c.adminTLS, err = pem.ClientConfig(""); err != nil {
			t.Fatal(err)
		}
	}
	s, err := sc.Start(ctx, sc.Config{
		Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, "sc"), AuthDir: authDir,
		HeartbeatInterval: 100 * time.Millisecond, HeartbeatTimeout: time.Second, TLS: issue("sc", ""),
		Logger: logger.With("component", "sc"),
	})
	if err != nil {
		t.Fatalf("start SC: %v", err)
	}
	c.sc = s
	t.Cleanup(c.close)
	if c.ids, err = natsauth.EnsureIdentities(filepath.Join(dir, "auth")); err != nil {
		t.Fatal(err)
	}
	admin := c.connect(c.ids.Admin, nil)
	for i := range nSPU {
		id := bus.SPUID(5001 + i)
		creds, err := natsauth.New(fmt.Sprintf("spu-%d", id), natsauth.RoleSPU)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "auth", natsauth.SPUFile(id))
		if err := creds.Write(path); err != nil {
			t.Fatal(err)
		}
		c.keys[id] = creds
		nkey := creds.Public
		if noAuth {
			path, nkey = "", ""
		}
		pub, priv := listen(t), listen(t)
		if _, err := bus.Request[bus.SPURegisterResponse](ctx, admin, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
			ID: int64(id), PublicEndpoint: pub.Addr().String(), PrivateEndpoint: priv.Addr().String(), NKey: nkey,
		}); err != nil {
			t.Fatalf("register SPU %d: %v", id, err)
		}
		c.listeners[id] = [2]string{pub.Addr().String(), priv.Addr().String()}
		srv, err := spu.Start(ctx, spu.Config{
			ID: int32(id), SCAddr: s.URL(), Creds: path, LogBaseDir: filepath.Join(dir, fmt.Sprint(id)),
			PublicListener: pub, PrivateListener: priv, Stdout: discard{}, TLS: issue(fmt.Sprintf("spu-%d", id), ""),
			Logger: logger.With("component", "spu", "id", id),
		})
		if err != nil {
			t.Fatalf("start SPU %d: %v", id, err)
		}
		c.spus[id] = srv
	}
	return c
}

// logBuffer collects the servers' logs.
type logBuffer struct{ testkit.Buffer }

// waitFor waits until the logs hold every one of parts on one line.
func (l *logBuffer) waitFor(t *testing.T, parts ...string) {
	t.Helper()
	testkit.WaitFor(t, 5*time.Second, func() error {
		for line := range strings.Lines(l.String()) {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return nil
			}
		}
		return fmt.Errorf("no log line with %q", parts)
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (c *cluster) close() {
	for _, s := range c.spus {
		_ = s.Close()
	}
	_ = c.sc.Close()
}

// denials collects the permission violations the server reports to one
// connection.
type denials struct {
	mu   sync.Mutex
	errs []error
	ch   chan struct{}
}

func (d *denials) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	if !errors.Is(err, nats.ErrPermissionViolation) && !strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
		return
	}
	d.mu.Lock()
	d.errs = append(d.errs, err)
	d.mu.Unlock()
	select {
	case d.ch <- struct{}{}:
	default:
	}
}

func (d *denials) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.errs)
}

// connect connects as creds (nil: anonymously); d, if not nil, collects
// the connection's permission violations.
func (c *cluster) connect(creds *natsauth.Creds, d *denials) *nats.Conn {
	c.t.Helper()
	nc, err := c.dial(creds, d)
	if err != nil {
		c.t.Fatalf("connect as %v: %v", creds, err)
	}
	return nc
}

func (c *cluster) dial(creds *natsauth.Creds, d *denials) (*nats.Conn, error) {
	var opts []nats.Option
	if creds != nil && !c.noAuth {
		opts = creds.Options()
	}
	if d != nil {
		d.ch = make(chan struct{}, 1)
		opts = append(opts, nats.ErrorHandler(d.handler))
	}
	opts = append(opts, natsauth.TLSOptions(c.adminTLS)...)
	nc, err := nats.Connect(c.sc.URL(), append(opts, nats.NoReconnect(), nats.Timeout(2*time.Second))...)
	if err == nil {
		c.t.Cleanup(nc.Close)
	}
	return nc, err
}

// denied runs op on nc and reports whether the server refused it: op's
// own error, or a permission violation reported (asynchronously) before
// the round trip after it.
func denied(t *testing.T, nc *nats.Conn, d *denials, op func() error) bool {
	t.Helper()
	before := d.count()
	if err := op(); err != nil {
		return true
	}
	if err := nc.FlushTimeout(2 * time.Second); err != nil {
		t.Fatalf("flush: %v", err)
	}
	deadline := time.After(300 * time.Millisecond) // the -ERR came before the PONG; its callback runs soon after
	for d.count() == before {
		select {
		case <-d.ch:
		case <-deadline:
			return false
		}
	}
	return true
}
