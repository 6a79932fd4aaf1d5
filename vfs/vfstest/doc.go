// Package vfstest holds the filesystems for tests of code on the vfs seam
// (the WAL, the replicas, the SPU), kept out of the production package.
//
//   - NewCrashableMem returns a MemFS that tracks what has been synced.
//     MemFS.CrashClone(rng, unsyncedPercent) returns a possible state after
//     a power loss: all synced data, a seeded random prefix of the unsynced
//     bytes of each file (its end possibly zeroed), and each directory
//     entry created, renamed or removed since the directory's last sync
//     kept or undone by chance. The same seed gives the same state.
//   - WithErrors wraps an FS with an Injector that fails the k-th write,
//     fsync, directory fsync, create, rename, truncate or remove, optionally
//     failing everything after it (a crash point); a failed write is torn
//     (half of it lands).
//   - TestFS checks that an FS behaves as the seam requires.
//
// It imports only vfs.
package vfstest
