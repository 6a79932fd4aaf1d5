package sc_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats.go"
)

// TestPrivatePort: the SC serves its private port (Fluvio's 9004) beside
// the public one; a NATS client (an SPU) works through it, and Close cuts
// its connections.
func TestPrivatePort(t *testing.T) {
	s, err := sc.Start(context.Background(), sc.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir()})
	testkit.NoErr(t, err)
	defer s.Close()
	priv := s.PrivateAddr()
	if priv == "" || priv == s.Addr() || !strings.HasPrefix(priv, "127.0.0.1:") {
		t.Fatalf("PrivateAddr %q (public %q)", priv, s.Addr())
	}
	closed := make(chan struct{})
	nc, err := nats.Connect("nats://"+priv, nats.MaxReconnects(0), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	testkit.NoErr(t, err)
	defer nc.Close()
	_, err = req[bus.SPURegisterResponse](t, nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: 200, PublicEndpoint: "h:9005", PrivateEndpoint: "h:9006"})
	testkit.NoErr(t, err)
	list, err := req[bus.SPUListResponse](t, nc, bus.SubjectAdminSPUList, bus.SPUListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(list.Items), 1)
	testkit.NoErr(t, s.Close())
	<-closed // the proxied connection ended with the SC
}

// TestPrivatePortBusy: an explicit --sc-private that is busy fails Start
// naming the address and the flag; a derived one is skipped; "none"
// disables it.
func TestPrivatePortBusy(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	defer l.Close()
	_, err = sc.Start(context.Background(), sc.Config{Addr: "127.0.0.1:0", PrivateAddr: l.Addr().String(), DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) || !strings.Contains(err.Error(), "--sc-private HOST:PORT") {
		t.Fatalf("got %v, want an error naming %s and --sc-private", err, l.Addr())
	}

	// A public port whose +1 neighbour is busy still starts.
	var s *sc.Server
	for range 20 {
		pub, err := net.Listen("tcp", "127.0.0.1:0")
		testkit.NoErr(t, err)
		port := pub.Addr().(*net.TCPAddr).Port
		next, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(port+1)))
		pub.Close()
		if err != nil {
			continue // the neighbour is taken by someone else: try another
		}
		s, err = sc.Start(context.Background(), sc.Config{Addr: pub.Addr().String(), DataDir: t.TempDir()})
		next.Close()
		testkit.NoErr(t, err)
		break
	}
	if s == nil {
		t.Fatal("no free pair of neighbouring ports in 20 tries")
	}
	testkit.Equal(t, s.PrivateAddr(), "")
	testkit.NoErr(t, s.Close())

	s, err = sc.Start(context.Background(), sc.Config{Addr: "127.0.0.1:0", PrivateAddr: "none", DataDir: t.TempDir()})
	testkit.NoErr(t, err)
	testkit.Equal(t, s.PrivateAddr(), "")
	testkit.NoErr(t, s.Close())
}

func itoa(n int) string { return strconv.Itoa(n) }
