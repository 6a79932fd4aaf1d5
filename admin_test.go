package fluvio

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
)

// TestClusterAdmin covers the admin calls and their errors.
func TestClusterAdmin(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	requireNoErr(t, c.CreateTopic(ctx, "admin-a", TopicConfig{Partitions: 2}))
	if err := c.CreateTopic(ctx, "admin-a", TopicConfig{}); !errors.Is(err, ErrTopicExists) {
		t.Fatalf("second CreateTopic = %v, want ErrTopicExists", err)
	}
	if err := c.CreateTopic(ctx, "admin-b", TopicConfig{Replicas: 3}); !errors.Is(err, ErrNotEnoughSPUs) {
		t.Fatalf("CreateTopic with 3 replicas on 1 SPU = %v, want ErrNotEnoughSPUs", err)
	}
	topics, err := c.ListTopics(ctx)
	requireNoErr(t, err)
	if len(topics) != 1 || topics[0].Name != "admin-a" || topics[0].Partitions != 2 {
		t.Fatalf("ListTopics = %+v", topics)
	}
	parts, err := c.Partitions(ctx, "admin-a")
	requireNoErr(t, err)
	requireEqual(t, len(parts), 2)
	if _, err := c.Partitions(ctx, "nope"); !errors.Is(err, ErrTopicNotFound) {
		t.Fatalf("Partitions(nope) = %v, want ErrTopicNotFound", err)
	}
	requireNoErr(t, c.DeleteTopic(ctx, "admin-a"))
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
	requireNoErr(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func createTopic(t testing.TB, c *Client, name string, cfg TopicConfig) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	requireNoErr(t, c.CreateTopic(ctx, name, cfg))
}
