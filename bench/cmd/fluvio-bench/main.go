// Command fluvio-bench runs the side-by-side benchmarks (bench/README.md): the
// machine's limits, NATS JetStream (a separate nats-server process) and our
// cluster (sc-server and spu-server processes), interleaved, median of
// Reps runs, producers and consumers in separate bench-worker processes.
// It prints what it will run with an estimate of the time, then the table,
// and writes it under --out as CSV and Markdown (by default outside the
// repository, so a run leaves git status clean). With --record README it
// also replaces the results section of that README (between the
// "<!-- bench:results -->" markers) with this run's table, its commit and
// the command that made it (make bench RECORD=1).
//
//	fluvio-bench --mode quick --out /tmp/fluvio-bench --only limits,jetstream,ours
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fluvio-go/fluvio/bench"
	"github.com/fluvio-go/fluvio/bench/jetstream"
	"github.com/fluvio-go/fluvio/bench/ours"
	"github.com/fluvio-go/fluvio/bench/report"
	"github.com/fluvio-go/fluvio/bench/runner"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fluvio-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	modeName := flag.String("mode", "quick", "quick (under 2 minutes), full (make bench) or tiny (smoke)")
	out := flag.String("out", filepath.Join(os.TempDir(), "fluvio-bench"), "directory for the CSV and Markdown results")
	record := flag.String("record", "", "also write this run's table into the results section of this README (make bench RECORD=1)")
	command := flag.String("command", "", "the command to show in the recorded README section (default: this command line)")
	only := flag.String("only", "limits,jetstream,ours", "comma-separated subset of limits, jetstream, ours")
	binDir := flag.String("bin", "bin", "directory holding bench-worker, bench-nats-server, sc-server, spu-server, fluvio")
	work := flag.String("work", "", "directory for servers' data and logs (default: a new temporary directory, removed after)")
	workloads := flag.String("workloads", "", "comma-separated name prefixes of the workloads to run (w1-, durable, replicated, latency, partitions-); default all")
	profile := flag.String("profile", "", "write CPU and allocation profiles of every worker and server process during each run into this directory")
	reps := flag.Int("reps", 0, "repetitions per workload (default: the mode's, 3)")
	verbose := flag.Bool("v", false, "log debug details")
	flag.Parse()
	began := time.Now()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	mode, err := runner.ModeByName(*modeName)
	if err != nil {
		return err
	}
	if *reps > 0 {
		mode.Reps = *reps
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains([]string{report.Limits, report.Peer, report.Ours}, s) {
			return fmt.Errorf("--only: unknown %q (limits, jetstream, ours)", s)
		}
		want[s] = true
	}
	bin, err := filepath.Abs(*binDir)
	if err != nil {
		return fmt.Errorf("--bin: %w", err)
	}
	workDir := *work
	if workDir == "" {
		if workDir, err = os.MkdirTemp("", "fluvio-bench-"); err != nil {
			return fmt.Errorf("work dir: %w", err)
		}
		defer os.RemoveAll(workDir)
	} else if err := os.MkdirAll(workDir, 0o755); err != nil {
		return fmt.Errorf("work dir: %w", err)
	}

	var systems []bench.System
	if want[report.Peer] {
		systems = append(systems, &jetstream.System{ServerBin: filepath.Join(bin, "bench-nats-server")})
	}
	if want[report.Ours] {
		systems = append(systems, &ours.System{BinDir: bin})
	}
	r := &runner.Runner{Mode: mode, Systems: systems, WorkerBin: filepath.Join(bin, "bench-worker"),
		WorkDir: workDir, Limits: want[report.Limits], Log: log}
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			return fmt.Errorf("--profile: %w", err)
		}
		r.ProfileDir = *profile
	}
	if *workloads != "" {
		r.Workloads = strings.Split(*workloads, ",")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	plan, estimate := r.Plan()
	fmt.Printf("fluvio-bench: mode %s, %d repetitions of each workload, systems %s; per repetition:\n%s\n", mode.Name, mode.Reps, *only, strings.Join(plan, "\n"))
	fmt.Printf("estimated duration: about %s (the machine decides; every run has its own bound)\n\n", estimate.Round(time.Minute/2))
	log.Info("benchmarks starting", "mode", mode.Name, "reps", mode.Reps, "systems", *only)
	// The commit is taken before the run: the binaries were built from it,
	// and the working tree may move on while a full run lasts.
	commit := report.Describe(ctx, ".", mode.Name).Commit
	samples, err := r.Run(ctx)
	if err != nil {
		return err
	}
	machine := report.Describe(ctx, ".", mode.Name)
	machine.Commit = commit
	medians := report.Medians(samples)
	lims := runner.LimitRows()
	for i := range lims {
		lims[i].Value = medians[report.Ref{System: report.Limits, Figure: lims[i].Figure}]
	}
	lines := report.Lines(mode.Rows(), medians)
	if err := report.WriteText(os.Stdout, machine, lims, lines); err != nil {
		return err
	}
	for _, t := range mode.RepTables() {
		if err := report.WriteRepText(os.Stdout, t, samples); err != nil {
			return err
		}
	}
	markdown := func(f io.Writer) error {
		if err := report.WriteMarkdown(f, machine, lims, lines); err != nil {
			return err
		}
		for _, t := range mode.RepTables() {
			if err := report.WriteRepMarkdown(f, t, samples); err != nil {
				return err
			}
		}
		return nil
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	base := filepath.Join(*out, fmt.Sprintf("%s-%s-%s", machine.Date.Format("20060102-150405"), machine.Commit, mode.Name))
	if err := writeFile(base+".csv", func(f *os.File) error { return report.WriteCSV(f, machine, lims, lines) }); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(*out, "latest-"+mode.Name+".md"), func(f *os.File) error { return markdown(f) }); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s.csv and %s\n", base, filepath.Join(*out, "latest-"+mode.Name+".md"))
	if *record != "" {
		cmdline := *command
		if cmdline == "" {
			cmdline = strings.Join(os.Args, " ")
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Made by `%s` (%s elapsed).\n\n", cmdline, time.Since(began).Round(time.Second))
		if err := markdown(&b); err != nil {
			return err
		}
		if err := recordREADME(*record, b.String()); err != nil {
			return err
		}
		fmt.Printf("recorded the table in %s\n", *record)
	}
	return nil
}

// Markers around the results section of the README that --record rewrites.
const (
	beginMarker = "<!-- bench:results -->"
	endMarker   = "<!-- /bench:results -->"
)

// recordREADME replaces what lies between the markers in path with text.
func recordREADME(path, text string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	s := string(b)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i < 0 || j < i {
		return fmt.Errorf("--record: %s has no %q ... %q section; add the two markers where the table goes", path, beginMarker, endMarker)
	}
	s = s[:i+len(beginMarker)] + "\n\n" + text + "\n" + s[j:]
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	return nil
}

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
