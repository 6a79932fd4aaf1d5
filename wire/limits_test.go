package wire

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// serveLimited runs Serve with cfg and a handler that answers
// ListOffsets, until the test ends.
func serveLimited(t *testing.T, cfg ServerConfig) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = Serve(ctx, ln, cfg, HandlerFunc(func(context.Context, Request) Reply {
			return Respond(&ListOffsetsResponse{})
		}))
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ln.Addr().String()
}

// closedByServer reports whether the server closed c (within 5 s).
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

// TestConnectionLimits: connections over the per-IP limit are closed at
// once, the ones within it are served, and a connection that never sends
// a request is closed after FirstRequestTimeout.
func TestConnectionLimits(t *testing.T) {
	addr := serveLimited(t, ServerConfig{MaxConns: 10, MaxConnsPerIP: 3, FirstRequestTimeout: 300 * time.Millisecond, IdleTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A served connection that keeps talking.
	good, err := Dial(ctx, addr)
	testkit.NoErr(t, err)
	defer good.Close()
	_, err = good.ListOffsets(ctx, &ListOffsetsRequest{})
	testkit.NoErr(t, err)
	// Two idle ones fill the per-IP limit; the fourth is refused.
	var idle []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", addr)
		testkit.NoErr(t, err)
		defer c.Close()
		idle = append(idle, c)
	}
	if !closedByServer(idle[2]) {
		t.Fatal("a connection over the per-IP limit was kept")
	}
	// The idle ones go after FirstRequestTimeout; the talking one stays.
	start := time.Now()
	for _, c := range idle[:2] {
		if !closedByServer(c) {
			t.Fatal("an idle connection was kept past FirstRequestTimeout")
		}
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("idle connections closed after %v", time.Since(start))
	}
	_, err = good.ListOffsets(ctx, &ListOffsetsRequest{})
	testkit.NoErr(t, err)
	// Their slots are free again.
	again, err := Dial(ctx, addr)
	testkit.NoErr(t, err)
	defer again.Close()
	_, err = again.ListOffsets(ctx, &ListOffsetsRequest{})
	testkit.NoErr(t, err)
}

func TestDefaultLimits(t *testing.T) {
	c := ServerConfig{}.withDefaults()
	if c.IdleTimeout > 60*time.Second || c.FirstRequestTimeout > c.IdleTimeout || c.MaxConns < 64 || c.MaxConnsPerIP <= 0 || c.QueueDepth <= 0 {
		t.Fatalf("defaults %+v", c)
	}
}
