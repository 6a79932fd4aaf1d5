package ours

import (
	"context"

	"github.com/fluvio-go/fluvio/bench"
)

// Name is the system's name in reports and on the worker command line.
const Name = "ours"

// errNoDataPlane is what every operation of ours returns until package
// fluvio exists.
var errNoDataPlane = bench.NotAvailable("the data plane (package fluvio) has not landed")

// ready reports whether Driver can run. TODO(data plane): return nil once
// the methods below use package fluvio.
func ready() error { return errNoDataPlane }

// Driver is the worker side of ours. TODO(data plane): implement with
//
//	cl, err := fluvio.Connect(ctx, s.Addr)   // s.Addr is the SC address
//
// Produce: a producer on s.Topic with acks = s.Acks (leader or all),
// records of s.RecordSize round-robin over s.Partitions partitions, at most
// s.MaxInFlight records / s.MaxInFlightBytes unacknowledged, stopping at
// s.Records or s.Duration; report f.Records, f.Bytes, f.Elapsed and call
// f.Throughput().
// Consume: a consumer of partition 0 (each partition if several) from offset
// 0 until s.Records records arrived or s.Duration; same figures.
// Latency: with one record in flight, s.Records samples (after a warm-up of
// min(100, s.Records/10)) of produce->ack, then of produce->a consumer
// already blocked in a fetch receives it; set bench.AckP50us, AckP99us,
// E2EP50us, E2EP99us in microseconds (see jetstream.Driver for the shape).
type Driver struct{}

var _ bench.Driver = Driver{}

// Produce implements bench.Driver.
func (Driver) Produce(ctx context.Context, s bench.Spec) (bench.Figures, error) {
	return bench.Figures{}, errNoDataPlane
}

// Consume implements bench.Driver.
func (Driver) Consume(ctx context.Context, s bench.Spec) (bench.Figures, error) {
	return bench.Figures{}, errNoDataPlane
}

// Latency implements bench.Driver.
func (Driver) Latency(ctx context.Context, s bench.Spec) (bench.Figures, error) {
	return bench.Figures{}, errNoDataPlane
}
