// Command fluvio-chaos runs the failure test suite (package chaos) with
// real processes on loopback and prints one summary line. It exits 1 when
// a record was lost, moved, duplicated or reordered, or replicas diverge
// (with --negative or --negative-resend: when the checker saw none of that), and 2 when the run
// could not be carried out.
//
//	fluvio-chaos --duration 5m --seed 42
//	fluvio-chaos --negative --duration 20s
//	fluvio-chaos --negative-resend --duration 20s
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/fluvio-go/fluvio/chaos"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("fluvio-chaos", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg chaos.Config
	var keep, verbose bool
	var faults []string
	fs.StringVar(&cfg.BinDir, "bin-dir", "", "directory holding sc-server and spu-server (default: go build them into a temporary directory)")
	fs.StringVar(&cfg.Dir, "dir", "", "working directory for data and process logs (default: a temporary directory, removed after a passing run)")
	fs.Int64Var(&cfg.Seed, "seed", time.Now().UnixNano()%1_000_000, "seed of the nemesis (the same seed makes the same choices)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long producers and faults run")
	fs.IntVar(&cfg.Rate, "rate", 300, "records per second over all producers")
	fs.DurationVar(&cfg.FaultEvery, "fault-every", 3*time.Second, "mean pause between faults")
	fs.DurationVar(&cfg.HeartbeatTimeout, "heartbeat-timeout", time.Second, "the SC's --heartbeat-timeout")
	fs.BoolVar(&cfg.Negative, "negative", false, "negative control: acks=leader, sync never, stall-kill faults; exits 0 only if the checker reports a loss")
	fs.BoolVar(&cfg.NegativeResend, "negative-resend", false, "negative control: producers report a send the leader refused with a sequence error as stored (the old client rule, fluvio.WithUnsafeRefusedSendsStored); exits 0 only if the checker reports a loss")
	fs.BoolVar(&cfg.Overlap, "overlap", false, "do not wait for a full ISR between faults (a new leader may be hit before the old one is back)")
	fs.BoolVar(&cfg.KillSC, "kill-sc", false, "add the sc-kill fault: kill -9 the SC (and its embedded NATS) and start it again")
	fs.StringSliceVar(&faults, "faults", nil, "draw only these faults (comma-separated: kill, pause, restart, stall-kill, new-topic, wipe, reregister, corrupt, sc-kill, active-sc-kill, active-sc-pause, nats-node-kill, control-plane-outage)")
	fs.IntVar(&cfg.SCReplicas, "sc-replicas", 1, "run 3 (or 5) SCs, each with a node of one NATS cluster, and add the faults active-sc-kill, active-sc-pause, nats-node-kill and control-plane-outage")
	fs.DurationVar(&cfg.ProgressEvery, "progress-every", 10*time.Second, "print a progress line (records acknowledged, faults so far) this often, on stderr")
	fs.BoolVar(&keep, "keep", false, "keep the working directory even when the run passes")
	fs.BoolVarP(&verbose, "verbose", "v", false, "log every fault and problem to stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "fluvio-chaos: the failure test suite (real processes on loopback)\n\nUsage:\n  fluvio-chaos [flags]\n\nExamples:\n  fluvio-chaos --duration 5m --seed 42\n  fluvio-chaos --duration 5m --sc-replicas 3\n  fluvio-chaos --negative --duration 20s\n  fluvio-chaos --negative-resend --duration 20s\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "fluvio-chaos: %v (see fluvio-chaos --help)\n", err)
		return 2
	}
	for _, f := range faults {
		cfg.Faults = append(cfg.Faults, chaos.FaultKind(f))
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg.Out = stdout
	cfg.Progress = stderr // a line every --progress-every: the summary stays alone on stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.BinDir == "" {
		dir, err := os.MkdirTemp("", "fluvio-chaos-bin-")
		if err != nil {
			fmt.Fprintf(stderr, "fluvio-chaos: %v\n", err)
			return 2
		}
		defer os.RemoveAll(dir)
		if err := chaos.BuildBinaries(ctx, dir, false); err != nil {
			fmt.Fprintf(stderr, "fluvio-chaos: %v\n", err)
			return 2
		}
		cfg.BinDir = dir
	}
	if cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "fluvio-chaos-")
		if err != nil {
			fmt.Fprintf(stderr, "fluvio-chaos: %v\n", err)
			return 2
		}
		cfg.Dir = dir
	}
	res, err := chaos.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "fluvio-chaos: %v\nprocess logs: %s/logs\n", err, cfg.Dir)
		return 2
	}
	bad := !res.OK()
	negative := cfg.Negative || cfg.NegativeResend
	if negative {
		bad = !bad
	}
	if bad || keep {
		for _, p := range res.Problems {
			fmt.Fprintf(stderr, "  %s\n", p)
		}
		fmt.Fprintf(stderr, "data and process logs kept in %s (rerun with --seed %d)\n", cfg.Dir, cfg.Seed)
	} else {
		os.RemoveAll(cfg.Dir)
	}
	if bad {
		if negative {
			fmt.Fprintln(stderr, "fluvio-chaos: negative control saw no loss: the checker (or the fault) is not doing its job")
		}
		return 1
	}
	return 0
}
