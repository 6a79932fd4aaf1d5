package sc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
)

// TestNonLoopbackRefused: the embedded NATS binds loopback; another
// address needs --insecure (there is no TLS yet), and the error says so.
func TestNonLoopbackRefused(t *testing.T) {
	cfg := sc.Config{Addr: "0.0.0.0:0", DataDir: t.TempDir(), AuthDir: t.TempDir()}
	_, err := sc.Start(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "--insecure") || !strings.Contains(err.Error(), "0.0.0.0:0") {
		t.Fatalf("start on 0.0.0.0: %v", err)
	}
	cfg.Insecure = true
	s, err := sc.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start on 0.0.0.0 with Insecure: %v", err)
	}
	testkit.NoErr(t, s.Close())
}
