// Package spu is one Streaming Processing Unit: it registers with the SC
// over NATS, heartbeats, applies the replica set the SC wants, and serves
// produce, fetch and replication over TCP from a wal.Log per replica.
//
// The data side (dataplane.go, replicas.go, produce.go, fetch.go, ...)
// holds one replica (spu/replica, a wal.Log each) per partition the SC
// assigns, serves clients on the public server and followers on the
// private server (spu/wire), and follows leaders (spu/fetcher). DESIGN.md
// beside this file gives its goroutines, lock order and the produce,
// fetch and replication paths.
//
// It may import bus, spu/wire, spu/replica, spu/fetcher and wal; it never
// imports sc, cli or fluvio.
package spu
