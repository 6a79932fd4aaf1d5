// Package wal is the segmented write-ahead log that holds one partition
// replica. It knows nothing of NATS, the SC or SPU roles.
//
// It imports nothing of ours but wal/batch and wal/vfs.
package wal
