package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fluvio-go/fluvio/internal/natsurl"
	"github.com/nats-io/nats.go"
)

// Exit codes. Scripts can tell a missing object from a conflict from an
// unreachable cluster without parsing messages.
const (
	exitOK          = 0 // success
	exitError       = 1 // any other failure
	exitUsage       = 2 // bad flags or arguments
	exitNotFound    = 3 // the named object does not exist
	exitConflict    = 4 // the object already exists, or the request conflicts with the state
	exitUnavailable = 5 // the SC, NATS or an SPU cannot be reached
	exitPermission  = 6 // NATS or an SPU refused the request (permissions, identity)
)

// cliError is an error with the next step to take and an exit code.
type cliError struct {
	Err  error
	Hint string
	Code int
}

func (e *cliError) Error() string { return e.Err.Error() }
func (e *cliError) Unwrap() error { return e.Err }

// withHint wraps err with a next step and an exit code.
func withHint(err error, code int, hint string) error {
	return &cliError{Err: err, Hint: hint, Code: code}
}

// fail prints err and its next step to stderr and returns the exit code.
// The format is two lines:
//
//	error: <what went wrong>
//	next: <what to do>
func (g *Global) fail(stderr io.Writer, err error) int {
	msg, hint, code := explainFor(err, g.dialed)
	// No message shows the password of a NATS URL (an --sc or a profile's).
	msg, hint = natsurl.Redact(msg), natsurl.Redact(hint)
	if hint == "" {
		// Every error gets a next step, even one nobody anticipated.
		if strings.HasPrefix(g.path, "fluvio cluster") {
			hint = "see 'fluvio cluster status' and the log files it lists"
		} else {
			hint = "run 'fluvio cluster check' to see what is wrong, or '" + g.path + " --help' for usage"
		}
	}
	fmt.Fprintf(stderr, "error: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(stderr, "next: %s\n", hint)
	}
	return code
}

// explain turns err into a message, a hint and an exit code.
func explain(err error) (msg, hint string, code int) { return explainFor(err, nil) }

// explainFor is explain for a command that dialed t (nil: unknown).
func explainFor(err error, t *target) (msg, hint string, code int) {
	if ce, ok := errors.AsType[*cliError](err); ok {
		return ce.Error(), ce.Hint, ce.Code
	}
	if m, h, c, ok := explainSC(err, t); ok {
		return m, h, c
	}
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return err.Error(), "the SC is not serving requests: check it with 'fluvio cluster status', or start it with 'fluvio cluster start'", exitUnavailable
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, errDeadline):
		return err.Error(), "the SC did not answer in time: check it with 'fluvio cluster status'", exitUnavailable
	case errors.Is(err, nats.ErrPermissionViolation), isPermission(err):
		return err.Error(), "your NATS user may not send this request: check the credentials of the profile", exitPermission
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrNoServers):
		return err.Error(), "start a local cluster with 'fluvio cluster start', or point at a running one with --sc HOST:PORT", exitUnavailable
	}
	return err.Error(), "", exitError
}

func isPermission(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "permissions violation")
}

// errDeadline marks a context deadline in a request.
var errDeadline = errors.New("deadline exceeded")
