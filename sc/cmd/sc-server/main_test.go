package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/localcluster"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// proc is a server process started by a test through the local-cluster
// supervisor and stopped by its PID.
type proc struct {
	*localcluster.Process
	out, err testkit.Buffer
}

func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{}
	lp, err := localcluster.StartProcess(localcluster.Spec{Name: filepath.Base(bin), Path: bin, Args: args, Stdout: &p.out, Stderr: &p.err})
	if err != nil {
		t.Fatal(err)
	}
	p.Process = lp
	t.Cleanup(func() {
		if p.Paused() {
			_ = p.Resume()
		}
		_ = p.Kill(context.Background())
		_ = p.Close(context.Background())
	})
	return p
}

func (p *proc) stdout() string { return p.out.String() }
func (p *proc) stderr() string { return p.err.String() }

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("process %d still running after %v; stderr:\n%s", p.PID(), d, p.stderr())
	}
	_, code := p.Exited()
	return code
}

func build(t *testing.T, dir, pkg, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func spuStatus(nc *nats.Conn, id bus.SPUID) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := bus.Request[bus.SPUListResponse](ctx, nc, bus.SubjectAdminSPUList, bus.SPUListRequest{})
	if err != nil {
		return "", err
	}
	for _, s := range resp.Items {
		if s.Spec.ID == id {
			return s.Status.Resolution, nil
		}
	}
	return "", fmt.Errorf("SPU %d not listed", id)
}

func want(nc *nats.Conn, id bus.SPUID, resolution string) func() error {
	return func() error {
		got, err := spuStatus(nc, id)
		if err != nil {
			return err
		}
		if got != resolution {
			return fmt.Errorf("SPU %d is %s, want %s", id, got, resolution)
		}
		return nil
	}
}

// TestE2ESCServerProcess runs sc-server and spu-server as real processes:
// a busy port is a clear error, an SPU is online at once, offline on
// SIGSTOP after the heartbeat timeout and online again on SIGCONT,
// SIGINT stops sc-server cleanly, a restart keeps the metadata, and an
// unregistered spu-server exits non-zero.
func TestE2ESCServerProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs processes: skipped with -short")
	}
	dir := t.TempDir()
	scBin := build(t, dir, "github.com/fluvio-go/fluvio/sc/cmd/sc-server", "sc-server")
	spuBin := build(t, dir, "github.com/fluvio-go/fluvio/spu/cmd/spu-server", "spu-server")
	plan, err := localcluster.FreePlan("127.0.0.1", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	addr := plan.SCAddr() // its private port, the next one, is free too
	pub, priv := plan.CustomSPU()
	data := filepath.Join(dir, "sc")
	scArgs := []string{"--sc", addr, "--data-dir", data, "--no-auth", "--heartbeat-interval", "200ms", "--heartbeat-timeout", "1s"}
	sc := start(t, scBin, scArgs...)

	nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, err := spuStatus(nc, 0)
		if err != nil && strings.Contains(err.Error(), "not listed") {
			return nil
		}
		return err
	})

	busy := start(t, scBin, "--sc", addr, "--data-dir", filepath.Join(dir, "other"), "--no-auth")
	if code := busy.wait(t, 10*time.Second); code != 1 || !strings.Contains(busy.stderr(), addr) || !strings.Contains(busy.stderr(), "--sc HOST:PORT") {
		t.Fatalf("second sc-server on %s: exit %d, stderr %q", addr, code, busy.stderr())
	}

	ctx := context.Background()
	_, err = bus.Request[bus.SPURegisterResponse](ctx, nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: 200, PublicEndpoint: pub, PrivateEndpoint: priv})
	if err != nil {
		t.Fatal(err)
	}
	spuArgs := []string{"--id", "200", "--sc-controller", addr, "--log-base-dir", filepath.Join(dir, "spu")}
	spu := start(t, spuBin, spuArgs...)
	took := testkit.WaitFor(t, 2*time.Second, want(nc, 200, bus.SPUOnline))
	t.Logf("spu-server start -> online: %v", took)
	if got := spu.stdout(); got != "starting custom-spu services (id:200)\n" {
		t.Fatalf("spu-server stdout %q", got)
	}

	if err := spu.Pause(); err != nil {
		t.Fatal(err)
	}
	took = testkit.WaitFor(t, 5*time.Second, want(nc, 200, bus.SPUOffline))
	t.Logf("SIGSTOP -> offline: %v (timeout 1s)", took)
	if took < 500*time.Millisecond {
		t.Fatalf("offline after %v, well before the 1s timeout", took)
	}
	if err := spu.Resume(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 3*time.Second, want(nc, 200, bus.SPUOnline))

	if err := sc.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := sc.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("sc-server exit %d after SIGINT; stderr:\n%s", code, sc.stderr())
	}
	sc = start(t, scBin, scArgs...)
	took = testkit.WaitFor(t, 10*time.Second, want(nc, 200, bus.SPUOnline)) // metadata back, SPU reconnected
	t.Logf("sc-server restart -> SPU online again: %v", took)

	id := int64(200)
	if _, err := bus.Request[bus.SPUUnregisterResponse](ctx, nc, bus.SubjectAdminSPUUnregister, bus.SPUUnregisterRequest{ID: &id}); err != nil {
		t.Fatal(err)
	}
	if code := spu.wait(t, 5*time.Second); code == 0 || !strings.Contains(spu.stderr(), "unregistered") {
		t.Fatalf("spu-server exit %d after unregister; stderr:\n%s", code, spu.stderr())
	}
	again := start(t, spuBin, spuArgs...)
	if code := again.wait(t, 10*time.Second); code == 0 ||
		!strings.Contains(again.stderr(), "fluvio custom-spu register --id 200 --public-server HOST:PORT --private-server HOST:PORT") {
		t.Fatalf("unregistered spu-server: exit %d, stderr:\n%s", code, again.stderr())
	}
	if err := sc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := sc.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("sc-server exit %d after SIGTERM", code)
	}
}
