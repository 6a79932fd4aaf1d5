package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestE2EClusterBadInput: the local cluster under operator mistakes and
// accidents. A killed SPU shows down (with its log) and 'cluster start'
// restarts only it; every process's /readyz listed by 'cluster status'
// answers; stopping twice is fine; a stale PID that now belongs to another
// program is neither trusted nor killed; a data dir that cannot be created
// is named with the way out.
func TestE2EClusterBadInput(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.home, "cluster")
	cleanupCluster(t, e, dir, "--data-dir", dir)
	e.ok("cluster", "start", "--spu", "2", "--data-dir", dir, "--sc-addr", freePlanAddr(t, 2))
	c := readCluster(t, dir)

	// Every process is ready, at the URL status gives.
	var comps []struct {
		Name string
		Spec struct{ Readyz, Metrics, Log string }
	}
	if err := json.Unmarshal([]byte(e.ok("cluster", "status", "--data-dir", dir, "-O", "json")), &comps); err != nil {
		t.Fatal(err)
	}
	urls := 0
	for _, comp := range comps {
		if comp.Name == "nats" {
			continue
		}
		code, body, err := httpGet(comp.Spec.Readyz)
		if err != nil || code != 200 {
			t.Fatalf("%s %s: %d %q %v", comp.Name, comp.Spec.Readyz, code, body, err)
		}
		urls++
	}
	if urls != 3 {
		t.Fatalf("status listed %d /readyz URLs, want 3 (sc and 2 SPUs): %+v", urls, comps)
	}
	check := e.ok("cluster", "check", "--data-dir", dir)
	for _, s := range []string{"✓ sc-server ready: http://", "✓ spu-server 5001 ready: http://", "✓ spu-server 5002 ready: http://", "✓ partitions: 0"} {
		testkit.Contains(t, check, s)
	}

	// kill -9 one SPU: status says it is down and where its log is.
	victim := c.SPUs[1]
	if err := syscall.Kill(victim.Proc.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, func() error {
		if running(victim.Proc.PID, victim.Proc.Argv) {
			return fmt.Errorf("pid %d still running", victim.Proc.PID)
		}
		return nil
	})
	out, _, code := e.fluvio("cluster", "status", "--data-dir", dir)
	if code != 5 {
		t.Fatalf("status with a killed SPU: exit %d, want 5\n%s", code, out)
	}
	r := ""
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "spu "+strconv.Itoa(int(victim.ID))) {
			r = line
		}
	}
	testkit.Contains(t, r, "down")
	testkit.Contains(t, r, filepath.Join(dir, "logs", "spu-"+strconv.Itoa(int(victim.ID))+".log"))

	// start restarts it, and only it.
	out = e.ok("cluster", "start", "--data-dir", dir)
	testkit.Contains(t, out, fmt.Sprintf("spu-server %d already running (pid %d)", c.SPUs[0].ID, c.SPUs[0].Proc.PID))
	testkit.Contains(t, out, fmt.Sprintf("spu-server %d started", victim.ID))
	testkit.Contains(t, out, "all 2 SPU(s) online")
	e.ok("cluster", "status", "--data-dir", dir)

	// stop, then stop again.
	testkit.Contains(t, e.ok("cluster", "stop", "--data-dir", dir), "stopped sc-server")
	testkit.Contains(t, e.ok("cluster", "stop", "--data-dir", dir), "was not running")

	// A recorded PID now used by another program: not ours, left alone.
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	var raw map[string]any
	data, err := os.ReadFile(filepath.Join(dir, "cluster.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	raw["sc"].(map[string]any)["pid"] = other.Process.Pid
	raw["spus"].([]any)[0].(map[string]any)["proc"].(map[string]any)["pid"] = 999999999 // gone
	data, _ = json.Marshal(raw)
	if err := os.WriteFile(filepath.Join(dir, "cluster.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, code = e.fluvio("cluster", "status", "--data-dir", dir)
	if code != 5 {
		t.Fatalf("status with stale PIDs: exit %d, want 5 (down)", code)
	}
	testkit.Contains(t, e.ok("cluster", "stop", "--data-dir", dir), "was not running")
	if err := syscall.Kill(other.Process.Pid, 0); err != nil {
		t.Fatalf("cluster stop signalled a stranger's PID: %v", err)
	}
	out = e.ok("cluster", "start", "--data-dir", dir)
	testkit.Contains(t, out, "sc-server started")
	testkit.Contains(t, out, "all 2 SPU(s) online")

	// A data dir that cannot be created.
	file := filepath.Join(e.home, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	errs := e.fails("cluster", "start", "--data-dir", filepath.Join(file, "x"), "--sc-addr", freePlanAddr(t, 3))
	testkit.Contains(t, errs, "--data-dir")
}
