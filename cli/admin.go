package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go"
)

// explainBus maps a *bus.Error (an error reply from the SC) to the message,
// hint and exit code the CLI prints. ok is false for other errors.
func explainBus(err error) (msg, hint string, code int, ok bool) {
	be, ok := errors.AsType[*bus.Error](err)
	if !ok {
		return "", "", 0, false
	}
	return be.Message, be.Hint, busExitCode(be.Code), true
}

// busExitCode maps a bus error code to an exit code.
func busExitCode(code int) int {
	switch code {
	case bus.CodeTopicNotFound, bus.CodeSPUNotFound:
		return exitNotFound
	case bus.CodeTopicExists, bus.CodeSPUExists, bus.CodeNotEnoughSPUs:
		return exitConflict
	case bus.CodeUnavailable, bus.CodeTimeout:
		return exitUnavailable
	case bus.CodeBadRequest, bus.CodeInvalidName, bus.CodeInvalidConfig, bus.CodeInvalidAddress, bus.CodeSPUInvalidID:
		return exitUsage
	}
	return exitError
}

// adminConn is a connection to the SC's admin API.
type adminConn struct {
	nc *nats.Conn
	t  target
	// denied is cancelled, with the error as cause, when NATS reports a
	// permissions violation on this connection (asynchronously).
	denied context.Context
}

// admin connects to the SC the command targets. The caller closes it.
func (g *Global) admin(ctx context.Context) (*adminConn, error) {
	t, err := g.resolveTarget()
	if err != nil {
		return nil, err
	}
	return dialAdmin(ctx, t, g.connectTimeout)
}

// dialAdmin connects to the SC at t. A permissions violation NATS reports
// later fails the request in flight at once (see adminCall).
func dialAdmin(ctx context.Context, t target, timeout time.Duration) (*adminConn, error) {
	denied, deny := context.WithCancelCause(context.Background())
	nc, err := dialSC(ctx, t, timeout, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) || isPermission(err) {
			deny(err)
		}
	}))
	if err != nil {
		deny(nil)
		return nil, err
	}
	return &adminConn{nc: nc, t: t, denied: denied}, nil
}

// Close closes the NATS connection.
func (a *adminConn) Close() { a.nc.Close() }

// adminCall sends req on an admin subject and decodes the reply. Errors
// are *bus.Error (see bus.Request); "no responders" names the SC address.
func adminCall[Resp any](ctx context.Context, a *adminConn, subject string, req any) (Resp, error) {
	// NATS reports a publish permission violation asynchronously and the
	// request would only time out: stop waiting when it arrives.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if a.denied != nil {
		stop := context.AfterFunc(a.denied, cancel)
		defer stop()
	}
	resp, err := bus.Request[Resp](ctx, a.nc, subject, req)
	if err != nil && a.denied != nil {
		if cause := context.Cause(a.denied); cause != nil && cause != context.Canceled {
			return resp, withHint(fmt.Errorf("NATS refused the request on %s: %w", subject, cause), exitPermission,
				"the NATS user of this connection may not publish there: check its permissions, or use another profile")
		}
	}
	if err != nil && errors.Is(err, nats.ErrNoResponders) {
		return resp, withHint(fmt.Errorf("no SC answers at %s: the NATS server is up but no fluvio SC serves %s", a.t.describe(), subject),
			exitUnavailable, "start the SC ('sc-server', or 'fluvio cluster start'), or check the address with 'fluvio profile current -O yaml'")
	}
	return resp, err
}

// isAuthRefused reports whether NATS refused to let a connection in
// (wrong, missing or revoked credentials).
func isAuthRefused(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) || strings.Contains(strings.ToLower(err.Error()), "authorization violation")
}
