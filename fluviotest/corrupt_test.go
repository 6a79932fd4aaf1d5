package fluviotest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// corruptActive flips a byte inside the first batch of the last segment
// of topic-0 in SPU id's data directory (valid batches follow it).
func corruptActive(t *testing.T, c *fluviotest.Cluster, id int32, topic string) string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(c.SPUDataDir(id), topic+"-0", "*.log"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segment of %s on SPU %d: %v", topic, id, err)
	}
	slices.Sort(segs)
	last := segs[len(segs)-1]
	b, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	b[70] ^= 0xff
	if err := os.WriteFile(last, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Base(last)
}

func produceN(ctx context.Context, t *testing.T, client *fluvio.Client, topic string, n int) []string {
	t.Helper()
	p, err := client.Producer(topic)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var want []string
	for i := range n {
		v := fmt.Sprintf("rec-%d", i)
		if _, err := p.SendSync(ctx, nil, []byte(v)); err != nil {
			t.Fatal(err)
		}
		want = append(want, v)
	}
	return want
}

// TestCorruptReplicaVisible: a single replica with mid-log corruption is
// reported (before, clients saw "unknown topic or partition" and
// cluster check said the SPU "is still creating its replicas"): the
// partition is Corrupt and its replica report names the file and the
// position. Nothing cuts it without the operator.
func TestCorruptReplicaVisible(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := fluvio.Connect(ctx, c.SCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.CreateTopic(ctx, "one", fluvio.TopicConfig{Partitions: 1, Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	produceN(ctx, t, client, "one", 5)
	id := c.SPUIDs()[0]
	c.StopSPU(id)
	file := corruptActive(t, c, id, "one")
	c.StartSPU(id)
	testkit.WaitFor(t, 10*time.Second, func() error {
		ps, err := client.ListPartitions(ctx, "one")
		if err != nil {
			return err
		}
		p := ps[0]
		if p.Status.Resolution != fluvio.PartitionCorrupt {
			return fmt.Errorf("resolution %s", p.Status.Resolution)
		}
		r := p.Status.Replicas[0]
		if !strings.Contains(r.Corrupt, file) || !strings.Contains(r.Corrupt, "at position") {
			return fmt.Errorf("replica report %+v", r)
		}
		return nil
	})
}

// TestCorruptFollowerLeavesISRAndRepairs: a follower in the ISR comes
// back with a corrupt log. The SC takes it out of the ISR (epoch bumped)
// so it is never elected with a hole; out of the ISR it cuts its log at
// the damage, fetches the rest from the leader and rejoins the ISR; every
// acknowledged record is still there when it is the only one left with
// the others.
func TestCorruptFollowerLeavesISRAndRepairs(t *testing.T) {
	c, client, ctx, _ := storageSetup(t)
	want := append([]string{"acked-0", "acked-1", "acked-2"}, produceN(ctx, t, client, "disk", 20)...)
	before := partition0(ctx, t, client)
	var f int32 = -1
	for _, id := range before.ISR {
		if id != before.Leader {
			f = id
			break
		}
	}
	c.StopSPU(f)
	corruptActive(t, c, f, "disk")
	c.StartSPU(f)
	testkit.WaitFor(t, 20*time.Second, func() error {
		p := partition0(ctx, t, client)
		if p.LeaderEpoch <= before.LeaderEpoch || !slices.Contains(p.ISR, f) {
			return fmt.Errorf("epoch %d (was %d), ISR %v: SPU %d not back", p.LeaderEpoch, before.LeaderEpoch, p.ISR, f)
		}
		ps, err := client.ListPartitions(ctx, "disk")
		if err != nil {
			return err
		}
		for _, r := range ps[0].Status.Replicas {
			if r.Corrupt != "" || (r.SPU == f && r.LEO < int64(len(want))) {
				return fmt.Errorf("replica %+v", r)
			}
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

// TestRepairOnlyReplica: the only replica of a partition has a flipped
// byte in a closed segment in the middle of its log. It is reported
// Corrupt and nothing cuts it; RepairPartition without truncate says what
// would be dropped and changes nothing; with truncate the SPU cuts its
// log at the damage and serves again: the partition is Online, every
// record below the cut is read, a new record goes in at the cut, and a
// second repair finds nothing to do.
func TestRepairOnlyReplica(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := fluvio.Connect(ctx, c.SCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.CreateTopic(ctx, "solo", fluvio.TopicConfig{Partitions: 1, Replicas: 1, SegmentBytes: 1024}); err != nil {
		t.Fatal(err)
	}
	want := produceN(ctx, t, client, "solo", 60)
	id := c.SPUIDs()[0]
	c.StopSPU(id)
	segs, err := filepath.Glob(filepath.Join(c.SPUDataDir(id), "solo-0", "*.log"))
	if err != nil || len(segs) < 3 {
		t.Fatalf("want 3 segments or more: %v %v", segs, err)
	}
	slices.Sort(segs)
	target := segs[len(segs)/2]
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	b[70] ^= 0xff // in the segment's first batch; valid batches follow
	if err := os.WriteFile(target, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cut, err := strconv.ParseInt(strings.TrimSuffix(filepath.Base(target), ".log"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	c.StartSPU(id)
	testkit.WaitFor(t, 10*time.Second, func() error {
		ps, err := client.ListPartitions(ctx, "solo")
		if err != nil {
			return err
		}
		if ps[0].Status.Resolution != fluvio.PartitionCorrupt {
			return fmt.Errorf("resolution %s", ps[0].Status.Resolution)
		}
		return nil
	})

	plan, err := client.RepairPartition(ctx, "solo", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Action != fluvio.RepairDryRun || plan.Leader != id || plan.EndOffset != cut || plan.DroppedRecords != int64(len(want))-cut ||
		len(plan.Replicas) != 1 || plan.Replicas[0].DroppedBytes <= 0 || !strings.HasSuffix(plan.Replicas[0].File, filepath.Base(target)) {
		t.Fatalf("dry run %+v: want a cut at offset %d dropping %d records", plan, cut, int64(len(want))-cut)
	}
	if after, _ := os.ReadFile(target); !bytes.Equal(after, b) {
		t.Fatal("the dry run changed the segment")
	}
	ps, err := client.ListPartitions(ctx, "solo")
	if err != nil || ps[0].Status.Resolution != fluvio.PartitionCorrupt {
		t.Fatalf("after the dry run: %v %+v", err, ps)
	}

	done, err := client.RepairPartition(ctx, "solo", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if done.Action != fluvio.RepairTruncated || done.EndOffset != cut || done.Replicas[0] != plan.Replicas[0] || done.LeaderEpoch <= plan.LeaderEpoch {
		t.Fatalf("repair %+v, the dry run said %+v", done, plan)
	}
	if _, err := os.Stat(target + ".broken"); err != nil {
		t.Fatalf("the cut bytes were not kept: %v", err)
	}
	testkit.WaitFor(t, 10*time.Second, func() error {
		ps, err := client.ListPartitions(ctx, "solo")
		if err != nil {
			return err
		}
		if ps[0].Status.Resolution != fluvio.PartitionOnline || ps[0].Status.Replicas[0].Corrupt != "" {
			return fmt.Errorf("partition %+v", ps[0].Status)
		}
		return nil
	})
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()
	got, err := readAll(rctx, t, client, "solo")
	if err != nil || !slices.Equal(got, want[:cut]) {
		t.Fatalf("read %d records (%v), want the %d below the cut", len(got), err, cut)
	}
	p, err := client.Producer("solo")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	off, err := p.SendSync(ctx, nil, []byte("after"))
	if err != nil || off != cut {
		t.Fatalf("produce after the repair: offset %d (%v), want %d", off, err, cut)
	}
	again, err := client.RepairPartition(ctx, "solo", 0, true)
	if err != nil || again.Action != fluvio.RepairNothing {
		t.Fatalf("second repair: %+v %v", again, err)
	}
}

// damageSegment flips a byte in the first batch of the n-th segment (from
// the end when n < 0) of topic-0 on SPU id and returns its base offset.
func damageSegment(t *testing.T, c *fluviotest.Cluster, id int32, topic string, n int) int64 {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(c.SPUDataDir(id), topic+"-0", "*.log"))
	if err != nil || len(segs) < 4 {
		t.Fatalf("want 4 segments or more on SPU %d: %v %v", id, segs, err)
	}
	slices.Sort(segs)
	if n < 0 {
		n += len(segs)
	}
	b, err := os.ReadFile(segs[n])
	if err != nil {
		t.Fatal(err)
	}
	b[70] ^= 0xff
	if err := os.WriteFile(segs[n], b, 0o644); err != nil {
		t.Fatal(err)
	}
	base, err := strconv.ParseInt(strings.TrimSuffix(filepath.Base(segs[n]), ".log"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// TestRepairEveryReplicaCorrupt: both replicas of a partition are damaged,
// at different places. The repair picks the one whose cut keeps more, cuts
// only it and makes it the leader; the other, now a follower outside the
// ISR, cuts its own damage by itself, fetches the rest from the new
// leader and rejoins the ISR. Both end with the same records: every one
// below the leader's cut.
func TestRepairEveryReplicaCorrupt(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	client, err := fluvio.Connect(ctx, c.SCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.CreateTopic(ctx, "pair", fluvio.TopicConfig{Partitions: 1, Replicas: 2, SegmentBytes: 1024}); err != nil {
		t.Fatal(err)
	}
	want := produceN(ctx, t, client, "pair", 80)
	ids := c.SPUIDs()
	testkit.WaitFor(t, 30*time.Second, func() error {
		ps, err := client.ListPartitions(ctx, "pair")
		if err != nil {
			return err
		}
		for _, r := range ps[0].Status.Replicas {
			if r.LEO != int64(len(want)) {
				return fmt.Errorf("replica %+v behind", r)
			}
		}
		return nil
	})
	// The follower stops first, then the leader: stopped first, a leader
	// would hand its leadership to the follower and leave the ISR, and
	// at restart it would repair itself from the new leader, as a
	// follower outside the ISR does; then not every replica is corrupt.
	parts, err := client.Partitions(ctx, "pair")
	if err != nil {
		t.Fatal(err)
	}
	leader := parts[0].Leader
	for _, id := range ids {
		if id != leader {
			c.StopSPU(id)
		}
	}
	c.StopSPU(leader)
	early := damageSegment(t, c, ids[0], "pair", 1) // keeps less
	late := damageSegment(t, c, ids[1], "pair", -2) // keeps more
	if early >= late {
		t.Fatalf("damage at %d and %d: want the first below the second", early, late)
	}
	for _, id := range ids {
		c.StartSPU(id)
	}
	testkit.WaitFor(t, 30*time.Second, func() error {
		ps, err := client.ListPartitions(ctx, "pair")
		if err != nil {
			return err
		}
		for _, r := range ps[0].Status.Replicas {
			if !r.Online || r.Corrupt == "" {
				return fmt.Errorf("replica %+v not reported corrupt", r)
			}
		}
		return nil
	})

	plan, err := client.RepairPartition(ctx, "pair", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Action != fluvio.RepairDryRun || plan.Leader != ids[1] || plan.EndOffset != late || plan.DroppedRecords != int64(len(want))-late ||
		len(plan.Replicas) != 2 || plan.Replicas[1].EndOffset != early {
		t.Fatalf("dry run %+v: want SPU %d (cut at %d) over SPU %d (cut at %d)", plan, ids[1], late, ids[0], early)
	}
	done, err := client.RepairPartition(ctx, "pair", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if done.Action != fluvio.RepairTruncated || done.Leader != ids[1] || done.EndOffset != late {
		t.Fatalf("repair %+v", done)
	}
	testkit.WaitFor(t, 20*time.Second, func() error {
		ps, err := client.ListPartitions(ctx, "pair")
		if err != nil {
			return err
		}
		p := ps[0]
		if p.Status.Resolution != fluvio.PartitionOnline || len(p.Status.ISR) != 2 {
			return fmt.Errorf("partition %s, ISR %v", p.Status.Resolution, p.Status.ISR)
		}
		for _, r := range p.Status.Replicas {
			if r.Corrupt != "" || r.LEO != late {
				return fmt.Errorf("replica %+v: want repaired with LEO %d", r, late)
			}
		}
		return nil
	})
	testkit.WaitFor(t, 20*time.Second, func() error {
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		defer rcancel()
		got, err := readAll(rctx, t, client, "pair")
		if err != nil || !slices.Equal(got, want[:late]) {
			return fmt.Errorf("read %d records (%v), want the %d below the leader's cut", len(got), err, late)
		}
		return nil
	})
	// The follower's own cut was kept aside too; the old leader no longer leads.
	if broken, _ := filepath.Glob(filepath.Join(c.SPUDataDir(ids[0]), "pair-0", "*.broken")); len(broken) == 0 {
		t.Fatalf("SPU %d kept no .broken file", ids[0])
	}
	// Only the leader's log is the truth now: the follower re-fetched from it.
	c.StopSPU(ids[1])
	testkit.WaitFor(t, 20*time.Second, func() error {
		md, err := client.Partitions(ctx, "pair")
		if err != nil {
			return err
		}
		if md[0].Leader != ids[0] {
			return fmt.Errorf("leader %d", md[0].Leader)
		}
		return nil
	})
	testkit.WaitFor(t, 20*time.Second, func() error {
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		defer rcancel()
		got, err := readAll(rctx, t, client, "pair")
		if err != nil || !slices.Equal(got, want[:late]) {
			return fmt.Errorf("the repaired follower serves %d records (%v), want %d", len(got), err, late)
		}
		return nil
	})
}
