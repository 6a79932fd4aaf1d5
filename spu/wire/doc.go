// Package wire is the binary TCP protocol between clients and SPUs and
// between SPUs: length-prefixed frames, one file per API, and the error
// code table. PROTOCOL.md beside this file gives the byte layouts.
//
// It may import wal/batch only.
package wire
