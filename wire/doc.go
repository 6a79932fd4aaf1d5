// Package wire is the binary TCP protocol between clients and SPUs and
// between SPUs: length-prefixed frames, one file per API, and the error
// code table. PROTOCOL.md beside this file gives the byte layouts and what
// happens on every failure.
//
// Clients use [Dial] and the typed calls of [Conn] (Produce, Fetch,
// ListOffsets, EpochEndOffset, APIVersions); a Conn pipelines requests
// from many goroutines over one TCP connection. Servers use [Serve] or
// [ServeConn] with a [Handler]; record batches travel as raw batch
// bytes and are never re-encoded.
//
//	request  frame: size int32 | api key int16 | api version int16 | correlation id int32 | payload
//	response frame: size int32 | correlation id int32 | error code int16 | payload
//
// It may import batch only.
package wire
