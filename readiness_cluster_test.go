package fluvio

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestPartitionsOnlineMeansProducible: once the SC lists every partition
// of a new topic Online, each one takes a produce at once, without a
// single retry. (The SC used to list a partition Online while its SPU was
// still creating the replica: "SPU 5001 holds no replica of many-987".)
func TestPartitionsOnlineMeansProducible(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	const parts = 300
	createTopic(t, c, "ready", TopicConfig{Partitions: parts})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	testkit.WaitFor(t, 20*time.Second, func() error {
		ps, err := c.Partitions(ctx, "ready")
		if err != nil {
			return err
		}
		online := 0
		for _, p := range ps {
			if p.Status == "Online" {
				online++
			}
		}
		if online < parts {
			return fmt.Errorf("%d of %d partitions Online", online, parts)
		}
		return nil
	})
	var next int32 = parts - 1 // the last created first
	p, err := c.Producer("ready", WithRetries(0, time.Millisecond), WithAcks(AcksLeader),
		WithPartitioner(PartitionerFunc(func([]byte, int32) int32 { return next })))
	testkit.NoErr(t, err)
	defer p.Close()
	for ; next >= 0; next-- {
		if _, err := p.SendSync(ctx, nil, []byte("v")); err != nil {
			t.Fatalf("partition %d listed Online, but produce without retries failed: %v", next, err)
		}
	}
}
