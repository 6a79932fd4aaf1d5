package e2e

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/localcluster"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// env is an isolated user environment: its own HOME and profiles file.
type env struct {
	t    *testing.T
	home string
	vars []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	needBinaries(t)
	home := t.TempDir()
	return &env{t: t, home: home, vars: []string{
		"HOME=" + home,
		"FLUVIO_CONFIG=" + filepath.Join(home, ".fluvio", "config"),
		"PATH=" + os.Getenv("PATH"),
	}}
}

// fluvio runs the fluvio binary and returns stdout, stderr and the exit code.
func (e *env) fluvio(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin("fluvio"), args...)
	cmd.Env = e.vars
	cmd.Stdin = strings.NewReader("")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run fluvio %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// ok runs fluvio, wants exit 0, and returns stdout.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	out, errs, code := e.fluvio(args...)
	if code != 0 {
		e.t.Fatalf("fluvio %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// fails runs fluvio, wants a non-zero exit, and returns stderr.
func (e *env) fails(args ...string) string {
	e.t.Helper()
	out, errs, code := e.fluvio(args...)
	if code == 0 {
		e.t.Fatalf("fluvio %s: exit 0, want an error\nstdout:\n%s", strings.Join(args, " "), out)
	}
	return errs
}

// proc is a server process a test started, owned through the
// local-cluster supervisor (localcluster.Process: signalled and waited
// for by its PID only); t.Cleanup kills it.
type proc struct {
	*localcluster.Process
	name string
	out  *testkit.Buffer // its stdout and stderr
}

// start runs a binary in the background with stdout and stderr captured.
func (e *env) start(name string, args ...string) *proc {
	e.t.Helper()
	p := &proc{name: name, out: &testkit.Buffer{}}
	lp, err := localcluster.StartProcess(localcluster.Spec{Name: name, Path: bin(name), Args: args, Env: e.vars, Stdout: p.out, Stderr: p.out})
	if err != nil {
		e.t.Fatalf("start %s: %v", name, err)
	}
	p.Process = lp
	e.t.Cleanup(func() {
		p.kill(syscall.SIGKILL)
		_ = lp.Close(context.Background())
	})
	return p
}

// kill sends sig to the process by PID and waits for it to exit.
func (p *proc) kill(sig syscall.Signal) {
	if err := p.Signal(sig); err != nil {
		return // not running
	}
	_ = p.Wait(context.Background())
}

// exited reports whether the process has exited, and its exit code (-1
// when a signal ended it).
func (p *proc) exited() (bool, int) { return p.Exited() }

// freeAddr returns a loopback address nothing listened on a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// fields joins the whitespace-separated fields of the row of table out
// whose first field is key, or "" when there is none.
func row(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == key {
			return strings.Join(f, " ")
		}
	}
	return ""
}

// freePlanAddr returns an SC address for a local cluster of up to 3 SCs
// and spus SPUs whose whole port plan (localcluster.Plan) is free now and
// lies below the kernel's ephemeral range, so that no outgoing connection
// of another test takes one of them while the cluster stops and starts.
func freePlanAddr(t *testing.T, spus int) string {
	t.Helper()
	return freePlan(t, spus).SCAddr()
}

// freePlan is a free port plan for up to 3 SCs and spus SPUs, for tests
// that start sc-server and spu-server themselves: the SC on SCAddr (its
// private port, the next one, is free too), the SPUs on SPU(i) or
// CustomSPU, all below the ephemeral range, so a server restarted on the
// same address finds it free.
func freePlan(t *testing.T, spus int) localcluster.Plan {
	t.Helper()
	p, err := localcluster.FreePlan("127.0.0.1", 3, spus)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
