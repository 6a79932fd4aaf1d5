package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// activeSC returns the status row name ("sc", "sc 2", ...) and PID of the
// SC that 'fluvio cluster status' shows active, and how many are.
func activeSC(out string) (name string, pid int, n int) {
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "sc") || !strings.Contains(line, "active") {
			continue
		}
		n++
		f := strings.Fields(line)
		name = f[0]
		i := 1
		if f[1] != "up," {
			name, i = f[0]+" "+f[1], 2
		}
		for _, w := range f[i:] {
			if p, err := strconv.Atoi(w); err == nil {
				pid = p
				break
			}
		}
	}
	return name, pid, n
}

// TestE2EClusterSCReplicas: 'fluvio cluster start --sc-replicas 3' runs
// three sc-servers whose NATS nodes form one cluster; status and check
// show the NATS cluster and the active SC. kill -9 of the active SC: a
// standby takes over, writes work again within 10 s, records produced
// before are consumed after, and 'cluster start' brings the dead SC back
// as a standby.
func TestE2EClusterSCReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts 3 sc-servers and 2 spu-servers")
	}
	e := newEnv(t)
	dir := filepath.Join(e.home, ".fluvio", "local")
	cleanupCluster(t, e, dir)
	t.Cleanup(func() { dumpClusterLogs(t, dir) }) // before the cluster is deleted
	out := e.ok("cluster", "start", "--spu", "2", "--sc-replicas", "3", "--sc-addr", freePlanAddr(t, 2), "--timeout", "90s")
	testkit.Contains(t, out, `NATS cluster "fluvio": 3 nodes, metadata at 3 replicas; active SC sc-`)
	testkit.Contains(t, out, "all 2 SPU(s) online")

	status := e.ok("cluster", "status")
	name, pid, n := activeSC(status)
	if n != 1 || pid == 0 {
		t.Fatalf("want one active SC with a PID, got %d:\n%s", n, status)
	}
	if c := strings.Count(status, "standby"); c != 2 {
		t.Fatalf("want 2 standby SCs, got %d:\n%s", c, status)
	}
	testkit.Contains(t, row(status, "nats"), "cluster fluvio: 3/3 KV replicas current")
	// 'cluster start' returned once every SC's /readyz answered (the
	// standbys' too): check passes at once, with no retry.
	check := e.ok("cluster", "check")
	testkit.Contains(t, check, `✓ NATS cluster: cluster "fluvio", 3 servers known, KV bucket at 3 replicas`)
	testkit.Contains(t, check, "✓ active SC: sc-")

	e.ok("topic", "create", "ha", "-p", "2", "-r", "2")
	e.ok("produce", "ha", "-f", writeLines(t, "before"))

	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	// First the takeover, read from the lease: a write sent at the instant
	// of the kill can be routed to the dying SC and is then lost (the
	// client waits out its request timeout, 10 s), which says nothing
	// about when writes work again.
	testkit.WaitFor(t, 10*time.Second, func() error {
		status, errs, _ := e.fluvio("cluster", "status")
		if now, _, n := activeSC(status); n != 1 || now == name {
			return fmt.Errorf("no other SC active yet (%q, %d active)\n%s%s", now, n, status, errs)
		}
		return nil
	})
	tookOver := time.Since(killed)
	testkit.WaitFor(t, 10*time.Second-tookOver, func() error {
		if _, errs, code := e.fluvio("topic", "create", "after"); code != 0 {
			return errors.New(errs)
		}
		return nil
	})
	t.Logf("kill -9 of the active SC: another SC active after %v, writes answered again after %v",
		tookOver.Round(100*time.Millisecond), time.Since(killed).Round(100*time.Millisecond))
	e.ok("produce", "ha", "-f", writeLines(t, "after"))
	got := e.ok("consume", "ha", "-B", "-d")
	for _, want := range []string{"before", "after"} {
		testkit.Contains(t, got, want)
	}
	status, _, _ = e.fluvio("cluster", "status")
	if now, _, n := activeSC(status); n != 1 || now == name {
		t.Fatalf("after the kill: active %q (%d active), want one other than %q:\n%s", now, n, name, status)
	}
	check, _, _ = e.fluvio("cluster", "check")   // fails: an SC is down
	testkit.Contains(t, check, "! NATS cluster") // one node of three down: a warning

	e.ok("cluster", "start")
	testkit.WaitFor(t, 20*time.Second, func() error {
		status, _, _ := e.fluvio("cluster", "status")
		if c := strings.Count(status, "standby"); c != 2 || !strings.Contains(row(status, "nats"), "3/3 KV replicas current") {
			return fmt.Errorf("not back to 1 active + 2 standby with 3 current replicas:\n%s", status)
		}
		return nil
	})
}

// writeLines writes lines to a new file and returns its path.
func writeLines(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "records.txt")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// dumpClusterLogs logs the end of every process log of a failed test.
func dumpClusterLogs(t *testing.T, dir string) {
	if !t.Failed() {
		return
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "logs"))
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, "logs", e.Name()))
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		t.Logf("=== %s (tail)\n%s", e.Name(), b)
	}
}
