package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// firstSPU is the id of the first SPU; the others follow.
const firstSPU int32 = 5001

// cluster is the SC and the SPUs as child processes of this one.
type cluster struct {
	cfg    Config
	log    *slog.Logger
	scAddr string   // every SC's address, comma-separated
	sc     *process // the first SC
	scs    []*process
	spus   map[int32]*process
	ids    []int32
	dirs   map[int32]string    // SPU id -> its --log-base-dir
	addrs  map[int32][2]string // SPU id -> its public and private addresses
	client *fluvio.Client
	wg     sync.WaitGroup // the processes' waiters
}

// freePorts returns n distinct loopback addresses nobody listened on a
// moment ago (all are held open until the last is found, so none repeats).
func freePorts(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("chaos: find a free loopback port: %w", err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// startCluster starts the SC, registers and starts the SPUs and creates
// the topic; it returns once every partition has a leader and a full ISR.
// On error, the processes started so far are stopped.
func startCluster(ctx context.Context, cfg Config) (c *cluster, err error) {
	c = &cluster{cfg: cfg, log: cfg.Logger, spus: map[int32]*process{}, dirs: map[int32]string{}, addrs: map[int32][2]string{}}
	defer func() {
		if err != nil {
			c.close(context.WithoutCancel(ctx))
		}
	}()
	logs := filepath.Join(cfg.Dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return c, fmt.Errorf("chaos: %w", err)
	}
	nSC := cfg.SCReplicas
	ports, err := freePorts(2*nSC + 2*spus)
	if err != nil {
		return c, err
	}
	scPorts, routes := ports[:nSC], ports[nSC:2*nSC]
	ports = ports[2*nSC-1:] // ports[1+2*i] and ports[2+2*i] are SPU i's
	c.scAddr = strings.Join(scPorts, ",")
	hb := cfg.HeartbeatTimeout
	for i := range nSC {
		name, log, data := "sc-server", "sc.log", "sc"
		if i > 0 {
			name, log, data = fmt.Sprintf("sc-server %d", i+1), fmt.Sprintf("sc-%d.log", i+1), fmt.Sprintf("sc-%d", i+1)
		}
		args := []string{"--sc", scPorts[i], "--data-dir", filepath.Join(cfg.Dir, data), "--no-auth",
			"--heartbeat-interval", (hb / 4).String(), "--heartbeat-timeout", hb.String(), "--resync-interval", "5s"}
		if nSC > 1 {
			args = append(args, "--cluster", routes[i], "--routes", strings.Join(routes, ","),
				"--name", fmt.Sprintf("sc-%d", i+1), "--lease-ttl", (2 * hb).String(), "--sc-private", "none")
		}
		p := &process{name: name, path: filepath.Join(cfg.BinDir, "sc-server"), logPath: filepath.Join(logs, log), wg: &c.wg, args: args}
		if err := p.start(); err != nil {
			return c, err
		}
		c.scs = append(c.scs, p)
		c.log.Info(name+" started", "addr", scPorts[i], "pid", p.pid())
	}
	c.sc = c.scs[0]
	if err := testkit.Poll(ctx, 30*time.Second, func() error {
		if !c.sc.running() {
			return testkit.Stop(fmt.Errorf("chaos: sc-server exited at start: see %s", c.sc.logPath))
		}
		client, err := fluvio.Connect(ctx, c.scAddr, fluvio.WithName("fluvio-chaos"))
		if err != nil {
			return err
		}
		if _, err := client.SCVersion(ctx); err != nil {
			client.Close()
			return err
		}
		c.client = client
		return nil
	}); err != nil {
		return c, fmt.Errorf("chaos: the SC at %s did not answer (see %s): %w", c.scAddr, c.sc.logPath, err)
	}
	for i := range int32(spus) {
		id := firstSPU + i
		pub, priv := ports[1+2*i], ports[2+2*i]
		if _, err := c.client.RegisterSPU(ctx, fluvio.SPUConfig{ID: id, PublicEndpoint: pub, PrivateEndpoint: priv}); err != nil {
			return c, fmt.Errorf("chaos: %w", err)
		}
		dir := filepath.Join(cfg.Dir, "spu-"+strconv.Itoa(int(id)))
		c.dirs[id] = dir
		c.addrs[id] = [2]string{pub, priv}
		c.spus[id] = &process{
			name: fmt.Sprintf("spu-server %d", id), path: filepath.Join(cfg.BinDir, "spu-server"), wg: &c.wg,
			logPath: filepath.Join(logs, fmt.Sprintf("spu-%d.log", id)),
			args:    []string{"--id", strconv.Itoa(int(id)), "--sc-controller", c.scAddr, "--log-base-dir", dir},
		}
		c.ids = append(c.ids, id)
		if err := c.spus[id].start(); err != nil {
			return c, err
		}
		c.log.Info("spu-server started", "id", id, "public", pub, "private", priv, "pid", c.spus[id].pid())
	}
	spec := fluvio.TopicConfig{Partitions: partitions, Replicas: spus, MinInSyncReplicas: 2}
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
	current := 0
	for _, n := range cp.Nodes {
		if n.Current {
			current++
		}
	}
	if current < cp.KVReplicas {
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
			if p := c.spus[id]; !p.running() {
				return testkit.Stop(fmt.Errorf("%s exited: see %s", p.name, p.logPath))
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
func (c *cluster) ensureRunning() error {
	var errs []error
	for _, p := range c.scs {
		p.mu.Lock()
		paused := p.paused && p.runningLocked()
		p.mu.Unlock()
		if paused {
			errs = append(errs, p.signal(syscall.SIGCONT))
		}
		errs = append(errs, p.start())
	}
	for _, id := range c.ids {
		p := c.spus[id]
		p.mu.Lock()
		paused := p.paused && p.runningLocked()
		p.mu.Unlock()
		if paused {
			errs = append(errs, p.signal(syscall.SIGCONT))
		}
		errs = append(errs, p.start())
	}
	return errors.Join(errs...)
}

// stopSPUs stops every SPU with SIGTERM (their HW checkpoints are written
// at close).
func (c *cluster) stopSPUs(ctx context.Context) error {
	var errs []error
	for _, id := range slices.Backward(c.ids) {
		errs = append(errs, c.spus[id].stop(ctx, 15*time.Second))
	}
	return errors.Join(errs...)
}

// close stops every process, closes the connections and waits for the
// process waiters.
func (c *cluster) close(ctx context.Context) {
	if c.client != nil {
		_ = c.client.Close()
	}
	_ = c.stopSPUs(ctx)
	for _, p := range slices.Backward(c.scs) {
		p.mu.Lock()
		paused := p.paused && p.runningLocked()
		p.mu.Unlock()
		if paused {
			_ = p.signal(syscall.SIGCONT)
		}
		_ = p.stop(ctx, 15*time.Second)
	}
	c.wg.Wait()
}
