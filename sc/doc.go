// Package sc is the Streaming Controller: it keeps cluster metadata (SPUs,
// topics, partitions, leaders, ISR, epochs) in a JetStream KV bucket, serves
// the admin API as the NATS micro service "fluvio-sc", tracks SPU liveness
// from heartbeats and pushes each SPU its desired replicas.
//
// Start it with Start (or Run, which blocks until its context ends):
//
//	s, err := sc.Start(ctx, sc.Config{Addr: "127.0.0.1:9003", DataDir: dir})
//	defer s.Close()
//
// With Config.NATSURL it uses an existing NATS (JetStream enabled) instead
// of embedding one. DESIGN.md beside this file describes the goroutines,
// the lock order, the KV layout and the register, heartbeat, liveness and
// reconcile paths; bus/SUBJECTS.md the subjects and payloads.
//
// Operations: with Config.HTTPAddr (--http) the SC serves /livez, /readyz
// (200 once started, connected to NATS, the micro service up and the KV
// bucket answering) and /metrics from a Prometheus registry of its own
// (metrics.go): SPUs online and offline, each SPU's liveness and heartbeat
// age, topics, partitions, partitions whose leader is offline or whose ISR
// is smaller than their replica set, ISR size per partition, and requests
// and errors by micro endpoint and bus error code.
//
// It may import bus and sc/placement; it never imports spu, cli or fluvio.
package sc
