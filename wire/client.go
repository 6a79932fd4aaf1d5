package wire

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultClientMaxFrameSize bounds the response frames a Conn accepts
// unless the Dialer says otherwise (256 MiB: fetch responses are large).
const DefaultClientMaxFrameSize = 256 << 20

// Dialer opens Conns. The zero value is ready to use.
type Dialer struct {
	// MaxFrameSize bounds a response frame; 0 means
	// DefaultClientMaxFrameSize. A larger frame fails the connection.
	MaxFrameSize int
	// KeepAlive is the TCP keep-alive period; 0 means the net default.
	KeepAlive time.Duration
	// TLS, when set, makes the connection TLS (tls.go); an empty
	// ServerName is taken from addr's host.
	TLS *tls.Config
}

// Dial connects to an SPU at addr (host:port) with the zero Dialer.
func Dial(ctx context.Context, addr string) (*Conn, error) {
	return Dialer{}.Dial(ctx, addr)
}

// Dial connects to an SPU at addr; ctx bounds the connect only.
func (d Dialer) Dial(ctx context.Context, addr string) (*Conn, error) {
	nd := net.Dialer{KeepAlive: d.KeepAlive}
	nc, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wire: connect to SPU at %s: %w (is the spu-server running? check 'fluvio cluster spu list')", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if d.TLS != nil {
		if nc, err = dialTLS(ctx, nc, addr, d.TLS); err != nil {
			return nil, err
		}
	}
	return NewConn(nc, d.MaxFrameSize), nil
}

// Conn is a client connection to an SPU. It is safe for concurrent use:
// requests are pipelined (sent without waiting for earlier answers) and
// answered in order. A connection-level failure (network error, bad
// frame) fails every pending and later call with an error wrapping
// ErrConnClosed; dial a new Conn then.
type Conn struct {
	nc       net.Conn
	addr     string
	maxFrame int
	wg       sync.WaitGroup // the background reader goroutine, while it runs

	// w serializes writers; correlation ids are assigned under it so that
	// the pending queue and the byte stream have the same order.
	w struct {
		sync.Mutex
		bw      *bufio.Writer
		dl      time.Time // the socket's write deadline (zero: none)
		scratch []byte    // small frames are encoded here (writeCallLocked)
		enc     encoder   // the frames' encoder (writeCallLocked)
		// spare is the queued produces' slice of the last write
		// (writeQueuedProduces), for the next requests to queue.
		spare   []*PendingProduce
		corr    int32
		waiting atomic.Int32 // writers waiting for or holding the lock
	}
	// coalesce: StartProduce writes the produce requests waiting for w
	// together, as MultiProduce frames (CoalesceProduce).
	coalesce atomic.Bool
	// pq holds the produce requests waiting for w (coalesce only).
	pq struct {
		sync.Mutex
		items []*PendingProduce
	}
	// p is the queue of calls awaiting their response, oldest first, and
	// the read role (client_read.go).
	p struct {
		sync.Mutex
		queue []*call
		err   error // set once the connection has failed
		done  chan struct{}
		// reading: a goroutine holds the read role (a caller waiting for
		// its answer, or the background reader).
		reading bool
		// reader is the call whose waiter holds the role (nil: none, or
		// the background reader); interrupted: a read deadline was set to
		// stop that waiter, and the next reader clears it.
		reader      *call
		interrupted bool
		// readerDone is the Done of reader's context (nil: none);
		// watchDone and watchStop are the context.AfterFunc registered
		// on the last reader's context (watchLocked, client_read.go).
		readerDone <-chan struct{}
		watchDone  <-chan struct{}
		watchStop  func() bool
	}
	// fr reads the response frames; only the holder of the read role
	// uses it.
	fr frameReader
	// raw is the socket's raw reads and writes (rawio.go) under fr and
	// w.bw; nil when nc is not a TCP connection (for tests).
	raw *rawIO
	// frames counts the answers read by waiting callers and by the
	// background reader, and those decoded in place (for tests).
	frames struct{ byCaller, byBackground, inPlace atomic.Int64 }
}

// call is one request awaiting its answer: err is set before done is
// closed.
type call struct {
	corr int32
	key  APIKey
	resp Response
	done chan struct{}
	err  error
}

// answer completes the call with err.
func (cl *call) answer(err error) {
	cl.err = err
	close(cl.done)
}

// NewConn wraps an established connection (maxFrame 0 means
// DefaultClientMaxFrameSize). Close closes it.
func NewConn(nc net.Conn, maxFrame int) *Conn {
	if maxFrame <= 0 {
		maxFrame = DefaultClientMaxFrameSize
	}
	c := &Conn{nc: nc, addr: nc.RemoteAddr().String(), maxFrame: maxFrame}
	rw := newRawIO(nc) // the socket's reads and writes (rawio.go)
	c.raw, _ = rw.(*rawIO)
	c.w.bw = bufio.NewWriterSize(rw, 64<<10)
	c.fr = frameReader{br: bufio.NewReaderSize(rw, 64<<10), max: maxFrame}
	c.p.done = make(chan struct{})
	return c
}

// Addr returns the remote address.
func (c *Conn) Addr() string { return c.addr }

// Done is closed once the connection has failed or been closed.
func (c *Conn) Done() <-chan struct{} { return c.p.done }

// Err returns why the connection failed, or nil while it works.
func (c *Conn) Err() error {
	c.p.Lock()
	defer c.p.Unlock()
	return c.p.err
}

// Close closes the connection and waits for its background reader. Pending
// calls fail with ErrConnClosed.
func (c *Conn) Close() error {
	c.fail(nil)
	c.wg.Wait()
	return nil
}

// fail marks the connection failed (cause nil: closed by the user), fails
// every pending call and closes the socket. Only the first call counts.
func (c *Conn) fail(cause error) {
	c.p.Lock()
	if c.p.err != nil {
		c.p.Unlock()
		return
	}
	if cause == nil {
		c.p.err = fmt.Errorf("%w: %s", ErrConnClosed, c.addr)
	} else {
		c.p.err = fmt.Errorf("%w: %s: %w", ErrConnClosed, c.addr, cause)
	}
	queue := c.p.queue
	c.p.queue = nil
	close(c.p.done)
	err := c.p.err
	stop := c.p.watchStop
	c.p.watchStop, c.p.watchDone = nil, nil
	c.p.Unlock()
	if stop != nil {
		stop() // the registration would keep c until its context ends
	}
	for _, cl := range queue {
		cl.answer(err)
	}
	_ = c.nc.Close()
}

// roundTrip sends req and waits for resp to be filled in. ctx's deadline
// also bounds the write; cancelling ctx abandons the wait (the response is
// still read and dropped, the connection stays usable).
func (c *Conn) roundTrip(ctx context.Context, req Request, resp Response) error {
	cl, err := c.start(ctx, req, resp)
	if err != nil {
		return err
	}
	return c.await(ctx, cl)
}

// Produce sends a ProduceRequest. It returns the response and, when its
// ErrorCode is set, that error as an *Error (check IsRetriable).
func (c *Conn) Produce(ctx context.Context, req *ProduceRequest) (*ProduceResponse, error) {
	resp := new(ProduceResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return nil, err
	}
	return resp, resp.Err()
}

// Fetch sends a FetchRequest; it blocks up to req.MaxWaitMs (plus network
// time) unless data arrives. Errors of single partitions are in the
// response (FetchPartitionResponse.Err); the error is for the request.
// Records in the response alias a buffer owned by the caller from then on.
func (c *Conn) Fetch(ctx context.Context, req *FetchRequest) (*FetchResponse, error) {
	resp := new(FetchResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// ListOffsets sends a ListOffsetsRequest. It returns the response and,
// when its ErrorCode is set, that error as an *Error.
func (c *Conn) ListOffsets(ctx context.Context, req *ListOffsetsRequest) (*ListOffsetsResponse, error) {
	resp := new(ListOffsetsResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return nil, err
	}
	return resp, resp.Err()
}

// EpochEndOffset sends a follower's KIP-101 query. Errors of single
// partitions are in the response.
func (c *Conn) EpochEndOffset(ctx context.Context, req *EpochEndOffsetRequest) (*EpochEndOffsetResponse, error) {
	resp := new(EpochEndOffsetResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// APIVersions asks which APIs and versions the SPU serves.
func (c *Conn) APIVersions(ctx context.Context) (*APIVersionsResponse, error) {
	resp := new(APIVersionsResponse)
	if err := c.roundTrip(ctx, &APIVersionsRequest{}, resp); err != nil {
		return nil, err
	}
	return resp, nil
}
