// Package sc is the Streaming Controller: it keeps cluster metadata (SPUs,
// topics, partitions, leaders, ISR, epochs) in a JetStream KV bucket, serves
// the admin API as the NATS micro service "fluvio-sc", tracks SPU liveness
// from heartbeats and pushes each SPU its desired replicas.
//
// It may import bus and sc/placement; it never imports spu, cli or fluvio.
package sc
