package cli

import (
	"context"
	"errors"

	"github.com/fluvio-go/fluvio"
)

// client connects the client library to the SC the command targets. The
// caller closes it.
func (g *Global) client(ctx context.Context) (*fluvio.Client, error) {
	t, err := g.resolveTarget()
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, g.connectTimeout)
	defer cancel()
	c, err := fluvio.Connect(cctx, t.Addr, fluvio.WithName("fluvio-cli"))
	if err != nil {
		return nil, unreachable(t, err)
	}
	return c, nil
}

// clientError gives an error of the client library its hint and exit code
// (bus errors keep theirs: explain handles them).
func clientError(err error) error {
	if _, ok := errors.AsType[*cliError](err); ok {
		return err
	}
	if _, _, _, ok := explainBus(err); ok {
		return err
	}
	code := exitError
	switch {
	case errors.Is(err, fluvio.ErrBadOption):
		code = exitUsage
	case errors.Is(err, fluvio.ErrNoLeader):
		code = exitUnavailable
	}
	return withHint(err, code, fluvio.Hint(err))
}
