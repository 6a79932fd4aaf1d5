// Package pprofhttp mounts the Go runtime's profiles (net/http/pprof) on a
// server's own mux, for the servers' --pprof flag: CPU, heap, allocation
// and goroutine profiles for benchmarks and diagnosis. heap?gc=1 runs a
// garbage collection first (the benchmark reads idle memory after one).
// Off by default: profiles expose the process's internals, so serve them
// only on an operational address that only operators reach.
package pprofhttp
