// Package runner drives the side-by-side benchmarks: for each repetition it
// probes the machine's limits, then runs every workload against each
// System in turn (peer, ours, peer, ours, ...), each on freshly started
// server processes, with producers and consumers in bench-worker
// processes, and collects the samples the report turns into medians.
package runner
