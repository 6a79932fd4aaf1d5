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

// TestE2ENamedConsumerKill9 drives named consumers with real processes:
// with three SPUs the SC creates the consumer-offset system topic with 3
// replicas ('topic list --system' shows it, 'topic list' does not); the
// leader of its partition is killed with SIGKILL and 'consume --consumer'
// still continues after the last offset read; then every SPU is killed
// with SIGKILL and started again on its data, and it still does.
func TestE2ENamedConsumerKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the process-level named consumer test")
	}
	e := newEnv(t)
	plan := freePlan(t, 3)
	sc := plan.SCAddr()
	scDir := filepath.Join(t.TempDir(), "sc")
	e.start("sc-server", "--sc", sc, "--data-dir", scDir)
	e.vars = append(e.vars, "FLUVIO_CLIENT_CREDS="+filepath.Join(scDir, "auth", "admin.creds"))
	testkit.WaitFor(t, 20*time.Second, func() error {
		if out, errs, code := e.fluvio("spu", "list", "--sc", sc); code != 0 {
			return fmt.Errorf("spu list: exit %d: %s%s", code, out, errs)
		}
		return nil
	})
	procs, dirs := map[int32]*proc{}, map[int32]string{}
	startSPU := func(id int32) {
		creds := filepath.Join(e.home, ".fluvio", "creds", fmt.Sprintf("spu-%d.creds", id))
		procs[id] = e.start("spu-server", "--id", fmt.Sprint(id), "--sc-controller", sc, "--log-base-dir", dirs[id], "--creds", creds)
	}
	ids := []int32{501, 502, 503}
	for i, id := range ids {
		pub, priv, _ := plan.SPU(i)
		e.ok("custom-spu", "register", "--id", fmt.Sprint(id), "--public-server", pub, "--private-server", priv, "--sc", sc)
		dirs[id] = filepath.Join(t.TempDir(), "spu")
		startSPU(id)
	}
	online := func(n int) {
		testkit.WaitFor(t, 30*time.Second, func() error {
			if out := e.ok("spu", "list", "--sc", sc); strings.Count(out, " online ") != n {
				return fmt.Errorf("spu list:\n%s", out)
			}
			return nil
		})
	}
	online(3)
	e.ok("topic", "create", "named", "-r", "3", "--sc", sc)
	produce := func(lines string) {
		input := filepath.Join(t.TempDir(), "in")
		writeFile(t, input, lines)
		testkit.WaitFor(t, 30*time.Second, func() error {
			if _, errs, code := e.fluvio("produce", "named", "--file", input, "--sc", sc); code != 0 {
				return fmt.Errorf("produce: exit %d: %s", code, errs)
			}
			return nil
		})
	}
	consume := func(args ...string) string {
		var got string
		testkit.WaitFor(t, 30*time.Second, func() error {
			out, errs, code := e.fluvio(append([]string{"consume", "named", "--consumer", "app", "-d", "--sc", sc}, args...)...)
			if code != 0 {
				return fmt.Errorf("consume: exit %d: %s", code, errs)
			}
			got = strings.Join(strings.Fields(out), ",")
			return nil
		})
		return got
	}
	produce("one\ntwo\nthree\n")
	if got := consume("-B"); got != "one,two,three" {
		t.Fatalf("first run read %q", got)
	}
	if out := e.ok("topic", "list", "--sc", sc); strings.Contains(out, "consumer-offset") {
		t.Fatalf("topic list shows the system topic:\n%s", out)
	}
	var sys []partitionJSON
	testkit.WaitFor(t, 10*time.Second, func() error {
		if out := e.ok("topic", "list", "--system", "--sc", sc); !strings.Contains(out, "consumer-offset") {
			return fmt.Errorf("topic list --system:\n%s", out)
		}
		sys = []partitionJSON{partitionState(t, e, sc, "consumer-offset")}
		return nil
	})
	leader := sys[0].Spec.Leader

	// SIGKILL the consumer-offset leader: another replica serves the offset.
	procs[leader].kill(syscall.SIGKILL)
	online(2)
	produce("four\n")
	if got := consume(); got != "four" {
		t.Fatalf("after killing the consumer-offset leader SPU %d the consumer read %q, want four", leader, got)
	}
	startSPU(leader)
	online(3)

	// SIGKILL every SPU and start them again on their data.
	produce("five\n")
	for _, id := range ids {
		procs[id].kill(syscall.SIGKILL)
	}
	online(0)
	for _, id := range ids {
		startSPU(id)
	}
	online(3)
	// The stored offset is the one of "four" (3).
	testkit.WaitFor(t, 30*time.Second, func() error {
		out, errs, code := e.fluvio("consumer", "list", "-O", "json", "--sc", sc)
		if code != 0 || !strings.Contains(out, `"offset": 3`) {
			return fmt.Errorf("consumer list: exit %d: %s%s", code, out, errs)
		}
		return nil
	})
	// A restarted leader serves up to its high watermark, which catches up
	// once its followers fetch: until then a -d run reads nothing (and
	// stores nothing).
	var got string
	testkit.WaitFor(t, 30*time.Second, func() error {
		if got = consume(); got == "" {
			return fmt.Errorf("nothing read yet")
		}
		return nil
	})
	if got != "five" {
		t.Fatalf("after every SPU was killed and restarted the consumer read %q, want five", got)
	}
}
