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

// readAll consumes partition 0 of topic from the beginning up to the end
// of the log and returns the values.
func readAll(ctx context.Context, t *testing.T, client *fluvio.Client, topic string) ([]string, error) {
	t.Helper()
	c, err := client.Consumer(topic, fluvio.FromBeginning(), fluvio.DisableContinuous())
	if err != nil {
		return nil, err
	}
	var got []string
	for rec, err := range c.Records(ctx) {
		if err != nil {
			return got, err
		}
		got = append(got, string(rec.Value))
	}
	return got, nil
}

// TestClusterFailover drives the whole stack in one process: the client
// produces with acks=all to a 3-replica partition, the leader's SPU stops,
// the SC elects a new leader from the ISR, the client follows it, and every
// acknowledged record is still there, in order, once.
func TestClusterFailover(t *testing.T) {
	t.Run("stop", func(t *testing.T) { testFailover(t, (*fluviotest.Cluster).StopSPU) })
	t.Run("kill", func(t *testing.T) { testFailover(t, (*fluviotest.Cluster).KillSPU) })
}

func testFailover(t *testing.T, stop func(*fluviotest.Cluster, int32)) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := fluvio.Connect(ctx, c.SCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.CreateTopic(ctx, "ha", fluvio.TopicConfig{Partitions: 1, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	p, err := client.Producer("ha")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var want []string
	for i := range 20 {
		v := fmt.Sprintf("before-%d", i)
		if _, err := p.SendSync(ctx, nil, []byte(v)); err != nil {
			t.Fatalf("produce %s: %v", v, err)
		}
		want = append(want, v)
	}
	md, err := client.Metadata(ctx, "ha")
	if err != nil {
		t.Fatal(err)
	}
	old := md.Partitions[0].Leader
	stop(c, old)
	testkit.WaitFor(t, 10*time.Second, func() error {
		md, err := client.Metadata(ctx, "ha")
		if err != nil {
			return err
		}
		if l := md.Partitions[0].Leader; l == old || md.Partitions[0].LeaderEpoch < 1 {
			return fmt.Errorf("leader still %d at epoch %d", l, md.Partitions[0].LeaderEpoch)
		}
		return nil
	})
	for i := range 20 {
		v := fmt.Sprintf("after-%d", i)
		if _, err := p.SendSync(ctx, nil, []byte(v)); err != nil {
			t.Fatalf("produce %s after failover: %v", v, err)
		}
		want = append(want, v)
	}
	got, err := readAll(ctx, t, client, "ha")
	if err != nil {
		t.Fatalf("consume: %v (got %d records)", err, len(got))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("read %d records %v, want %d %v", len(got), got, len(want), want)
	}
	// The old leader comes back as a follower and the cluster still serves.
	c.StartSPU(old)
	if _, err := p.SendSync(ctx, nil, []byte("back")); err != nil {
		t.Fatalf("produce after the old leader returned: %v", err)
	}
}
