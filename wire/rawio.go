package wire

import (
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
)

// Reading and writing a TCP socket without waking the Go runtime's
// monitor thread. A Go program that waits in the network poller with
// nothing else to run leaves every P idle, and the runtime's sysmon thread
// then goes into a deep sleep; the next system call made through the
// syscall package (entersyscall) wakes it with a futex call, and the
// woken thread runs on the other core for a few microseconds. On an idle
// round trip that is every round trip: the read of the answer that has
// just arrived (or the write of the next request) pays the wake-up, and
// on 2 cores the woken thread competes with the server's. The socket is
// non-blocking (the poller waits for it), so a read or write never
// sleeps in the kernel: rawIO makes them raw system calls inside the
// connection's RawConn, which still waits in the poller when the socket
// is not ready and honours the read and write deadlines as net.Conn does.
// A client's CPU per idle round trip fell by about a quarter with it
// (bench/README.md, G4).
//
// Large reads and writes (more than maxRawIO bytes) go through net.Conn:
// a raw system call is not preemptible, and copying megabytes into or out
// of the kernel should not hold a P that long. Under the race detector
// the reads and writes go through the syscall package (rawio_race.go).

// maxRawIO bounds the reads and writes made as raw system calls: the
// connections' buffers are 64 KiB, so every buffered read and flush is
// one.
const maxRawIO = 64 << 10

// rawIO is a TCP connection's socket read and written with raw system
// calls (see above). A Read and a Write may run at once, but not two
// Reads or two Writes (its users are a bufio.Reader and a bufio.Writer,
// each used by one goroutine at a time): each keeps its call's state in
// the rawIO, so that the function handed to the RawConn is made once
// and not per call (a closure per call was two allocations).
type rawIO struct {
	nc net.Conn
	rc syscall.RawConn
	// waits counts the reads and writes that found the socket not ready
	// and waited in the poller (for tests).
	waits atomic.Int64

	readFn, writeFn func(fd uintptr) bool // r.read and r.write
	// The Read under way: its buffer, the bytes read, its error.
	rp    []byte
	rn    int
	rerrn syscall.Errno
	// The Write under way: its buffer, the bytes written, its error.
	wp    []byte
	wn    int
	werrn syscall.Errno
}

// newRawIO returns nc's reader and writer: a rawIO for a plain TCP
// connection, nc itself for anything else (TLS, net.Pipe in tests).
func newRawIO(nc net.Conn) io.ReadWriter {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	r := &rawIO{nc: nc, rc: rc}
	r.readFn, r.writeFn = r.read, r.write
	return r
}

// Read reads into p with one read(2) once the socket is readable; at the
// end of the stream it returns io.EOF, as net.Conn does.
func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) > maxRawIO {
		return r.nc.Read(p)
	}
	r.rp, r.rn, r.rerrn = p, 0, 0
	err := r.rc.Read(r.readFn)
	n, errno := r.rn, r.rerrn
	r.rp = nil
	if err != nil {
		return 0, err // a deadline, or the connection closed
	}
	if errno != 0 {
		return 0, r.opError("read", errno)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// read is Read's function for the RawConn: false means "not ready, wait
// in the poller".
func (r *rawIO) read(fd uintptr) bool {
	for {
		n, errno := sysRead(fd, r.rp)
		switch errno {
		case 0:
			r.rn = n
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			r.waits.Add(1)
			return false
		default:
			r.rerrn = errno
		}
		return true
	}
}

// Write writes all of p, waiting in the poller whenever the socket's
// buffer is full.
func (r *rawIO) Write(p []byte) (int, error) {
	if len(p) > maxRawIO {
		return r.nc.Write(p)
	}
	r.wp, r.wn, r.werrn = p, 0, 0
	err := r.rc.Write(r.writeFn)
	n, errno := r.wn, r.werrn
	r.wp = nil
	if err != nil {
		return n, err
	}
	if errno != 0 {
		return n, r.opError("write", errno)
	}
	return n, nil
}

// write is Write's function for the RawConn: it writes until all of wp
// is written (true), the socket is full (false: wait in the poller) or
// an error (true, werrn set).
func (r *rawIO) write(fd uintptr) bool {
	for r.wn < len(r.wp) {
		rest := r.wp[r.wn:]
		n, errno := sysWrite(fd, rest)
		switch errno {
		case 0:
			r.wn += n
		case syscall.EINTR:
		case syscall.EAGAIN:
			r.waits.Add(1)
			return false
		default:
			r.werrn = errno
			return true
		}
	}
	return true
}

// opError wraps a system call's errno as net.Conn's errors do.
func (r *rawIO) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Source: r.nc.LocalAddr(), Addr: r.nc.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}
