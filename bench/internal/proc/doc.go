// Package proc starts the benchmark's server and worker processes, waits
// for them to be ready, stops them by PID and reads their memory from
// /proc. It starts no goroutine that outlives the call that started it.
package proc
