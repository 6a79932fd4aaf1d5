package fluvio

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestClusterAdmin covers the admin calls and their errors.
func TestClusterAdmin(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	testkit.NoErr(t, c.CreateTopic(ctx, "admin-a", TopicConfig{Partitions: 2}))
	if err := c.CreateTopic(ctx, "admin-a", TopicConfig{}); !errors.Is(err, ErrTopicExists) {
		t.Fatalf("second CreateTopic = %v, want ErrTopicExists", err)
	}
	if err := c.CreateTopic(ctx, "admin-b", TopicConfig{Replicas: 3}); !errors.Is(err, ErrNotEnoughSPUs) {
		t.Fatalf("CreateTopic with 3 replicas on 1 SPU = %v, want ErrNotEnoughSPUs", err)
	}
	topics, err := c.ListTopics(ctx)
	testkit.NoErr(t, err)
	if len(topics) != 1 || topics[0].Name != "admin-a" || topics[0].Partitions != 2 {
		t.Fatalf("ListTopics = %+v", topics)
	}
	parts, err := c.Partitions(ctx, "admin-a")
	testkit.NoErr(t, err)
	testkit.Equal(t, len(parts), 2)
	if _, err := c.Partitions(ctx, "nope"); !errors.Is(err, ErrTopicNotFound) {
		t.Fatalf("Partitions(nope) = %v, want ErrTopicNotFound", err)
	}
	testkit.NoErr(t, c.DeleteTopic(ctx, "admin-a"))
	if err := c.DeleteTopic(ctx, "admin-a"); !errors.Is(err, ErrTopicNotFound) {
		t.Fatalf("second DeleteTopic = %v, want ErrTopicNotFound", err)
	}
	if _, err := c.Producer("admin-a"); !errors.Is(err, ErrTopicNotFound) {
		t.Fatalf("Producer of a deleted topic = %v, want ErrTopicNotFound", err)
	}
}

func TestConnectUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Connect(ctx, "127.0.0.1:1")
	if err == nil || Hint(err) == "" {
		t.Fatalf("Connect to a closed port = %v (hint %q): want an error with a hint", err, Hint(err))
	}
}

func connectCluster(t testing.TB, cl *fluviotest.Cluster) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, cl.SCAddr())
	testkit.NoErr(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func createTopic(t testing.TB, c *Client, name string, cfg TopicConfig) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	testkit.NoErr(t, c.CreateTopic(ctx, name, cfg))
}

// TestClusterAdminSPUsAndChecks covers the SPU, metadata, version and
// store calls of the admin API, and their errors.
func TestClusterAdminSPUsAndChecks(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	v, err := c.SCVersion(ctx)
	testkit.NoErr(t, err)
	if v.Version == "" || c.NATSServerVersion() == "" || c.NATSServerURL() == "" {
		t.Fatalf("SCVersion = %+v, NATS %q at %q", v, c.NATSServerVersion(), c.NATSServerURL())
	}
	values, err := c.CheckMetadataStore(ctx, "fluvio")
	testkit.NoErr(t, err)
	if values == 0 {
		t.Fatal("the metadata bucket holds no values, but an SPU is registered")
	}
	if _, err := c.CheckMetadataStore(ctx, "no-such-bucket"); err == nil || err.Error() != "bucket no-such-bucket not found" {
		t.Fatalf("CheckMetadataStore(no-such-bucket) = %v", err)
	}

	spu, err := c.RegisterSPU(ctx, SPUConfig{ID: 7, PublicEndpoint: "127.0.0.1:7001", PrivateEndpoint: "127.0.0.1:7002"})
	testkit.NoErr(t, err)
	if spu.Spec.ID != 7 || spu.Spec.Type != SPUTypeCustom || spu.Online() {
		t.Fatalf("RegisterSPU = %+v", spu)
	}
	if _, err := c.RegisterSPU(ctx, SPUConfig{ID: 7, PublicEndpoint: "127.0.0.1:7001", PrivateEndpoint: "127.0.0.1:7002"}); !errors.Is(err, ErrSPUExists) {
		t.Fatalf("second RegisterSPU = %v, want ErrSPUExists", err)
	}
	custom, err := c.ListCustomSPUs(ctx)
	testkit.NoErr(t, err)
	all, err := c.ListSPUs(ctx)
	testkit.NoErr(t, err)
	if len(custom) != 1 || custom[0].Spec.ID != 7 || len(all) != 2 {
		t.Fatalf("ListCustomSPUs = %+v, ListSPUs = %+v", custom, all)
	}
	_, err = c.UnregisterSPUNamed(ctx, spu.Name)
	testkit.NoErr(t, err)
	if _, err := c.UnregisterSPU(ctx, 7); !errors.Is(err, ErrSPUNotFound) {
		t.Fatalf("UnregisterSPU of an unregistered id = %v, want ErrSPUNotFound", err)
	}

	testkit.NoErr(t, c.ValidateTopic(ctx, "dry", TopicConfig{Partitions: 2}))
	if err := c.ValidateTopic(ctx, "dry", TopicConfig{Replicas: 2}); !errors.Is(err, ErrNotEnoughSPUs) {
		t.Fatalf("ValidateTopic with 2 replicas on 1 SPU = %v, want ErrNotEnoughSPUs", err)
	}
	testkit.NoErr(t, c.CreateTopic(ctx, "full", TopicConfig{Partitions: 2, Sync: "never"}))
	topics, err := c.DescribeTopics(ctx)
	testkit.NoErr(t, err)
	if len(topics) != 1 || topics[0].Name != "full" || topics[0].Spec.Sync != "never" {
		t.Fatalf("DescribeTopics = %+v (the dry run must not create a topic)", topics)
	}
	parts, err := c.ListPartitions(ctx, "full")
	testkit.NoErr(t, err)
	md, err := c.Metadata(ctx, "full")
	testkit.NoErr(t, err)
	if len(parts) != 2 || len(md.Partitions) != 2 || len(md.SPUs) != 1 {
		t.Fatalf("ListPartitions = %+v, Metadata = %+v", parts, md)
	}
}

func TestControlPlaneCurrentAndLeader(t *testing.T) {
	cp := ControlPlane{Nodes: []NATSNode{{Name: "sc-1", Current: true}, {Name: "sc-2", Leader: true, Current: true}, {Name: "sc-3"}}}
	testkit.Equal(t, cp.Current(), 2)
	testkit.Equal(t, cp.Leader(), "sc-2")
	testkit.Equal(t, ControlPlane{}.Leader(), "")
}
