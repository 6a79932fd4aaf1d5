package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/nats-io/nats.go"
)

// scErr is an SC error of the client library's table, to specialize.
func scErr(err error) *fluvio.SCError { return err.(*fluvio.SCError) }

func TestExplain(t *testing.T) {
	cases := []struct {
		err      error
		code     int
		msg      string
		hintPart string
	}{
		{scErr(fluvio.ErrTopicNotFound).Withf("topic %q not found", "x"), exitNotFound, `topic "x" not found`, "fluvio topic list"},
		{fmt.Errorf("wrapped: %w", fluvio.ErrTopicExists), exitConflict, "Topic already exists", "fluvio topic delete"},
		{fluvio.ErrSPUExists, exitConflict, "SPU already exists", "unregister"},
		{fluvio.ErrNotEnoughSPUs, exitConflict, "not enough SPUs", "register more SPUs"},
		{fluvio.ErrInvalidName, exitUsage, "invalid name", "lowercase"},
		{fluvio.ErrUnavailable, exitUnavailable, "no responders", "fluvio cluster start"},
		{fluvio.ErrTimeout, exitUnavailable, "request timed out", "fluvio cluster status"},
		{fluvio.ErrInternal, exitError, "internal error in the SC", "sc-server log"},
		{withHint(errors.New("boom"), exitNotFound, "do this"), exitNotFound, "boom", "do this"},
		{fmt.Errorf("x: %w", nats.ErrNoResponders), exitUnavailable, "no responders", "fluvio cluster"},
		{nats.ErrPermissionViolation, exitPermission, "permissions violation", "credentials"},
		{errors.New("plain"), exitError, "plain", ""},
	}
	for _, c := range cases {
		msg, hint, code := explain(c.err)
		if code != c.code || msg != c.msg && !strings.Contains(msg, c.msg) || c.hintPart != "" && !strings.Contains(hint, c.hintPart) {
			t.Errorf("explain(%v) = %q, %q, %d; want code %d, msg %q, hint with %q", c.err, msg, hint, code, c.code, c.msg, c.hintPart)
		}
	}
}

func TestFailAlwaysHasNextStep(t *testing.T) {
	for path, want := range map[string]string{
		"fluvio topic list":   "next: run 'fluvio cluster check' to see what is wrong, or 'fluvio topic list --help' for usage\n",
		"fluvio cluster stop": "next: see 'fluvio cluster status' and the log files it lists\n",
	} {
		g := newGlobal()
		g.path = path
		var b strings.Builder
		testkit.Equal(t, g.fail(&b, errors.New("disk full")), exitError)
		testkit.Equal(t, b.String(), "error: disk full\n"+want)
	}
}

// TestUnreachableAuthHint: an SC whose NATS refuses the credentials gets
// the hint to put a client user in the address, not "start a cluster".
func TestUnreachableAuthHint(t *testing.T) {
	_, hint, code := explain(unreachable(target{Addr: "127.0.0.1:4222", Source: "--sc"}, fmt.Errorf("nats: %w", nats.ErrAuthorization)))
	if code != exitUnavailable || !strings.Contains(hint, "NATS refused the credentials") || !strings.Contains(hint, "--sc nats://USER:PASSWORD@HOST:PORT") {
		t.Fatalf("auth refusal: hint %q, code %d", hint, code)
	}
	_, hint, _ = explain(unreachable(target{Addr: "127.0.0.1:4222", Source: "--sc"}, errors.New("nats: no servers available for connection")))
	if !strings.Contains(hint, "fluvio cluster start") {
		t.Fatalf("no server: hint %q", hint)
	}
}
