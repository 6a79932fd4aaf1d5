package natsauth

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/nats-io/nats.go"
)

// TestTLSHint: each kind of TLS mismatch gets its hint; a client with TLS
// settings whose first write is cut off (a server refusing its missing
// client certificate after a TLS 1.3 handshake) is told about the client
// certificate whichever way the cut shows; other errors get no hint.
func TestTLSHint(t *testing.T) {
	pipe := &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}
	for _, c := range []struct {
		name    string
		err     error
		withTLS bool
		want    string // "" for no hint
	}{
		{"plaintext client, TLS server", nats.ErrSecureConnRequired, false, "speaks TLS"},
		{"TLS client, plaintext server", nats.ErrSecureConnWanted, true, "does not speak TLS"},
		{"broken pipe after handshake", fmt.Errorf("connect: %w", pipe), true, "requires a client certificate"},
		{"reset as text", errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"), true, "requires a client certificate"},
		{"tls alert", errors.New("remote error: tls: certificate required"), true, "requires a client certificate"},
		{"broken pipe without TLS", fmt.Errorf("connect: %w", pipe), false, ""},
		{"no servers", nats.ErrNoServers, true, ""},
	} {
		hint, ok := TLSHint(c.err, "the SC", "127.0.0.1:9003", c.withTLS)
		if c.want == "" {
			if ok {
				t.Errorf("%s: unexpected hint %q", c.name, hint)
			}
			continue
		}
		if !ok || !strings.Contains(hint, c.want) {
			t.Errorf("%s: hint %q (%v), want it to contain %q", c.name, hint, ok, c.want)
		}
	}
}
