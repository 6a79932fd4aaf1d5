// Package benchtest helps the benchmark packages' tests: it builds the
// binaries a run needs (bench-nats-server, bench-worker, sc-server,
// spu-server, fluvio) once per test binary into a temporary directory,
// and Main, their TestMain (the directory removed, goleak).
package benchtest
