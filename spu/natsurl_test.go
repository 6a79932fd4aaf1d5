package spu

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9003":                       "127.0.0.1:9003",
		"nats://spu5001:secret@127.0.0.1:4222": "nats://spu5001:xxxxx@127.0.0.1:4222",
		"nats://127.0.0.1:4222":                "nats://127.0.0.1:4222",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
	if h := connectHint(nats.ErrAuthorization); !strings.Contains(h, "--sc-controller nats://USER:PASSWORD@HOST:PORT") {
		t.Errorf("auth hint %q", h)
	}
}
