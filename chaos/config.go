package chaos

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Config configures Run. Zero fields take the defaults named in their
// comments.
type Config struct {
	// BinDir holds sc-server and spu-server (see BuildBinaries). Required.
	BinDir string
	// Dir is the run's working directory: the SC's and SPUs' data and
	// logs/ with each process's output. Required; it should be empty.
	Dir string
	// Seed seeds the nemesis; the same seed makes the same choices.
	Seed int64
	// Duration is how long producers and faults run; default 30s.
	Duration time.Duration
	// Rate is the total records per second over all producers; default 300.
	Rate int
	// ProducersPerPartition is the number of producers writing to each
	// partition (each one record at a time); default 2.
	ProducersPerPartition int
	// FaultEvery is the mean pause between faults; default 3s.
	FaultEvery time.Duration
	// HeartbeatTimeout is the SC's --heartbeat-timeout (the SPU heartbeat
	// interval is a quarter of it); default 1s.
	HeartbeatTimeout time.Duration
	// HealTimeout bounds the wait, after the faults, for every partition
	// to have its full ISR and its high watermark at its end; default 30s.
	HealTimeout time.Duration
	// Overlap lets faults overlap recovery: the nemesis does not wait for
	// a full ISR before the next fault, so a new leader may be hit before
	// the old one is back in sync (ISR down to one, partitions offline for
	// a while; nothing committed may be lost).
	Overlap bool
	// KillSC adds the sc-kill fault: kill -9 the SC with its embedded
	// NATS and start it again; it rebuilds its state from JetStream KV.
	KillSC bool
	// SCReplicas, when 3 (or 5), runs that many sc-servers, each with a
	// node of one NATS cluster (metadata at 3 replicas), and adds the
	// faults on the control plane: active-sc-kill, active-sc-pause,
	// nats-node-kill and control-plane-outage. Default 1.
	SCReplicas int
	// Faults, if set, limits the nemesis to these kinds (each must be
	// one it can run with this config); the faults every run otherwise
	// starts with (wipe, reregister, corrupt) are then not forced.
	Faults []FaultKind
	// Negative runs the negative control: acks=leader, sync never and
	// only stall-kill faults. Check must then report a loss.
	Negative bool
	// NegativeResend runs the other negative control: the normal run with
	// producers that report a send the leader refused with a sequence
	// error as stored (fluvio.WithUnsafeRefusedSendsStored, the rule that
	// lost acknowledged records before the fix). Check must then report
	// lost records.
	NegativeResend bool
	// Logger receives progress and every fault; nil discards.
	Logger *slog.Logger
	// Out, if set, receives the summary line.
	Out io.Writer
	// Progress, if set, receives a line every ProgressEvery (default 10s)
	// while the run lasts: its phase, records acknowledged and faults so far.
	Progress      io.Writer
	ProgressEvery time.Duration
}

const (
	spus       = 3
	partitions = 3
	topicName  = "chaos"
	// segmentBytes is the chaos topics' segment size: small, so that logs
	// roll within seconds and the corrupt fault finds closed segments with
	// index entries (one every 4 KiB) to damage.
	segmentBytes = 16 << 10
)

func (c Config) withDefaults() Config {
	if c.Duration == 0 {
		c.Duration = 30 * time.Second
	}
	if c.SCReplicas == 0 {
		c.SCReplicas = 1
	}
	if c.Rate == 0 {
		c.Rate = 300
	}
	if c.ProducersPerPartition == 0 {
		c.ProducersPerPartition = 2
	}
	if c.FaultEvery == 0 {
		c.FaultEvery = 3 * time.Second
	}
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = time.Second
	}
	if c.HealTimeout == 0 {
		c.HealTimeout = 30 * time.Second
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.BinDir == "":
		return errors.New("chaos: no binary directory: build them with 'make build' and pass --bin-dir bin (or let fluvio-chaos build them)")
	case c.Dir == "":
		return errors.New("chaos: no working directory: pass --dir DIR (an empty directory)")
	case c.Duration < 0 || c.FaultEvery < 0 || c.HeartbeatTimeout < 0 || c.HealTimeout < 0:
		return errors.New("chaos: durations must not be negative: check --duration, --fault-every and --heartbeat-timeout")
	case c.Rate < 0 || c.ProducersPerPartition < 0:
		return fmt.Errorf("chaos: --rate %d and producers per partition %d must not be negative", c.Rate, c.ProducersPerPartition)
	case c.SCReplicas != 0 && c.SCReplicas != 1 && c.SCReplicas != 3 && c.SCReplicas != 5:
		return fmt.Errorf("chaos: --sc-replicas %d: pick 1, 3 or 5", c.SCReplicas)
	}
	for _, f := range c.Faults {
		switch f {
		case FaultKill, FaultPause, FaultRestart, FaultStallKill, FaultNewTopic, FaultSCKill, FaultWipe, FaultReregister, FaultCorrupt:
		case FaultActiveSCKill, FaultActiveSCPause, FaultNATSNodeKill, FaultControlPlaneOutage:
			if c.SCReplicas < 3 {
				return fmt.Errorf("chaos: fault %s needs several SCs: add --sc-replicas 3", f)
			}
		default:
			return fmt.Errorf("chaos: unknown fault %q in --faults: see fluvio-chaos --help", f)
		}
	}
	return nil
}
