package sc

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":              "nats://127.0.0.1:4222",
		"nats://sc:sc-secret@127.0.0.1:4222": "nats://sc:xxxxx@127.0.0.1:4222",
		"nats://token@h:1":                   "nats://token@h:1",
		"nats://a:p1@h1:1,nats://b:p2@h2:2":  "nats://a:xxxxx@h1:1,nats://b:xxxxx@h2:2",
		"127.0.0.1:4222":                     "127.0.0.1:4222",
		"tls://u:p@[::1]:4222":               "tls://u:xxxxx@[::1]:4222",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
	if h := connectHint(nats.ErrAuthorization); !strings.Contains(h, "USER:PASSWORD") {
		t.Errorf("auth hint %q", h)
	}
	if h := connectHint(errors.New("nats: no servers available for connection")); !strings.Contains(h, "nats.conf") {
		t.Errorf("no-server hint %q", h)
	}
}
