package sc

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestConnectHint(t *testing.T) {
	if h := connectHint(nats.ErrAuthorization); !strings.Contains(h, "--nats-url nats://USER:PASSWORD@HOST:PORT") {
		t.Errorf("auth hint %q", h)
	}
	if h := connectHint(errors.New("nats: no servers available for connection")); !strings.Contains(h, "nats.conf") {
		t.Errorf("no-server hint %q", h)
	}
}
