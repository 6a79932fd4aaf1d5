package wire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
)

// pki is a test CA with a server and a client certificate.
type pki struct {
	server, client *tls.Config
}

func newPKI(t *testing.T, clientName string) pki {
	t.Helper()
	ca, err := tlsconf.NewAuthority("test-ca")
	testkit.NoErr(t, err)
	scert, skey, err := ca.Issue(tlsconf.Leaf{Name: "spu-1", Hosts: tlsconf.LocalHosts})
	testkit.NoErr(t, err)
	ccert, ckey, err := ca.Issue(tlsconf.Leaf{Name: clientName, Role: tlsconf.RoleReadOnly})
	testkit.NoErr(t, err)
	server, err := tlsconf.PEM{Cert: scert, Key: skey, CA: ca.CertPEM}.ServerConfig()
	testkit.NoErr(t, err)
	client, err := tlsconf.PEM{Cert: ccert, Key: ckey, CA: ca.CertPEM}.ClientConfig("")
	testkit.NoErr(t, err)
	return pki{server: server, client: client}
}

// logBuffer collects a server's log lines.
type logBuffer struct{ testkit.Buffer }

func (l *logBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	testkit.WaitFor(t, 5*time.Second, func() error {
		if !strings.Contains(l.String(), s) {
			return fmt.Errorf("the server never logged %q; log:\n%s", s, l.String())
		}
		return nil
	})
}

// peerCN is a handler that answers ListOffsets with the length of the
// verified client certificate's CN (0: none), to show the handler sees it.
type peerCN struct{}

func (peerCN) Handle(ctx context.Context, req Request) Reply {
	n := int64(0)
	if st := ConnStateOf(ctx).TLS(); st != nil && len(st.PeerCertificates) > 0 {
		n = int64(len(st.PeerCertificates[0].Subject.CommonName))
	}
	return Respond(&ListOffsetsResponse{Offset: n})
}

func TestTLSMutualRoundTrip(t *testing.T) {
	p := newPKI(t, "client-abc")
	addr := testServer(t, ServerConfig{TLS: p.server}, peerCN{})
	c, err := Dialer{TLS: p.client}.Dial(context.Background(), addr)
	testkit.NoErr(t, err)
	defer c.Close()
	resp, err := c.ListOffsets(context.Background(), &ListOffsetsRequest{Topic: "t"})
	testkit.NoErr(t, err)
	testkit.Equal(t, resp.Offset, int64(len("client-abc")))
}

func TestTLSPlaintextClientOnTLSPort(t *testing.T) {
	p := newPKI(t, "c")
	var log logBuffer
	addr := testServer(t, ServerConfig{TLS: p.server, Logger: slog.New(slog.NewTextHandler(&log, nil))}, peerCN{})
	c, err := Dial(context.Background(), addr)
	testkit.NoErr(t, err)
	defer c.Close()
	_, err = c.ListOffsets(context.Background(), &ListOffsetsRequest{Topic: "t"})
	if err == nil || !strings.Contains(err.Error(), "the SPU at "+addr+" speaks TLS") || !strings.Contains(err.Error(), "--tls-ca") {
		t.Fatalf("plaintext request on a TLS port: %v", err)
	}
	if !errors.Is(err, TLSRequired.Err()) {
		t.Fatalf("error does not carry the TLSRequired code: %v", err)
	}
	log.waitFor(t, "plaintext connection from 127.0.0.1:")
	log.waitFor(t, "on a TLS port")
}

func TestTLSClientOnPlaintextPort(t *testing.T) {
	p := newPKI(t, "c")
	var log logBuffer
	addr := testServer(t, ServerConfig{Logger: slog.New(slog.NewTextHandler(&log, nil))}, peerCN{})
	_, err := Dialer{TLS: p.client}.Dial(context.Background(), addr)
	if err == nil || !strings.Contains(err.Error(), "does not speak TLS") {
		t.Fatalf("TLS dial of a plaintext port: %v", err)
	}
	log.waitFor(t, "on a plaintext port")
}

func TestTLSWrongCARefused(t *testing.T) {
	p, other := newPKI(t, "c"), newPKI(t, "c")
	var log logBuffer
	addr := testServer(t, ServerConfig{TLS: p.server, Logger: slog.New(slog.NewTextHandler(&log, nil))}, peerCN{})
	// The client trusts another CA: it refuses the server.
	_, err := Dialer{TLS: other.client}.Dial(context.Background(), addr)
	if err == nil || !strings.Contains(err.Error(), "does not trust") {
		t.Fatalf("dial with the wrong CA: %v", err)
	}
	// The client trusts the server but its certificate is another CA's:
	// the server refuses it (TLS 1.3 reports it on the first read).
	mixed := other.client.Clone()
	mixed.RootCAs = p.client.RootCAs
	c, err := Dialer{TLS: mixed}.Dial(context.Background(), addr)
	if err == nil {
		_, err = c.ListOffsets(context.Background(), &ListOffsetsRequest{Topic: "t"})
		c.Close()
	}
	if err == nil {
		t.Fatal("a client certificate of another CA was accepted")
	}
	log.waitFor(t, "TLS handshake failed")
	// No certificate at all: refused too.
	bare := p.client.Clone()
	bare.Certificates = nil
	c, err = Dialer{TLS: bare}.Dial(context.Background(), addr)
	if err == nil {
		_, err = c.ListOffsets(context.Background(), &ListOffsetsRequest{Topic: "t"})
		c.Close()
	}
	if err == nil {
		t.Fatal("a client without a certificate was accepted by a mutual-TLS server")
	}
}
