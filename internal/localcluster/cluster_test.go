package localcluster

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// servers are sc-server and spu-server, built once (into a directory
// TestMain removes) for the tests that start a Cluster.
var servers struct {
	once sync.Once
	dir  string
	err  error
}

func needServers(t *testing.T) string {
	t.Helper()
	servers.once.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			servers.err = err
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		if servers.dir, servers.err = os.MkdirTemp("", "localcluster-bin"); servers.err != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", servers.dir+"/", "./sc/cmd/sc-server", "./spu/cmd/spu-server")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			servers.err = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if servers.err != nil {
		t.Fatalf("build the servers: %v", servers.err)
	}
	return servers.dir
}

// TestCluster: an owned cluster of one SC and two SPUs comes up ready
// (every /readyz, public ports, online at the SC) on a free plan; a
// killed SPU and a paused one come back with EnsureRunning; Close leaves
// no process behind.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts sc-server and two spu-servers")
	}
	bin := needServers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := StartCluster(ctx, ClusterConfig{BinDir: bin, Dir: t.TempDir(), SPUs: 2})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	t.Cleanup(func() {
		if err := c.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
		for _, pid := range pids {
			requireGone(t, pid)
		}
	})
	for _, p := range c.all() {
		pids = append(pids, p.PID())
	}
	if got := c.SCAddrs(); got != c.Plan().SCAddr() {
		t.Errorf("SCAddrs() = %s, want the plan's %s", got, c.Plan().SCAddr())
	}
	if ProbeReady(ctx, c.SCHTTP(0)) != "yes" {
		t.Error("SC not ready after StartCluster")
	}
	items, err := c.Client().ListSPUs(ctx)
	if err != nil || len(items) != 2 {
		t.Fatalf("ListSPUs = %v, %v", items, err)
	}
	s1, s2 := c.SPU(FirstSPU), c.SPU(FirstSPU+1)
	if s1 == nil || s2 == nil || c.SPU(1) != nil {
		t.Fatal("SPU lookup")
	}
	if pub, _, _ := c.Plan().SPU(1); s2.Public != pub {
		t.Errorf("SPU 5002 public %s, want the plan's %s", s2.Public, pub)
	}

	if err := s1.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s2.Pause(); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 500*time.Millisecond)
	err = c.WaitReady(wctx)
	wcancel()
	if _, ok := errors.AsType[*ExitedError](err); !ok || !strings.Contains(err.Error(), "spu-server 5001 exited") {
		t.Fatalf("WaitReady with SPU 5001 killed = %v, want its exit", err)
	}
	if err := c.EnsureRunning(); err != nil {
		t.Fatal(err)
	}
	if s1.Starts() != 2 || s2.Paused() {
		t.Fatalf("after EnsureRunning: SPU 5001 started %d times, SPU 5002 paused %v", s1.Starts(), s2.Paused())
	}
	pids = append(pids, s1.PID())
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestClusterStartFailureStopsEverything: an SPU that cannot start fails
// StartCluster at once with the end of its log, and the SC already
// started is stopped (no process left behind).
func TestClusterStartFailureStopsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts sc-server")
	}
	bin := needServers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	start := time.Now()
	_, err := StartCluster(ctx, ClusterConfig{BinDir: bin, Dir: dir, SPUs: 1, SPUArgs: []string{"--no-such-flag"}})
	ee, ok := errors.AsType[*ExitedError](err)
	if !ok || ee.Name != "spu-server 5001" || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("StartCluster with a failing SPU = %v", err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("the failure took %v: want it at once, not at the deadline", d)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "logs", "sc.log"))
	if !strings.Contains(string(log), "start sc-server") {
		t.Fatalf("sc.log has no start line: the SC never ran:\n%s", log)
	}
	// No process of the cluster is left: none has dir in its command line.
	if pids := clusterPIDs(dir); len(pids) > 0 {
		t.Fatalf("processes left behind: %v", pids)
	}
}

// clusterPIDs finds the running processes whose command line names dir
// (the cluster's processes), from /proc.
func clusterPIDs(dir string) []int {
	var pids []int
	entries, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil || !strings.Contains(string(data), dir) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(e))); err == nil && !Gone(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestClusterPlanTaken: a caller that gives its own plan gets the taken
// port named with its holder, and nothing is started; one that leaves
// the plan zero gets a free one.
func TestClusterPlanTaken(t *testing.T) {
	plan, err := FreePlan("127.0.0.1", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := plan.SPU(0)
	listen(t, priv)
	dir := t.TempDir()
	_, err = StartCluster(context.Background(), ClusterConfig{BinDir: t.TempDir(), Dir: dir, SPUs: 1, Plan: plan})
	pe, ok := errors.AsType[*PortInUseError](err)
	if !ok || pe.Addr != priv {
		t.Fatalf("StartCluster on a plan with %s taken = %v, want a PortInUseError for it", priv, err)
	}
	if pe.Holder == "" && runtime.GOOS == "linux" {
		t.Errorf("the holder of %s is not named: %v", priv, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "logs")); !os.IsNotExist(err) {
		t.Errorf("a process was started (logs/ exists: %v)", err)
	}
}
