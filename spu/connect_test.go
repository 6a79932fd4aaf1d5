package spu

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestConnectHint(t *testing.T) {
	if h := connectHint(nats.ErrAuthorization); !strings.Contains(h, "--sc-controller nats://USER:PASSWORD@HOST:PORT") {
		t.Errorf("auth hint %q", h)
	}
	if h := connectHint(errors.New("nats: no servers available for connection")); !strings.Contains(h, "fluvio cluster start") {
		t.Errorf("no-server hint %q", h)
	}
}
