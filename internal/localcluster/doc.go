// Package localcluster is the one supervisor of local clusters: the
// sc-server and spu-server processes of a cluster on one machine, their
// PIDs, logs, ports and readiness. The fluvio CLI's 'cluster' commands,
// the chaos harness, the benchmarks and the end-to-end tests all start
// their processes through it.
//
// Two modes of process:
//
//   - Detached (Record, StartDetached): the process runs in its own
//     session and outlives its starter; it is found again by PID from a
//     state file (State, cluster.json) and only signalled while its
//     /proc/PID/cmdline is still the one recorded. 'fluvio cluster start'
//     and 'stop' use these.
//   - Owned (Process): a child of the caller, killed by the kernel if the
//     caller dies (Linux), waited for by a goroutine the Process owns, and
//     started again, paused (SIGSTOP), resumed (SIGCONT), killed or
//     stopped (SIGTERM, then SIGKILL after a grace) by PID. The chaos
//     harness, the benchmarks and the tests use these; Cluster runs a
//     whole cluster of them.
//
// Ports follow a fixed plan counted from the SC's port (Plan: 9003 for
// the SC, 9010-9012 for SPU 5001, ...), below the kernel's ephemeral
// range. A taken port is reported as a *PortInUseError naming the
// process that holds it; callers that may go elsewhere ask FreePlan for
// a plan whose ports are all free.
//
// Readiness (WaitReady) polls each SC's and each SPU's /readyz and each
// SPU's public port, and fails at once, with the end of its log, when a
// process exits while starting.
//
// One concept per file:
//
//	ports.go      Plan: the fixed port plan; FreePlan for callers that may go elsewhere
//	portcheck.go  PortFree, Holder (which process holds a port), PortInUseError
//	command.go    SCCommand, SPUCommand: the servers' command lines
//	detached.go   Record, StartDetached, Record.Stop: processes that outlive their starter
//	owned.go      Process: child processes (start again, pause, resume, kill, stop)
//	orphan_*.go   the kernel kills owned processes whose owner died (Linux)
//	logs.go       log files (dated start lines, rotation) and their tails
//	ready.go      ProbeReady, Check, WaitReady
//	state.go      State (cluster.json), Lock (.lock) of a detached cluster
//	cluster.go    Cluster: an owned cluster of SCs and SPUs with its admin client
//
// fluviotest runs the servers in-process and cannot import this package
// (it depends on the client library, which fluviotest's own tests
// import); it needs no ports of the plan, since it hands the servers
// listeners it opened.
package localcluster
