// Package fluviotest runs an in-process cluster (embedded NATS, SC and N
// SPUs, all on 127.0.0.1:0 with temporary directories) for tests and
// examples. It may import every library package of the module, but nothing
// imports it except tests.
package fluviotest
