package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/localcluster"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// readCluster reads the local cluster's cluster.json in dir (the
// supervisor's State).
func readCluster(t *testing.T, dir string) *localcluster.State {
	t.Helper()
	c, ok, err := localcluster.LoadState(dir)
	if err != nil || !ok {
		t.Fatalf("cluster.json in %s: ok=%v %v", dir, ok, err)
	}
	return c
}

// planned is the address at offset off from the SC's port scAddr.
func planned(t *testing.T, scAddr string, off int) string {
	t.Helper()
	host, port, err := net.SplitHostPort(scAddr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return net.JoinHostPort(host, strconv.Itoa(p+off))
}

// setSPUPublic rewrites the public address of the i-th SPU in cluster.json.
func setSPUPublic(t *testing.T, dir string, i int, addr string) {
	t.Helper()
	path := filepath.Join(dir, "cluster.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	c["spus"].([]any)[i].(map[string]any)["public"] = addr
	if data, err = json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// running reports whether pid runs argv (not a zombie): the
// supervisor's check by PID and command line.
func running(pid int, argv []string) bool {
	return localcluster.Record{PID: pid, Argv: argv}.Alive()
}

// pids returns the recorded processes of a cluster's state (nil: none).
func pids(c *localcluster.State) map[int][]string {
	m := map[int][]string{}
	if c == nil {
		return m
	}
	for _, r := range append([]localcluster.Record{c.SC}, procs(c)...) {
		if r.PID > 0 {
			m[r.PID] = r.Argv
		}
	}
	return m
}

// procs are the recorded SPU and SC peer processes of c.
func procs(c *localcluster.State) []localcluster.Record {
	var out []localcluster.Record
	for _, s := range c.SPUs {
		out = append(out, s.Proc)
	}
	for _, p := range c.Peers {
		out = append(out, p.Proc)
	}
	return out
}

// cleanupCluster deletes the local cluster in dir when t ends: fluvio
// cluster delete stops what runs; then, as a last resort, the supervisor
// stops by the recorded PIDs whatever still runs our command lines.
func cleanupCluster(t *testing.T, e *env, dir string, args ...string) {
	t.Cleanup(func() {
		last, _, _ := localcluster.LoadState(dir)
		cmd := exec.Command(bin("fluvio"), append([]string{"cluster", "delete", "--force"}, args...)...)
		cmd.Env = e.vars
		_ = cmd.Run()
		for pid, argv := range pids(last) {
			_, _ = localcluster.Record{PID: pid, Argv: argv}.Stop(context.Background(), time.Second)
		}
	})
}

// TestE2ELocalCluster runs 'fluvio cluster start|status|check|stop|delete'
// in a fresh HOME: the cluster starts as background processes, a second
// start is a no-op, stop keeps the data and start resumes it, delete
// removes everything.
func TestE2ELocalCluster(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.home, ".fluvio", "local")
	scAddr := freePlanAddr(t, 3) // this cluster grows to 3 SPUs
	cleanupCluster(t, e, dir)

	out := e.ok("cluster", "start", "--spu", "2", "--sc-addr", scAddr, "--timeout", "60s")
	testkit.Contains(t, out, "all 2 SPU(s) online")
	testkit.Contains(t, out, "next:")
	c := readCluster(t, dir)
	if c.SCAddr != scAddr || len(c.SPUs) != 2 {
		t.Fatalf("cluster.json: %+v", c)
	}
	// The port plan: SPU ports follow the SC's (9003 -> 9010/9011, 9020/9021).
	for i, s := range c.SPUs {
		if want := planned(t, scAddr, 7+10*i); s.Public != want || s.Private != planned(t, scAddr, 8+10*i) {
			t.Fatalf("SPU %d at %s/%s, want the planned %s/%s", s.ID, s.Public, s.Private, want, planned(t, scAddr, 8+10*i))
		}
	}
	for pid, argv := range pids(c) {
		if !running(pid, argv) {
			t.Fatalf("pid %d (%v) not running after start", pid, argv)
		}
	}
	// The local profile is current: no --sc needed from here on.
	if got := strings.TrimSpace(e.ok("profile", "current")); got != "local" {
		t.Fatalf("current profile %q", got)
	}
	spus := e.ok("spu", "list")
	for _, id := range []string{"5001", "5002"} {
		if r := row(spus, id); !strings.Contains(r, " online managed ") {
			t.Fatalf("spu list row %s: %q\n%s", id, r, spus)
		}
	}

	// Another cluster directory on the same address: the running SC is named.
	errs := e.fails("cluster", "start", "--data-dir", filepath.Join(e.home, "other"), "--sc-addr", scAddr)
	testkit.Contains(t, errs, "a fluvio SC already answers at "+scAddr)
	testkit.Contains(t, errs, "--sc-addr 127.0.0.1:")

	// A second start is a no-op.
	out = e.ok("cluster", "start")
	testkit.Contains(t, out, "already running")
	if c2 := readCluster(t, dir); c2.SC.PID != c.SC.PID {
		t.Fatalf("second start replaced the SC: pid %d -> %d", c.SC.PID, c2.SC.PID)
	}

	status := e.ok("cluster", "status")
	testkit.Contains(t, row(status, "sc"), "up "+scAddr+" "+strconv.Itoa(c.SC.PID))
	for _, s := range c.SPUs {
		if r := row(status, "spu"); !strings.Contains(status, fmt.Sprintf("spu %d   up, online", s.ID)) {
			t.Fatalf("status lacks SPU %d up, online (%q):\n%s", s.ID, r, status)
		}
	}
	var comps []struct {
		Name   string
		Status struct{ Up bool }
	}
	if err := json.Unmarshal([]byte(e.ok("cluster", "status", "-O", "json")), &comps); err != nil || len(comps) != 4 {
		t.Fatalf("status -O json: %v %+v", err, comps)
	}
	for _, c := range comps {
		if !c.Status.Up {
			t.Fatalf("status -O json: %s not up", c.Name)
		}
	}
	check := e.ok("cluster", "check")
	for _, s := range []string{"✓ sc-server binary", "✓ NATS reachable", "✓ JetStream KV", "✓ SC admin API", "✓ SPU 5001", "✓ SPU 5002", "✓ ports: SC "} {
		testkit.Contains(t, check, s)
	}
	var checks []struct{ Check, Status string }
	if err := json.Unmarshal([]byte(e.ok("cluster", "check", "-O", "json")), &checks); err != nil || len(checks) < 7 {
		t.Fatalf("check -O json: %v %v", err, checks)
	}

	e.ok("topic", "create", "kept", "-p", "2", "-r", "2")
	produce := exec.Command(bin("fluvio"), "produce", "kept")
	produce.Env = e.vars
	produce.Stdin = strings.NewReader("one\ntwo\nthree\n")
	if b, err := produce.CombinedOutput(); err != nil {
		t.Fatalf("produce: %v\n%s", err, b)
	}
	consume := func() []string {
		out := e.ok("consume", "kept", "-B", "-d")
		lines := strings.Fields(out)
		sort.Strings(lines)
		return lines
	}
	if got := strings.Join(consume(), ","); got != "one,three,two" {
		t.Fatalf("consumed %q", got)
	}

	// stop keeps the data; the recorded processes are gone.
	out = e.ok("cluster", "stop")
	testkit.Contains(t, out, "stopped sc-server")
	for pid, argv := range pids(c) {
		if running(pid, argv) {
			t.Fatalf("pid %d still running after stop", pid)
		}
	}
	_, errs, code := e.fluvio("cluster", "status")
	if code != 5 {
		t.Fatalf("status of a stopped cluster: exit %d, want 5\n%s", code, errs)
	}
	testkit.Contains(t, e.fails("topic", "list"), "cannot reach the SC at "+scAddr)

	// A taken SPU port at the planned place: the error names its holder.
	l, err := net.Listen("tcp", c.SPUs[0].Public)
	if err != nil {
		t.Fatal(err)
	}
	errs = e.fails("cluster", "start")
	testkit.Contains(t, errs, fmt.Sprintf("port of SPU %d (%s) is in use, by pid %d", c.SPUs[0].ID, c.SPUs[0].Public, os.Getpid()))
	l.Close()
	e.ok("cluster", "stop")
	// An SPU of an older cluster, on a port of the ephemeral range that an
	// outgoing connection took meanwhile, moves to its planned ports.
	old, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	setSPUPublic(t, dir, 1, old.Addr().String())

	// start again resumes with the data.
	out = e.ok("cluster", "start")
	testkit.Contains(t, out, fmt.Sprintf("SPU %d moved to its planned ports, public %s", c.SPUs[1].ID, c.SPUs[1].Public))
	testkit.Contains(t, out, "all 2 SPU(s) online")
	if r := row(e.ok("topic", "list"), "kept"); r == "" {
		t.Fatal("topic lost across stop/start")
	}
	var got []string
	testkit.WaitFor(t, 15*time.Second, func() error {
		got = consume()
		if strings.Join(got, ",") != "one,three,two" {
			return fmt.Errorf("consumed %q after restart", got)
		}
		return nil
	})

	// A larger --spu adds SPUs; a smaller one is refused with the way out.
	out = e.ok("cluster", "start", "--spu", "3")
	testkit.Contains(t, out, "spu-server 5003 started")
	testkit.Contains(t, out, "all 3 SPU(s) online")
	if r := row(e.ok("spu", "list"), "5003"); !strings.Contains(r, " online managed ") {
		t.Fatalf("SPU 5003: %q", r)
	}
	testkit.Contains(t, e.fails("cluster", "start", "--spu", "1"), "removing SPUs is not supported")

	// delete without --force asks, and stdin says no.
	_, _, code = e.fluvio("cluster", "delete")
	if code == 0 {
		t.Fatal("delete without --force and without a yes went ahead")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("data dir gone after a refused delete: %v", err)
	}
	c = readCluster(t, dir)
	out = e.ok("cluster", "delete", "--force")
	testkit.Contains(t, out, "removed "+dir)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("data dir still there: %v", err)
	}
	for pid, argv := range pids(c) {
		if running(pid, argv) {
			t.Fatalf("pid %d still running after delete", pid)
		}
	}
	testkit.Contains(t, e.fails("cluster", "status"), "no local cluster")
}

// TestE2EClusterStartErrors checks the messages for a taken SC port and
// missing binaries.
func TestE2EClusterStartErrors(t *testing.T) {
	e := newEnv(t)
	l := listen(t)
	errs := e.fails("cluster", "start", "--sc-addr", l)
	testkit.Contains(t, errs, "port "+l[strings.LastIndexByte(l, ':')+1:]+" for the SC")
	testkit.Contains(t, errs, "--sc-addr")
	// --sc-replicas 3: a taken route port of the third SC is named with
	// its holder (this test) before any SC starts.
	plan := freePlan(t, 1)
	_, _, routes, _ := plan.SCN(2)
	held, err := net.Listen("tcp", routes)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	dir := filepath.Join(e.home, "ha")
	errs = e.fails("cluster", "start", "--sc-replicas", "3", "--sc-addr", plan.SCAddr(), "--data-dir", dir)
	testkit.Contains(t, errs, "port "+routes[strings.LastIndexByte(routes, ':')+1:]+" for the SC 3's NATS routes ("+routes+") is in use")
	if runtime.GOOS == "linux" {
		testkit.Contains(t, errs, fmt.Sprintf("by pid %d (", os.Getpid()))
	}
	if st, ok, _ := localcluster.LoadState(dir); ok && (st.SC.PID != 0 || len(pids(st)) != 0) {
		t.Fatalf("an SC was started before the taken port was found: %+v", st)
	}
	// No binaries next to fluvio in --bin-dir: say which and how to build them.
	errs = e.fails("cluster", "start", "--sc-addr", freePlanAddr(t, 3), "--bin-dir", t.TempDir())
	testkit.Contains(t, errs, "sc-server not found")
	testkit.Contains(t, errs, "make build")
}

// listen holds a loopback port open until the test ends and returns it.
func listen(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

// TestE2EClusterStartFailingProcess: a server that exits while the
// cluster starts is named, with the end of its log.
func TestE2EClusterStartFailingProcess(t *testing.T) {
	e := newEnv(t)
	fake := t.TempDir()
	if err := os.Symlink(bin("sc-server"), filepath.Join(fake, "sc-server")); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho 'boom: the disk is on fire' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(fake, "spu-server"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "c")
	t.Cleanup(func() {
		cmd := exec.Command(bin("fluvio"), "cluster", "delete", "--force", "--data-dir", dir)
		cmd.Env = e.vars
		_ = cmd.Run()
	})
	errs := e.fails("cluster", "start", "--data-dir", dir, "--bin-dir", fake, "--sc-addr", freePlanAddr(t, 3))
	testkit.Contains(t, errs, "spu-server 5001 exited while starting")
	testkit.Contains(t, errs, "boom: the disk is on fire")
	testkit.Contains(t, errs, filepath.Join(dir, "logs", "spu-5001.log"))
	// The SC it started is recorded, so status shows it and delete stops it.
	out, _, code := e.fluvio("cluster", "status", "--data-dir", dir)
	if code != 5 || !strings.Contains(row(out, "sc"), "sc up ") {
		t.Fatalf("status after a failed start: exit %d\n%s", code, out)
	}
	c := readCluster(t, dir)
	e.ok("cluster", "delete", "--force", "--data-dir", dir)
	if running(c.SC.PID, c.SC.Argv) {
		t.Fatalf("sc-server pid %d still running after delete", c.SC.PID)
	}
}
