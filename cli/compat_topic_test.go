package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestTopicAddPartition: 'topic add-partition NAME -c N' prints Fluvio's
// message and a PARTITION SPU table once the partitions are served; a
// producer connected before writes to them; an unknown topic is 'topic
// "NAME" not found'; partition list keeps Fluvio's column order.
func TestTopicAddPartition(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	sc := cl.SCAddr()
	e := newCLIEnv(t)
	e.ok("topic", "create", "grow", "--sc", sc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := fluvio.Connect(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Producer("grow", fluvio.WithPartitionRefresh(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.SendSync(ctx, nil, []byte("before")); err != nil {
		t.Fatal(err)
	}

	out := e.ok("topic", "add-partition", "grow", "-c", "2", "--sc", sc)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != `added new partitions to topic: "grow"` || strings.Join(strings.Fields(lines[1]), " ") != "PARTITION SPU" ||
		!strings.HasPrefix(lines[2], "1 ") || !strings.HasPrefix(lines[3], "2 ") {
		t.Fatalf("add-partition printed:\n%s", out)
	}
	parts := e.ok("partition", "list", "--topic", "grow", "--sc", sc)
	if h := strings.Fields(strings.SplitN(parts, "\n", 2)[0]); len(h) < 3 || h[0] != "TOPIC" || h[1] != "PARTITION" || h[2] != "LEADER" {
		t.Fatalf("partition list header: %v", h)
	}
	requireEqual(t, strings.Count(parts, "grow "), 3)

	// The producer created before the change writes to the new partitions.
	testkit.WaitFor(t, 20*time.Second, func() error {
		for range 6 {
			if err := p.Send(ctx, nil, []byte("after")); err != nil {
				return err
			}
		}
		if err := p.Flush(ctx); err != nil {
			return err
		}
		for _, part := range []string{"1", "2"} {
			if got := e.ok("consume", "grow", "-p", part, "-B", "-d", "--sc", sc); !strings.Contains(got, "after") {
				return fmt.Errorf("partition %s has no record of the running producer yet", part)
			}
		}
		return nil
	})

	requireContains(t, e.fails(exitNotFound, "topic", "add-partition", "nope", "--sc", sc), `topic "nope" not found`)
	requireContains(t, e.fails(exitUsage, "topic", "add-partition", "grow", "-c", "0", "--sc", sc), "--count 0")
}
