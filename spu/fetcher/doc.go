// Package fetcher is the follower side of replication: one TCP connection
// per source SPU carrying many partitions, truncation by leader epoch
// (KIP-101) before fetching, and appending raw batches unchanged.
//
// It may import wire, spu/replica and wal.
package fetcher
