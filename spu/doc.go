// Package spu is one Streaming Processing Unit: it registers with the SC
// over NATS, heartbeats, applies the replica set the SC wants, and serves
// produce, fetch and replication over TCP from a wal.Log per replica.
//
// It may import bus, spu/wire, spu/replica, spu/fetcher and wal; it never
// imports sc, cli or fluvio.
package spu
