// Command bench-worker runs one side of one benchmark run (produce,
// consume or latency) against one system, as its own process, and prints
// the bench.Figures it measured as one JSON line on stdout.
//
//	bench-worker --system jetstream --op produce --spec '{"addr":...}'
//
// An operation the system cannot run yet prints {"unavailable": "..."}
// and exits 0; any other failure exits 1 with the error on stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/fluvio-go/fluvio/bench"
	"github.com/fluvio-go/fluvio/bench/jetstream"
	"github.com/fluvio-go/fluvio/bench/limits"
	"github.com/fluvio-go/fluvio/bench/ours"
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-worker:", err)
		os.Exit(1)
	}
}

func run() error {
	system := flag.String("system", jetstream.Name, "system to drive: jetstream or ours")
	op := flag.String("op", "", "operation: produce, consume, latency, or echo (the far end of the cross-process ping-pong probe)")
	specJSON := flag.String("spec", "", "the run's bench.Spec as JSON")
	cpuProfile := flag.String("cpuprofile", "", "write the run's CPU profile here")
	memProfile := flag.String("memprofile", "", "write an allocation profile here at the end of the run")
	flag.Parse()
	if *op == "echo" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return limits.ServeEcho(ctx, os.Stdout)
	}
	spec, err := bench.UnmarshalSpec(*specJSON)
	if err != nil {
		return err
	}
	var d bench.Driver
	switch *system {
	case jetstream.Name:
		d = jetstream.Driver{}
	case ours.Name:
		d = ours.Driver{}
	default:
		return fmt.Errorf("unknown --system %q", *system)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Every run is bounded by spec.Duration; this bounds a stuck one.
	ctx, cancel := context.WithTimeout(ctx, 2*spec.Duration+30*time.Second)
	defer cancel()
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		defer func() {
			if mf, err := os.Create(*memProfile); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(mf, 0)
				mf.Close()
			}
		}()
	}
	var f bench.Figures
	switch *op {
	case "produce":
		f, err = d.Produce(ctx, spec)
	case "consume":
		f, err = d.Consume(ctx, spec)
	case "latency":
		f, err = d.Latency(ctx, spec)
	default:
		return fmt.Errorf("unknown --op %q", *op)
	}
	if errors.Is(err, bench.ErrNotAvailable) {
		f, err = bench.Figures{Unavailable: err.Error()}, nil
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", *system, *op, err)
	}
	return json.NewEncoder(os.Stdout).Encode(f)
}
