// Package spu is one Streaming Processing Unit: it registers with the SC
// over NATS, heartbeats, applies the replica set the SC wants, and serves
// produce, fetch and replication over TCP from a wal.Log per replica.
//
// The data side (dataplane.go, replicas.go, produce.go, fetch.go, ...)
// holds one replica (spu/replica, a wal.Log each) per partition the SC
// assigns, serves clients on the public server and followers on the
// private server (wire), and follows leaders (spu/fetcher). DESIGN.md
// beside this file gives its goroutines, lock order and the produce,
// fetch and replication paths.
//
// Operations: with Config.HTTPAddr (--http) the SPU serves /livez, /readyz
// (200 once registered with the SC and serving, while its NATS connection
// is up) and /metrics from a Prometheus registry of its own (metrics.go):
// fluvio_spu_records_in_total and _bytes_in_total per partition (acked
// produces), fluvio_spu_records_out_total and _bytes_out_total per
// partition and reader (consumer or follower), request latency by API
// (fluvio_spu_request_duration_seconds), errors by API and wire code,
// fsync latency of the replicas' logs (a timing vfs.FS, metrics_fs.go),
// and per replica its log size, log end offset, high watermark and ISR
// size. The data side records each produce and fetch answer as the
// connection's writer resolves it (produce.go, fetch.go); without --http
// nothing is recorded.
//
// It may import bus, wire, spu/replica, spu/fetcher and wal; it never
// imports sc, cli or fluvio.
package spu
