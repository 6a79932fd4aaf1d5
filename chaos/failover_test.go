package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/localcluster"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/nats-io/nats.go"
)

// TestSCFailoverWorstCase reaches the slow SC failover on purpose: the
// active SC's own NATS node leads the metadata bucket's stream (a stream
// leader step-down puts it there), so when that machine stops the bucket
// has no leader, and no lease compare-and-set can succeed, until the two
// other nodes elect one. With the default --lease-ttl (4 s), after
// SIGSTOP and after kill -9 of that SC, another SC must hold the lease,
// and an admin write must succeed through it, within 10 s. The SCs' logs
// give the time of the stream leader's election in between.
func TestSCFailoverWorstCase(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs three sc-servers")
	}
	bin := binDir(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lc, err := localcluster.StartCluster(ctx, localcluster.ClusterConfig{BinDir: bin, Dir: dir, SCs: 3, ClientName: "failover-test", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lc.Close(context.WithoutCancel(ctx)) }()
	defer dumpLogs(t, dir)
	addrs := strings.Split(lc.SCAddrs(), ",")
	nc, err := nats.Connect(lc.SCAddrs(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.PingInterval(500*time.Millisecond), nats.MaxPingsOutstanding(2))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	for k, fault := range []string{"pause", "kill"} {
		active := settleWithStreamLeader(t, ctx, lc, nc)
		p := lc.SCs()[active]
		// A client of the two other SCs: it measures, it is not measured.
		others := slices.Delete(slices.Clone(addrs), active, active+1)
		client, err := fluvio.Connect(ctx, strings.Join(others, ","), fluvio.WithName("failover-test-"+fault))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		if fault == "pause" {
			err = p.Pause()
		} else {
			err = p.Kill(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		var takeover time.Duration
		testkit.WaitFor(t, 20*time.Second, func() error {
			rctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			cp, err := client.ControlPlane(rctx, "fluvio")
			if err != nil || cp.ActiveSC == "" || cp.ActiveSC == localcluster.SCName(active) {
				return fmt.Errorf("no other SC active yet (%q, %v)", cp.ActiveSC, err)
			}
			takeover = cp.ActiveSince.Sub(at)
			return nil
		})
		var wrote time.Duration
		testkit.WaitFor(t, 20*time.Second, func() error {
			rctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			id := int32(9000 + k)
			_, err := client.RegisterSPU(rctx, fluvio.SPUConfig{ID: id, PublicEndpoint: fmt.Sprintf("127.0.0.1:%d", 1000+k), PrivateEndpoint: fmt.Sprintf("127.0.0.1:%d", 1100+k)})
			if err != nil && !strings.Contains(err.Error(), "already") {
				return err
			}
			wrote = time.Since(at)
			return nil
		})
		client.Close()
		elected := "?"
		if d := firstLogLine(t, lc, "metadata stream leader elected", at); d >= 0 {
			elected = d.String()
		}
		t.Logf("%s of the active SC %s (its node led the metadata stream): stream leader elected after %s, lease taken after %v, first admin write answered after %v",
			fault, localcluster.SCName(active), elected, takeover.Round(time.Millisecond), wrote.Round(time.Millisecond))
		if takeover <= 0 || takeover > 10*time.Second || wrote > 10*time.Second {
			t.Errorf("%s: lease taken after %v, write after %v: the goal is within 10 s", fault, takeover, wrote)
		}
		if fault == "pause" {
			err = p.Resume()
		} else {
			err = p.Start()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// settleWithStreamLeader waits for an active SC and three current
// metadata replicas, moves the metadata stream's leadership to the active
// SC's NATS node, and returns that SC's index.
func settleWithStreamLeader(t *testing.T, ctx context.Context, lc *localcluster.Cluster, nc *nats.Conn) int {
	t.Helper()
	active := -1
	testkit.WaitFor(t, 60*time.Second, func() error {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		cp, err := lc.Client().ControlPlane(rctx, "fluvio")
		if err != nil {
			return err
		}
		current, leader := cp.Current(), cp.Leader()
		if cp.ActiveSC == "" || current < 3 {
			return fmt.Errorf("active SC %q, %d/3 metadata replicas current", cp.ActiveSC, current)
		}
		for i := range lc.SCs() {
			if localcluster.SCName(i) == cp.ActiveSC {
				active = i
			}
		}
		if leader == cp.ActiveSC {
			return nil
		}
		req, _ := json.Marshal(map[string]any{"placement": map[string]string{"preferred": cp.ActiveSC}})
		if _, err := nc.RequestWithContext(rctx, "$JS.API.STREAM.LEADER.STEPDOWN.KV_fluvio", req); err != nil {
			return fmt.Errorf("stream leader step-down: %w", err)
		}
		return fmt.Errorf("stream leader %s, moving it to the active SC %s", leader, cp.ActiveSC)
	})
	return active
}

// firstLogLine returns how long after since the first line containing msg
// was logged by any SC, or -1.
func firstLogLine(t *testing.T, lc *localcluster.Cluster, msg string, since time.Time) time.Duration {
	t.Helper()
	first := time.Duration(-1)
	for _, p := range lc.SCs() {
		f, err := os.Open(p.LogPath())
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			ts, ok := strings.CutPrefix(line, "time=")
			if !ok || !strings.Contains(line, msg) {
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, strings.Fields(ts)[0])
			if err != nil || at.Before(since) {
				continue
			}
			if d := at.Sub(since); first < 0 || d < first {
				first = d
			}
		}
		_ = f.Close()
	}
	if first < 0 {
		return first
	}
	return first.Round(time.Millisecond)
}
