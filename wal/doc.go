// Package wal is the segmented write-ahead log that holds one partition
// replica. It knows nothing of NATS, the SC or SPU roles.
//
// It imports nothing of ours but batch and vfs.
//
// # Lifecycle
//
//	l, err := wal.Open(dir, wal.Options{})       // create or recover
//	base, err := l.Append(batches)               // leader: assigns offsets
//	c, err := l.Check(batches)                   // or: validate once (one pass),
//	base, err = l.AppendChecked(c)               // then append what was checked
//	err = l.AppendReplica(batches)               // follower: keeps offsets
//	c, err := l.ReadUpTo(off, 1<<20, hw)         // whole batches below hw
//	_, err = c.WriteTo(conn); c.Close()
//	err = l.Wait(ctx, off)                       // long poll: EndOffset() > off
//	err = l.Truncate(off)                        // follower, by leader epoch
//	err = l.ApplyRetention(time.Now())           // drop old segments
//	err = l.Close()                              // or l.Remove()
//
// Every method is safe for concurrent use. Append, AppendReplica, Sync,
// Roll, Truncate and ApplyRetention block for their file operations; Read
// blocks only for the read itself; Wait blocks until data arrives.
//
// # Files
//
// A log is a directory of segments, each named by the offset of its first
// batch (20 digits) with three files:
//
//	00000000000000000000.log        the batches, exactly as produced (see below)
//	00000000000000000000.index      sparse offset index: (relOffset uint32, position uint32)
//	00000000000000000000.timeindex  sparse time index: (maxTimestamp int64, relOffset uint32)
//	00000000000000001342.log        the next segment starts at offset 1342
//	...
//	leader-epoch-checkpoint         epoch -> first offset (KIP-101), text
//	recovery-point                  end of the fsynced sealed segments (deferred rolls), text
//	00000000000000001342.log.broken a torn tail cut off at recovery, kept for inspection
//
// The last segment is the active one; it rolls when it would exceed
// Options.SegmentBytes or is older than Options.SegmentAge. Under
// SyncAlways (and Options.SyncAtRoll) the old segment and its indexes are
// fsynced, then the new segment's files are created and the directory is
// fsynced, under the log's lock, before anything is appended; under SyncInterval and SyncNever the roll only writes the old
// segment's index entries and creates the new segment, and leaves the
// fsyncs of the old segment and of the directory to the background
// goroutine, so appends go on into the new segment at once (see
// Recovery). Indexes are derived data: the active segment's entries live in
// memory until it rolls or the log closes, and every index is checked at
// open and rebuilt from the .log when missing or invalid. The
// leader-epoch file is replaced by temp file, fsync, rename, directory
// fsync, before any batch of a new epoch is written.
//
// # Durability: what Sync promises
//
// DurableOffset is the end of the prefix that has been fsynced; it is what
// the replica layer may acknowledge (acks=all, high watermark).
//
//   - SyncAlways (default): Append returns after an fsync covering its
//     batches. Concurrent Appends share one fsync (group commit), so many
//     appenders cost about one fsync per round, not one each.
//   - SyncInterval: Append returns once the batches are written (page
//     cache); a background goroutine fsyncs every Options.SyncEvery.
//   - SyncNever: only Sync and Close fsync (and the background goroutine,
//     the segments a roll sealed).
//
// Under SyncInterval and SyncNever a roll does not fsync the segment it
// seals: the background goroutine does, at once, oldest first, then
// writes the recovery point (below), and only then moves DurableOffset
// past it. Sync and Close fsync the sealed segments still waiting too.
//
// Under SyncInterval and SyncNever a goroutine also starts the writeback
// of every Options.WritebackBytes (1 MiB) appended, without waiting
// (sync_file_range WRITE, as RocksDB's bytes_per_sync): dirty pages do not
// pile up to the kernel's thresholds, where it would throttle the
// appender in write(2), and the fsync of a sealed segment finds it mostly
// written. It is a hint, not an fsync: DurableOffset moves only with one.
//
// Under every policy, Sync returns after an fsync covering everything
// appended before it. A failed write or fsync fail-stops the log: every
// later write returns ErrFailed and DurableOffset never moves again, since
// after a failed fsync the kernel may have dropped the dirty pages and a
// retried fsync can succeed without writing them (fsyncgate). Reopen the
// log to recover from what is on disk.
//
// # Recovery
//
// Open scans the active segment batch by batch (length, magic, CRC,
// offset continuity). A bad batch with nothing valid after it is a torn
// write (never acknowledged under SyncAlways): the tail is copied to a
// .broken file, cut off, and logged. A bad batch followed by a valid one,
// a bad batch in a sealed segment, or segments that do not join up, is
// corruption: an error matching IsCorrupt names the file and position, and
// the replica should be re-replicated (Delete, then fetch from the
// leader). Sealed segments are read in full at open too (CRC and offset
// continuity of every batch, their indexes kept when valid), so damage
// anywhere in the log is found before the log serves anything, at the
// cost of reading the whole log once per open (NOTES.md: about 2.5-3.7
// GB/s from the page cache, the disk's sequential read speed otherwise).
// Every batch's CRC is checked again when it is read. Options
// .TruncateAtCorruption cuts the log at the first bad batch instead (the
// bytes kept in .broken); PlanRepair says what that cut would drop.
//
// Sealed segments that a deferred roll left unsynced are the exception
// (recoverypoint.go). The file recovery-point holds R: every segment that
// ends at or below R was fsynced; it is replaced durably (temp file,
// fsync, rename, dir fsync) after the background fsync and before
// DurableOffset moves. After a power loss a sealed segment past R may be
// short or hold zeroed pages while later segments hold data (the kernel
// writes pages back in no set order), so Open scans each in full and cuts
// the log at the first damage in one: the bytes from there go to .broken,
// every later segment is removed, that segment becomes the active one,
// and TornSealed says what was cut. The last segment, when it starts at
// or past R, is cut at its first damage too, even with valid batches after
// it: it may be a sealed segment whose successor's directory entry was
// lost, or an active one whose later pages reached the disk first.
// Damage in a segment that ends at or below R stays corruption; with no
// recovery-point file (SyncAlways, SyncAtRoll, or no deferred roll yet)
// every segment is held to the rules above.
//
// # Batch header
//
// Records are stored in Kafka v2 record batches (package batch),
// big-endian; the CRC-32C covers attributes to the end, so the leader sets
// baseOffset and partitionLeaderEpoch without re-hashing:
//
//	 0               8          12            16    17      21     23               27
//	+---------------+----------+-------------+-----+-------+------+----------------+
//	| baseOffset    | batchLen | leaderEpoch |magic| crc32c| attrs| lastOffsetDelta|
//	| int64         | int32    | int32       | =2  | uint32| int16| int32          |
//	+---------------+----------+-------------+-----+-------+------+----------------+
//	 27               35               43           51      53          57          61
//	+----------------+----------------+------------+-------+-----------+-----------+---------
//	| firstTimestamp | maxTimestamp   | producerId | prodEp| baseSeq   | recordCnt | records
//	| int64 (ms)     | int64 (ms)     | int64      | int16 | int32     | int32     | varints
//	+----------------+----------------+------------+-------+-----------+-----------+---------
//	                 |<------------------- covered by crc32c (from offset 21) ------------->|
//
// batchLen counts the bytes after it (total size - 12). A batch covers
// offsets [baseOffset, baseOffset+lastOffsetDelta].
package wal
