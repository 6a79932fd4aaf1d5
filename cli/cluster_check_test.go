package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
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
	waitFor(t, 5*time.Second, func() error {
		if r, _ := partitions(); r.Status != "ok" || !strings.HasPrefix(r.Detail, "2,") {
			return fmt.Errorf("partitions check %+v", r)
		}
		return nil
	})
	c.StopSPU(5002)
	waitFor(t, 10*time.Second, func() error {
		r, code := partitions()
		if r.Status != "fail" || code != exitUnavailable || !strings.Contains(r.Detail, "1 of 2 without an online leader: chk-") || r.Next == "" {
			return fmt.Errorf("partitions check %+v, exit %d", r, code)
		}
		return nil
	})
}
