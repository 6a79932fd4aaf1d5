package sc_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
	"github.com/fluvio-go/fluvio/sc"
)

// TestNATSRoutesTLS: three SCs whose embedded NATS nodes route to each
// other with mutual TLS (one CA, each SC's certificate) form the cluster
// (the bucket at 3 replicas opens only with a majority of routes up). A
// route client presenting another CA's certificate is refused, and one
// with this CA's certificate completes the handshake (the negative
// control); the route port speaks TLS only.
func TestNATSRoutesTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a 3-node JetStream cluster")
	}
	dir := t.TempDir()
	ca, err := tlsconf.EnsureAuthority(dir, "routes-ca")
	testkit.NoErr(t, err)
	files, err := ca.Ensure(dir, tlsconf.Leaf{Name: "sc", Hosts: tlsconf.LocalHosts})
	testkit.NoErr(t, err)
	routes := freeAddrs(t, 3)
	scs := make([]*sc.Server, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			scs[i], errs[i] = sc.Start(context.Background(), sc.Config{
				Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, "sc", routes[i]), ClusterAddr: routes[i], Routes: strings.Join(routes, ","),
				HeartbeatInterval: 100 * time.Millisecond, HeartbeatTimeout: 600 * time.Millisecond, LeaseTTL: haLeaseTTL,
				TLS: files,
			})
		})
	}
	wg.Wait()
	for i, s := range scs {
		if s != nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		testkit.NoErr(t, errs[i])
	}
	if !strings.HasPrefix(scs[0].URL(), "tls://") {
		t.Fatalf("client URL %s: the client listener does not speak TLS", scs[0].URL())
	}

	pem, err := files.Load()
	testkit.NoErr(t, err)
	good, err := pem.ClientConfig("127.0.0.1")
	testkit.NoErr(t, err)
	other, err := tlsconf.NewAuthority("other-ca")
	testkit.NoErr(t, err)
	oc, okey, err := other.Issue(tlsconf.Leaf{Name: "sc", Hosts: tlsconf.LocalHosts})
	testkit.NoErr(t, err)
	stranger := good.Clone()
	cert, err := tls.X509KeyPair(oc, okey)
	testkit.NoErr(t, err)
	stranger.Certificates = []tls.Certificate{cert}

	// routeHandshake runs a TLS client handshake on the route port (routes
	// speak TLS from the first byte) and reads the INFO that follows: a
	// refused certificate fails one of them (TLS 1.3 reports it on the
	// first read).
	routeHandshake := func(cfg *tls.Config) error {
		nc, err := net.DialTimeout("tcp", routes[0], 2*time.Second)
		if err != nil {
			return err
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(3 * time.Second))
		tc := tls.Client(nc, cfg)
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("handshake: %w", err)
		}
		info, err := bufio.NewReader(tc).ReadString('\n')
		if err != nil {
			return fmt.Errorf("read after the handshake: %w", err)
		}
		if !strings.HasPrefix(info, "INFO ") {
			return fmt.Errorf("no route INFO: %q", info)
		}
		return nil
	}
	// Plaintext: the route port answers nothing readable.
	if nc, err := net.DialTimeout("tcp", routes[0], 2*time.Second); err == nil {
		_ = nc.SetDeadline(time.Now().Add(3 * time.Second))
		_, _ = nc.Write([]byte("CONNECT {}\r\n"))
		if line, err := bufio.NewReader(nc).ReadString('\n'); err == nil && strings.HasPrefix(line, "INFO ") {
			t.Errorf("the route port answered a plaintext client: %q", line)
		}
		nc.Close()
	}
	if err := routeHandshake(good); err != nil {
		t.Fatalf("a route client with the cluster's certificate: %v", err)
	}
	if err := routeHandshake(stranger); err == nil {
		t.Fatal("a route client with another CA's certificate was accepted")
	}
}
