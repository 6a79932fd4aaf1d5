package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/localcluster"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// cluster is the SC(s) and the SPUs as child processes of this one, run
// by the local-cluster supervisor (internal/localcluster).
type cluster struct {
	cfg    Config
	log    *slog.Logger
	lc     *localcluster.Cluster
	scAddr string                // every SC's address, comma-separated
	sc     *localcluster.Process // the first SC
	scs    []*localcluster.Process
	spus   map[int32]*localcluster.Process
	ids    []int32
	dirs   map[int32]string    // SPU id -> its --log-base-dir
	addrs  map[int32][2]string // SPU id -> its public and private addresses
	client *fluvio.Client
}

// startCluster starts the SC(s) and the SPUs (on a free port plan below
// the ephemeral range, so a restarted process finds its ports) and
// creates the topic; it returns once every partition has a leader and a
// full ISR. On error, the processes started so far are stopped.
func startCluster(ctx context.Context, cfg Config) (c *cluster, err error) {
	c = &cluster{cfg: cfg, log: cfg.Logger, spus: map[int32]*localcluster.Process{}, dirs: map[int32]string{}, addrs: map[int32][2]string{}}
	defer func() {
		if err != nil {
			c.close(context.WithoutCancel(ctx))
		}
	}()
	hb := cfg.HeartbeatTimeout
	scArgs := []string{"--heartbeat-interval", (hb / 4).String(), "--heartbeat-timeout", hb.String(), "--resync-interval", "5s"}
	if cfg.SCReplicas > 1 {
		scArgs = append(scArgs, "--lease-ttl", (2 * hb).String())
	}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c.lc, err = localcluster.StartCluster(sctx, localcluster.ClusterConfig{
		BinDir: cfg.BinDir, Dir: cfg.Dir, SCs: cfg.SCReplicas, SPUs: spus, SCArgs: scArgs,
		ClientName: "fluvio-chaos", Logger: c.log,
	})
	if err != nil {
		return c, fmt.Errorf("chaos: %w", err)
	}
	c.scAddr, c.scs, c.client = c.lc.SCAddrs(), c.lc.SCs(), c.lc.Client()
	c.sc = c.scs[0]
	for _, s := range c.lc.SPUs() {
		c.ids = append(c.ids, s.ID)
		c.spus[s.ID], c.dirs[s.ID], c.addrs[s.ID] = s.Process, s.Dir, [2]string{s.Public, s.Private}
	}
	spec := fluvio.TopicConfig{Partitions: partitions, Replicas: spus, MinInSyncReplicas: 2, SegmentBytes: segmentBytes}
	if cfg.Negative {
		spec.Sync = "never"
	}
	if err := testkit.Poll(ctx, 30*time.Second, func() error {
		err := c.client.CreateTopic(ctx, topicName, spec)
		if errors.Is(err, fluvio.ErrTopicExists) {
			return nil
		}
		return err
	}); err != nil {
		return c, fmt.Errorf("chaos: create topic %q: %w", topicName, err)
	}
	if err := c.waitHealthy(ctx, 30*time.Second, false); err != nil {
		return c, err
	}
	return c, nil
}

// activeSC returns the index in c.scs of the SC holding the lease, -1
// when none does.
func (c *cluster) activeSC(ctx context.Context) (int, error) {
	i, _, err := c.activeSCSince(ctx)
	return i, err
}

// activeSCSince is activeSC plus when that SC took the lease (its
// clock; every process runs on this machine).
func (c *cluster) activeSCSince(ctx context.Context) (int, time.Time, error) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cp, err := c.client.ControlPlane(rctx, "fluvio")
	if err != nil {
		return -1, time.Time{}, err
	}
	for i := range c.scs {
		if cp.ActiveSC == fmt.Sprintf("sc-%d", i+1) {
			return i, cp.ActiveSince, nil
		}
	}
	return -1, time.Time{}, nil
}

// metadataReplicasCurrent succeeds when every replica of the metadata
// bucket is current (no NATS node down or catching up).
func (c *cluster) metadataReplicasCurrent(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cp, err := c.client.ControlPlane(rctx, "fluvio")
	if err != nil {
		return err
	}
	if current := cp.Current(); current < cp.KVReplicas {
		return fmt.Errorf("%d of %d metadata replicas current", current, cp.KVReplicas)
	}
	return nil
}

// partitions returns the SC's view of the topic's partitions.
func (c *cluster) partitions(ctx context.Context) ([]fluvio.PartitionInfo, error) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return c.client.Partitions(rctx, topicName)
}

// led returns the partitions spu leads.
func led(ps []fluvio.PartitionInfo, spu int32) []int32 {
	var out []int32
	for _, p := range ps {
		if p.Leader == spu {
			out = append(out, p.Partition)
		}
	}
	return out
}

// waitHealthy polls until every partition is online with a full ISR (and,
// with committed, its high watermark at its end offset).
func (c *cluster) waitHealthy(ctx context.Context, timeout time.Duration, committed bool) error {
	err := testkit.Poll(ctx, timeout, func() error {
		for _, id := range c.ids {
			if p := c.spus[id]; !p.Running() {
				return testkit.Stop(fmt.Errorf("%s exited: see %s", p.Name(), p.LogPath()))
			}
		}
		ps, err := c.partitions(ctx)
		if err != nil {
			return err
		}
		if len(ps) != partitions {
			return fmt.Errorf("%d partitions listed, want %d", len(ps), partitions)
		}
		for _, p := range ps {
			switch {
			case p.Status != "Online":
				return fmt.Errorf("partition %d is %s (leader %d)", p.Partition, p.Status, p.Leader)
			case len(p.ISR) != spus:
				return fmt.Errorf("partition %d has ISR %v", p.Partition, p.ISR)
			case committed && p.HighWatermark != p.EndOffset:
				return fmt.Errorf("partition %d has HW %d below its end %d", p.Partition, p.HighWatermark, p.EndOffset)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("chaos: the cluster did not heal within %s (logs in %s): %w", timeout, filepath.Join(c.cfg.Dir, "logs"), err)
	}
	return nil
}

// epochs returns the sum of the partitions' leader epochs.
func (c *cluster) epochs(ctx context.Context) (int, error) {
	ps, err := c.partitions(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range ps {
		n += int(p.LeaderEpoch)
	}
	return n, nil
}

// ensureRunning resumes paused SPUs and SCs and starts stopped ones.
func (c *cluster) ensureRunning() error { return c.lc.EnsureRunning() }

// stopSPUs stops every SPU with SIGTERM (their HW checkpoints are written
// at close).
func (c *cluster) stopSPUs(ctx context.Context) error {
	return c.lc.StopSPUs(ctx, localcluster.StopGrace)
}

// close stops every process, closes the connections and waits for the
// process waiters.
func (c *cluster) close(ctx context.Context) {
	if c.lc != nil {
		_ = c.lc.Close(ctx)
	}
}
