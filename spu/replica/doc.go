// Package replica holds one partition replica's replication state around a
// wal.Log: role, leader epoch, high watermark, follower end offsets and ISR.
//
// It may import wal and spu/wire.
package replica
