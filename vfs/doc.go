// Package vfs is the filesystem seam of the WAL. It imports nothing of
// ours.
//
//   - Default is the operating system (package os). Files opened for
//     writing append (O_APPEND); File.Sync is fsync; a directory opened
//     with OpenDir syncs its entries.
//
// Helpers: SyncDir, WriteFileAtomic (temp file, fsync, rename, fsync dir)
// and ReadFile with a size limit.
//
// The filesystems for tests live in their own package, vfs/vfstest (as
// pebble keeps vfs/errorfs): a crashable in-memory filesystem, an
// error-injecting wrapper, and TestFS, the check every FS must pass.
package vfs
