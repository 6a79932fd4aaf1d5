package fluviotest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// storageSetup starts 3 SPUs with a topic of one partition on all three
// and writes three records with acks=all (the default).
func storageSetup(t *testing.T) (*fluviotest.Cluster, *fluvio.Client, context.Context, []string) {
	t.Helper()
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	client, err := fluvio.Connect(ctx, c.SCAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if err := client.CreateTopic(ctx, "disk", fluvio.TopicConfig{Partitions: 1, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	p, err := client.Producer("disk")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var want []string
	for i := range 3 {
		v := fmt.Sprintf("acked-%d", i)
		if _, err := p.SendSync(ctx, nil, []byte(v)); err != nil {
			t.Fatalf("produce %s: %v", v, err)
		}
		want = append(want, v)
	}
	return c, client, ctx, want
}

func partition0(ctx context.Context, t *testing.T, client *fluvio.Client) fluvio.PartitionInfo {
	t.Helper()
	ps, err := client.Partitions(ctx, "disk")
	if err != nil {
		t.Fatal(err)
	}
	return ps[0]
}

// TestReregisteredSPUKeepsAckedRecords is the re-registration scenario: the
// leader's SPU is unregistered, registered again with the same id and
// started with an empty data directory. It used to lead at the same epoch
// with every replica in the ISR, and the followers then truncated the
// three acknowledged records away. Now the unregister takes it out of
// every ISR and moves the leadership (epoch bumped); back, it is a
// follower until it has caught up, and once it has, it holds every
// record: leading alone, it serves all three.
func TestReregisteredSPUKeepsAckedRecords(t *testing.T) {
	c, client, ctx, want := storageSetup(t)
	before := partition0(ctx, t, client)
	old := before.Leader
	c.UnregisterSPU(old)
	after := partition0(ctx, t, client)
	if after.Leader == old || slices.Contains(after.ISR, old) || after.LeaderEpoch <= before.LeaderEpoch {
		t.Fatalf("after unregistering SPU %d: leader %d, ISR %v, epoch %d (was %d)", old, after.Leader, after.ISR,
			after.LeaderEpoch, before.LeaderEpoch)
	}
	c.RegisterSPU(old)
	c.WipeSPUData(old)
	c.StartSPU(old)
	if p := partition0(ctx, t, client); p.Leader == old {
		t.Fatalf("the empty SPU %d leads at epoch %d", old, p.LeaderEpoch)
	}
	// Back in the ISR, with the high watermark past the three records (so
	// that, leading, it serves them at once: a leader alone cannot move
	// its HW with min-insync-replicas 2).
	testkit.WaitFor(t, 20*time.Second, func() error {
		if p := partition0(ctx, t, client); !slices.Contains(p.ISR, old) {
			return fmt.Errorf("SPU %d not back in the ISR %v", old, p.ISR)
		}
		ps, err := client.ListPartitions(ctx, "disk")
		if err != nil {
			return err
		}
		for _, r := range ps[0].Status.Replicas {
			if r.SPU == old && r.HW < int64(len(want)) {
				return fmt.Errorf("SPU %d reports HW %d", old, r.HW)
			}
		}
		return nil
	})
	for _, id := range c.SPUIDs() {
		if id != old {
			c.StopSPU(id)
		}
	}
	testkit.WaitFor(t, 20*time.Second, func() error {
		if p := partition0(ctx, t, client); p.Leader != old {
			return fmt.Errorf("leader %d, want the re-registered SPU %d", p.Leader, old)
		}
		return nil
	})
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	got, err := readAll(rctx, t, client, "disk")
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("read %v (%v), want %v", got, err, want)
	}
}

// TestWipedFollowerIsNeverElected: a follower in the ISR stops, loses
// its disk, and the two SPUs holding the records stop too; then the empty
// one comes back alone. The SC sees its new storage identity and takes it
// out of the ISR before it answers it, so it is never elected (it used to
// be: in the ISR and the only one online, it led with nothing, and the
// others then truncated to it). The partition waits for a replica that
// has the data. (Were the others still running, the wiped SPU would catch
// up and rejoin the ISR, and its election would then be right.)
func TestWipedFollowerIsNeverElected(t *testing.T) {
	c, client, ctx, want := storageSetup(t)
	before := partition0(ctx, t, client)
	var wiped int32 = -1
	for _, id := range before.ISR {
		if id != before.Leader {
			wiped = id
			break
		}
	}
	c.StopSPU(wiped)
	c.WipeSPUData(wiped)
	var others []int32
	for _, id := range c.SPUIDs() {
		if id != wiped {
			c.StopSPU(id)
			others = append(others, id)
		}
	}
	down := partition0(ctx, t, client)
	t.Logf("with every SPU stopped: leader %d, ISR %v, epoch %d", down.Leader, down.ISR, down.LeaderEpoch)
	if !slices.Contains(down.ISR, wiped) {
		t.Fatalf("the wiped SPU %d left the ISR %v before it came back: the scenario was not reached", wiped, down.ISR)
	}
	c.StartSPU(wiped)
	if p := partition0(ctx, t, client); slices.Contains(p.ISR, wiped) {
		t.Fatalf("the wiped SPU %d is in the ISR %v at epoch %d (was %d)", wiped, p.ISR, p.LeaderEpoch, before.LeaderEpoch)
	}
	// Watch the SC's election passes (it elects within a heartbeat
	// timeout of 1s): the wiped SPU must never win one.
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if p := partition0(ctx, t, client); p.Leader == wiped {
			t.Fatalf("the wiped SPU %d was elected leader (ISR %v, epoch %d)", wiped, p.ISR, p.LeaderEpoch)
		}
	}
	c.StartSPU(others[0])
	c.StartSPU(others[1])
	// Right after a cold restart the leader's high watermark may still be
	// below its log end (the followers have not fetched yet): a read sees
	// a prefix. Every acknowledged record must become readable.
	testkit.WaitFor(t, 20*time.Second, func() error {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		got, err := readAll(rctx, t, client, "disk")
		if err != nil || !slices.Equal(got, want) {
			return fmt.Errorf("read %v (%v), want %v", got, err, want)
		}
		return nil
	})
}
