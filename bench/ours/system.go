package ours

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/bench"
	"github.com/fluvio-go/fluvio/bench/internal/proc"
	"github.com/fluvio-go/fluvio/internal/localcluster"
)

// SPUID is the id of the first SPU the benchmark starts; the others
// (ServerConfig.Replicas > 1) are SPUID+1, SPUID+2, ...
const SPUID = localcluster.FirstSPU

// System starts our cluster: one sc-server (embedded NATS) and one
// spu-server per replica (ServerConfig.Replicas, at least one), each a
// separate process.
type System struct {
	// BinDir holds sc-server, spu-server and fluvio (make build).
	BinDir string
}

var _ bench.System = (*System)(nil)

// Name implements bench.System.
func (s *System) Name() string { return Name }

// Available implements bench.System.
func (s *System) Available(ctx context.Context) error {
	if err := ready(); err != nil {
		return err
	}
	for _, b := range []string{"sc-server", "spu-server", "fluvio"} {
		if _, err := os.Stat(filepath.Join(s.BinDir, b)); err != nil {
			return bench.NotAvailable(fmt.Sprintf("no %s in %s (run make build): %v", b, s.BinDir, err))
		}
	}
	return nil
}

// Start implements bench.System: the local-cluster supervisor
// (internal/localcluster) starts sc-server with its data in dir/sc and
// one spu-server per replica (cfg.Replicas, at least one) with its logs in
// dir/spu-ID, on a free port plan, each with --http and --pprof, and
// returns once every SC's and SPU's /readyz answers, the SPUs are online
// and their public ports open. Process output goes to dir/logs.
func (s *System) Start(ctx context.Context, dir string, cfg bench.ServerConfig) (bench.Instance, error) {
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c, err := localcluster.StartCluster(sctx, localcluster.ClusterConfig{
		BinDir: s.BinDir, Dir: dir, SPUs: max(1, cfg.Replicas),
		// The benchmarks measure the data plane: no NATS auth (the
		// supervisor's clusters run --no-auth), profiles served.
		SCArgs: []string{"--pprof"}, SPUArgs: []string{"--pprof"}, ClientName: "fluvio-bench",
	})
	if err != nil {
		return nil, fmt.Errorf("ours: %w", err)
	}
	in := &Instance{bin: s.BinDir, dir: dir, c: c, cfg: cfg, https: []string{c.SCHTTP(0)}}
	for _, spu := range c.SPUs() {
		in.https = append(in.https, spu.HTTP)
		in.spuHTTPs = append(in.spuHTTPs, spu.HTTP)
	}
	return in, nil
}

// Instance is a running sc-server and its spu-servers.
type Instance struct {
	bin, dir string
	c        *localcluster.Cluster
	cfg      bench.ServerConfig
	// https are the SC's and the SPUs' HTTP addresses (/metrics and, with
	// --pprof, /debug/pprof/); spuHTTPs the SPUs' alone.
	https, spuHTTPs []string
}

// Addr implements bench.Instance: the SC address clients connect to.
func (in *Instance) Addr() string { return in.c.SCAddrs() }

// DataPIDs implements bench.Instance: the SC and the SPUs. The SC is an
// embedded NATS with a JetStream KV store; the peer's nats-server holds
// its stream metadata in the same process, so both sides count their
// metadata.
func (in *Instance) DataPIDs() []int {
	var pids []int
	for _, p := range in.c.SCs() {
		pids = append(pids, p.PID())
	}
	for _, p := range in.c.SPUs() {
		pids = append(pids, p.PID())
	}
	return pids
}

// Parts implements bench.Parted: the SC and the SPUs.
func (in *Instance) Parts() map[string][]int {
	return map[string][]int{"sc": {in.c.SCs()[0].PID()}, "spu": in.DataPIDs()[1:]}
}

// PprofAddrs implements bench.Profiled: the SC's and each SPU's --http.
func (in *Instance) PprofAddrs() map[string]string {
	out := map[string]string{"sc": in.https[0]}
	for i, a := range in.spuHTTPs {
		out[fmt.Sprintf("spu-%d", SPUID+i)] = a
	}
	return out
}

// GC implements bench.Instance through each server's --pprof endpoint.
func (in *Instance) GC(ctx context.Context) error {
	var errs []error
	for _, a := range in.https {
		errs = append(errs, proc.GC(ctx, a))
	}
	return errors.Join(errs...)
}

// fsyncMetric is the SPU's fsync histogram: its count is every fsync of a
// replica's log files and directories.
const fsyncMetric = "fluvio_spu_fsync_duration_seconds_count"

// WALFsyncs implements bench.WALFsyncer: the sum of the SPUs' fsync
// counts since they started.
func (in *Instance) WALFsyncs(ctx context.Context) (int64, error) {
	var total int64
	for _, a := range in.spuHTTPs {
		body, err := proc.Get(ctx, a, "/metrics")
		if err != nil {
			return 0, fmt.Errorf("ours: %w", err)
		}
		n, err := metricSum(string(body), fsyncMetric)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// metricSum adds up every sample of a Prometheus text metric.
func metricSum(text, name string) (int64, error) {
	var total float64
	found := false
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("ours: metric %s: %w", name, err)
		}
		total += v
		found = true
	}
	if !found {
		return 0, fmt.Errorf("ours: no %s in the SPU's /metrics", name)
	}
	return int64(total), nil
}

// maxRecordSize lets the size curve's 1 MiB records (JetStream's default
// max payload) in: the topic default, 1 MiB, counts the record's framing.
const maxRecordSize = 2 << 20

// Create implements bench.Instance: one topic with l.Partitions
// partitions, replication ServerConfig.Replicas (at least 1), max record
// size 2 MiB, with WAL sync "always" for the durable run
// (ServerConfig.SyncAlways) and "interval" otherwise (the durability of
// JetStream's default sync). Like the peer's Create (a connection, then
// CreateStream calls, each returning once its R1 stream exists), it
// connects a client in this process and returns when
// fluvio.Client.CreateTopicReady does: once every partition can take a
// produce (its leader SPU has created the replica durably and reported it
// to the SC, which answers the moment the last report arrives). That is
// the whole "create K" figure.
func (in *Instance) Create(ctx context.Context, l bench.Layout) error {
	sync := "interval"
	if in.cfg.SyncAlways {
		sync = "always"
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c, err := fluvio.Connect(ctx, in.Addr(), fluvio.WithName("fluvio-bench-admin"))
	if err != nil {
		return fmt.Errorf("ours: connect: %w", err)
	}
	defer c.Close()
	err = c.CreateTopicReady(ctx, l.Topic, fluvio.TopicConfig{Partitions: int32(l.Partitions),
		Replicas: int32(in.replicas()), Sync: sync, MaxRecordBytes: maxRecordSize})
	if err != nil {
		return fmt.Errorf("ours: create topic: %w", err)
	}
	return nil
}

// replicas is the topics' replication factor.
func (in *Instance) replicas() int { return max(1, in.cfg.Replicas) }

// Stop implements bench.Instance: the SPUs first, then the SC. A
// process that had crashed, or had to be killed after SIGTERM, is an
// error with the end of its log.
func (in *Instance) Stop(ctx context.Context) error {
	errs := []error{in.c.Close(ctx)}
	for _, p := range in.c.SCs() {
		errs = append(errs, p.ExitErr())
	}
	for _, p := range in.c.SPUs() {
		errs = append(errs, p.ExitErr())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ours: %w", err)
	}
	return nil
}
