package fluvio

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/natsurl"
	"github.com/nats-io/nats.go"
)

// Client is a connection to a cluster: NATS request/reply to the SC for
// admin calls and metadata, and one TCP connection per SPU (dialed when
// first needed, shared by every producer and consumer of the Client) for
// data. A Client is safe for concurrent use; Close it when done.
type Client struct {
	cfg  clientConfig
	nc   *nats.Conn
	meta *metadataCache
	pool *connPool
	// denials ends a request at once when NATS refuses to publish it
	// (nil for a Client made on a connection from elsewhere).
	denials *denials
	// creds signs the hello on SPU connections (nil: none).
	creds *natsauth.Creds
	// routes counts the changes that may move a partition's leader or
	// connection: metadata fetched or dropped, Close. A producer's
	// partition keeps the leader and connection it found while it stays
	// the same (produceRoute).
	routes atomic.Uint64

	// ctx is cancelled by Close: it bounds dials and ends consumers.
	ctx    context.Context
	cancel context.CancelFunc

	mu struct {
		sync.Mutex
		closed    bool
		producers map[*Producer]struct{} // guarded by mu
	}
}

// Connect connects to the cluster whose SC (its NATS server) listens at
// addr: HOST:PORT, or a NATS URL such as nats://HOST:PORT (several
// comma-separated URLs are tried in turn). It blocks until the NATS
// connection is up, for at most ctx's deadline or the dial timeout
// (WithDialTimeout). It does not contact any SPU yet.
//
// Errors name the address and say what to do: usually start the cluster
// ('fluvio cluster start') or pass the right address.
func Connect(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	cfg := defaultClientConfig()
	for _, o := range opts {
		o(&cfg)
	}
	url := natsurl.Normalize(addr)
	if url == "" {
		return nil, badOption("connect", "give the SC address as HOST:PORT, for example 127.0.0.1:9003", "empty SC address")
	}
	// nats.Connect is not context-aware: bound it by ctx's deadline (or
	// the dial timeout) and check ctx before and after.
	timeout := cfg.dialTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	if err := ctx.Err(); err != nil || timeout <= 0 {
		return nil, fmt.Errorf("connect to the SC at %s: %w", natsurl.Redact(addr), cmp.Or(err, context.DeadlineExceeded))
	}
	aopts, creds, err := natsauth.ConnectOptions(url, cfg.creds)
	if err != nil {
		return nil, &Error{Op: "connect to the SC at " + natsurl.Redact(addr), Err: err,
			Hint: "pass the credential file 'fluvio cluster start' wrote (DATA-DIR/auth/admin.creds) with WithCredentials"}
	}
	aopts = append(aopts, natsauth.TLSOptions(cfg.tls)...)
	den := &denials{}
	// Reconnect for as long as the client lives (the control plane may be
	// down for a while: the data plane goes on meanwhile), moving to
	// another server of the list or of the cluster; PINGs notice a stopped
	// (not dead) server in ~4 s (the 4th PING unanswered, like SC and SPU).
	nc, err := nats.Connect(url, append(aopts, nats.Name(cfg.name), nats.Timeout(timeout), nats.ErrorHandler(den.report),
		nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond),
		nats.PingInterval(time.Second), nats.MaxPingsOutstanding(3))...)
	if err != nil {
		if hint, ok := natsauth.TLSHint(err, "the SC", natsurl.Redact(addr), cfg.tls != nil); ok {
			return nil, &Error{Op: "connect to the SC at " + natsurl.Redact(addr), Err: natsurl.RedactError(err), Hint: hint}
		}
		if errors.Is(err, nats.ErrAuthorization) {
			return nil, &Error{Op: "connect to the SC at " + natsurl.Redact(addr), Err: natsurl.RedactError(err),
				Hint: "the cluster requires credentials: pass the file 'fluvio cluster start' wrote (DATA-DIR/auth/admin.creds, or client.creds) with WithCredentials, or set FLUVIO_CLIENT_CREDS for the examples"}
		}
		return nil, &Error{Op: "connect to the SC at " + natsurl.Redact(addr), Err: natsurl.RedactError(err),
			Hint: "is the cluster running? start one with 'fluvio cluster start', or pass the SC's address (--sc HOST:PORT)"}
	}
	if err := ctx.Err(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("connect to the SC at %s: %w", natsurl.Redact(addr), err)
	}
	c := newClient(nc, cfg)
	c.denials = den
	c.creds = creds
	return c, nil
}

func newClient(nc *nats.Conn, cfg clientConfig) *Client {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{cfg: cfg, nc: nc, ctx: ctx, cancel: cancel}
	c.meta = newMetadataCache(c)
	dial := cfg.dial
	if dial == nil {
		dial = c.dialSPU
	}
	c.pool = newConnPool(ctx, dial, cfg.dialTimeout)
	c.mu.producers = map[*Producer]struct{}{}
	return c
}

// Close closes the producers opened by this Client (sending what they
// hold), every SPU connection and the NATS connection. Consumers still
// iterating end with ErrClosed. Close is safe to call more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.mu.closed {
		c.mu.Unlock()
		return nil
	}
	c.mu.closed = true
	c.routes.Add(1) // the producers' last sends find the client closed
	producers := make([]*Producer, 0, len(c.mu.producers))
	for p := range c.mu.producers {
		producers = append(producers, p)
	}
	c.mu.Unlock()
	var errs []error
	for _, p := range producers {
		if err := p.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	c.cancel()
	c.pool.closeAll()
	c.nc.Close()
	return errors.Join(errs...)
}

func (c *Client) checkOpen() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.closed {
		return fmt.Errorf("client: %w", ErrClosed)
	}
	return nil
}

// Producer returns a producer for topic. It asks the SC for the topic's
// partitions and fails with an error matching ErrTopicNotFound if there is
// no such topic. Close the producer when done (Client.Close also does).
func (c *Client) Producer(topic string, opts ...ProducerOption) (*Producer, error) {
	if err := c.checkOpen(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.requestTimeout)
	defer cancel()
	p, err := newProducer(ctx, clientTransport{c}, c.cfg.logger, topic, opts)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.mu.producers[p] = struct{}{}
	c.mu.Unlock()
	p.onClose = func() {
		c.mu.Lock()
		delete(c.mu.producers, p)
		c.mu.Unlock()
	}
	return p, nil
}
