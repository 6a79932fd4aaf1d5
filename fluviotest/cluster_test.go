package fluviotest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// connect connects the client library to c; the test's cleanup closes it.
func connect(t *testing.T, c *fluviotest.Cluster) *fluvio.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := fluvio.Connect(ctx, c.SCAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// TestClusterStart checks the cluster a client test gets: SPUs online,
// metadata listing their public addresses, topics placed on them.
func TestClusterStart(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 3})
	ctx := context.Background()
	client := connect(t, c)
	spus, err := client.ListSPUs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(spus) != 3 {
		t.Fatalf("got %d SPUs, want 3", len(spus))
	}
	for i, s := range spus {
		if s.Spec.ID != 5001+int32(i) || !s.Online() || s.Spec.Type != fluvio.SPUTypeManaged {
			t.Fatalf("SPU %d: %+v", i, s)
		}
		if s.Spec.PublicEndpoint != c.SPUPublicAddr(s.Spec.ID) {
			t.Fatalf("SPU %d public %s, want %s", s.Spec.ID, s.Spec.PublicEndpoint, c.SPUPublicAddr(s.Spec.ID))
		}
	}
	if err := client.CreateTopic(ctx, "orders", fluvio.TopicConfig{Partitions: 3, Replicas: 2}); err != nil {
		t.Fatal(err)
	}
	md, err := client.Metadata(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Partitions) != 3 || len(md.SPUs) != 3 {
		t.Fatalf("metadata: %+v", md)
	}
	leaders := map[int32]bool{}
	for _, p := range md.Partitions {
		leaders[p.Leader] = true
		if len(p.Replicas) != 2 || p.Replicas[0] != p.Leader {
			t.Fatalf("partition %+v", p)
		}
	}
	if len(leaders) != 3 {
		t.Fatalf("leaders not spread: %v", leaders)
	}
}

// TestClusterStopStartSPU checks liveness through the SC as seen by a
// client: a stopped SPU goes offline, a restarted one online again.
func TestClusterStopStartSPU(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 2, Custom: true})
	client := connect(t, c)
	c.StopSPU(5002)
	md, err := client.Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if md.SPUs[0].Online != true || md.SPUs[1].Online != false {
		t.Fatalf("online flags: %+v", md.SPUs)
	}
	c.StartSPU(5002)
	c.RestartSC()
	testkit.WaitFor(t, 5*time.Second, func() error {
		md, err := client.Metadata(context.Background())
		if err != nil {
			return err
		}
		for _, s := range md.SPUs {
			if !s.Online {
				return fmt.Errorf("SPU %d offline after SC restart", s.ID)
			}
		}
		if len(md.SPUs) != 2 {
			return errors.New("SPUs lost across SC restart")
		}
		return nil
	})
}
