package natsurl

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:4222":                     "127.0.0.1:4222",
		"nats://127.0.0.1:4222":              "nats://127.0.0.1:4222",
		"nats://sc:sc-secret@127.0.0.1:4222": "nats://sc:xxxxx@127.0.0.1:4222",
		"nats://token@h:1":                   "nats://token@h:1",
		"tls://u:p@[::1]:4222":               "tls://u:xxxxx@[::1]:4222",
		// Every URL of a list, the second one included.
		"nats://a:p1@h1:1,nats://b:p2@h2:2":    "nats://a:xxxxx@h1:1,nats://b:xxxxx@h2:2",
		"nats://a:p1@h1:1, nats://b:p2@h2:2":   "nats://a:xxxxx@h1:1, nats://b:xxxxx@h2:2",
		"nats://h1:1,nats://b:p2@h2:2":         "nats://h1:1,nats://b:xxxxx@h2:2",
		"nats://u:p@ss@h:1":                    "nats://u:xxxxx@h:1",
		"nats://u:%40pw@h:1":                   "nats://u:xxxxx@h:1",
		"see nats://u:pw@h:1/ and tls://v:w@k": "see nats://u:xxxxx@h:1/ and tls://v:xxxxx@k",
		"try nats://USER:PASSWORD@HOST:PORT":   "try nats://USER:PASSWORD@HOST:PORT", // a hint's placeholder stays
		"user@example.com wrote":               "user@example.com wrote",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRedactParseError: url.Parse quotes the whole URL in its errors.
func TestRedactParseError(t *testing.T) {
	bad := fmt.Sprintf("nats://spu:hunter2@127.0.0.1:%s", "bad") // an invalid port (built at run time for staticcheck)
	_, err := url.Parse(bad)
	if err == nil || !strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("url.Parse error %v: expected it to quote the URL", err)
	}
	if got := Redact(err.Error()); strings.Contains(got, "hunter2") {
		t.Fatalf("Redact(%q) = %q keeps the password", err, got)
	}
	_, err = nats.Connect(bad)
	if err != nil && strings.Contains(Redact(fmt.Sprintf("connect: %v", err)), "hunter2") {
		t.Fatalf("nats.Connect error %v keeps the password after Redact", err)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"127.0.0.1:9003":        "nats://127.0.0.1:9003",
		" h:1 , tls://u:p@h:2 ": "nats://h:1,tls://u:p@h:2",
		"nats://u:p@h:4222":     "nats://u:p@h:4222",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsAuthError(t *testing.T) {
	if !IsAuthError(nats.ErrAuthorization) || !IsAuthError(fmt.Errorf("x: %w", nats.ErrAuthorization)) {
		t.Error("nats.ErrAuthorization not recognised")
	}
	if IsAuthError(errors.New("nats: no servers available for connection")) || IsAuthError(nil) {
		t.Error("a non-authorization error recognised")
	}
}

func TestRedactAttr(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: RedactAttr}))
	log.Info("connecting", "url", "nats://a:p1@h:1,nats://b:p2@h:2", "err", errors.New(`parse "nats://c:p3@h:x": invalid port`), "n", 3)
	if out := b.String(); strings.Contains(out, "p1") || strings.Contains(out, "p2") || strings.Contains(out, "p3") || !strings.Contains(out, "n=3") {
		t.Fatalf("log line %q", out)
	}
}
