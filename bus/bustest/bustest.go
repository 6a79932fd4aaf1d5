package bustest

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Server is an embedded nats-server with JetStream for one test.
type Server struct {
	*server.Server
	opts *server.Options
	t    testing.TB
}

// Start runs a nats-server with JetStream on 127.0.0.1 and a random port,
// storing under t.TempDir(); it is shut down by t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartDir(t, t.TempDir())
}

// StartDir is Start with an explicit JetStream store directory, so a test
// can restart a server on the same data (see Restart).
func StartDir(t testing.TB, dir string) *Server {
	t.Helper()
	opts := &server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  dir,
		NoLog:     true,
		NoSigs:    true,
	}
	return startOpts(t, opts)
}

func startOpts(t testing.TB, opts *server.Options) *Server {
	t.Helper()
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("bustest: new nats-server: %v", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		t.Fatalf("bustest: nats-server not ready on %s", opts.Host)
	}
	bound := *opts
	bound.Port = ns.Addr().(*net.TCPAddr).Port
	s := &Server{Server: ns, opts: &bound, t: t}
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's client URL, nats://127.0.0.1:PORT.
func (s *Server) URL() string { return s.ClientURL() }

// Addr is the server's HOST:PORT.
func (s *Server) Addr() string { return s.Server.Addr().String() }

// Stop shuts the server down and waits for it; calling it again is a no-op.
func (s *Server) Stop() {
	s.Shutdown()
	s.WaitForShutdown()
}

// Restart stops the server and starts a new one on the same port and store
// directory, returning it; clients with reconnect enabled come back.
func (s *Server) Restart() *Server {
	s.t.Helper()
	return s.RestartAfter(0)
}

// RestartAfter is Restart with an outage of d between stop and start.
func (s *Server) RestartAfter(d time.Duration) *Server {
	s.t.Helper()
	s.Stop()
	time.Sleep(d)
	o := *s.opts
	return startOpts(s.t, &o)
}

// Connect returns a client connection closed by t.Cleanup.
func (s *Server) Connect(t testing.TB, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(s.URL(), opts...)
	if err != nil {
		t.Fatalf("bustest: connect %s: %v", s.URL(), err)
	}
	t.Cleanup(nc.Close)
	return nc
}
