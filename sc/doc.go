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
// It may import bus and sc/placement; it never imports spu, cli or fluvio.
package sc
