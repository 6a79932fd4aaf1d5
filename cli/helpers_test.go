package cli

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cliEnv is an isolated environment for running the CLI in-process: its
// own HOME and profiles file, and no FLUVIO_* variables from the outside.
type cliEnv struct {
	t   *testing.T
	env map[string]string
	// stdin is fed to commands that ask questions.
	stdin string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	home := t.TempDir()
	return &cliEnv{t: t, env: map[string]string{
		"HOME":    home,
		EnvConfig: filepath.Join(home, ".fluvio", "config"),
	}}
}

// run runs the CLI with args and returns stdout, stderr and the exit code.
func (e *cliEnv) run(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	var out, errb bytes.Buffer
	g := newGlobal()
	g.getenv = func(k string) string { return e.env[k] }
	g.stdin = strings.NewReader(e.stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = g.run(ctx, args, &out, &errb)
	return out.String(), errb.String(), code
}

// ok runs the CLI and fails the test unless it exits 0; it returns stdout.
func (e *cliEnv) ok(args ...string) string {
	e.t.Helper()
	out, errs, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("fluvio %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// fails runs the CLI, wants exit code want, and returns stderr.
func (e *cliEnv) fails(want int, args ...string) string {
	e.t.Helper()
	out, errs, code := e.run(args...)
	if code != want {
		e.t.Fatalf("fluvio %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errs)
	}
	return errs
}

// freeAddr returns a loopback address nothing listens on (it was free a
// moment ago).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
