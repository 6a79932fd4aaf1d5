package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// outage is how long the control plane stays down in
// TestE2EDataPlaneWithoutControlPlane: 5 s, or FLUVIO_E2E_OUTAGE (the
// issue's full run: FLUVIO_E2E_OUTAGE=60s).
func outage(t *testing.T) time.Duration {
	if v := os.Getenv("FLUVIO_E2E_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("FLUVIO_E2E_OUTAGE=%q: %v", v, err)
		}
		return d
	}
	return 5 * time.Second
}

// TestE2EDataPlaneWithoutControlPlane: a local cluster (sc-server with
// its embedded NATS, 3 spu-servers, one topic at RF 3) loses its whole
// control plane (kill -9 of sc-server: the SC and NATS). For the outage a
// producer (acks=all) keeps sending to the leader it knows and a consumer
// keeps reading, with no error and nothing lost. Then a follower SPU dies:
// with no SC the ISR cannot shrink, so that change waits. When the
// control plane comes back (sc-server restarted on its data),
// the SPUs reconnect without a restart, the ISR shrink is made, and
// acks=all produce works again.
func TestE2EDataPlaneWithoutControlPlane(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster through a control-plane outage")
	}
	down := outage(t)
	e := newEnv(t)
	dir := filepath.Join(e.home, ".fluvio", "local")
	cleanupCluster(t, e, dir)
	scAddr := freePlanAddr(t, 3)
	e.ok("cluster", "start", "--spu", "3", "--sc-addr", scAddr, "--timeout", "60s")
	e.ok("topic", "create", "dp", "-p", "1", "-r", "3")
	c := readCluster(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	client, err := fluvio.Connect(ctx, scAddr, fluvio.WithCredentials(filepath.Join(dir, "auth", "client.creds")))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	prod, err := client.Producer("dp", fluvio.WithAcks(fluvio.AcksAll), fluvio.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	cons, err := client.Consumer("dp", fluvio.FromBeginning())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 100_000)
	cctx, ccancel := context.WithCancel(ctx)
	consumerDone := make(chan error, 1)
	go func() {
		for rec, err := range cons.Records(cctx) {
			if err != nil {
				consumerDone <- err
				return
			}
			got <- string(rec.Value)
		}
		consumerDone <- nil
	}()
	defer func() { ccancel(); <-consumerDone }()

	sent := 0
	send := func() {
		t.Helper()
		v := fmt.Sprintf("r%06d", sent)
		sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
		defer scancel()
		if _, err := prod.SendSync(sctx, nil, []byte(v)); err != nil {
			t.Fatalf("acks=all send %d (%v into the outage): %v", sent, time.Since(killedAt), err)
		}
		sent++
	}
	received := 0
	drain := func(timeout time.Duration) {
		t.Helper()
		deadline := time.After(timeout)
		for received < sent {
			select {
			case v := <-got:
				if want := fmt.Sprintf("r%06d", received); v != want {
					t.Fatalf("consumed %q, want %q", v, want)
				}
				received++
			case err := <-consumerDone:
				t.Fatalf("consumer stopped: %v", err)
			case <-deadline:
				t.Fatalf("consumed %d of %d records", received, sent)
			}
		}
	}
	for range 20 {
		send()
	}
	drain(10 * time.Second)
	md, err := client.Metadata(ctx, "dp")
	if err != nil || len(md.Partitions) != 1 {
		t.Fatalf("metadata of dp: %+v %v", md, err)
	}
	leader := md.Partitions[0].Leader

	// The whole control plane goes: sc-server and its NATS.
	killedAt = time.Now()
	if err := syscall.Kill(c.SC.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for time.Since(killedAt) < down {
		send()
		drain(10 * time.Second)
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("control plane down %v: %d records sent with acks=all and consumed, 0 errors", time.Since(killedAt).Round(time.Second), sent)

	// A follower dies while no SC can shrink the ISR: the change waits.
	var victim int32
	var victimPID int
	for _, s := range c.SPUs {
		if s.ID != leader {
			victim, victimPID = s.ID, s.Proc.PID
			break
		}
	}
	if err := syscall.Kill(victimPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	// The control plane comes back (the same sc-server command line, on
	// its data); nothing else is restarted.
	e.start("sc-server", c.SC.Argv[1:]...)
	testkit.WaitFor(t, 30*time.Second, func() error { return isrWithout(e, victim) })
	t.Logf("ISR shrink stored %v after the follower died with the SC down (replica lag max 10 s)", time.Since(killedAt.Add(down)).Round(100*time.Millisecond))
	for _, s := range c.SPUs {
		if s.ID != victim && !running(s.Proc.PID, s.Proc.Argv) {
			t.Fatalf("SPU %d (pid %d) is gone: the data plane should have ridden out the outage", s.ID, s.Proc.PID)
		}
	}
	for range 10 {
		send()
	}
	drain(20 * time.Second)
}

var killedAt time.Time

// isrWithout succeeds once dp-0 is online and its ISR no longer has id.
func isrWithout(e *env, id int32) error {
	out, _, code := e.fluvio("partition", "list", "-O", "json")
	if code != 0 {
		return fmt.Errorf("partition list -O json failed")
	}
	var parts []struct {
		Status struct {
			Resolution string  `json:"resolution"`
			ISR        []int32 `json:"isr"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &parts); err != nil {
		return err
	}
	if len(parts) != 1 || parts[0].Status.Resolution != "Online" {
		return fmt.Errorf("partitions %+v: want dp-0 online", parts)
	}
	for _, m := range parts[0].Status.ISR {
		if m == id {
			return fmt.Errorf("ISR %v still has SPU %d", parts[0].Status.ISR, id)
		}
	}
	return nil
}
