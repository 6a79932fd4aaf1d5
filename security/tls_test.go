package security

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
	"github.com/fluvio-go/fluvio/wire"
	"github.com/nats-io/nats.go"
)

// clientTLS loads the client configuration of certificate name.
func (c *cluster) clientTLS(t *testing.T, name string) *tls.Config {
	t.Helper()
	pem, err := c.tlsFiles[name].Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pem.ClientConfig("")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestTLSEveryLink runs a cluster with TLS on every link (the embedded
// NATS, the SC's private port, the SPUs' public and private servers, all
// mutual TLS) and checks: the followers replicate (their certificates
// name them), the client library produces and consumes over TLS, and
// plaintext clients on each TLS port are refused with a message saying
// the port speaks TLS (and logged by the server), as is a client that
// trusts another CA.
func TestTLSEveryLink(t *testing.T) {
	c := startTLSCluster(t, 2, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := c.victimTopic(t, ctx, 2) // the follower fetched over mutual TLS with its proof
	leader := p.Spec.Leader

	// Negative control: the client library over TLS with the admin's
	// certificate and credentials.
	client, err := fluvio.Connect(ctx, c.sc.URL(), fluvio.WithTLS(c.adminTLS),
		fluvio.WithCredentials(filepath.Join(c.dir, "auth", natsauth.FileAdmin)))
	if err != nil {
		t.Fatalf("connect over TLS: %v", err)
	}
	defer client.Close()
	produceConsume(t, ctx, client, "over TLS")

	// Plaintext on every TLS port.
	accepted, tried := 0, 0
	plain := func(what string, err error, want string) {
		t.Helper()
		tried++
		if err == nil {
			accepted++
			t.Errorf("%s: a plaintext client was accepted", what)
			return
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want an error saying %q, got %v", what, want, err)
		}
	}
	_, err = fluvio.Connect(ctx, c.sc.URL(), fluvio.WithCredentials(filepath.Join(c.dir, "auth", natsauth.FileAdmin)))
	plain("plaintext client on the SC's NATS port", err, "the SC at "+strings.TrimPrefix(c.sc.URL(), "nats://")+" speaks TLS")
	_, err = fluvio.Connect(ctx, c.sc.PrivateAddr(), fluvio.WithCredentials(filepath.Join(c.dir, "auth", natsauth.FileAdmin)))
	plain("plaintext client on the SC's private port", err, "speaks TLS")
	for _, port := range []struct {
		name, addr string
	}{{"public", c.spus[leader].PublicAddr()}, {"private", c.spus[leader].PrivateAddr()}} {
		conn, err := wire.Dial(ctx, port.addr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fetchVictim(ctx, conn)
		conn.Close()
		plain("plaintext client on the SPU's "+port.name+" port", err, "the SPU at "+port.addr+" speaks TLS")
		if err != nil && !errors.Is(err, wire.TLSRequired.Err()) {
			t.Errorf("the %s port's refusal has no TLSRequired code: %v", port.name, err)
		}
	}
	// A raw plaintext NATS client (nats.go itself upgrades to TLS when
	// the server asks, and then fails on the certificate, above).
	raw, err := net.Dial("tcp", strings.TrimPrefix(c.sc.URL(), "tls://"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(5 * time.Second))
	info, err := bufio.NewReader(raw).ReadString('\n')
	if err != nil || !strings.Contains(info, `"tls_required":true`) {
		t.Fatalf("INFO: %q %v", info, err)
	}
	_, _ = raw.Write([]byte("CONNECT {}\r\nPUB x 1\r\nA\r\n"))
	tried++
	if _, err := io.ReadAll(raw); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		accepted++
		t.Errorf("the raw plaintext NATS client was not disconnected: %v", err)
	}
	c.logs.waitFor(t, "plaintext connection from 127.0.0.1:", "on a TLS port", "component=spu")
	c.logs.waitFor(t, "plaintext connection from 127.0.0.1:", "on a TLS port", "component=sc")
	report("plaintext-on-tls accepted", fmt.Sprint(accepted))
	t.Logf("plaintext on TLS ports: %d tried, %d accepted", tried, accepted)

	// A client that trusts another CA refuses the servers; a client
	// whose certificate another CA signed is refused by them.
	other, err := tlsconf.NewAuthority("other")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, _ := other.Issue(tlsconf.Leaf{Name: "admin", Role: tlsconf.RoleAdmin})
	otherTLS, _ := tlsconf.PEM{Cert: certPEM, Key: keyPEM, CA: other.CertPEM}.ClientConfig("")
	_, err = fluvio.Connect(ctx, c.sc.URL(), fluvio.WithTLS(otherTLS), fluvio.WithCredentials(filepath.Join(c.dir, "auth", natsauth.FileAdmin)))
	if err == nil || !strings.Contains(err.Error(), "does not trust") {
		t.Errorf("a client trusting another CA: %v", err)
	}
	_, err = wire.Dialer{TLS: otherTLS}.Dial(ctx, c.spus[leader].PublicAddr())
	if err == nil || !strings.Contains(err.Error(), "does not trust") {
		t.Errorf("a wire client trusting another CA: %v", err)
	}
	forged := otherTLS.Clone()
	forged.RootCAs = c.adminTLS.RootCAs
	conn, err := wire.Dialer{TLS: forged}.Dial(ctx, c.spus[leader].PublicAddr())
	if err == nil {
		_, err = fetchVictim(ctx, conn)
		conn.Close()
	}
	if err == nil {
		t.Error("an SPU accepted a client certificate of another CA")
	}
	nc, err := nats.Connect(c.sc.URL(), nats.Secure(forged), nats.NoReconnect(), nats.Timeout(2*time.Second))
	if err == nil {
		nc.Close()
		t.Error("the NATS listener accepted a client certificate of another CA")
	}
	c.logs.waitFor(t, "TLS handshake failed", "component=spu")
}

// TestTLSFollowerCertificateNamesItself runs TLS without NATS identities:
// the certificate is the only proof on the private port. A connection
// with SPU A's certificate may fetch as A only; a client certificate
// (no SPU name) may not use the private port; the real follower
// replicates.
func TestTLSFollowerCertificateNamesItself(t *testing.T) {
	c := startTLSCluster(t, 2, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := c.victimTopic(t, ctx, 2)
	leader := p.Spec.Leader
	follower := p.Spec.Replicas[0]
	if follower == leader {
		follower = p.Spec.Replicas[1]
	}
	addr := c.spus[leader].PrivateAddr()
	fetchAs := func(cfg *tls.Config, replica bus.SPUID) error {
		conn, err := wire.Dialer{TLS: cfg}.Dial(ctx, addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = conn.Fetch(ctx, &wire.FetchRequest{ReplicaID: int32(replica), MaxBytes: 1 << 20, Partitions: []wire.FetchPartition{
			{Topic: "victim", Partition: 0, Offset: 0, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}})
		return err
	}
	fcert := c.clientTLS(t, fmt.Sprintf("spu-%d", follower))
	if err := fetchAs(fcert, follower); err != nil {
		t.Fatalf("SPU %d fetching as itself with its certificate: %v", follower, err)
	}
	for _, as := range []bus.SPUID{leader, follower + 100} {
		err := fetchAs(fcert, as)
		if !errors.Is(err, wire.ErrSPUAuthFailed) || !strings.Contains(err.Error(), fmt.Sprintf("SPU %d's", follower)) {
			t.Errorf("SPU %d's certificate fetching as replica %d: %v", follower, as, err)
		}
	}
	err := fetchAs(c.adminTLS, follower)
	if !errors.Is(err, wire.ErrSPUAuthFailed) || !strings.Contains(err.Error(), "names no SPU") {
		t.Errorf("an admin certificate on the private port: %v", err)
	}
	// The public port takes the admin's certificate (mutual TLS is the
	// client's authentication here: no credentials needed).
	client, err := fluvio.Connect(ctx, c.sc.URL(), fluvio.WithTLS(c.adminTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	produceConsume(t, ctx, client, "certificate only")
	if p := c.partition(t, ctx, c.connect(nil, nil)); len(p.Status.ISR) != 2 {
		t.Errorf("ISR shrank to %v", p.Status.ISR)
	}
}
