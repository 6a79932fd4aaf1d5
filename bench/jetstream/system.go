package jetstream

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fluvio-go/fluvio/bench"
	"github.com/fluvio-go/fluvio/bench/internal/proc"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Name is the system's name in reports and on the worker command line.
const Name = "jetstream"

// System starts bench-nats-server processes.
type System struct {
	// ServerBin is the path of the bench-nats-server binary.
	ServerBin string
}

var _ bench.System = (*System)(nil)

// Name implements bench.System.
func (s *System) Name() string { return Name }

// PublishModes implements bench.BatchPublisher: fast and atomic batches
// (batch.go).
func (s *System) PublishModes() []string { return []string{bench.PublishFast, bench.PublishAtomic} }

// Available implements bench.System: the helper binary must exist.
func (s *System) Available(ctx context.Context) error {
	if _, err := os.Stat(s.ServerBin); err != nil {
		return bench.NotAvailable(fmt.Sprintf("no nats-server helper at %s (run bench/run.sh, which builds it): %v", s.ServerBin, err))
	}
	return nil
}

// Config returns the nats-server configuration the benchmark uses: JetStream
// with file storage in storeDir, on 127.0.0.1 and a random port, with
// sync_interval: always when syncAlways.
func Config(storeDir string, syncAlways bool) string {
	var b strings.Builder
	b.WriteString("listen: \"127.0.0.1:-1\"\nserver_name: bench\njetstream {\n")
	fmt.Fprintf(&b, "  store_dir: %s\n", strconv.Quote(storeDir))
	if syncAlways {
		b.WriteString("  sync_interval: always\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// Start implements bench.System. Replicated streams (cfg.Replicas > 1)
// need a JetStream cluster, which the bench does not start: not available.
func (s *System) Start(ctx context.Context, dir string, cfg bench.ServerConfig) (bench.Instance, error) {
	if cfg.Replicas > 1 {
		return nil, bench.NotAvailable(fmt.Sprintf("%d replicas need a JetStream cluster; the bench runs one nats-server", cfg.Replicas))
	}
	confPath := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(Config(filepath.Join(dir, "store"), cfg.SyncAlways)), 0o644); err != nil {
		return nil, fmt.Errorf("jetstream: write config: %w", err)
	}
	readyPath, pprofPath := filepath.Join(dir, "ready"), filepath.Join(dir, "pprof")
	var url string
	ready := func() bool {
		b, err := os.ReadFile(readyPath)
		if err != nil {
			return false
		}
		url = string(b)
		return true
	}
	p, err := proc.Start(ctx, s.ServerBin, []string{"--config", confPath, "--ready-file", readyPath, "--pprof-file", pprofPath},
		filepath.Join(dir, "nats-server.log"), ready)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	pprofAddr, err := os.ReadFile(pprofPath)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("jetstream: pprof address: %w", err), p.Stop(ctx))
	}
	return &Instance{p: p, url: url, pprof: string(pprofAddr)}, nil
}

// Instance is one running bench-nats-server process.
type Instance struct {
	p          *proc.Process
	url, pprof string
}

// PprofAddrs implements bench.Profiled.
func (in *Instance) PprofAddrs() map[string]string { return map[string]string{"nats-server": in.pprof} }

// GC implements bench.Instance.
func (in *Instance) GC(ctx context.Context) error { return proc.GC(ctx, in.pprof) }

// Addr implements bench.Instance: the client URL.
func (in *Instance) Addr() string { return in.url }

// DataPIDs implements bench.Instance.
func (in *Instance) DataPIDs() []int { return []int{in.p.PID()} }

// Stop implements bench.Instance.
func (in *Instance) Stop(ctx context.Context) error { return in.p.Stop(ctx) }

// StreamName and Subject name partition i of topic.
func StreamName(topic string, i int) string { return topic + "-" + strconv.Itoa(i) }

// Subject is the subject of partition i of topic.
func Subject(topic string, i int) string { return topic + "." + strconv.Itoa(i) }

// Create implements bench.Instance: one file-storage stream per partition.
func (in *Instance) Create(ctx context.Context, l bench.Layout) error {
	nc, err := nats.Connect(in.url, nats.Name("bench-admin"))
	if err != nil {
		return fmt.Errorf("jetstream: connect: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	for i := range l.Partitions {
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{
			Name:     StreamName(l.Topic, i),
			Subjects: []string{Subject(l.Topic, i)},
			Storage:  jetstream.FileStorage,
			Replicas: 1,
			// Batch publishing (batch.go) is off by default; allowing
			// it changes nothing for the default publish.
			AllowBatchPublish:  true,
			AllowAtomicPublish: true,
		})
		if err != nil {
			return fmt.Errorf("jetstream: create stream %s: %w", StreamName(l.Topic, i), err)
		}
	}
	return nil
}
