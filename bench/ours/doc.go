// Package ours plugs our own cluster into the benchmarks: System starts real
// sc-server and spu-server processes (bin/), Driver is the worker side built
// on the client library (package fluvio).
//
// Until the data plane (package fluvio) lands, Driver returns an error
// wrapping bench.ErrNotAvailable and System.Available says so, and the
// report prints n/a for every figure of ours; nothing is estimated. To plug
// it in: implement the three Driver methods with fluvio.Connect, producers
// and consumers, make ready return nil, and fill Instance.Create (see the
// TODOs in this package).
package ours
