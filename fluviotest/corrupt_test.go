package fluviotest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
