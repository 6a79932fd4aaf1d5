package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// This file (added for the client library's producer pipeline) splits a
// round trip in two: StartProduce writes the request and returns; Wait
// reads its answer. Requests started one after another from one goroutine
// are written, and so appended by the SPU, in that order, which concurrent
// Produce calls do not promise.

// PendingProduce is a produce request written to the connection whose
// answer has not been read yet.
type PendingProduce struct {
	c    *Conn
	cl   *call
	resp *ProduceResponse // &own: one allocation per request
	own  ProduceResponse
	err  error // the write failed: Wait returns it
	// m and idx: the request went out as partition idx of a MultiProduce
	// frame (CoalesceProduce); cl is nil then.
	m   *multiWait
	idx int
	// ctx and req wait with the request until it is written (coalesce).
	ctx context.Context
	req *ProduceRequest
}

// StartProduce writes req and returns without waiting for the answer.
// ctx's deadline bounds the write; Wait bounds the wait. The request's
// Records have been written (and may be reused) when StartProduce returns.
// After CoalesceProduce, requests that wait for the connection while
// another is being written go out together in one MultiProduce frame (in
// the order they were started), so a producer writing many partitions of
// one leader at once sends few frames without waiting for more.
func (c *Conn) StartProduce(ctx context.Context, req *ProduceRequest) *PendingProduce {
	p := &PendingProduce{c: c}
	p.resp = &p.own
	if !c.coalesce.Load() {
		p.cl, p.err = c.start(ctx, req, p.resp)
		return p
	}
	if err := ctx.Err(); err != nil {
		p.err = err
		return p
	}
	p.ctx, p.req = ctx, req
	c.pq.Lock()
	c.pq.items = append(c.pq.items, p)
	c.pq.Unlock()
	c.writeQueuedProduces("write produce request")
	return p
}

// writeQueuedProduces takes the connection's writer and writes every
// queued produce request: the caller's are among them, unless an earlier
// holder of the writer wrote them already. The last writer waiting
// flushes. A write error fails the connection (what names the write).
func (c *Conn) writeQueuedProduces(what string) {
	c.w.waiting.Add(1)
	c.w.Lock()
	last := c.w.waiting.Add(-1) == 0
	c.pq.Lock()
	items := c.pq.items
	c.pq.items = c.w.spare[:0] // the slice of the last write: no allocation per request
	c.pq.Unlock()
	err := c.writeProducesLocked(items)
	clear(items)
	c.w.spare = items[:0]
	if err == nil && last && c.w.bw.Buffered() > 0 {
		err = c.w.bw.Flush()
	}
	c.w.Unlock()
	if err != nil {
		c.fail(fmt.Errorf("%s: %w", what, err))
	}
}

// StartProduceMany is StartProduce for several requests at once, in
// order: after CoalesceProduce they go out as MultiProduce frames (with
// any requests queued behind a write meanwhile) in one write, without a
// goroutine per request; without it, one frame each. ctx's deadline
// bounds the writes; every request's Records have been written when it
// returns.
func (c *Conn) StartProduceMany(ctx context.Context, reqs []*ProduceRequest) []*PendingProduce {
	out := make([]*PendingProduce, len(reqs))
	if !c.coalesce.Load() {
		for i, req := range reqs {
			out[i] = c.StartProduce(ctx, req)
		}
		return out
	}
	err := ctx.Err()
	c.pq.Lock()
	for i, req := range reqs {
		p := &PendingProduce{c: c}
		p.resp = &p.own
		out[i] = p
		if err != nil {
			p.err = err
			continue
		}
		p.ctx, p.req = ctx, req
		c.pq.items = append(c.pq.items, p)
	}
	c.pq.Unlock()
	if err != nil {
		return out
	}
	c.writeQueuedProduces("write produce requests")
	return out
}

// CoalesceProduce lets StartProduce combine the produce requests waiting
// for the connection into MultiProduce frames. Call it only for a server
// that lists KeyMultiProduce in APIVersions.
func (c *Conn) CoalesceProduce() { c.coalesce.Store(true) }

// maxMultiProduceBytes bounds the records of one MultiProduce frame (the
// server's frame limit is DefaultMaxFrameSize); more go in the next frame.
const maxMultiProduceBytes = 16 << 20

// writeProducesLocked writes items (w held), in order: runs of requests
// with the same acks and timeout as one MultiProduce frame each (a run of
// one as a Produce frame). Each item's call is set (or its error, when its
// context ended before it was written, or the connection had failed). A
// write error is returned; the items whose frames were queued are then
// failed by the caller's fail.
func (c *Conn) writeProducesLocked(items []*PendingProduce) error {
	for len(items) > 0 {
		n, size := 1, len(items[0].req.Records)
		for n < len(items) && items[n].req.Acks == items[0].req.Acks && items[n].req.TimeoutMs == items[0].req.TimeoutMs &&
			size+len(items[n].req.Records) <= maxMultiProduceBytes {
			size += len(items[n].req.Records)
			n++
		}
		run := items[:n]
		items = items[n:]
		live := run[:0:0]
		for _, p := range run {
			if err := p.ctx.Err(); err != nil {
				p.err = err
				p.ctx, p.req = nil, nil
				continue
			}
			live = append(live, p)
		}
		if len(live) == 0 {
			continue
		}
		var err error
		if len(live) == 1 {
			p := live[0]
			p.cl, err = c.writeCallLocked(p.ctx, p.req, p.resp)
			if p.cl == nil && err == nil {
				err = errors.New("wire: produce request not written")
			}
			if p.cl == nil {
				p.err = err
				err = nil
			}
		} else {
			req := &MultiProduceRequest{Acks: live[0].req.Acks, TimeoutMs: live[0].req.TimeoutMs,
				Partitions: make([]ProducePartition, len(live))}
			for i, p := range live {
				req.Partitions[i] = ProducePartition{Topic: p.req.Topic, Partition: p.req.Partition, Records: p.req.Records}
			}
			m := &multiWait{c: c, resp: new(MultiProduceResponse)}
			var cl *call
			cl, err = c.writeCallLocked(live[0].ctx, req, m.resp)
			m.cl = cl
			for i, p := range live {
				if cl == nil {
					p.err = err
				} else {
					p.m, p.idx = m, i
				}
			}
			if cl == nil {
				err = nil
			}
		}
		for _, p := range live {
			p.ctx, p.req = nil, nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// multiWait is the answer of one MultiProduce frame, shared by the
// PendingProduces of its partitions (each waits for the one call).
type multiWait struct {
	c    *Conn
	cl   *call
	resp *MultiProduceResponse
}

func (m *multiWait) wait(ctx context.Context) error { return m.c.await(ctx, m.cl) }

// Wait blocks until the answer arrives or ctx ends, and returns it as
// Produce does: the response and, when its ErrorCode is set, that error.
// Cancelling ctx abandons the wait; the answer is still read and dropped.
func (p *PendingProduce) Wait(ctx context.Context) (*ProduceResponse, error) {
	if p.err != nil {
		return nil, p.err
	}
	if p.m != nil {
		if err := p.m.wait(ctx); err != nil {
			return nil, err
		}
		if p.idx >= len(p.m.resp.Partitions) {
			return nil, fmt.Errorf("wire: %s answer from %s has %d partitions, fewer than the request's", KeyMultiProduce,
				p.c.addr, len(p.m.resp.Partitions))
		}
		r := &p.m.resp.Partitions[p.idx]
		return r, r.Err()
	}
	if err := p.c.await(ctx, p.cl); err != nil {
		return nil, err
	}
	return p.resp, p.resp.Err()
}

// start is the sending half of roundTrip: it queues the call and writes
// the frame.
func (c *Conn) start(ctx context.Context, req Request, resp Response) (*call, error) {
	c.w.waiting.Add(1)
	c.w.Lock()
	last := c.w.waiting.Add(-1) == 0
	cl, err := c.writeCallLocked(ctx, req, resp)
	// Flush unless another writer is queued behind us: it will flush both
	// frames with one write (batching without a delay). A writer whose
	// request was not written (its ctx ended) still flushes the frames
	// left for it, without the deadline of the writer before it.
	var werr error
	if last && (cl != nil || c.w.bw.Buffered() > 0) {
		if cl == nil {
			c.setWriteDeadlineLocked(time.Time{})
		}
		werr = c.w.bw.Flush()
	}
	c.w.Unlock()
	if cl == nil {
		if werr != nil {
			c.fail(fmt.Errorf("write requests: %w", werr))
		}
		return nil, err
	}
	if err == nil {
		err = werr
	}
	if err != nil {
		c.fail(fmt.Errorf("write %s request: %w", cl.key, err))
	}
	// On a write failure fail() has answered the call with ErrConnClosed;
	// Wait returns that.
	return cl, nil
}

// writeCallLocked (w held) queues a call for req and writes its frame into
// the buffer without flushing. A nil call means nothing was written (err
// says why: ctx ended, the connection failed, a bad request); with a call,
// err is a write error (the caller fails the connection).
func (c *Conn) writeCallLocked(ctx context.Context, req Request, resp Response) (*call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	capacity := 256
	if h, ok := req.(interface{ encodedSizeHint() int }); ok {
		capacity = max(capacity, SizeLen+RequestHeaderLen+h.encodedSizeHint())
	}
	// The connection's encoder, reused (its parts are cleared below).
	e := &c.w.enc
	*e = encoder{parts: e.parts[:0]}
	if capacity <= maxScratchFrame {
		// The connection's own buffer: the frame is copied into bw (or
		// written) before the writer lock is released.
		if cap(c.w.scratch) < capacity {
			c.w.scratch = make([]byte, 0, max(capacity, 1024))
		}
		e.buf = c.w.scratch[:SizeLen+RequestHeaderLen]
	} else {
		e.buf = frameBuffer(capacity)[:SizeLen+RequestHeaderLen]
	}
	req.encode(e)
	parts, size := e.finish()
	e.parts = parts
	defer clear(e.parts) // refer to no records once written
	for _, p := range parts {
		if p.src != nil {
			return nil, errors.New("wire: a request cannot carry a record source")
		}
	}
	frame := parts[0].b // starts with the header, filled in below
	cl := &call{key: req.APIKey(), resp: resp, done: make(chan struct{})}
	c.p.Lock()
	if err := c.p.err; err != nil {
		c.p.Unlock()
		return nil, err
	}
	cl.corr = c.w.corr
	c.w.corr++
	c.p.queue = append(c.p.queue, cl)
	background := c.pipelinedLocked()
	c.p.Unlock()
	if background {
		go c.backgroundReader()
	}
	binary.BigEndian.PutUint32(frame[0:], uint32(size-SizeLen))
	binary.BigEndian.PutUint16(frame[4:], uint16(cl.key))
	binary.BigEndian.PutUint16(frame[6:], 0)
	binary.BigEndian.PutUint32(frame[8:], uint32(cl.corr))
	dl, _ := ctx.Deadline()
	c.setWriteDeadlineLocked(dl)
	// The buffered writer copies what it keeps: once written, the frame's
	// first part (the encoder's own buffer; later parts may be the
	// caller's records) is free.
	if cap(frame) > maxScratchFrame {
		defer releaseFrame(frame)
	} else if cap(frame) > cap(c.w.scratch) {
		c.w.scratch = frame[:0] // grown by the encoder: keep the larger one
	}
	for _, p := range parts {
		if _, err := c.w.bw.Write(p.b); err != nil {
			return cl, err
		}
	}
	return cl, nil
}

// maxScratchFrame bounds the request frames encoded into the
// connection's scratch buffer (an idle producer's request of one record
// then allocates no frame); larger ones come from frameBuffer.
const maxScratchFrame = 16 << 10

// setWriteDeadlineLocked (w held) sets the socket's write deadline to dl
// unless it is set to dl already: the requests of a producer share their
// contexts (and so their deadlines) for a second, and each setting is a
// runtime timer update on the request's path.
func (c *Conn) setWriteDeadlineLocked(dl time.Time) {
	if dl.Equal(c.w.dl) {
		return
	}
	c.w.dl = dl
	_ = c.nc.SetWriteDeadline(dl)
}

// PendingFetch is a fetch written to the connection whose answer has not
// been read yet (a follower's pipelined fetch).
type PendingFetch struct {
	c    *Conn
	cl   *call
	resp *FetchResponse
	err  error
}

// StartFetch writes req and returns without waiting for the answer.
// Answers come in request order, so a request started after it is
// answered after it.
func (c *Conn) StartFetch(ctx context.Context, req *FetchRequest) *PendingFetch {
	p := &PendingFetch{c: c, resp: new(FetchResponse)}
	p.cl, p.err = c.start(ctx, req, p.resp)
	return p
}

// Wait blocks until the answer arrives or ctx ends, and returns it as
// Fetch does.
func (p *PendingFetch) Wait(ctx context.Context) (*FetchResponse, error) {
	if p.err != nil {
		return nil, p.err
	}
	if err := p.c.await(ctx, p.cl); err != nil {
		return nil, err
	}
	return p.resp, nil
}

// PendingProgress is a FollowerProgress report written to the
// connection; its answer is read in the background.
type PendingProgress struct {
	cl   *call
	resp *FollowerProgressResponse
	err  error
	done bool
}

// StartFollowerProgress writes req and returns without waiting for the
// answer (the leader takes the report when it reads it; the answer only
// says whether it was refused).
func (c *Conn) StartFollowerProgress(ctx context.Context, req *FollowerProgressRequest) *PendingProgress {
	p := &PendingProgress{resp: new(FollowerProgressResponse)}
	p.cl, p.err = c.start(ctx, req, p.resp)
	p.done = p.err != nil
	// Nobody waits for this answer: have the background reader read it.
	c.readInBackground()
	return p
}

// Poll returns the answer once it has arrived (done false before). err is
// the request's error (the connection failed, or the leader refused the
// whole request); the partitions' errors are in the response.
func (p *PendingProgress) Poll() (resp *FollowerProgressResponse, done bool, err error) {
	if !p.done {
		select {
		case <-p.cl.done:
			p.err, p.done = p.cl.err, true
		default:
			return nil, false, nil
		}
	}
	if p.err != nil {
		return nil, true, p.err
	}
	return p.resp, true, nil
}

// FollowerProgress sends a FollowerProgressRequest and waits for its
// answer (StartFollowerProgress does not wait).
func (c *Conn) FollowerProgress(ctx context.Context, req *FollowerProgressRequest) (*FollowerProgressResponse, error) {
	resp := new(FollowerProgressResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return nil, err
	}
	return resp, nil
}
