// Package limits probes the machine's own limits, on 127.0.0.1 and in a
// temporary directory, so that every benchmark figure can be set against
// what the hardware allows in the same run: sequential write bandwidth,
// fsync rate for 4 KiB appends, loopback TCP single-stream bandwidth and
// TCP ping-pong latency.
package limits
