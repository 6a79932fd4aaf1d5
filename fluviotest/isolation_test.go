package fluviotest_test

import (
	"context"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest"
)

// TestClusterReadUncommitted: a consumer with WithReadUncommitted gets a
// record the leader took with acks=leader while its follower is down,
// through the real SPU's fetch (the wire's isolation byte and the
// replica's uncommitted read; spu/replica TestReplicaReadUncommitted
// shows that the committed read holds it back while the HW lags).
func TestClusterReadUncommitted(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := fluvio.Connect(ctx, c.SCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.CreateTopic(ctx, "iso", fluvio.TopicConfig{Partitions: 1, Replicas: 2}); err != nil {
		t.Fatal(err)
	}
	p, err := client.Producer("iso", fluvio.WithAcks(fluvio.AcksAll))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendSync(ctx, nil, []byte("committed")); err != nil {
		t.Fatal(err)
	}
	p.Close()
	ps, err := client.Partitions(ctx, "iso")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ps[0].Replicas {
		if id != ps[0].Leader {
			c.KillSPU(id)
		}
	}
	lp, err := client.Producer("iso", fluvio.WithAcks(fluvio.AcksLeader))
	if err != nil {
		t.Fatal(err)
	}
	defer lp.Close()
	if _, err := lp.SendSync(ctx, nil, []byte("leader-only")); err != nil {
		t.Fatal(err)
	}
	cons, err := client.Consumer("iso", fluvio.FromBeginning(), fluvio.WithReadUncommitted())
	if err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()
	var got []string
	for rec, err := range cons.Records(rctx) {
		if err != nil {
			t.Fatalf("read %v, then %v", got, err)
		}
		got = append(got, string(rec.Value))
		if len(got) == 2 {
			break
		}
	}
	if len(got) != 2 || got[0] != "committed" || got[1] != "leader-only" {
		t.Fatalf("read uncommitted %q, want [committed leader-only]", got)
	}
}
