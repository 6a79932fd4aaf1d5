package sc_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats.go"
)

// freeAddrs returns n loopback addresses with free ports (closed again:
// a NATS route address must be known to every node before any starts).
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		testkit.NoErr(t, err)
		out = append(out, l.Addr().String())
		testkit.NoErr(t, l.Close())
	}
	return out
}

// startNATSCluster starts n SCs, each embedding a NATS node clustered
// with the others on loopback (JetStream R3 bucket), in parallel: each
// waits for a majority before its bucket opens.
func startNATSCluster(t *testing.T, n int) []*sc.Server {
	t.Helper()
	routes := freeAddrs(t, n)
	scs := make([]*sc.Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cfg := sc.Config{
				Addr: "127.0.0.1:0", DataDir: t.TempDir(), ClusterAddr: routes[i], Routes: strings.Join(routes, ","),
				HeartbeatInterval: 100 * time.Millisecond, HeartbeatTimeout: 600 * time.Millisecond, LeaseTTL: haLeaseTTL,
			}
			scs[i], errs[i] = sc.Start(context.Background(), cfg)
		})
	}
	wg.Wait()
	for i, s := range scs {
		if s != nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		testkit.NoErr(t, errs[i])
	}
	return scs
}

// TestNATSClusterSurvivesNodeLoss: three sc-servers, each with a NATS
// node of one cluster and the bucket at 3 replicas. SPUs and a client
// are given the list of all three addresses. The node of the active SC
// is killed with it: the NATS cluster keeps the bucket, a standby takes
// the lease, SPUs and the client fail over to the remaining nodes, and
// registration, heartbeats, admin calls and metadata keep working.
func TestNATSClusterSurvivesNodeLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a 3-node JetStream cluster")
	}
	scs := startNATSCluster(t, 3)
	h := &haEnv{scs: scs, env: &env{t: t}}
	first := h.active(10 * time.Second)
	var urls []string
	for _, s := range scs {
		urls = append(urls, s.URL())
	}
	list := strings.Join(urls, ",")
	connect := func() *nats.Conn {
		nc, err := nats.Connect(list, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
		testkit.NoErr(t, err)
		t.Cleanup(nc.Close)
		return nc
	}
	h.nc = connect()
	for id := bus.SPUID(1); id <= 3; id++ {
		h.register(int64(id), "")
	}
	for id := bus.SPUID(1); id <= 3; id++ {
		f := newFakeSPUOn(t, connect(), id)
		_, err := f.hello()
		testkit.NoErr(t, err)
		f.beatFast(100 * time.Millisecond)
	}
	_, err := h.createTopic("before", 3, 3)
	testkit.NoErr(t, err)

	killed := time.Now()
	h.kill(first) // its NATS node goes with it
	h.active(10 * time.Second)
	t.Logf("new active SC after %v", time.Since(killed).Round(time.Millisecond))

	// Admin writes and registration go through the new active SC.
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, err := h.createTopic("after", 2, 3)
		if errors.Is(err, bus.ErrTopicExists) {
			return nil
		}
		return err
	})
	h.register(4, "")
	// Heartbeats: every SPU stays (or comes back) online; metadata sees
	// both topics.
	testkit.WaitFor(t, 10*time.Second, func() error {
		md, err := req[bus.MetadataResponse](t, h.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{})
		if err != nil {
			return err
		}
		if len(md.Partitions) != 5 {
			return fmt.Errorf("%d partitions, want 5", len(md.Partitions))
		}
		for _, s := range md.SPUs {
			if s.ID <= 3 && !s.Online {
				return fmt.Errorf("SPU %d offline", s.ID)
			}
		}
		return nil
	})
}
