package fluvio

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go"
)

// request sends an admin request to the SC with the client's timeout.
// Errors are the SC's *SCError replies, or a *RequestError when NATS
// refused the request or nobody answers on subject.
func request[Resp any](ctx context.Context, c *Client, subject string, req any) (Resp, error) {
	if err := c.checkOpen(); err != nil {
		var zero Resp
		return zero, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.requestTimeout)
		defer cancel()
	}
	// NATS reports a publish permission violation asynchronously and the
	// request would only time out: stop waiting when it arrives.
	ctx, denied := c.denials.watch(ctx, subject)
	defer denied.stop()
	resp, err := requestUntilServed[Resp](ctx, c.nc, subject, req)
	if err == nil {
		return resp, nil
	}
	if cause := denied.cause(); cause != nil {
		return resp, &RequestError{Subject: subject, Denied: true, Err: cause}
	}
	if errors.Is(err, nats.ErrNoResponders) {
		return resp, &RequestError{Subject: subject, Err: err}
	}
	return resp, err
}

// noResponderRetry is the pause between two tries of a request that found
// no SC serving its subject, and noResponderWindow how long such tries go
// on: an SC that is starting serves within a second or two, and a standby
// takes over from a dead active SC within about 4 s (lease TTL plus the
// metadata stream's election; sc/DESIGN.md), so a command sent during a
// failover waits for the new active SC instead of failing. Longer, and
// the user hears that no SC answers.
const (
	noResponderRetry  = 250 * time.Millisecond
	noResponderWindow = 8 * time.Second
)

// requestUntilServed is bus.Request, tried again while NATS answers "no
// responders": an SC that is starting, or a standby SC taking over from
// the active one, serves the admin subjects a moment later. It gives up
// with the last error after noResponderWindow or when ctx ends. A request
// that reached an SC is never sent twice.
func requestUntilServed[Resp any](ctx context.Context, nc *nats.Conn, subject string, req any) (Resp, error) {
	giveUp := time.Now().Add(noResponderWindow)
	for {
		resp, err := bus.Request[Resp](ctx, nc, subject, req)
		if err == nil || !errors.Is(err, nats.ErrNoResponders) {
			return resp, err
		}
		deadline, _ := ctx.Deadline()
		if time.Until(deadline) < noResponderRetry || time.Now().After(giveUp) {
			return resp, err
		}
		t := time.NewTimer(noResponderRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, err
		case <-t.C:
		}
	}
}

// denials hands NATS's asynchronous permission violations to the
// requests they refuse.
type denials struct {
	mu      sync.Mutex
	waiters map[*denialWatch]struct{} // guarded by mu
}

// denialWatch is one request waiting for its reply.
type denialWatch struct {
	d       *denials
	subject string
	cancel  context.CancelFunc
	err     error // guarded by d.mu: the violation, once reported
}

// watch returns ctx, cancelled when NATS reports a permissions violation
// naming subject. d may be nil (no watching).
func (d *denials) watch(ctx context.Context, subject string) (context.Context, *denialWatch) {
	if d == nil {
		return ctx, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &denialWatch{d: d, subject: subject, cancel: cancel}
	d.mu.Lock()
	if d.waiters == nil {
		d.waiters = map[*denialWatch]struct{}{}
	}
	d.waiters[w] = struct{}{}
	d.mu.Unlock()
	return ctx, w
}

// report is the connection's nats.ErrorHandler.
func (d *denials) report(_ *nats.Conn, _ *nats.Subscription, err error) {
	if err == nil || (!errors.Is(err, nats.ErrPermissionViolation) && !strings.Contains(strings.ToLower(err.Error()), "permissions violation")) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for w := range d.waiters {
		if strings.Contains(err.Error(), w.subject) && w.err == nil {
			w.err = err
			w.cancel()
		}
	}
}

// cause returns the violation that ended the request, or nil.
func (w *denialWatch) cause() error {
	if w == nil {
		return nil
	}
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	return w.err
}

// stop ends the watch.
func (w *denialWatch) stop() {
	if w == nil {
		return
	}
	w.d.mu.Lock()
	delete(w.d.waiters, w)
	w.d.mu.Unlock()
	w.cancel()
}
