// Package replica holds one partition replica's replication state around a
// wal.Log: role, leader epoch, high watermark, follower end offsets and ISR.
//
// [State] is the pure state machine (no I/O, no clock): the leader's HW
// and ISR rules and epoch fencing, driven by table tests. [TruncationOffset]
// is the follower's KIP-101/KIP-279 truncation rule.
//
// It may import wal and spu/wire.
package replica
