package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestE2ESeedWorkflow runs the custom-SPU workflow of the seed documents
// with real processes: sc-server, custom-spu register, spu-server, spu
// list online, kill -9 then offline, an unknown id refused, unregister,
// and an SC restart that keeps the metadata.
func TestE2ESeedWorkflow(t *testing.T) {
	e := newEnv(t)
	plan := freePlan(t, 2)
	sc := plan.SCAddr()
	pub, priv := plan.CustomSPU()
	scDir := filepath.Join(t.TempDir(), "sc")
	scProc := e.start("sc-server", "--sc", sc, "--data-dir", scDir)
	// NATS auth is on by default: the CLI uses the admin identity the SC
	// made, register writes the SPU's credentials under HOME.
	e.vars = append(e.vars, "FLUVIO_CLIENT_CREDS="+filepath.Join(scDir, "auth", "admin.creds"))
	spuCreds := filepath.Join(e.home, ".fluvio", "creds", "spu-200.creds")
	testkit.WaitFor(t, 20*time.Second, func() error {
		if out, errs, code := e.fluvio("spu", "list", "--sc", sc); code != 0 {
			return fmt.Errorf("spu list: exit %d: %s%s", code, out, errs)
		}
		return nil
	})

	out := e.ok("custom-spu", "register", "--id", "200", "--public-server", pub, "--private-server", priv, "--sc", sc)
	if out != "custom-spu 'custom-spu-200' registered successfully\n" {
		t.Fatalf("register printed %q", out)
	}
	testkit.Contains(t, e.fails("custom-spu", "register", "--id", "200", "--public-server", pub, "--private-server", priv, "--sc", sc), "SPU 200 is already registered")
	if r := row(e.ok("spu", "list", "--sc", sc), "200"); r != "200 custom-spu-200 offline custom - "+pub+" "+priv {
		t.Fatalf("spu list row before spu-server: %q", r)
	}

	spuDir := filepath.Join(t.TempDir(), "spu")
	spu := e.start("spu-server", "--id", "200", "--sc-controller", sc, "--log-base-dir", spuDir, "--creds", spuCreds)
	testkit.WaitFor(t, 10*time.Second, func() error {
		if !strings.Contains(spu.out.String(), "starting custom-spu services (id:200)\n") {
			return fmt.Errorf("spu-server output so far: %q", spu.out.String())
		}
		return nil
	})
	started := time.Now()
	testkit.WaitFor(t, 2*time.Second, func() error {
		if r := row(e.ok("spu", "list", "--sc", sc), "200"); r != "200 custom-spu-200 online custom - "+pub+" "+priv {
			return fmt.Errorf("row %q", r)
		}
		return nil
	})
	t.Logf("SPU 200 online %v after spu-server printed its start line", time.Since(started).Round(time.Millisecond))
	testkit.Contains(t, e.ok("cluster", "spu", "list", "--sc", sc), "custom-spu-200  online")
	testkit.Contains(t, e.ok("custom-spu", "list", "--sc", sc, "-O", "json"), `"resolution": "Online"`)

	// kill -9: the SC notices the missing heartbeats.
	spu.kill(syscall.SIGKILL)
	killed := time.Now()
	testkit.WaitFor(t, 15*time.Second, func() error {
		if r := row(e.ok("spu", "list", "--sc", sc), "200"); !strings.Contains(r, " offline ") {
			return fmt.Errorf("row %q", r)
		}
		return nil
	})
	t.Logf("SPU 200 offline %v after kill -9", time.Since(killed).Round(time.Millisecond))

	// An id nobody registered is refused: spu-server exits non-zero and says why.
	stranger := e.start("spu-server", "--id", "999", "--sc-controller", sc, "--log-base-dir", filepath.Join(t.TempDir(), "x"))
	testkit.WaitFor(t, 15*time.Second, func() error {
		if done, _ := stranger.exited(); !done {
			return fmt.Errorf("spu-server --id 999 still running; output %q", stranger.out.String())
		}
		return nil
	})
	if _, code := stranger.exited(); code == 0 {
		t.Fatalf("spu-server --id 999 exited 0; output %q", stranger.out.String())
	}
	// Without credentials NATS refuses it at the door.
	testkit.Contains(t, stranger.out.String(), "fluvio custom-spu register --id 999")
	testkit.Contains(t, stranger.out.String(), "--creds FILE")
	if r := row(e.ok("spu", "list", "--sc", sc), "999"); r != "" {
		t.Fatalf("unknown SPU listed: %q", r)
	}

	// Back online, then unregistered: the connected spu-server is dropped.
	spu = e.start("spu-server", "--id", "200", "--sc-controller", sc, "--log-base-dir", spuDir, "--creds", spuCreds)
	testkit.WaitFor(t, 10*time.Second, func() error {
		if r := row(e.ok("spu", "list", "--sc", sc), "200"); !strings.Contains(r, " online ") {
			return fmt.Errorf("row %q", r)
		}
		return nil
	})
	out = e.ok("custom-spu", "unregister", "--id", "200", "--sc", sc)
	if out != "custom-spu '200' deleted unregistered\n" { // seed 001's line
		t.Fatalf("unregister printed %q", out)
	}
	if r := row(e.ok("spu", "list", "--sc", sc), "200"); r != "" {
		t.Fatalf("unregistered SPU listed: %q", r)
	}
	testkit.WaitFor(t, 10*time.Second, func() error {
		if done, _ := spu.exited(); !done {
			return fmt.Errorf("spu-server 200 still running after unregister")
		}
		return nil
	})
	testkit.Contains(t, e.fails("custom-spu", "unregister", "--id", "200", "--sc", sc), "not found")
	// Its credentials are revoked: a restart is refused at the door.
	again := e.start("spu-server", "--id", "200", "--sc-controller", sc, "--log-base-dir", spuDir, "--creds", spuCreds)
	testkit.WaitFor(t, 15*time.Second, func() error {
		if done, _ := again.exited(); !done {
			return fmt.Errorf("spu-server 200 with revoked credentials still running")
		}
		return nil
	})
	testkit.Contains(t, again.out.String(), "refused SPU 200 with the credentials")
	testkit.Contains(t, again.out.String(), "run 'fluvio custom-spu register --id 200 ...'")
	if strings.Contains(again.out.String(), "NATS refused the credentials: put") {
		t.Fatalf("the refusal sends an SPU with nkey credentials to nats.conf's passwords first:\n%s", again.out.String())
	}

	// SC restart: the metadata lives in JetStream KV and survives.
	pub201, priv201, _ := plan.SPU(1)
	e.ok("custom-spu", "register", "--id", "201", "-n", "edge", "-r", "rack-a", "-p", pub201, "-v", priv201, "--sc", sc)
	e.ok("topic", "create", "seed", "--sc", sc)
	scProc.kill(syscall.SIGTERM)
	if _, code := scProc.exited(); code != 0 {
		t.Logf("sc-server exit code %d after SIGTERM; output:\n%s", code, scProc.out.String())
	}
	sc2 := e.start("sc-server", "--sc", sc, "--data-dir", scDir)
	testkit.WaitFor(t, 20*time.Second, func() error {
		out, errs, code := e.fluvio("spu", "list", "--sc", sc)
		if code != 0 {
			return fmt.Errorf("spu list: exit %d: %s (sc-server output: %s)", code, errs, sc2.out.String())
		}
		if r := row(out, "201"); !strings.HasPrefix(r, "201 edge ") || !strings.Contains(r, " rack-a ") {
			return fmt.Errorf("row %q", r)
		}
		return nil
	})
	if r := row(e.ok("topic", "list", "--sc", sc), "seed"); r == "" {
		t.Fatal("topic seed lost across the SC restart")
	}
}

// TestE2ESCUnreachable checks the message when no SC runs at the address.
func TestE2ESCUnreachable(t *testing.T) {
	e := newEnv(t)
	addr := freeAddr(t)
	_, errs, code := e.fluvio("spu", "list", "--sc", addr)
	if code != 5 {
		t.Fatalf("exit %d, want 5; stderr %s", code, errs)
	}
	testkit.Contains(t, errs, "cannot reach the SC at "+addr)
	testkit.Contains(t, errs, "next: start a local cluster with 'fluvio cluster start'")
	out := e.ok("version", "--sc", addr)
	testkit.Contains(t, out, "Fluvio CLI")
}
