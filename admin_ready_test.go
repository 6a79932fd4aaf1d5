package fluvio

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// CreateTopicReady returns once every partition can take a produce: right
// after it, with no polling, every partition is listed Online and takes a
// record. A topic whose leader SPU is down is created, and the error
// matches ErrTopicNotReady naming that SPU, when ctx ends.
func TestClusterCreateTopicReady(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	c := connectCluster(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	const n = 40
	testkit.NoErr(t, c.CreateTopicReady(ctx, "ready", TopicConfig{Partitions: n, Replicas: 2}))
	parts, err := c.ListPartitions(ctx, "ready")
	testkit.NoErr(t, err)
	testkit.Equal(t, len(parts), n)
	for _, p := range parts {
		if p.Status.Resolution != bus.PartitionOnline {
			t.Fatalf("partition %d is %s right after CreateTopicReady", p.Spec.Partition, p.Status.Resolution)
		}
	}
	p, err := c.Producer("ready")
	testkit.NoErr(t, err)
	defer p.Close()
	for i := range n {
		if _, err := p.SendSync(ctx, []byte(fmt.Sprint(i)), []byte("v")); err != nil {
			t.Fatalf("record %d right after CreateTopicReady: %v", i, err)
		}
	}

	ids := cl.SPUIDs()
	down, up := ids[0], ids[1]
	cl.StopSPU(down)
	short, cancelShort := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancelShort()
	err = c.CreateTopicReady(short, "half", TopicConfig{ReplicaAssignment: [][]int32{{down}, {up}}})
	if !errors.Is(err, ErrTopicNotReady) || !strings.Contains(err.Error(), fmt.Sprint(down)) {
		t.Fatalf("CreateTopicReady with leader SPU %d down: %v, want ErrTopicNotReady naming it", down, err)
	}
	if short.Err() != nil {
		t.Fatalf("the SC answered after ctx ended: %v", err)
	}
	if _, err := c.DescribeTopics(ctx, "half"); err != nil {
		t.Fatalf("the topic that was not ready is not created: %v", err)
	}
}
