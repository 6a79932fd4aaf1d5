package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/localcluster"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestClusterCheckPartitions: 'cluster check' says "partitions" ok while
// every partition has its full ISR, and fails (exit 5) naming the
// partition once its only replica's SPU is down.
func TestClusterCheckPartitions(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	e := newCLIEnv(t)
	e.env[EnvSC] = c.SCAddr()
	e.ok("topic", "create", "chk", "-p", "2", "-r", "1")
	partitions := func() (checkResult, int) {
		out, _, code := e.run("cluster", "check", "-O", "json", "--bin-dir", t.TempDir())
		var res []checkResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("check -O json: %v\n%s", err, out)
		}
		for _, r := range res {
			if r.Check == "partitions" {
				return r, code
			}
		}
		t.Fatalf("no partitions check in %s", out)
		return checkResult{}, 0
	}
	testkit.WaitFor(t, 5*time.Second, func() error {
		if r, _ := partitions(); r.Status != "ok" || !strings.HasPrefix(r.Detail, "2,") {
			return fmt.Errorf("partitions check %+v", r)
		}
		return nil
	})
	c.StopSPU(5002)
	testkit.WaitFor(t, 10*time.Second, func() error {
		r, code := partitions()
		if r.Status != "fail" || code != exitUnavailable || !strings.Contains(r.Detail, "1 of 2 without an online leader: chk-") || r.Next == "" {
			return fmt.Errorf("partitions check %+v, exit %d", r, code)
		}
		return nil
	})
}

// TestClusterCheckPorts: the "ports" line lists a local cluster's ports;
// it fails naming a running process's port that does not answer, and a
// stopped process's port another program holds.
func TestClusterCheckPorts(t *testing.T) {
	answering, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer answering.Close()
	self := localcluster.Record{PID: os.Getpid(), Argv: os.Args} // alive: this test process
	st := &localcluster.State{
		SCAddr: answering.Addr().String(), SC: self,
		SPUs: []localcluster.SPUProc{{ID: 5001, Public: answering.Addr().String(), Private: answering.Addr().String(), Proc: self}},
	}
	var res checks
	checkPorts(&res, st)
	if len(res) != 1 || res[0].Status != "ok" || !strings.Contains(res[0].Detail, "SC "+st.SCAddr) || !strings.Contains(res[0].Detail, "SPU 5001 private "+st.SCAddr) {
		t.Fatalf("all answering: %+v", res)
	}

	silent := freeAddr(t) // nothing listens there
	st.SPUs[0].Public = silent
	res = nil
	checkPorts(&res, st)
	if len(res) != 1 || res[0].Status != "fail" || !strings.Contains(res[0].Detail, "SPU 5001 public "+silent+" does not answer") {
		t.Fatalf("a running SPU's silent port: %+v", res)
	}

	// Stopped: its ports must be free; one held by another program fails.
	st.SPUs[0] = localcluster.SPUProc{ID: 5001, Public: silent, Private: answering.Addr().String()}
	res = nil
	checkPorts(&res, st)
	if len(res) != 1 || res[0].Status != "fail" || !strings.Contains(res[0].Detail, "SPU 5001 private "+st.SCAddr+" is taken by another program") {
		t.Fatalf("a stopped SPU's taken port: %+v", res)
	}
}

// TestClusterCheckCorruptReplica: a replica whose log does not open
// because of mid-log corruption fails 'cluster check' naming the SPU,
// the partition and the file; 'partition list' names it too (before:
// check said the SPU "is still creating its replicas").
func TestClusterCheckCorruptReplica(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	e := newCLIEnv(t)
	e.env[EnvSC] = c.SCAddr()
	e.ok("topic", "create", "bad", "-r", "1")
	e.stdin = strings.Repeat("some record\n", 10)
	for range 3 { // three batches: the damage has valid data after it
		testkit.WaitFor(t, 10*time.Second, func() error {
			if _, errs, code := e.run("produce", "bad"); code != 0 {
				return fmt.Errorf("produce: exit %d: %s", code, errs)
			}
			return nil
		})
	}
	id := c.SPUIDs()[0]
	c.StopSPU(id)
	seg := filepath.Join(c.SPUDataDir(id), "bad-0", "00000000000000000000.log")
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	b[70] ^= 0xff // inside the first batch; valid batches follow
	if err := os.WriteFile(seg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	c.StartSPU(id)
	testkit.WaitFor(t, 10*time.Second, func() error {
		out, _, code := e.run("cluster", "check", "-O", "json", "--bin-dir", t.TempDir())
		var res []checkResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			return fmt.Errorf("check -O json: %v\n%s", err, out)
		}
		named, repair := false, false
		for _, r := range res {
			if r.Check == "corrupt replicas" && r.Status == "fail" && code != 0 &&
				strings.Contains(r.Detail, fmt.Sprintf("SPU %d, partition bad-0, file %s at position", id, seg)) {
				named = true
			}
			// The SPU is up: the leaderless partition's next step is the
			// repair, not starting SPUs.
			if r.Check == "partitions" && r.Status == "fail" && strings.Contains(r.Next, "'fluvio partition repair bad -p 0'") &&
				!strings.Contains(r.Next, "start the SPUs") {
				repair = true
			}
		}
		if named && repair {
			return nil
		}
		return fmt.Errorf("no failed corrupt-replica check naming SPU, partition and file, or no repair step for bad-0, in %s", out)
	})
	_, errs, _ := e.run("partition", "list")
	if !strings.Contains(errs, fmt.Sprintf("bad-0: replica on SPU %d is Corrupt: %s at position", id, seg)) {
		t.Fatalf("partition list does not name the corrupt replica: %q", errs)
	}
}
