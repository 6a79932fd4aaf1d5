// Package cli is the fluvio command tree (pflag), its printers
// (-O table|yaml|json) and profiles. It reaches the cluster only through the
// client library (package fluvio: its admin API for the SC, producers and
// consumers for the SPUs); it never imports bus, wire, sc, spu or wal.
//
// # Entry point
//
// cli/cmd/fluvio's main calls Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
// and exits with the code it returns.
//
// # Command tree
//
// Each file registers its command or command group from init():
//
//	register(name, summary string, run RunFunc)          // a top-level leaf: "version", "produce"
//	registerGroup(name, summary string, sub ...*command) // a group: "topic", "spu", "cluster"
//	leaf(name, summary, run, aliases...)                  // a subcommand of a group
//
// A command has the signature (RunFunc)
//
//	func runProduce(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int
//
// args are the words after the command path; the command parses them with
// its own pflag.FlagSet (ContinueOnError), made and parsed like this:
//
//	fs := g.newFlagSet(help{Usage: "fluvio produce TOPIC [flags]", Short: "...", Examples: "..."}, true)
//	n := fs.IntP("partition", "p", 0, "...")       // the command's own flags
//	out := addOutputFlag(fs.FlagSet)                // -O table|yaml|json, if it prints objects
//	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
//		return code // --help was printed (0) or a usage error (2)
//	}
//	t, err := g.resolveTarget()   // the SC address: t.Addr (HOST:PORT or a NATS URL)
//	a, err := g.admin(ctx)        // or a *fluvio.Client for admin calls, with a clear error;
//	                              // then a.CreateTopic(ctx, ...), a.ListSPUs(ctx), ...
//	if err != nil {
//		return g.fail(stderr, err) // prints "error: ..." and "next: ..." and returns the exit code
//	}
//
// With target=true the flag set has -c/--sc and -P/--profile bound to g.
// Errors are printed by g.fail: "error: <what went wrong>" then
// "next: <what to do>"; wrap an error with withHint(err, exitCode, hint) to
// give it a next step. The SC's error replies (*fluvio.SCError) keep their
// Message and Hint.
//
// # Target SC
//
// The SC address comes from, in order: -c/--sc or -P/--profile (given
// together they are a usage error), $FLUVIO_SC, the current profile,
// DefaultSC (127.0.0.1:9003).
//
// # Profiles file
//
// ~/.fluvio/config ($FLUVIO_CONFIG, else Fluvio's $FLV_PROFILE_PATH,
// overrides the path) is Fluvio's TOML (profile_toml.go), read as Fluvio
// writes it and written keeping every key we do not use (tls, a profile's
// topic); a YAML file of earlier versions is converted once (backup:
// .yaml.bak):
//
//	version = "2.0"
//	current_profile = "local"
//	[profile.local]
//	cluster = "local"
//	[cluster.local]
//	endpoint = "127.0.0.1:9003"
//	[cluster.local.tls]
//	tls_policy = "disabled"
//
// 'fluvio profile add|switch|rename|delete' edit it (written atomically:
// temp file, fsync, rename); 'fluvio cluster start' adds and switches to
// "local".
//
// # Output
//
// Every list and describe command takes -O table|yaml|json. JSON and YAML
// print objects shaped like Fluvio's metadata, {"name", "spec", "status"},
// with camelCase keys; lists are arrays (an empty list is []). A table
// with no rows prints its header, and a hint on stderr.
//
// # Local cluster
//
// 'fluvio cluster start' (cluster_start.go) runs sc-server and N
// spu-server processes in the background, each in its own session so a
// terminal's Ctrl-C does not reach them, with their output appended to log
// files. Everything lives in one data directory (--data-dir, else the
// current profile's localDir, else ~/.fluvio/local):
//
//	cluster.json     addresses, SPU ids and ports, and each process's PID and argv
//	.lock            flock(2)ed while a cluster command changes the cluster
//	sc/              the SC's JetStream store (all metadata)
//	spu-<id>/        each SPU's replica logs
//	logs/*.log       process output (rotated at 16 MiB on start)
//
// A recorded PID is trusted only while /proc/PID/cmdline equals the
// recorded argv, so stop never signals a process that reused the PID.
// start is idempotent: it starts what is not running, registers SPUs as
// managed (ids 5001...), waits until every SC's /readyz answers 200 and
// the SC lists every SPU online (a restarted SPU must show a new
// incarnation) with its /readyz 200 and its public port open, and writes the "local" profile. stop
// sends SIGTERM (SIGKILL after --grace) to the SPUs, then the SC, and keeps
// the data. delete stops and removes the directory, only if it holds a
// cluster.json. check asks the client library for the KV bucket's health
// (fluvio.Client.CheckMetadataStore).
//
// Processes, PIDs, logs, ports and readiness are internal/localcluster's,
// the one local-cluster supervisor (chaos, bench and the e2e tests use it
// too).
// Ports follow a fixed plan from the SC's (localcluster.Plan: SC 9003, SPU
// 5001 on 9010/9011, 5002 on 9020/9021, ...), outside the kernel's
// ephemeral range; an SPU of an older cluster whose port is taken moves to
// its planned ports (registered again), and a taken planned port is an
// error naming the process that holds it.
//
// Every process gets --http on its planned port (SC 9008, SPU 5001 9012,
// ...), or a free one when that is taken, at each start of the process,
// kept in cluster.json (scHTTP, spus[].http): it serves
// /metrics (Prometheus), /livez and /readyz. status shows the /readyz
// answer (READY) and the /metrics URL of each process (-O json: all three
// URLs); check requires /readyz 200 from each process of a local cluster
// and reports partitions without an online leader (fail) or with an ISR
// smaller than their replicas (warn).
//
// # Completion
//
// 'fluvio completion bash|zsh|fish' prints a script that calls the hidden
// 'fluvio __complete WORDS... CURRENT' (completion.go). It walks the
// command tree, reads a leaf's flags from its --help, and asks the SC for
// topic names (one-second budget) and the profiles file for profile names.
//
// # Exit codes
//
//	0 success
//	1 other failure
//	2 usage: bad flags or arguments, invalid names
//	3 not found (topic, SPU, profile)
//	4 conflict (already exists, not enough SPUs, cluster already running)
//	5 unavailable (SC, NATS or SPU unreachable)
//	6 permission denied by NATS
package cli
