package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// partitionJSON is what 'fluvio partition list -O json' prints per row.
type partitionJSON struct {
	Spec struct {
		Leader      int32 `json:"leader"`
		LeaderEpoch int32 `json:"leaderEpoch"`
	} `json:"spec"`
	Status struct {
		ISR      []int32 `json:"isr"`
		Replicas []struct {
			SPU int32 `json:"spu"`
			HW  int64 `json:"hw"`
		} `json:"replicas"`
	} `json:"status"`
}

func partitionState(t *testing.T, e *env, sc, topic string) partitionJSON {
	t.Helper()
	var ps []partitionJSON
	if err := json.Unmarshal([]byte(e.ok("partition", "list", "--topic", topic, "-O", "json", "--sc", sc)), &ps); err != nil || len(ps) != 1 {
		t.Fatalf("partition list -O json: %v %+v", err, ps)
	}
	return ps[0]
}

// TestE2EReregisteredSPU is the re-registration scenario with real
// processes: the leader of a 3-replica partition holding three
// acknowledged records is unregistered, registered again with the same
// id and started with an empty data directory. It used to lead at the
// same epoch with every replica in the ISR, and the followers then
// truncated the three records away. Now it comes back as a follower, the
// epoch is bumped, it rejoins the ISR once it has caught up, and every
// record is kept: the other SPUs then stop, it leads, and it serves them.
func TestE2EReregisteredSPU(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the process-level re-registration test")
	}
	e := newEnv(t)
	plan := freePlan(t, 3)
	sc := plan.SCAddr()
	scDir := filepath.Join(t.TempDir(), "sc")
	e.start("sc-server", "--sc", sc, "--data-dir", scDir)
	// NATS auth is on: the CLI speaks as the admin the SC made.
	e.vars = append(e.vars, "FLUVIO_CLIENT_CREDS="+filepath.Join(scDir, "auth", "admin.creds"))
	testkit.WaitFor(t, 20*time.Second, func() error {
		if out, errs, code := e.fluvio("spu", "list", "--sc", sc); code != 0 {
			return fmt.Errorf("spu list: exit %d: %s%s", code, out, errs)
		}
		return nil
	})
	type spuProc struct {
		pub, priv string
		p         *proc
	}
	spus := map[int32]*spuProc{}
	startSPU := func(id int32, dir string) {
		s := spus[id]
		// The credentials the last 'custom-spu register' of this id wrote.
		creds := filepath.Join(e.home, ".fluvio", "creds", fmt.Sprintf("spu-%d.creds", id))
		s.p = e.start("spu-server", "--id", fmt.Sprint(id), "--sc-controller", sc, "--log-base-dir", dir, "--creds", creds)
	}
	for i, id := range []int32{401, 402, 403} {
		pub, priv, _ := plan.SPU(i)
		spus[id] = &spuProc{pub: pub, priv: priv}
		e.ok("custom-spu", "register", "--id", fmt.Sprint(id), "--public-server", spus[id].pub, "--private-server", spus[id].priv, "--sc", sc)
		startSPU(id, filepath.Join(t.TempDir(), "spu"))
	}
	testkit.WaitFor(t, 20*time.Second, func() error {
		if out := e.ok("spu", "list", "--sc", sc); strings.Count(out, " online ") != 3 {
			return fmt.Errorf("spu list:\n%s", out)
		}
		return nil
	})
	e.ok("topic", "create", "rereg", "-r", "3", "--sc", sc)
	input := filepath.Join(t.TempDir(), "in")
	writeFile(t, input, "one\ntwo\nthree\n")
	testkit.WaitFor(t, 20*time.Second, func() error {
		if _, errs, code := e.fluvio("produce", "rereg", "--file", input, "--sc", sc); code != 0 {
			return fmt.Errorf("produce: exit %d: %s", code, errs)
		}
		return nil
	})

	before := partitionState(t, e, sc, "rereg")
	old := before.Spec.Leader
	e.ok("custom-spu", "unregister", "--id", fmt.Sprint(old), "--sc", sc)
	testkit.WaitFor(t, 10*time.Second, func() error {
		if done, _ := spus[old].p.exited(); !done {
			return fmt.Errorf("spu-server %d still running after unregister", old)
		}
		return nil
	})
	e.ok("custom-spu", "register", "--id", fmt.Sprint(old), "--public-server", spus[old].pub, "--private-server", spus[old].priv, "--sc", sc)
	startSPU(old, filepath.Join(t.TempDir(), "empty"))
	testkit.WaitFor(t, 30*time.Second, func() error {
		p := partitionState(t, e, sc, "rereg")
		if p.Spec.Leader == old || p.Spec.LeaderEpoch <= before.Spec.LeaderEpoch {
			t.Fatalf("the empty SPU %d leads at epoch %d (was %d)", old, p.Spec.LeaderEpoch, before.Spec.LeaderEpoch)
		}
		if !slices.Contains(p.Status.ISR, old) {
			return fmt.Errorf("SPU %d not back in the ISR %v", old, p.Status.ISR)
		}
		for _, r := range p.Status.Replicas {
			if r.SPU == old && r.HW < 3 {
				return fmt.Errorf("SPU %d reports HW %d", old, r.HW)
			}
		}
		return nil
	})
	for id, s := range spus {
		if id != old {
			s.p.kill(syscall.SIGTERM)
		}
	}
	testkit.WaitFor(t, 30*time.Second, func() error {
		if p := partitionState(t, e, sc, "rereg"); p.Spec.Leader != old {
			return fmt.Errorf("leader %d, want %d", p.Spec.Leader, old)
		}
		return nil
	})
	var got string
	testkit.WaitFor(t, 30*time.Second, func() error {
		out, errs, code := e.fluvio("consume", "rereg", "-B", "-d", "--sc", sc)
		if code != 0 {
			return fmt.Errorf("consume: exit %d: %s", code, errs)
		}
		got = strings.Join(strings.Fields(out), ",")
		return nil
	})
	if got != "one,two,three" {
		t.Fatalf("the re-registered SPU serves %q, want one,two,three", got)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
