package sc

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
)

// TestPrivatePortHooks: isPrivate tells the proxied connections (as the
// upstream sees them) from direct ones, and admit can refuse a connection
// before anything is forwarded.
func TestPrivatePortHooks(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	refuse := make(chan bool, 1)
	refuse <- false
	p, err := listenPrivate("127.0.0.1:0", up.Addr().String(), func(net.Conn) error {
		if <-refuse {
			return errors.New("not an SPU")
		}
		return nil
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := up.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("forwarded %q, %v", buf, err)
	}
	if !p.isPrivate(s.RemoteAddr()) {
		t.Fatalf("%v came through the private port but isPrivate says no", s.RemoteAddr())
	}
	direct, err := net.Dial("tcp", up.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if p.isPrivate(direct.LocalAddr()) {
		t.Fatalf("direct connection %v reported as private", direct.LocalAddr())
	}

	refuse <- true
	r, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Read(buf); err == nil {
		t.Fatal("a refused connection was not closed")
	}
}
