// Package vfs is the filesystem seam of the WAL: the OS filesystem and an
// in-memory crashable filesystem for crash tests. It imports nothing of ours.
package vfs
