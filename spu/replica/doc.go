// Package replica holds one partition replica's replication state around a
// wal.Log: role, leader epoch, high watermark, follower end offsets and ISR.
//
// [State] is the pure state machine (no I/O, no clock): the leader's HW
// and ISR rules and epoch fencing, driven by script tests and a rapid
// property test. [TruncationOffset] is the follower's KIP-101/KIP-279
// truncation rule.
//
// [Replica] puts a State and a wal.Log behind locks (role, then state,
// then the log's own) and gives the SPU its operations: Append and Commit
// for produce (acks none, leader, all), ReadCommitted for consumers (below
// the HW), ReadForFollower and EndOffsetForEpoch on a leader,
// Reconcile and AppendFromLeader on a follower, NextISR / ISRCommitted for
// ISR proposals, and an HW checkpoint beside the log. Its refusals and
// failures are *Error values with a Kind; package spu turns each kind into
// the wire error code and the next step the client gets (spu/errors.go).
//
// [Producers] is the idempotent producers' state of a partition (producer
// id → epoch and the last 5 runs of stored sequences with their offsets,
// bounded): Append checks idempotent batches against it (a retry of
// stored batches is answered with their original offsets and appends
// nothing; a gap is OutOfOrderSequence), followers keep it as they copy
// the log, and it is rebuilt from the log when the replica opens (from the
// snapshot a clean Close writes, plus the log after it) and after a
// truncation, before the replica accepts a produce as leader.
//
// It may import wal and wire.
package replica
