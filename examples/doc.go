// Package examples holds runnable programs that use the client library,
// package fluvio, and nothing else of this module:
//
//	examples/producer  send records (Send, Flush, SendSync)
//	examples/consumer  print records (all partitions or one; beginning, end or tail)
//	examples/keyed     keys, partitions and per-key order
//
// Each reads the SC address from --sc, else $FLUVIO_SC, else
// 127.0.0.1:9003, and has a test that runs it against an in-process
// cluster (fluviotest). README.md beside this file shows how to run them.
package examples
