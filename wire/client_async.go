package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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
	resp *ProduceResponse
	err  error // the write failed: Wait returns it
}

// StartProduce writes req and returns without waiting for the answer.
// ctx's deadline bounds the write; Wait bounds the wait. The request's
// Records have been written (and may be reused) when StartProduce returns.
func (c *Conn) StartProduce(ctx context.Context, req *ProduceRequest) *PendingProduce {
	p := &PendingProduce{c: c, resp: new(ProduceResponse)}
	p.cl, p.err = c.start(ctx, req, p.resp)
	return p
}

// Wait blocks until the answer arrives or ctx ends, and returns it as
// Produce does: the response and, when its ErrorCode is set, that error.
// Cancelling ctx abandons the wait; the answer is still read and dropped.
func (p *PendingProduce) Wait(ctx context.Context) (*ProduceResponse, error) {
	if p.err != nil {
		return nil, p.err
	}
	select {
	case err := <-p.cl.done:
		if err != nil {
			return nil, err
		}
		return p.resp, p.resp.Err()
	case <-ctx.Done():
		return nil, fmt.Errorf("wire: %s request to %s: %w", p.cl.key, p.c.addr, ctx.Err())
	}
}

// start is the sending half of roundTrip: it queues the call and writes
// the frame.
func (c *Conn) start(ctx context.Context, req Request, resp Response) (*call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := encoder{buf: make([]byte, SizeLen+RequestHeaderLen, 256)}
	req.encode(&e)
	parts, size := e.finish()
	for _, p := range parts {
		if p.src != nil {
			return nil, errors.New("wire: a request cannot carry a record source")
		}
	}
	frame := parts[0].b // starts with the header, filled in below
	cl := &call{key: req.APIKey(), resp: resp, done: make(chan error, 1)}

	c.w.waiting.Add(1)
	c.w.Lock()
	last := c.w.waiting.Add(-1) == 0
	c.p.Lock()
	if err := c.p.err; err != nil {
		c.p.Unlock()
		c.w.Unlock()
		return nil, err
	}
	cl.corr = c.w.corr
	c.w.corr++
	c.p.queue = append(c.p.queue, cl)
	c.p.Unlock()
	binary.BigEndian.PutUint32(frame[0:], uint32(size-SizeLen))
	binary.BigEndian.PutUint16(frame[4:], uint16(cl.key))
	binary.BigEndian.PutUint16(frame[6:], 0)
	binary.BigEndian.PutUint32(frame[8:], uint32(cl.corr))
	dl, _ := ctx.Deadline()
	_ = c.nc.SetWriteDeadline(dl)
	var err error
	for _, p := range parts {
		if _, err = c.w.bw.Write(p.b); err != nil {
			break
		}
	}
	// Flush unless another writer is queued behind us: it will flush both
	// frames with one write (batching without a delay).
	if err == nil && last {
		err = c.w.bw.Flush()
	}
	c.w.Unlock()
	if err != nil {
		c.fail(fmt.Errorf("write %s request: %w", cl.key, err))
	}
	// On a write failure fail() has answered the call with ErrConnClosed;
	// Wait returns that.
	return cl, nil
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
	select {
	case err := <-p.cl.done:
		if err != nil {
			return nil, err
		}
		return p.resp, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wire: %s request to %s: %w", p.cl.key, p.c.addr, ctx.Err())
	}
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
	return p
}

// Poll returns the answer once it has arrived (done false before). err is
// the request's error (the connection failed, or the leader refused the
// whole request); the partitions' errors are in the response.
func (p *PendingProgress) Poll() (resp *FollowerProgressResponse, done bool, err error) {
	if !p.done {
		select {
		case p.err = <-p.cl.done:
			p.done = true
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
