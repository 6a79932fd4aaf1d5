// Package jetstream is the peer of the benchmarks: NATS JetStream, run as a
// separate nats-server process (cmd/bench-nats-server) with file storage,
// default sync or sync_interval: always, on 127.0.0.1 and a random port.
//
// System and Instance are the orchestrator's side (start, create streams,
// stop by PID); Driver is the worker's side (nats.go jetstream: async
// publish with a bounded window, ordered consumer, one-in-flight latency).
// A partition of ours is a stream here: Layout{Topic: "t", Partitions: K}
// becomes streams t-0 .. t-(K-1) on subjects t.0 .. t.(K-1).
package jetstream
