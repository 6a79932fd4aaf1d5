package spu

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestStartRedactsSCAddress: spu-server --sc-controller with passwords in
// the URLs fails without printing them, the second of a list included,
// nor one NATS cannot parse.
func TestStartRedactsSCAddress(t *testing.T) {
	for _, addr := range []string{
		"nats://spu:secret1@127.0.0.1:1,nats://spu:secret2@127.0.0.1:2",
		"nats://spu:secret1@127.0.0.1:bad",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := Start(ctx, Config{ID: 5001, SCAddr: addr, LogBaseDir: t.TempDir(), PublicAddr: "127.0.0.1:0", PrivateAddr: "127.0.0.1:0", Stdout: io.Discard})
		cancel()
		if err == nil {
			s.Close()
			t.Fatalf("Start with SC %s succeeded", addr)
		}
		if strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "spu:xxxxx@") {
			t.Fatalf("Start with SC %s: %v", addr, err)
		}
	}
}
