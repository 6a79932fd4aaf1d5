package cli

import (
	"context"
	"errors"
	"strings"

	"github.com/fluvio-go/fluvio"
)

// client connects the client library to the SC the command targets. The
// caller closes it.
func (g *Global) client(ctx context.Context) (*fluvio.Client, error) {
	return g.admin(ctx)
}

// clientError gives an error of the client library its hint and exit code
// (the SC's errors keep theirs: explain handles them).
func clientError(err error) error {
	if _, ok := errors.AsType[*cliError](err); ok {
		return err
	}
	if _, _, _, ok := explainSC(err, nil); ok {
		return err
	}
	code := exitError
	switch {
	case errors.Is(err, fluvio.ErrBadOption):
		code = exitUsage
	case errors.Is(err, fluvio.ErrNoLeader):
		code = exitUnavailable
	case errors.Is(err, fluvio.ErrNotAuthorized), errors.Is(err, fluvio.ErrNotAuthenticated):
		code = exitPermission // as for NATS's refusals
	}
	hint := fluvio.Hint(err)
	if fe, ok := errors.AsType[*fluvio.Error](err); ok && hint != "" && fe.Hint == hint {
		// Print the message without the hint; the hint goes on "next:".
		if msg, ok := strings.CutSuffix(err.Error(), " ("+hint+")"); ok {
			err = &messageError{msg: msg, err: err}
		}
	}
	return withHint(err, code, hint)
}

// messageError replaces an error's text, keeping its chain.
type messageError struct {
	msg string
	err error
}

func (e *messageError) Error() string { return e.msg }
func (e *messageError) Unwrap() error { return e.err }
