// Package vfs is the filesystem seam of the WAL: the OS filesystem and an
// in-memory crashable filesystem for crash tests. It imports nothing of
// ours.
//
//   - Default is the operating system (package os). Files opened for
//     writing append (O_APPEND); File.Sync is fsync; a directory opened
//     with OpenDir syncs its entries.
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
//
// Helpers: SyncDir, WriteFileAtomic (temp file, fsync, rename, fsync dir)
// and ReadFile with a size limit.
package vfs
