package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/natsurl"
)

// explainSC maps an error of an admin call (an *fluvio.SCError reply of
// the SC, or a *fluvio.RequestError that did not reach it) to the
// message, hint and exit code the CLI prints. t, when known, is the
// address the command dialed. ok is false for other errors.
func explainSC(err error, t *target) (msg, hint string, code int, ok bool) {
	if re, ok := errors.AsType[*fluvio.RequestError](err); ok {
		if re.Denied {
			return re.Error(), fluvio.Hint(re), exitPermission, true
		}
		if t != nil {
			return fmt.Sprintf("no SC answers at %s: the NATS server is up but no fluvio SC serves %s", t.describe(), re.Subject),
				fluvio.Hint(re), exitUnavailable, true
		}
	}
	se, ok := errors.AsType[*fluvio.SCError](err)
	if !ok {
		return "", "", 0, false
	}
	return se.Message, se.Hint, scExitCode(se), true
}

// scExitCode maps an error reply of the SC to an exit code.
func scExitCode(se *fluvio.SCError) int {
	is := func(targets ...error) bool {
		for _, t := range targets {
			if errors.Is(se, t) {
				return true
			}
		}
		return false
	}
	switch {
	case is(fluvio.ErrTopicNotFound, fluvio.ErrSPUNotFound, fluvio.ErrConsumerNotFound):
		return exitNotFound
	case is(fluvio.ErrTopicExists, fluvio.ErrSPUExists, fluvio.ErrNotEnoughSPUs):
		return exitConflict
	case is(fluvio.ErrUnavailable, fluvio.ErrTimeout):
		return exitUnavailable
	case is(fluvio.ErrBadRequest, fluvio.ErrInvalidName, fluvio.ErrInvalidConfig, fluvio.ErrInvalidAddress, fluvio.ErrSPUInvalidID):
		return exitUsage
	}
	return exitError
}

// admin connects the client library to the SC the command targets, for
// admin calls; g.fail then names that address when no SC answers. The
// caller closes it.
func (g *Global) admin(ctx context.Context) (*fluvio.Client, error) {
	t, err := g.resolveTarget()
	if err != nil {
		return nil, err
	}
	g.dialed = &t
	return dialAdmin(ctx, t, g.connectTimeout, fluvio.WithLogger(warningLogger(g.stderr)))
}

// dialAdmin connects the client library to the SC at t within timeout.
// The error for an SC that cannot be dialed names t and says what to do.
// opts are added to the client's options.
func dialAdmin(ctx context.Context, t target, timeout time.Duration, opts ...fluvio.Option) (*fluvio.Client, error) {
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if timeout <= 0 {
		return nil, unreachable(t, context.DeadlineExceeded)
	}
	if t.Creds != "" {
		if _, err := natsauth.Load(t.Creds); err != nil {
			return nil, withHint(err, exitUsage, "pass this cluster's credential file with --creds FILE ('fluvio cluster start' writes DATA-DIR/auth/admin.creds), or fix the profile's with 'fluvio profile add NAME --sc HOST:PORT --creds FILE'")
		}
	}
	tlsCfg, err := t.TLS.config()
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	opts = append([]fluvio.Option{fluvio.WithName("fluvio-cli"), fluvio.WithCredentials(t.Creds), fluvio.WithTLS(tlsCfg)}, opts...)
	c, err := fluvio.Connect(cctx, t.Addr, opts...)
	if err != nil {
		// The cause only: unreachable names the address and the next step.
		if fe, ok := errors.AsType[*fluvio.Error](err); ok && fe.Err != nil {
			err = fe.Err
		} else if errors.Is(err, context.DeadlineExceeded) {
			err = context.DeadlineExceeded
		}
		return nil, unreachable(t, err)
	}
	return c, nil
}

// isAuthRefused reports whether NATS refused to let a connection in
// (wrong, missing or revoked credentials).
func isAuthRefused(err error) bool {
	return natsurl.IsAuthError(err)
}
