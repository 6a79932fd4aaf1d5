// Package bench holds the shared vocabulary of the side-by-side benchmarks
// (bench/README.md): the System a benchmark runs against (embedded NATS JetStream,
// our own cluster), the Driver that a worker process uses to talk to it,
// the Spec of one measured run and the Figures it returns.
//
// The orchestrator (cmd/fluvio-bench) starts each system's servers as
// separate processes, runs every producer and consumer in its own worker
// process (cmd/bench-worker) and reports medians of interleaved runs next
// to the machine's limits (package limits). Package runner drives the
// workloads; package report turns samples into the table and the CSV.
package bench
