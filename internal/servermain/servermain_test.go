package servermain

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func spec(run func(ctx context.Context, l *slog.Logger) error, addr *string) Spec {
	return Spec{
		Name: "test-server", Summary: "a test", Usage: "[flags]",
		EnvPrefix: "FLUVIO_TESTSRV", EnvExample: "FLUVIO_TESTSRV_ADDR",
		AddFlags: func(fs *pflag.FlagSet) { fs.StringVar(addr, "addr", "a:1", "the address") },
		Run:      run,
	}
}

func TestMainHelpVersionAndErrors(t *testing.T) {
	var addr string
	called := 0
	run := func(ctx context.Context, l *slog.Logger) error { called++; return nil }
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
		runs   int
	}{
		{"help", []string{"--help"}, 0, "", "--addr", 0},
		{"version", []string{"--version"}, 0, "test-server ", "", 0},
		{"bad flag", []string{"--nope"}, 2, "", "Run 'test-server --help'", 0},
		{"runs", []string{"--addr", "b:2"}, 0, "", "", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			called = 0
			var out, errb bytes.Buffer
			code := Main(spec(run, &addr), c.args, &out, &errb)
			if code != c.code || called != c.runs {
				t.Fatalf("code %d runs %d, want %d %d; stderr %q", code, called, c.code, c.runs, errb.String())
			}
			if !strings.Contains(out.String(), c.stdout) || !strings.Contains(errb.String(), c.stderr) {
				t.Fatalf("stdout %q stderr %q", out.String(), errb.String())
			}
		})
	}
	if addr != "b:2" {
		t.Fatalf("flag not parsed into the config: %q", addr)
	}
}

func TestMainEnvAndRunError(t *testing.T) {
	var addr string
	t.Setenv("FLUVIO_TESTSRV_ADDR", "env:3")
	var errb bytes.Buffer
	code := Main(spec(func(ctx context.Context, l *slog.Logger) error { return errors.New("boom") }, &addr), nil, &bytes.Buffer{}, &errb)
	if code != 1 || !strings.Contains(errb.String(), "test-server: boom") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
	if addr != "env:3" {
		t.Fatalf("env not bound: %q", addr)
	}
}

// TestMainRedacts: neither the server's error nor its log shows the
// password of a NATS URL, the second of a list included.
func TestMainRedacts(t *testing.T) {
	var addr string
	run := func(ctx context.Context, l *slog.Logger) error {
		l.Info("connecting", "url", addr)
		return errors.New("cannot reach the SC at " + addr + ": " + `parse "nats://c:secret3@h:x": invalid port`)
	}
	var stdout, stderr bytes.Buffer
	code := Main(spec(run, &addr), []string{"--addr", "nats://a:secret1@h:1,nats://b:secret2@h:2"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	out := stderr.String()
	for _, pw := range []string{"secret1", "secret2", "secret3"} {
		if strings.Contains(out, pw) {
			t.Fatalf("stderr shows %s:\n%s", pw, out)
		}
	}
	if !strings.Contains(out, "nats://b:xxxxx@h:2") || !strings.Contains(out, "cannot reach the SC") {
		t.Fatalf("stderr:\n%s", out)
	}
}
