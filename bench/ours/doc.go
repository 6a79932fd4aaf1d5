// Package ours plugs our own cluster into the benchmarks: System has the
// local-cluster supervisor (internal/localcluster) start real sc-server and
// spu-server processes (bin/) and register the SPUs, and creates topics
// with the client library (fluvio.Client.CreateTopicReady, which returns
// once every partition can take a produce); Driver is the worker side, built on the
// client library (package fluvio): a producer with acks=leader or all and a
// bounded window, a consumer from offset 0, one-in-flight latency.
//
// Should the data plane become unusable in a build, make ready return an
// error wrapping bench.ErrNotAvailable: the report then prints n/a for
// every figure of ours instead of a number.
package ours
