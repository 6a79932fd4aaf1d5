package wire

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ServerConfig configures Serve and ServeConn. Zero fields take their
// defaults.
type ServerConfig struct {
	// MaxFrameSize bounds a request frame's size field; a larger frame is
	// answered with FrameTooLarge and the connection closed. Default
	// DefaultMaxFrameSize (64 MiB).
	MaxFrameSize int
	// ReadTimeout is how long the rest of a frame may take once its first
	// byte has arrived. Default 10 s.
	ReadTimeout time.Duration
	// IdleTimeout closes a connection that sends no request for this
	// long (or up to 1/64 of it sooner: the deadline is not re-armed for
	// every request). Default 60 s (clients redial when they need the SPU
	// again).
	IdleTimeout time.Duration
	// FirstRequestTimeout closes a connection whose first request has not
	// started within this long of the accept: connections opened only to
	// hold a file descriptor go quickly. Default 10 s.
	FirstRequestTimeout time.Duration
	// MaxConns bounds the open connections of the server; one more is
	// closed at accept. Default DefaultMaxConns(), from the process's
	// file descriptor limit.
	MaxConns int
	// MaxConnsPerIP bounds the open connections from one remote IP
	// address. Default 1024.
	MaxConnsPerIP int
	// WriteTimeout bounds writing one response (within 1/64 of it, like
	// IdleTimeout). Default 30 s.
	WriteTimeout time.Duration
	// QueueDepth bounds the requests in flight per connection (read but
	// not yet answered); the connection is not read further while it is
	// full. Default 128.
	QueueDepth int
	// Logger receives connection-level events. Nil discards them.
	Logger *slog.Logger
	// StreamBudget bounds how long a large produce request may be
	// streamed to a ProduceStreamer (which holds the partition's log
	// meanwhile); a slower one is read whole instead. Default 20 ms.
	StreamBudget time.Duration
	// TLS, when set, makes the server speak TLS only (tls.go): with
	// ClientAuth set to require certificates it is mutual TLS, and the
	// verified peer certificate is in ConnStateOf(ctx).TLS(). Nil: the
	// server speaks plaintext only.
	TLS *tls.Config
}

func (c ServerConfig) withDefaults() ServerConfig {
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = DefaultMaxFrameSize
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 10 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.FirstRequestTimeout <= 0 {
		c.FirstRequestTimeout = 10 * time.Second
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns()
	}
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.QueueDepth <= 0 {
		c.QueueDepth = 128
	}
	if c.StreamBudget <= 0 {
		c.StreamBudget = 20 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Reply is a handler's answer to one request: a response ready now, or a
// function that waits for it (a long-poll fetch, an acks=all produce).
type Reply struct {
	resp Response
	err  error
	wait func(ctx context.Context) (Response, error)
}

// Respond returns a Reply that is ready now.
func Respond(resp Response) Reply { return Reply{resp: resp} }

// RespondErr returns a Reply that fails the whole request with err's code
// (CodeOf) and message; the connection stays open. Use per-partition
// error codes in the response instead wherever the API has them.
func RespondErr(err error) Reply { return Reply{err: err} }

// Defer returns a Reply computed by wait on the connection's writer
// goroutine, in request order. wait must return promptly once ctx is done
// (the connection closed or the server is stopping).
func Defer(wait func(ctx context.Context) (Response, error)) Reply { return Reply{wait: wait} }

// Resolve returns the reply's response, running its wait function (if
// any) on the calling goroutine. For tests and in-process callers; the
// server resolves replies on the connection's writer.
func (r Reply) Resolve(ctx context.Context) (Response, error) {
	if r.wait != nil {
		return safeWait(ctx, r.wait, slog.Default())
	}
	return r.resp, r.err
}

// maxKeptBuffer is the largest request buffer a connection keeps for the
// next request. Larger ones go back to largeBuffers, shared by every
// connection.
const maxKeptBuffer = 1 << 20

// largeBuffers holds request buffers larger than maxKeptBuffer between
// requests: a producer of 1 MiB records reuses them instead of allocating,
// clearing and collecting 1 MiB per request (a quarter of the SPU's CPU in
// the 1 MiB produce profile). sync.Pool lets them go over garbage
// collections once no one uses them, so idle connections keep nothing.
var largeBuffers sync.Pool

// largeBuffer returns a buffer of n bytes (n > maxKeptBuffer), from
// largeBuffers when one there is big enough, otherwise a new one with its
// capacity rounded up to a multiple of 256 KiB so that requests of close
// sizes can share it.
func largeBuffer(n int) []byte {
	if p, ok := largeBuffers.Get().(*[]byte); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	const round = 256 << 10
	return make([]byte, n, (n+round-1)/round*round)
}

// releaseLarge gives a request buffer larger than maxKeptBuffer back once
// the request it held is handled (Handler: requests alias their buffer
// only until Handle returns).
func releaseLarge(b []byte) {
	if cap(b) > maxKeptBuffer {
		putLarge(b)
	}
}

// putLarge is releaseLarge's Put, apart so that only a large buffer's
// slice header goes to the heap (taking &b in releaseLarge itself moved b
// there on every call).
func putLarge(b []byte) { largeBuffers.Put(&b) }

// Handler serves decoded requests. Handle is called on the connection's
// reader goroutine, one request at a time in the order they arrived: it
// should do the ordered part of the work (for a produce: validate and
// append) and return anything that must wait as a Defer. ctx is done when
// the connection closes. APIVersions requests are answered by this package
// and never reach the Handler.
//
// The byte fields of req (ProduceRequest.Records) alias the connection's
// read buffer, which the next request reuses: they are valid only until
// Handle returns. Copy what a Defer needs.
type Handler interface {
	Handle(ctx context.Context, req Request) Reply
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, req Request) Reply

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, req Request) Reply { return f(ctx, req) }

// Serve accepts connections on ln and serves each with ServeConn until ctx
// is done or ln is closed; then it closes ln and every connection and
// returns nil after all their goroutines have exited. Other accept errors
// (out of file descriptors) are logged and retried with a backoff.
func Serve(ctx context.Context, ln net.Listener, cfg ServerConfig, h Handler) error {
	cfg = cfg.withDefaults()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		conns    = map[net.Conn]struct{}{}
		perIP    = map[string]int{}
		refused  atomic.Int64
		lastWarn time.Time
	)
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	backoff := 5 * time.Millisecond
	for {
		nc, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() != nil || errors.Is(aerr, net.ErrClosed) {
				break
			}
			// Out of file descriptors, an aborted handshake...: keep
			// serving the connections we have and try again.
			cfg.Logger.Warn("wire: accept failed; retrying", "addr", ln.Addr().String(), "err", aerr, "in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		ip := remoteIP(nc)
		mu.Lock()
		full := len(conns) >= cfg.MaxConns
		ipFull := perIP[ip] >= cfg.MaxConnsPerIP
		if !full && !ipFull {
			conns[nc] = struct{}{}
			perIP[ip]++
		}
		mu.Unlock()
		if full || ipFull {
			_ = nc.Close()
			refused.Add(1)
			if now := time.Now(); now.Sub(lastWarn) > 10*time.Second {
				lastWarn = now
				why := fmt.Sprintf("%d connections open, --max-connections %d", cfg.MaxConns, cfg.MaxConns)
				if !full {
					why = fmt.Sprintf("%d connections from %s, --max-connections-per-ip %d", cfg.MaxConnsPerIP, ip, cfg.MaxConnsPerIP)
				}
				cfg.Logger.Warn("wire: refusing connections: "+why, "addr", ln.Addr().String(), "refused_so_far", refused.Load())
			}
			continue
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		wg.Go(func() {
			// The slot is released before the connection is closed, so a
			// client that saw the close finds the slot free.
			_ = serveConn(ctx, nc, cfg, h, func() {
				mu.Lock()
				delete(conns, nc)
				if perIP[ip]--; perIP[ip] <= 0 {
					delete(perIP, ip)
				}
				mu.Unlock()
			})
		})
	}
	_ = ln.Close()
	mu.Lock()
	for nc := range conns {
		_ = nc.Close()
	}
	mu.Unlock()
	wg.Wait()
	return nil
}

// queued is one request awaiting its response on a connection.
type queued struct {
	corr       int32
	reply      Reply
	closeAfter bool // close the connection once this is written
}

// ServeConn serves requests on nc until the peer closes it, a framing
// error, a timeout, or ctx is done; it closes nc and returns after its
// writer goroutine has exited. The returned error says why it stopped
// (nil for a clean close by the peer or ctx).
func ServeConn(ctx context.Context, nc net.Conn, cfg ServerConfig, h Handler) error {
	return serveConn(ctx, nc, cfg, h, func() {})
}

// serveConn is ServeConn calling release just before the final close.
func serveConn(ctx context.Context, raw net.Conn, cfg ServerConfig, h Handler, release func()) error {
	cfg = cfg.withDefaults()
	log := cfg.Logger.With("remote", raw.RemoteAddr().String())
	nc, tlsState := accept(ctx, raw, cfg, log)
	if nc == nil {
		release()
		_ = raw.Close()
		return nil
	}
	st := &ConnState{tls: tlsState}
	cctx, cancel := context.WithCancel(context.WithValue(ctx, connStateKey{}, st))
	defer cancel()
	stop := context.AfterFunc(cctx, func() { _ = nc.Close() })
	defer stop()

	w := &respWriter{nc: nc, cfg: cfg, cancel: cancel, log: log, st: st, queue: make(chan queued, cfg.QueueDepth)}
	w.bw = bufio.NewWriterSize(nc, 64<<10)
	var wg sync.WaitGroup
	wg.Go(func() { w.loop(cctx) })

	err := readLoop(cctx, nc, cfg, h, w, log)
	close(w.queue)
	wg.Wait()
	release()
	_ = nc.Close()
	if err != nil {
		log.Debug("wire: connection closed", "err", err)
	}
	return err
}

// readLoop reads and dispatches requests until it must stop.
func readLoop(ctx context.Context, nc net.Conn, cfg ServerConfig, h Handler, w *respWriter, log *slog.Logger) error {
	br := bufio.NewReaderSize(nc, 64<<10)
	send := func(q queued) bool { return w.send(ctx, q) }
	// buf is reused for every request's payload: requests may alias it
	// only until Handle returns (see Handler).
	var buf []byte
	var dl deadline // the read deadline armed
	var dec decoder // the requests' decoder, reused
	for first := true; ; first = false {
		wait := cfg.IdleTimeout
		if first {
			wait = min(wait, cfg.FirstRequestTimeout)
		}
		dl.arm(nc.SetReadDeadline, time.Now().Add(wait), deadlineSlack(wait))
		if _, err := br.Peek(1); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("wire: idle for %s", wait)
			}
			return err
		}
		if !frameBuffered(br) {
			// The rest of the frame is still to come: it has ReadTimeout.
			dl.arm(nc.SetReadDeadline, time.Now().Add(cfg.ReadTimeout), 0)
		}
		var (
			hdr     RequestHeader
			payload []byte
			stream  RecordsStream
			err     error
		)
		if ps, ok := h.(ProduceStreamer); ok && streamedProduce(br, cfg.MaxFrameSize) {
			hdr, payload, stream, err = readProduceStreamed(ctx, nc, br, cfg, ps, buf, dl.at)
		} else {
			hdr, payload, err = readRequestInto(br, cfg.MaxFrameSize, buf)
		}
		if cap(payload) <= maxKeptBuffer {
			buf = payload
		}
		if fe, ok := errors.AsType[*frameError](err); ok {
			corr := int32(-1)
			if fe.hasHeader {
				corr = fe.hdr.CorrelationID
			}
			send(queued{corr: corr, reply: RespondErr(fe.code.ErrMsg(fe.msg + "; closing the connection")), closeAfter: true})
			return fe
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("wire: frame not complete within %s", cfg.ReadTimeout)
			}
			return fmt.Errorf("wire: reading a request: %w", err)
		}
		req, err := decodeRequest(&dec, hdr.Key, hdr.Version, payload)
		if stream != nil {
			if pr, ok := req.(*ProduceRequest); ok && err == nil {
				pr.Stream = stream
			} else {
				stream.Abort()
				stream = nil
			}
		}
		if err != nil {
			send(queued{corr: hdr.CorrelationID, reply: RespondErr(err), closeAfter: true})
			return err
		}
		var reply Reply
		if _, ok := req.(*APIVersionsRequest); ok {
			reply = Respond(SupportedAPIs())
		} else {
			reply = safeHandle(ctx, h, req, log)
		}
		if stream != nil {
			stream.Abort() // a no-op once the handler committed it
		}
		releaseLarge(payload)
		if !send(queued{corr: hdr.CorrelationID, reply: reply}) {
			return nil
		}
	}
}

// respWriter writes a connection's responses, in request order. A reply
// that is ready when its request has been handled (an acks=leader
// produce, list offsets, an error) is written by the reader itself when
// nothing is queued for the writer goroutine: an idle round trip then
// costs no goroutine hand-off (on a busy machine each is a thread wake-up
// of several microseconds). Replies that wait (Defer), fetch responses
// (large, written while the reader goes on reading) and any reply behind
// a queued one go through queue to the writer goroutine, which answers
// them in order.
type respWriter struct {
	nc     net.Conn
	cfg    ServerConfig
	cancel context.CancelFunc
	log    *slog.Logger
	st     *ConnState
	queue  chan queued
	// queued counts the replies sent to queue and not yet written (and
	// flushed, for the last one). Only the reader adds to it, so a reader
	// that sees 0 knows every earlier answer is on the wire.
	queued atomic.Int32
	failed atomic.Bool // a write failed: nothing more is answered
	mu     sync.Mutex  // bw and dl: the reader's inline writes and the writer's
	bw     *bufio.Writer
	dl     deadline // the write deadline armed
	enc    encoder  // the responses' encoder, reused (mu held)
}

// armWrite (mu held) gives the writes that follow WriteTimeout.
func (w *respWriter) armWrite() {
	w.dl.arm(w.nc.SetWriteDeadline, time.Now().Add(w.cfg.WriteTimeout), deadlineSlack(w.cfg.WriteTimeout))
}

// inline reports whether q may be written by the reader now.
func (w *respWriter) inline(q queued) bool {
	if q.reply.wait != nil || q.closeAfter || w.queued.Load() != 0 {
		return false
	}
	_, fetch := q.reply.resp.(*FetchResponse)
	return !fetch
}

// send answers q: inline when it may, else through the writer goroutine.
// It returns false once the connection is closing.
func (w *respWriter) send(ctx context.Context, q queued) bool {
	if w.inline(q) {
		if w.failed.Load() {
			return false
		}
		w.st.inlined.Add(1)
		w.mu.Lock()
		err := w.write(q.corr, q.reply.resp, q.reply.err, true)
		w.mu.Unlock()
		if err != nil {
			w.fail(err)
			return false
		}
		return true
	}
	w.queued.Add(1)
	select {
	case w.queue <- q:
		return true
	case <-ctx.Done():
		w.queued.Add(-1)
		return false
	}
}

// write writes one response (w.mu held) and flushes it if asked.
func (w *respWriter) write(corr int32, resp Response, err error, flushNow bool) error {
	if resp == nil && err == nil {
		err = errors.New("handler returned no response")
	}
	w.armWrite()
	werr := writeResponse(w.bw, &w.enc, corr, resp, err)
	closeSources(resp)
	if werr == nil && flushNow {
		werr = w.bw.Flush()
	}
	return werr
}

// fail cancels the connection after a write error (nil: a planned
// close); nothing more is written.
func (w *respWriter) fail(err error) {
	w.failed.Store(true)
	fail(w.cancel, w.nc, w.log, err)
}

// loop answers the queued replies in order. After a write error it
// cancels the connection and drains the queue without answering.
func (w *respWriter) loop(ctx context.Context) {
	for q := range w.queue {
		w.answer(ctx, q)
		w.queued.Add(-1)
	}
}

func (w *respWriter) answer(ctx context.Context, q queued) {
	if w.failed.Load() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if q.reply.wait != nil && w.bw.Buffered() > 0 {
		// Do not hold finished responses back while this one waits.
		w.armWrite()
		if err := w.bw.Flush(); err != nil {
			w.fail(err)
			return
		}
	}
	resp, err := q.reply.resp, q.reply.err
	if q.reply.wait != nil {
		resp, err = safeWait(ctx, q.reply.wait, w.log)
		if ctx.Err() != nil {
			// The connection is closing: nothing more is answered;
			// the client fails its pending calls with ErrConnClosed.
			closeSources(resp)
			w.fail(nil)
			return
		}
	}
	if err := w.write(q.corr, resp, err, q.closeAfter || len(w.queue) == 0); err != nil {
		w.fail(err)
		return
	}
	if q.closeAfter {
		w.fail(nil)
	}
}

func fail(cancel context.CancelFunc, nc net.Conn, log *slog.Logger, err error) bool {
	if err != nil {
		log.Debug("wire: write failed", "err", err)
	}
	cancel()
	_ = nc.Close()
	return true
}

// writeResponse writes one response frame: resp, or a request-level error
// frame for herr, encoding it with e (reused: its buffer and parts; it
// refers to nothing of resp afterwards). The caller has set the
// connection's write deadline.
func writeResponse(bw *bufio.Writer, e *encoder, corr int32, resp Response, herr error) error {
	if herr != nil {
		code, msg := CodeOf(herr), herr.Error()
		if e, ok := errors.AsType[*Error](herr); ok {
			msg = e.Message
		}
		p := errorPayload(msg)
		if _, err := bw.Write(appendResponseHeader(nil, corr, code, len(p))); err != nil {
			return err
		}
		_, err := bw.Write(p)
		return err
	}
	buf := e.buf[:0]
	if cap(buf) < 256 || cap(buf) > maxKeptResponseBuffer {
		buf = make([]byte, 0, 256)
	}
	*e = encoder{buf: buf[:SizeLen+ResponseHeaderLen], parts: e.parts[:0]}
	resp.encode(e)
	parts, n := e.finish()
	first := parts[0].b
	defer func() {
		// Keep the first part's buffer (the header and the small fields)
		// and the parts slice, referring to no records.
		clear(parts)
		*e = encoder{buf: first[:0], parts: parts[:0]}
	}()
	appendResponseHeader(parts[0].b[:0], corr, None, n-SizeLen-ResponseHeaderLen)
	for _, p := range parts {
		if p.src == nil {
			if _, err := bw.Write(p.b); err != nil {
				return err
			}
			continue
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		// bufio passes an empty buffer's ReadFrom through to the socket,
		// so a file-backed source can use sendfile.
		if w, err := p.src.WriteTo(bw); err != nil {
			return fmt.Errorf("writing records: %w", err)
		} else if w != int64(p.src.Len()) {
			return fmt.Errorf("writing records: wrote %d of %d bytes", w, p.src.Len())
		}
	}
	return nil
}

// maxKeptResponseBuffer is the largest encoding buffer a connection keeps
// for its next response (a fetch of many partitions grows it).
const maxKeptResponseBuffer = 64 << 10

// closeSources closes the record sources of a fetch response that
// implement io.Closer (pooled buffers), once written or abandoned.
func closeSources(resp Response) {
	fr, ok := resp.(*FetchResponse)
	if !ok {
		return
	}
	for i := range fr.Partitions {
		if c, ok := fr.Partitions[i].Source.(io.Closer); ok {
			_ = c.Close()
		}
	}
}

// safeHandle calls h, turning a panic (a bug, never expected from input)
// into an Unknown error answer instead of a crashed server; the panic and
// its stack go to log, where the answer sends the user.
func safeHandle(ctx context.Context, h Handler, req Request, log *slog.Logger) (r Reply) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("wire: handler panicked", "api", req.APIKey().String(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r = RespondErr(Unknown.ErrMsg(fmt.Sprintf("internal error serving %s: %v; see the SPU's log", req.APIKey(), p)))
		}
	}()
	return h.Handle(ctx, req)
}

// safeWait is safeHandle for deferred replies.
func safeWait(ctx context.Context, wait func(context.Context) (Response, error), log *slog.Logger) (resp Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("wire: deferred reply panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp, err = nil, Unknown.ErrMsg(fmt.Sprintf("internal error: %v; see the SPU's log", p))
		}
	}()
	return wait(ctx)
}

// Connection limit defaults.
const (
	DefaultIdleTimeout   = 60 * time.Second
	DefaultMaxConnsPerIP = 1024
)

// DefaultMaxConns is the default MaxConns: a third of the process's file
// descriptor limit (an SPU runs two servers and keeps log files open), at
// least 64 and at most 100,000.
func DefaultMaxConns() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 1024
	}
	return int(min(max(rl.Cur/3, 64), 100_000))
}

// remoteIP is the connection's remote IP address, "" when it has none.
func remoteIP(nc net.Conn) string {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
	return host
}
