package wire

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// The read side of a Conn. One goroutine at a time holds the read role
// and reads response frames, answering the calls in order: a caller
// waiting for its own answer when nobody else reads (an idle round trip:
// the caller is woken by the network poller itself, no goroutine hand-off,
// which on a busy machine costs a thread wake-up of several microseconds),
// or else a background reader goroutine, started when a caller leaves the
// role while calls are pending, which reads until none is and answers each
// caller through its call's done channel.
//
// A caller reads only until its own answer is in; if more calls are
// pending then, the role passes to a background reader, which also takes
// it as soon as a second call is queued while nobody reads (pipelined
// calls are read as they come, not when their callers get round to it). A caller whose
// ctx ends while it reads is interrupted with a read deadline; the frame
// it was reading stays in the frameReader and the background reader
// finishes it. While no call is pending nobody reads and no goroutine
// runs: a connection the server closed is noticed by the next call (its
// answer fails with ErrConnClosed, which is retriable).

// await waits for cl's answer, reading it itself when nobody else reads.
// Cancelling ctx abandons the wait; the answer is still read and dropped.
// Several goroutines may await one call.
func (c *Conn) await(ctx context.Context, cl *call) error {
	select {
	case <-cl.done:
		return cl.err
	default:
	}
	c.p.Lock()
	if c.p.reading {
		c.p.Unlock()
		select {
		case <-cl.done:
			return cl.err
		case <-ctx.Done():
			return fmt.Errorf("wire: %s request to %s: %w", cl.key, c.addr, ctx.Err())
		}
	}
	c.p.reading = true
	c.p.reader = cl
	c.p.readerDone = ctx.Done()
	clear := c.p.interrupted
	c.p.interrupted = false
	stopOld := c.watchLocked(ctx)
	c.p.Unlock()
	if stopOld != nil {
		stopOld()
	}
	return c.readFor(ctx, cl, clear)
}

// watchLocked (p held, the caller just took the read role with ctx) makes
// sure that ctx ending interrupts the read: a context.AfterFunc on ctx
// that interrupts whoever reads with it. The registration stays for the
// next callers with the same context (a producer's loop passes one for
// many calls), so such a call registers nothing (a registration and its
// removal were three allocations and two locks of the parent context
// per call); a caller with another context replaces it, and fail removes
// it. A context that has already ended is registered again, so that its
// function runs (at once) for this reader too. It returns the replaced
// registration's stop, for the caller to call without p.
func (c *Conn) watchLocked(ctx context.Context) (stopOld func() bool) {
	d := c.p.readerDone
	if d == nil || c.p.err != nil || (d == c.p.watchDone && ctx.Err() == nil) {
		return nil
	}
	stopOld = c.p.watchStop
	c.p.watchDone = d
	c.p.watchStop = context.AfterFunc(ctx, func() { c.interrupt(d) })
	return stopOld
}

// readFor reads frames (the caller holds the read role) until cl is
// answered, the connection fails or ctx ends, then gives up the role.
func (c *Conn) readFor(ctx context.Context, cl *call, clear bool) error {
	defer c.releaseRead()
	if clear {
		_ = c.nc.SetReadDeadline(time.Time{})
	}
	// Answered between the check in await and taking the role: whoever
	// answered it gave the role up before await took it.
	select {
	case <-cl.done:
		return cl.err
	default:
	}
	for {
		err := c.readOne(&c.frames.byCaller)
		select {
		case <-cl.done:
			return cl.err
		default:
		}
		if err != nil {
			// Interrupted: ctx ended (the frame read so far stays in fr).
			return fmt.Errorf("wire: %s request to %s: %w", cl.key, c.addr, ctx.Err())
		}
	}
}

// interrupt stops the waiter that reads with the context whose Done is
// done, if one still reads (that context ended).
func (c *Conn) interrupt(done <-chan struct{}) {
	c.p.Lock()
	defer c.p.Unlock()
	if c.p.reader != nil && c.p.readerDone == done {
		c.p.interrupted = true
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

// releaseRead gives up a caller's read role: to a background reader if
// calls are still pending, else to whoever waits next.
func (c *Conn) releaseRead() {
	c.p.Lock()
	c.p.reader = nil
	c.p.readerDone = nil
	pass := len(c.p.queue) > 0 && c.p.err == nil
	c.p.reading = pass
	if pass {
		c.wg.Add(1) // under p: before fail, so before Close's Wait
	}
	c.p.Unlock()
	if pass {
		go c.backgroundReader()
	}
}

// pipelinedLocked (p held, a call just queued) hands the read role to a
// background reader (the caller starts it) when nobody reads and more
// than one call is pending: callers read only an idle connection's one
// answer, so answers never pile up unread behind a caller that is still
// writing (a server blocked writing them would stop reading its requests).
func (c *Conn) pipelinedLocked() bool {
	if c.p.reading || len(c.p.queue) < 2 {
		return false
	}
	c.p.reading = true
	c.wg.Add(1) // under p: before fail, so before Close's Wait
	return true
}

// readInBackground makes sure someone reads: the answer of a call that no
// caller will wait for (PendingProgress) must not wait for the next call.
func (c *Conn) readInBackground() {
	c.p.Lock()
	pass := !c.p.reading && len(c.p.queue) > 0 && c.p.err == nil
	if pass {
		c.p.reading = true
		c.wg.Add(1)
	}
	c.p.Unlock()
	if pass {
		go c.backgroundReader()
	}
}

// backgroundReader holds the read role it was handed until no call is
// pending (then it exits: an idle connection has no goroutine) or the
// connection fails.
func (c *Conn) backgroundReader() {
	defer c.wg.Done()
	c.p.Lock()
	clear := c.p.interrupted
	c.p.interrupted = false
	c.p.Unlock()
	if clear {
		_ = c.nc.SetReadDeadline(time.Time{})
	}
	for {
		if err := c.readOne(&c.frames.byBackground); err != nil {
			c.fail(err) // a deadline: only callers are interrupted
			return
		}
		c.p.Lock()
		idle := len(c.p.queue) == 0
		if idle {
			c.p.reading = false
		}
		c.p.Unlock()
		if idle {
			return
		}
	}
}

// readOne reads one response frame and answers the oldest pending call
// with it. An error is a read interrupted by a deadline (the frame read so
// far is kept) or a connection failure (the connection has failed: every
// call is answered). count counts the frame.
func (c *Conn) readOne(count *atomic.Int64) error {
	var f responseFrame
	// A small answer the oldest call decodes by copying is decoded where
	// it lies in the read buffer: no frame to allocate and copy.
	c.p.Lock()
	inPlace := len(c.p.queue) > 0 && decodesByCopy(c.p.queue[0].resp)
	c.p.Unlock()
	if inPlace {
		var n int
		if f, n = c.fr.peekSmall(); n > 0 {
			c.frames.inPlace.Add(1)
			defer c.fr.br.Discard(n) // once answered: f.payload aliases the buffer
		}
		inPlace = n > 0
	}
	if !inPlace {
		var err error
		if f, err = c.fr.next(); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && c.Err() == nil {
				return err
			}
			c.fail(err)
			return err
		}
	}
	c.p.Lock()
	if len(c.p.queue) == 0 {
		c.p.Unlock()
		err := fmt.Errorf("unsolicited response with correlation id %d", f.corr)
		c.fail(err)
		return err
	}
	cl := c.p.queue[0]
	c.p.queue[0] = nil
	if len(c.p.queue) == 1 {
		c.p.queue = c.p.queue[:0] // the next call reuses the array
	} else {
		c.p.queue = c.p.queue[1:]
	}
	c.p.Unlock()
	count.Add(1)
	if f.corr != cl.corr {
		err := fmt.Errorf("response correlation id %d, expected %d", f.corr, cl.corr)
		cl.answer(fmt.Errorf("%w: %s: %w", ErrConnClosed, c.addr, err))
		c.fail(err)
		return err
	}
	if f.code == TLSRequired {
		err := tlsRequiredError(c.addr, TLSRequired.ErrMsg(decodeErrorPayload(f.payload)))
		cl.answer(err)
		c.fail(err)
		return err
	}
	if f.code != None {
		cl.answer(f.code.ErrMsg(decodeErrorPayload(f.payload)))
		return nil
	}
	// The read role's decoder, reused; it keeps no payload afterwards.
	d := &c.fr.d
	*d = decoder{p: f.payload}
	cl.resp.decode(d)
	err := d.done()
	*d = decoder{}
	if err != nil {
		cl.answer(fmt.Errorf("wire: %s response from %s: %w", cl.key, c.addr, err))
		return nil
	}
	cl.answer(nil)
	return nil
}

// decodesByCopy reports whether resp's decoding keeps nothing of the
// payload (its byte fields, if any, are copied): its frame may be decoded
// in place.
func decodesByCopy(resp Response) bool {
	switch resp.(type) {
	case *ProduceResponse, *MultiProduceResponse:
		return true
	}
	return false
}

// maxPeekedFrame bounds the frames peekSmall returns in place.
const maxPeekedFrame = 4 << 10

// peekSmall returns the next frame without consuming it, its payload
// aliasing the read buffer, and its length n, when it is at most
// maxPeekedFrame bytes and no frame is half read; else (or on any read
// error: next then reads the same bytes and reports it) n is 0. The
// caller discards n bytes once done with the payload.
func (r *frameReader) peekSmall() (f responseFrame, n int) {
	if r.headN != 0 {
		return responseFrame{}, 0
	}
	h, err := r.br.Peek(SizeLen + ResponseHeaderLen)
	if err != nil {
		return responseFrame{}, 0
	}
	size := int64(int32(binary.BigEndian.Uint32(h)))
	if size < ResponseHeaderLen || size > int64(r.max) || SizeLen+size > maxPeekedFrame {
		return responseFrame{}, 0
	}
	b, err := r.br.Peek(SizeLen + int(size))
	if err != nil {
		return responseFrame{}, 0
	}
	return responseFrame{
		corr:    int32(binary.BigEndian.Uint32(b[4:])),
		code:    ErrorCode(binary.BigEndian.Uint16(b[8:])),
		payload: b[SizeLen+ResponseHeaderLen:],
	}, len(b)
}

// frameReader reads response frames. A read cut short by a deadline keeps
// what it has read, and the next call to next goes on from there (perhaps
// on another goroutine).
type frameReader struct {
	br    *bufio.Reader
	max   int
	head  [SizeLen + ResponseHeaderLen]byte
	headN int // bytes of head read
	f     *responseFrame
	n     int     // bytes of f.payload read
	d     decoder // readOne's, reused
}

// next returns the next frame, checking its size against max before
// allocating.
func (r *frameReader) next() (responseFrame, error) {
	if r.headN < len(r.head) {
		n, err := io.ReadFull(r.br, r.head[r.headN:])
		r.headN += n
		if r.headN >= SizeLen {
			size := int64(int32(binary.BigEndian.Uint32(r.head[:])))
			if size < ResponseHeaderLen || size > int64(r.max) {
				return responseFrame{}, fmt.Errorf("wire: response frame size %d outside [%d, %d]", size, ResponseHeaderLen, r.max)
			}
		}
		if err != nil {
			if r.headN > 0 {
				err = unexpected(err)
			}
			return responseFrame{}, err
		}
		size := int64(int32(binary.BigEndian.Uint32(r.head[:])))
		r.f = &responseFrame{
			corr:    int32(binary.BigEndian.Uint32(r.head[4:])),
			code:    ErrorCode(binary.BigEndian.Uint16(r.head[8:])),
			payload: frameRecycler.payload(int(size - ResponseHeaderLen)),
		}
		r.n = 0
	}
	n, err := io.ReadFull(r.br, r.f.payload[r.n:])
	r.n += n
	if err != nil {
		return responseFrame{}, unexpected(err)
	}
	f := *r.f
	r.f, r.headN = nil, 0
	return f, nil
}
