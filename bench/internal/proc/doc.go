// Package proc starts the benchmark's peer server (through the
// local-cluster supervisor, internal/localcluster) and its worker
// processes, waits for them to be ready, stops them by PID and reads their
// memory from /proc. It starts no goroutine that outlives the call that
// started it.
package proc
