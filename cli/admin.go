package cli

import (
	"context"
	"errors"
	"fmt"

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
}

// admin connects to the SC the command targets. The caller closes it.
func (g *Global) admin(ctx context.Context) (*adminConn, error) {
	nc, t, err := g.connect(ctx)
	if err != nil {
		return nil, err
	}
	return &adminConn{nc: nc, t: t}, nil
}

// Close closes the NATS connection.
func (a *adminConn) Close() { a.nc.Close() }

// adminCall sends req on an admin subject and decodes the reply. Errors
// are *bus.Error (see bus.Request); "no responders" names the SC address.
func adminCall[Resp any](ctx context.Context, a *adminConn, subject string, req any) (Resp, error) {
	resp, err := bus.Request[Resp](ctx, a.nc, subject, req)
	if err != nil && errors.Is(err, nats.ErrNoResponders) {
		return resp, withHint(fmt.Errorf("no SC answers at %s: the NATS server is up but no fluvio SC serves %s", a.t.describe(), subject),
			exitUnavailable, "start the SC ('sc-server', or 'fluvio cluster start'), or check the address with 'fluvio profile current -O yaml'")
	}
	return resp, err
}
