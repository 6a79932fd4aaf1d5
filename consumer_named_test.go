package fluvio

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// readN reads up to n records of cons and returns their values.
func readN(t *testing.T, ctx context.Context, cons *Consumer, n int) []string {
	t.Helper()
	var got []string
	for r, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		got = append(got, string(r.Value))
		if len(got) == n {
			break
		}
	}
	return got
}

// TestClusterNamedConsumer: a named consumer stores its offsets (when
// Records returns, on Commit, and every auto-commit interval) and the
// next consumer of that name continues after them, also after the SPU
// restarted and after the SC restarted. Offsets of a consumer without a
// name cannot be committed.
func TestClusterNamedConsumer(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	createTopic(t, c, "named", TopicConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := c.Producer("named")
	testkit.NoErr(t, err)
	for i := range 10 {
		testkit.NoErr(t, p.Send(ctx, nil, fmt.Appendf(nil, "v%d", i)))
	}
	testkit.NoErr(t, p.Flush(ctx))
	testkit.NoErr(t, p.Close())

	open := func(opts ...ConsumerOption) *Consumer {
		cons, err := c.Consumer("named", append([]ConsumerOption{FromBeginning(), WithConsumer("app")}, opts...)...)
		testkit.NoErr(t, err)
		return cons
	}
	// Records returns after 3: their offsets are stored.
	testkit.Equal(t, fmt.Sprint(readN(t, ctx, open(WithAutoCommit(0)), 3)), "[v0 v1 v2]")
	offs, err := c.ListConsumers(ctx, "app", "named")
	testkit.NoErr(t, err)
	if len(offs) != 1 || offs[0].Offset != 2 || time.Since(offs[0].Modified) > time.Minute {
		t.Fatalf("stored offsets %+v, want offset 2 of partition 0", offs)
	}

	// The SPU restarts: the next consumer continues at v3.
	cl.StopSPU(cl.SPUIDs()[0])
	cl.StartSPU(cl.SPUIDs()[0])
	testkit.Equal(t, fmt.Sprint(readN(t, ctx, open(), 2)), "[v3 v4]")

	// The SC restarts: the offsets are on the SPUs (consumer-offset topic).
	cl.RestartSC()
	cons := open(WithAutoCommit(0))
	// Commit mid-iteration stores what was read so far.
	n := 0
	for r, err := range cons.Records(ctx) {
		testkit.NoErr(t, err)
		n++
		if string(r.Value) == "v6" {
			testkit.NoErr(t, cons.Commit(ctx))
			offs, err := c.ListConsumers(ctx, "app", "")
			testkit.NoErr(t, err)
			testkit.Equal(t, offs[0].Offset, int64(6))
			break
		}
	}
	testkit.Equal(t, n, 2)

	// Auto-commit stores while Records runs (the iteration never returns
	// here until cancelled).
	rctx, rcancel := context.WithCancel(ctx)
	auto := open(WithAutoCommit(time.Millisecond))
	seen := 0
	stored := make(chan error, 1)
	for _, err := range auto.Records(rctx) {
		if err != nil {
			break
		}
		seen++
		if seen == 3 { // v7 v8 v9, then the consumer waits: the commits go on
			go func() {
				defer rcancel()
				stored <- testkit.Poll(ctx, 10*time.Second, func() error {
					offs, err := c.ListConsumers(ctx, "app", "named")
					if err == nil && len(offs) == 1 && offs[0].Offset == 9 {
						return nil
					}
					return fmt.Errorf("offsets %+v, %v: auto-commit did not store offset 9", offs, err)
				})
			}()
		}
	}
	rcancel()
	testkit.NoErr(t, <-stored)
	testkit.Equal(t, seen, 3)
	offs, err = c.ListConsumers(ctx, "app", "named")
	testkit.NoErr(t, err)
	testkit.Equal(t, offs[0].Offset, int64(9))

	plain, err := c.Consumer("named")
	testkit.NoErr(t, err)
	if err := plain.Commit(ctx); !errors.Is(err, ErrBadOption) {
		t.Fatalf("Commit without a name: %v", err)
	}
	if _, err := c.DeleteConsumer(ctx, "nobody", "", -1); !errors.Is(err, ErrConsumerNotFound) {
		t.Fatalf("DeleteConsumer(nobody): %v", err)
	}
	del, err := c.DeleteConsumer(ctx, "app", "named", 0)
	testkit.NoErr(t, err)
	testkit.Equal(t, len(del), 1)
}
