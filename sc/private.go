package sc

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"
)

// privatePort is the SC's private port (Fluvio's 9004, for SPUs only): a
// TCP proxy in the SC process that forwards each accepted connection, byte
// for byte, to the NATS client listener. Forwarding bytes (not terminating
// the NATS protocol) keeps whatever the NATS listener requires — TLS,
// credentials, permissions — end to end: an SPU behind the private port
// authenticates to NATS exactly as it would on the public port.
//
// Hooks for SPU identities: admit sees every accepted
// connection before anything is forwarded (refuse by returning an error),
// and isPrivate tells whether a connection the NATS server sees came in
// through this port (its remote address is one of our upstream dials), so
// a NATS authenticator can require an SPU identity there.
type privatePort struct {
	l        net.Listener
	upstream string // the NATS client listener, HOST:PORT
	admit    func(net.Conn) error
	log      *slog.Logger

	wg sync.WaitGroup // accept loop and the pipes

	mu     sync.Mutex
	closed bool                  // guarded by mu
	conns  map[net.Conn]struct{} // guarded by mu: both sides of every pipe
	locals map[string]struct{}   // guarded by mu: local addresses of upstream dials
}

// listenPrivate binds addr and starts forwarding to upstream.
func listenPrivate(addr, upstream string, admit func(net.Conn) error, log *slog.Logger) (*privatePort, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &privatePort{l: l, upstream: upstream, admit: admit, log: log,
		conns: map[net.Conn]struct{}{}, locals: map[string]struct{}{}}
	p.wg.Go(p.acceptLoop)
	return p, nil
}

// Addr is the bound HOST:PORT.
func (p *privatePort) Addr() string {
	a := p.l.Addr().(*net.TCPAddr)
	return net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port))
}

// isPrivate reports whether remote (as the NATS server sees a client) is
// a connection forwarded from the private port.
func (p *privatePort) isPrivate(remote net.Addr) bool {
	if p == nil || remote == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.locals[remote.String()]
	return ok
}

func (p *privatePort) acceptLoop() {
	var delay time.Duration
	for {
		c, err := p.l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary (e.g. out of file descriptors): back off, go on.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			p.log.Warn("private port: accept failed", "err", err, "retry", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if !p.track(c) {
			_ = c.Close()
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

// track registers c for Close; false once closed.
func (p *privatePort) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *privatePort) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	if c != nil {
		delete(p.locals, c.LocalAddr().String())
	}
	p.mu.Unlock()
	_ = c.Close()
}

// serve forwards one connection until either side closes it.
func (p *privatePort) serve(down net.Conn) {
	defer p.untrack(down)
	if p.admit != nil {
		if err := p.admit(down); err != nil {
			p.log.Warn("private port: connection refused", "remote", down.RemoteAddr().String(), "err", err)
			return
		}
	}
	up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		p.log.Warn("private port: cannot reach the NATS listener", "upstream", p.upstream, "err", err)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = up.Close()
		return
	}
	p.conns[up] = struct{}{}
	p.locals[up.LocalAddr().String()] = struct{}{}
	p.mu.Unlock()
	defer p.untrack(up)

	var pipes sync.WaitGroup
	pipes.Go(func() { pipe(up, down) })
	pipe(down, up)
	pipes.Wait()
}

// pipe copies src to dst, then closes both so the other direction ends.
func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// Close stops accepting, cuts every forwarded connection and waits for
// the goroutines.
func (p *privatePort) Close() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	err := p.l.Close()
	p.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("sc: close private port: %w", err)
	}
	return nil
}
