// Package fluvio is the Go client library: Connect to a cluster through its
// Streaming Controller (SC), administer topics, and produce to and consume
// from partition leaders over the SPU data-plane protocol.
//
// It may import bus, spu/wire and wal/batch; it never imports the server
// packages sc or spu, nor cli.
package fluvio
