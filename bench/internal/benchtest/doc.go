// Package benchtest helps the benchmark packages' tests: it builds the
// helper binaries (bench-nats-server, bench-worker) once per test binary
// into a temporary directory.
package benchtest
