package fluvio

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/wire"
)

// spuConn is a pipelined connection to one SPU, safe for concurrent use
// (*wire.Conn).
type spuConn interface {
	Produce(ctx context.Context, req *wire.ProduceRequest) (*wire.ProduceResponse, error)
	Fetch(ctx context.Context, req *wire.FetchRequest) (*wire.FetchResponse, error)
	ListOffsets(ctx context.Context, req *wire.ListOffsetsRequest) (*wire.ListOffsetsResponse, error)
	Close() error
}

// dialFunc opens a connection to SPU id's public address.
type dialFunc func(ctx context.Context, id bus.SPUID, addr string) (spuConn, error)

// connPool holds one connection per SPU, dialed on first use and shared.
// Concurrent first users wait for the same dial.
type connPool struct {
	ctx         context.Context // the Client's: cancelled by Close
	dial        dialFunc
	dialTimeout time.Duration

	mu    sync.Mutex
	conns map[bus.SPUID]*poolEntry // guarded by mu
}

type poolEntry struct {
	addr  string
	ready chan struct{} // closed when conn or err is set
	conn  spuConn       // set under connPool.mu before ready is closed
	err   error         // set under connPool.mu before ready is closed
}

func newConnPool(ctx context.Context, dial dialFunc, timeout time.Duration) *connPool {
	return &connPool{ctx: ctx, dial: dial, dialTimeout: timeout, conns: map[bus.SPUID]*poolEntry{}}
}

// get returns the connection to SPU id at addr, dialing it if needed. A
// dial failure is retriable (the SPU may be restarting or have moved).
func (p *connPool) get(ctx context.Context, id bus.SPUID, addr string) (spuConn, error) {
	p.mu.Lock()
	e, ok := p.conns[id]
	for ok && e.addr != addr {
		// The SPU moved: close the old connection (waiting for its dial,
		// which dialTimeout bounds) and dial the new address.
		delete(p.conns, id)
		p.mu.Unlock()
		closeWhenReady(e)
		p.mu.Lock()
		e, ok = p.conns[id]
	}
	if !ok {
		if p.ctx.Err() != nil {
			p.mu.Unlock()
			return nil, fmt.Errorf("client: %w", ErrClosed)
		}
		e = &poolEntry{addr: addr, ready: make(chan struct{})}
		p.conns[id] = e
		p.mu.Unlock()
		dctx, cancel := context.WithTimeout(p.ctx, p.dialTimeout)
		conn, err := p.dial(dctx, id, addr)
		cancel()
		// Under mu: drop compares e.conn under mu while this dial may still
		// be running for another user of the entry. Readers that waited on
		// ready see the fields through the close.
		p.mu.Lock()
		e.conn, e.err = conn, err
		p.mu.Unlock()
		close(e.ready)
		if e.err != nil {
			p.forget(id, e)
			if permanentDialError(e.err) {
				return nil, &Error{Op: fmt.Sprintf("connect to SPU %d at %s", id, addr), Err: e.err}
			}
			return nil, markRetriable(&Error{Op: fmt.Sprintf("connect to SPU %d at %s", id, addr), Err: e.err,
				Hint: fmt.Sprintf("is spu-server %d running and reachable? check 'fluvio spu list'", id)})
		}
		return e.conn, nil
	}
	p.mu.Unlock()
	// Dialed already is the common case (a 1,000-partition producer's
	// drain gets a connection per request): no two-way select for it.
	select {
	case <-e.ready:
	default:
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if e.err != nil {
		if permanentDialError(e.err) {
			return nil, fmt.Errorf("connect to SPU %d at %s: %w", id, addr, e.err)
		}
		return nil, markRetriable(fmt.Errorf("connect to SPU %d at %s: %w", id, addr, e.err))
	}
	return e.conn, nil
}

func closeWhenReady(e *poolEntry) {
	<-e.ready
	if e.conn != nil {
		e.conn.Close()
	}
}

// forget removes e if it is still id's entry.
func (p *connPool) forget(id bus.SPUID, e *poolEntry) {
	p.mu.Lock()
	if p.conns[id] == e {
		delete(p.conns, id)
	}
	p.mu.Unlock()
}

// drop closes conn and removes it from the pool if it is still id's, after
// a connection error, so the next get dials again.
func (p *connPool) drop(id bus.SPUID, conn spuConn) {
	p.mu.Lock()
	if e, ok := p.conns[id]; ok && e.conn == conn {
		delete(p.conns, id)
	}
	p.mu.Unlock()
	conn.Close()
}

// closeAll closes every connection; the pool's ctx is already cancelled,
// so dials in progress fail and no new ones start.
func (p *connPool) closeAll() {
	p.mu.Lock()
	entries := p.conns
	p.conns = map[bus.SPUID]*poolEntry{}
	p.mu.Unlock()
	for _, e := range entries {
		closeWhenReady(e)
	}
}

// permanentDialError reports whether a dial failed on settings a retry
// does not change: TLS that does not match the SPU's, or an SPU refusing
// the client's identity.
func permanentDialError(err error) bool {
	return errors.Is(err, wire.ErrTLSHandshake) || errors.Is(err, wire.TLSRequired.Err()) ||
		errors.Is(err, wire.ClientAuthFailed.Err()) || errors.Is(err, wire.NotAuthorized.Err())
}
