package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestE2ERepairOnlyReplica is the corrupt-segment scenario with real
// processes: one byte flipped in the middle of a segment of a
// replication-factor-1 partition. After a restart the partition is
// Corrupt and 'fluvio cluster check' fails naming the file; 'fluvio
// partition repair' without the flag only says what it would drop; with
// --truncate-at-corruption it cuts the log there and says how many
// records it dropped; then the partition is Online, 'cluster check'
// passes, consume reads every record below the cut and produce works.
func TestE2ERepairOnlyReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the process-level repair test")
	}
	e := newEnv(t)
	plan := freePlan(t, 0) // the SPU restarts on the same ports
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
	const id = 601
	pub, priv := plan.CustomSPU()
	e.ok("custom-spu", "register", "--id", fmt.Sprint(id), "--public-server", pub, "--private-server", priv, "--sc", sc)
	data := filepath.Join(t.TempDir(), "spu")
	creds := filepath.Join(e.home, ".fluvio", "creds", fmt.Sprintf("spu-%d.creds", id))
	startSPU := func() *proc {
		return e.start("spu-server", "--id", fmt.Sprint(id), "--sc-controller", sc, "--log-base-dir", data, "--creds", creds)
	}
	spu := startSPU()
	testkit.WaitFor(t, 20*time.Second, func() error {
		if out := e.ok("spu", "list", "--sc", sc); !strings.Contains(out, " online ") {
			return fmt.Errorf("spu list:\n%s", out)
		}
		return nil
	})
	e.ok("topic", "create", "solo", "-r", "1", "--segment-size", "1024", "--sc", sc)
	var lines []string
	for i := range 60 {
		lines = append(lines, fmt.Sprintf("record-%02d-%s", i, strings.Repeat("x", 40)))
	}
	input := filepath.Join(t.TempDir(), "in")
	// Ten produce runs of six records: one request each, and a request is
	// never split across segments, so the log spans several segments.
	for i := 0; i < len(lines); i += 6 {
		writeFile(t, input, strings.Join(lines[i:i+6], "\n")+"\n")
		testkit.WaitFor(t, 20*time.Second, func() error {
			if _, errs, code := e.fluvio("produce", "solo", "--file", input, "--sc", sc); code != 0 {
				return fmt.Errorf("produce: exit %d: %s", code, errs)
			}
			return nil
		})
	}

	spu.kill(syscall.SIGTERM)
	testkit.WaitFor(t, 15*time.Second, func() error {
		if done, _ := spu.exited(); !done {
			return fmt.Errorf("spu-server still running")
		}
		return nil
	})
	segs, err := filepath.Glob(filepath.Join(data, "solo-0", "*.log"))
	if err != nil || len(segs) < 3 {
		t.Fatalf("want 3 segments or more: %v %v", segs, err)
	}
	slices.Sort(segs)
	target := segs[len(segs)/2]
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	b[70] ^= 0xff // inside the segment's first batch: valid batches follow
	writeFile(t, target, string(b))
	cut, err := strconv.Atoi(strings.TrimLeft(strings.TrimSuffix(filepath.Base(target), ".log"), "0"))
	if err != nil {
		t.Fatal(err)
	}
	spu = startSPU()

	resolution := func() string {
		var ps []struct {
			Status struct {
				Resolution string `json:"resolution"`
			} `json:"status"`
		}
		if err := json.Unmarshal([]byte(e.ok("partition", "list", "--topic", "solo", "-O", "json", "--sc", sc)), &ps); err != nil || len(ps) != 1 {
			t.Fatalf("partition list -O json: %v %+v", err, ps)
		}
		return ps[0].Status.Resolution
	}
	testkit.WaitFor(t, 20*time.Second, func() error {
		if r := resolution(); r != "Corrupt" {
			return fmt.Errorf("resolution %s", r)
		}
		return nil
	})
	if _, errs, _ := e.fluvio("partition", "list", "--sc", sc); !strings.Contains(errs, "'fluvio partition repair solo -p 0'") {
		t.Fatalf("partition list does not point to the repair command:\n%s", errs)
	}
	out, errs, code := e.fluvio("cluster", "check", "--sc", sc)
	if code == 0 || !strings.Contains(out+errs, filepath.Base(target)) {
		t.Fatalf("cluster check with a corrupt replica: exit %d, want a failure naming %s\n%s%s", code, filepath.Base(target), out, errs)
	}

	// A consumer is told that the replica is corrupt and how to repair it,
	// not that the partition is unknown.
	if out, errs, code := e.fluvio("consume", "solo", "-B", "-d", "--sc", sc); code == 0 || !strings.Contains(errs, "is corrupt") ||
		!strings.Contains(errs, "fluvio partition repair solo -p 0") {
		t.Fatalf("consume of the corrupt partition: exit %d, want an error naming the corruption and the repair\n%s%s", code, out, errs)
	}

	dry := e.ok("partition", "repair", "solo", "-p", "0", "--sc", sc)
	t.Logf("dry run:\n%s", dry)
	testkit.Contains(t, dry, "dry run, nothing changed")
	testkit.Contains(t, dry, fmt.Sprintf("would drop %d records (offsets %d to 59)", 60-cut, cut))
	testkit.Contains(t, dry, "--truncate-at-corruption")
	if after, _ := os.ReadFile(target); string(after) != string(b) || resolution() != "Corrupt" {
		t.Fatal("the dry run changed the segment or the partition")
	}

	done := e.ok("partition", "repair", "solo", "-p", "0", "--truncate-at-corruption", "--sc", sc)
	t.Logf("repair:\n%s", done)
	testkit.Contains(t, done, fmt.Sprintf("dropped %d records (offsets %d to 59)", 60-cut, cut))
	testkit.Contains(t, done, ".broken")
	testkit.Contains(t, done, fmt.Sprintf("consume reads offsets below %d", cut))
	if _, err := os.Stat(target + ".broken"); err != nil {
		t.Fatalf("the cut bytes were not kept: %v", err)
	}
	testkit.WaitFor(t, 20*time.Second, func() error {
		if r := resolution(); r != "Online" {
			return fmt.Errorf("resolution %s", r)
		}
		if out, errs, code := e.fluvio("cluster", "check", "--sc", sc); code != 0 {
			return fmt.Errorf("cluster check: exit %d\n%s%s", code, out, errs)
		}
		return nil
	})
	var got []string
	testkit.WaitFor(t, 20*time.Second, func() error {
		out, errs, code := e.fluvio("consume", "solo", "-B", "-d", "--sc", sc)
		if code != 0 {
			return fmt.Errorf("consume: exit %d: %s", code, errs)
		}
		got = strings.Fields(out)
		return nil
	})
	if !slices.Equal(got, lines[:cut]) {
		t.Fatalf("consumed %d records, want the %d below the cut", len(got), cut)
	}
	writeFile(t, input, "after\n")
	e.ok("produce", "solo", "--file", input, "--sc", sc)
	if out := e.ok("consume", "solo", "-B", "-d", "--sc", sc); !strings.HasSuffix(strings.TrimSpace(out), "after") {
		t.Fatalf("the new record is not at the end:\n%s", out)
	}
	testkit.Contains(t, e.ok("partition", "repair", "solo", "-p", "0", "--sc", sc), "nothing to repair")
}
