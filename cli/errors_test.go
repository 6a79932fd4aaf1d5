package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go"
)

func TestExplain(t *testing.T) {
	cases := []struct {
		err      error
		code     int
		msg      string
		hintPart string
	}{
		{bus.ErrTopicNotFound.Withf("topic %q not found", "x"), exitNotFound, `topic "x" not found`, "fluvio topic list"},
		{fmt.Errorf("wrapped: %w", bus.ErrTopicExists), exitConflict, "Topic already exists", "fluvio topic delete"},
		{bus.ErrSPUExists, exitConflict, "SPU already exists", "unregister"},
		{bus.ErrNotEnoughSPUs, exitConflict, "not enough SPUs", "register more SPUs"},
		{bus.ErrInvalidName, exitUsage, "invalid name", "lowercase"},
		{bus.ErrUnavailable, exitUnavailable, "no responders", "fluvio cluster start"},
		{bus.ErrTimeout, exitUnavailable, "request timed out", "fluvio cluster status"},
		{bus.ErrInternal, exitError, "internal error in the SC", "sc-server log"},
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
		requireEqual(t, g.fail(&b, errors.New("disk full")), exitError)
		requireEqual(t, b.String(), "error: disk full\n"+want)
	}
}
