package wire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// tcpPair returns both ends of a loopback TCP connection, each read and
// written through newRawIO.
func tcpPair(t *testing.T) (a, b *rawIO) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, _ := ln.Accept()
		accepted <- nc
	}()
	ca, err := net.Dial("tcp", ln.Addr().String())
	testkit.NoErr(t, err)
	cb := <-accepted
	if cb == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() {
		ca.Close()
		cb.Close()
	})
	ra, ok := newRawIO(ca).(*rawIO)
	if !ok {
		t.Fatal("newRawIO of a TCP connection is not a rawIO")
	}
	rb, ok := newRawIO(cb).(*rawIO)
	if !ok {
		t.Fatal("newRawIO of an accepted TCP connection is not a rawIO")
	}
	return ra, rb
}

// pattern returns n bytes that differ from one offset to the next.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// Messages below, at and above maxRawIO (the larger ones go through
// net.Conn) arrive whole and in order, both ways.
func TestRawIOReadWrite(t *testing.T) {
	a, b := tcpPair(t)
	for _, n := range []int{1, 100, 4096, maxRawIO, maxRawIO + 1, 1 << 20} {
		for _, dir := range [][2]*rawIO{{a, b}, {b, a}} {
			msg := pattern(n)
			errc := make(chan error, 1)
			go func() {
				w, err := dir[0].Write(msg)
				if err == nil && w != n {
					err = io.ErrShortWrite
				}
				errc <- err
			}()
			got := make([]byte, n)
			if _, err := io.ReadFull(dir[1], got); err != nil {
				t.Fatalf("%d bytes: read: %v", n, err)
			}
			testkit.NoErr(t, <-errc)
			if !bytes.Equal(got, msg) {
				t.Fatalf("%d bytes: the bytes read differ from those written", n)
			}
		}
	}
	// An empty read returns at once.
	n, err := a.Read(nil)
	testkit.NoErr(t, err)
	testkit.Equal(t, n, 0)
}

// A read of an empty socket waits in the poller until data comes; a
// write to a full socket waits until the peer reads, and nothing is lost
// or reordered.
func TestRawIOWaitsInPoller(t *testing.T) {
	a, b := tcpPair(t)
	read := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 10)
		n, err := b.Read(buf)
		if err != nil {
			n = 0
		}
		read <- buf[:n]
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		if b.waits.Load() == 0 {
			return errors.New("the read has not waited yet")
		}
		return nil
	})
	_, err := a.Write([]byte("hello"))
	testkit.NoErr(t, err)
	testkit.Equal(t, string(<-read), "hello")

	// Small socket buffers: 8 MiB cannot fit, so the writer waits.
	testkit.NoErr(t, a.nc.(*net.TCPConn).SetWriteBuffer(16<<10))
	testkit.NoErr(t, b.nc.(*net.TCPConn).SetReadBuffer(16<<10))
	msg := pattern(8 << 20)
	written := make(chan error, 1)
	go func() {
		var err error
		for off := 0; off < len(msg) && err == nil; off += 32 << 10 {
			_, err = a.Write(msg[off:min(off+32<<10, len(msg))])
		}
		written <- err
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		if a.waits.Load() == 0 {
			return errors.New("the writer has not waited for room yet")
		}
		return nil
	})
	got := make([]byte, len(msg))
	_, err = io.ReadFull(b, got)
	testkit.NoErr(t, err)
	testkit.NoErr(t, <-written)
	if !bytes.Equal(got, msg) {
		t.Fatal("the bytes read differ from those written")
	}
}

// Deadlines hold as on net.Conn: one already past fails a read at once, one
// set while a read waits interrupts it (as Conn.interrupt does), and a
// write that cannot finish in time returns what it wrote.
func TestRawIODeadlines(t *testing.T) {
	a, b := tcpPair(t)
	testkit.NoErr(t, b.nc.SetReadDeadline(time.Now().Add(-time.Second)))
	_, err := b.Read(make([]byte, 10))
	testkit.ErrIs(t, err, os.ErrDeadlineExceeded)

	testkit.NoErr(t, b.nc.SetReadDeadline(time.Time{}))
	readErr := make(chan error, 1)
	go func() {
		_, err := b.Read(make([]byte, 10))
		readErr <- err
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		if b.waits.Load() == 0 {
			return errors.New("the read has not waited yet")
		}
		return nil
	})
	testkit.NoErr(t, b.nc.SetReadDeadline(time.Now()))
	testkit.ErrIs(t, <-readErr, os.ErrDeadlineExceeded)

	testkit.NoErr(t, a.nc.(*net.TCPConn).SetWriteBuffer(16<<10))
	testkit.NoErr(t, b.nc.(*net.TCPConn).SetReadBuffer(16<<10))
	testkit.NoErr(t, a.nc.SetWriteDeadline(time.Now().Add(50*time.Millisecond)))
	chunk := pattern(32 << 10)
	total := 0
	for range 1000 { // at most 32 MiB: the socket fills long before
		n, err := a.Write(chunk)
		total += n
		if err != nil {
			testkit.ErrIs(t, err, os.ErrDeadlineExceeded)
			if n == len(chunk) {
				t.Fatalf("a write that timed out reports all %d bytes written", n)
			}
			return
		}
	}
	t.Fatalf("%d bytes written to a socket nobody reads, no deadline error", total)
}

// The peer's close is io.EOF; a write after the peer reset the connection
// fails with a *net.OpError, as on net.Conn.
func TestRawIOClosedPeer(t *testing.T) {
	a, b := tcpPair(t)
	testkit.NoErr(t, b.nc.Close())
	_, err := a.Read(make([]byte, 10))
	testkit.ErrIs(t, err, io.EOF)

	c, d := tcpPair(t)
	testkit.NoErr(t, d.nc.(*net.TCPConn).SetLinger(0)) // close with a reset
	testkit.NoErr(t, d.nc.Close())
	testkit.WaitFor(t, 5*time.Second, func() error {
		_, err := c.Write([]byte("x"))
		if err == nil {
			return errors.New("writes still succeed")
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "write" {
			t.Fatalf("write error %v (%T), want a *net.OpError of op write", err, err)
		}
		return nil
	})
}

// Only plain TCP connections are read raw: anything else (net.Pipe here,
// TLS) is used as it is.
func TestRawIOOnlyForTCP(t *testing.T) {
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if rw := newRawIO(p1); rw != io.ReadWriter(p1) {
		t.Fatalf("newRawIO(net.Pipe) = %T, want the pipe itself", rw)
	}
}

// A Conn over TCP reads and writes its socket raw: a caller waiting for
// its answer waits in the poller through rawIO, and the answer is read
// raw once it comes.
func TestConnUsesRawIO(t *testing.T) {
	e := &echo{release: make(chan struct{})}
	c := dial(t, testServer(t, ServerConfig{}, e))
	if c.raw == nil {
		t.Fatal("a Conn over TCP has no rawIO")
	}
	r, err := c.Produce(context.Background(), &ProduceRequest{Records: make([]byte, 3)})
	testkit.NoErr(t, err)
	testkit.Equal(t, r.BaseOffset, 3)
	fetched := make(chan error, 1)
	go func() {
		_, err := c.Fetch(context.Background(), &FetchRequest{Partitions: []FetchPartition{{Topic: "t"}}})
		fetched <- err
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		if c.raw.waits.Load() == 0 {
			return errors.New("the fetch's caller has not waited in the poller through rawIO")
		}
		return nil
	})
	close(e.release)
	testkit.NoErr(t, <-fetched)
	testkit.Equal(t, c.frames.byCaller.Load(), 2)
}
