package ours

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/bench"
)

// Name is the system's name in reports and on the worker command line.
const Name = "ours"

// ready reports whether Driver can run: it can since package fluvio
// (Connect, Producer, Consumer) landed.
func ready() error { return nil }

// Driver is the worker side of ours, built on package fluvio: s.Addr is
// the SC address given to fluvio.Connect.
type Driver struct{}

var _ bench.Driver = Driver{}

func connect(ctx context.Context, s bench.Spec) (*fluvio.Client, error) {
	cl, err := fluvio.Connect(ctx, s.Addr, fluvio.WithName("bench-worker"))
	if err != nil {
		return nil, fmt.Errorf("ours: connect %s: %w", s.Addr, err)
	}
	return cl, nil
}

func acks(a bench.Acks) fluvio.Acks {
	if a == bench.AcksAll {
		return fluvio.AcksAll
	}
	return fluvio.AcksLeader
}

func payload(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// Produce implements bench.Driver: one producer, records without a key
// (round-robin over the partitions), at most s.MaxInFlight records and
// s.MaxInFlightBytes bytes unacknowledged (WithMaxBuffered), the client's
// default linger and batch size; the clock stops when Flush returns.
func (Driver) Produce(ctx context.Context, s bench.Spec) (f bench.Figures, err error) {
	cl, err := connect(ctx, s)
	if err != nil {
		return f, err
	}
	defer func() { err = errors.Join(err, cl.Close()) }()
	p, err := cl.Producer(s.Topic, fluvio.WithAcks(acks(s.Acks)), fluvio.WithMaxBuffered(max(1, s.MaxInFlight), max(s.RecordSize, s.MaxInFlightBytes)))
	if err != nil {
		return f, fmt.Errorf("ours: producer: %w", err)
	}
	defer func() { err = errors.Join(err, p.Close()) }()
	data := payload(s.RecordSize)
	start := time.Now()
	var sent int
	for s.More(sent, start) {
		if err := p.Send(ctx, nil, data); err != nil {
			return f, fmt.Errorf("ours: send: %w", err)
		}
		sent++
	}
	if err := p.Flush(ctx); err != nil {
		return f, fmt.Errorf("ours: flush: %w", err)
	}
	f.Elapsed = time.Since(start)
	f.Records = int64(sent)
	f.Bytes = int64(sent) * int64(s.RecordSize)
	f.Throughput()
	return f, nil
}

// Consume implements bench.Driver: one consumer from the beginning of
// partition 0 (every partition if there are several) until s.Records
// records arrived or s.Duration passed.
func (Driver) Consume(ctx context.Context, s bench.Spec) (f bench.Figures, err error) {
	cl, err := connect(ctx, s)
	if err != nil {
		return f, err
	}
	defer func() { err = errors.Join(err, cl.Close()) }()
	opts := []fluvio.ConsumerOption{fluvio.FromBeginning()}
	if s.Partitions <= 1 {
		opts = append(opts, fluvio.WithPartition(0))
	}
	start := time.Now()
	c, err := cl.Consumer(s.Topic, opts...)
	if err != nil {
		return f, fmt.Errorf("ours: consumer: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, s.Duration)
	defer cancel()
	target := int64(s.Records)
	for rec, err := range c.Records(rctx) {
		if err != nil {
			if rctx.Err() != nil && ctx.Err() == nil {
				break // the time bound
			}
			return f, fmt.Errorf("ours: consume: %w", err)
		}
		f.Records++
		f.Bytes += int64(len(rec.Value))
		if f.Records >= target {
			break
		}
	}
	f.Elapsed = time.Since(start)
	if f.Records == 0 {
		return f, errors.New("ours: consume: no record received")
	}
	f.Throughput()
	return f, nil
}

// Latency implements bench.Driver: SendSync with acks=leader, one record
// in flight, for produce->ack; then, with a consumer from the end of
// partition 0 already waiting in a fetch, the time from SendSync's start
// to the consumer receiving the record.
func (Driver) Latency(ctx context.Context, s bench.Spec) (f bench.Figures, err error) {
	cl, err := connect(ctx, s)
	if err != nil {
		return f, err
	}
	defer func() { err = errors.Join(err, cl.Close()) }()
	p, err := cl.Producer(s.Topic, fluvio.WithAcks(fluvio.AcksLeader), fluvio.WithPartitioner(partitionZero{}))
	if err != nil {
		return f, fmt.Errorf("ours: producer: %w", err)
	}
	defer func() { err = errors.Join(err, p.Close()) }()
	data := payload(s.RecordSize)
	warmup := min(100, s.Records/10)

	acksLat := make([]time.Duration, 0, s.Records)
	deadline := time.Now().Add(s.Duration)
	for i := 0; i < s.Records+warmup && time.Now().Before(deadline); i++ {
		t := time.Now()
		if _, err := p.SendSync(ctx, nil, data); err != nil {
			return f, fmt.Errorf("ours: send: %w", err)
		}
		if i >= warmup {
			acksLat = append(acksLat, time.Since(t))
		}
	}

	c, err := cl.Consumer(s.Topic, fluvio.WithPartition(0), fluvio.FromEnd())
	if err != nil {
		return f, fmt.Errorf("ours: consumer: %w", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	got := make(chan time.Time, 1)
	done := make(chan error, 1)
	go func() { // the consumer; ends when cctx is cancelled
		for _, err := range c.Records(cctx) {
			if err != nil {
				if cctx.Err() != nil {
					err = nil
				}
				done <- err
				return
			}
			select {
			case got <- time.Now():
			default:
			}
		}
		done <- nil
	}()
	defer func() {
		cancel()
		if cerr := <-done; cerr != nil {
			err = errors.Join(err, fmt.Errorf("ours: consumer: %w", cerr))
		}
	}()
	// The consumer starts at the end of the log once its first fetch is
	// answered: send until it sees a record, so no sample waits for that.
	for seen := false; !seen; {
		if _, err := p.SendSync(ctx, nil, data); err != nil {
			return f, fmt.Errorf("ours: send: %w", err)
		}
		select {
		case <-got:
			seen = true
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return f, fmt.Errorf("ours: e2e: %w", ctx.Err())
		}
		if !seen && time.Now().After(deadline.Add(s.Duration)) {
			return f, errors.New("ours: e2e: the consumer received nothing")
		}
	}
	// A probe that arrived late must not count as the next sample's.
	if err := pause(ctx, 50*time.Millisecond); err != nil {
		return f, err
	}
	select {
	case <-got:
	default:
	}
	e2e := make([]time.Duration, 0, s.Records)
	deadline = time.Now().Add(s.Duration)
	for i := 0; i < s.Records+warmup && time.Now().Before(deadline); i++ {
		t := time.Now()
		if _, err := p.SendSync(ctx, nil, data); err != nil {
			return f, fmt.Errorf("ours: send: %w", err)
		}
		var at time.Time
		select {
		case at = <-got:
		case <-time.After(5 * time.Second):
			return f, errors.New("ours: e2e: record not delivered within 5 s")
		case <-ctx.Done():
			return f, fmt.Errorf("ours: e2e: %w", ctx.Err())
		}
		if i >= warmup {
			e2e = append(e2e, at.Sub(t))
		}
	}
	if len(acksLat) == 0 || len(e2e) == 0 {
		return f, errors.New("ours: latency: no samples")
	}
	f.Records = int64(len(acksLat) + len(e2e))
	f.Set(bench.AckP50us, bench.Micros(bench.Percentile(acksLat, 0.50)))
	f.Set(bench.AckP99us, bench.Micros(bench.Percentile(acksLat, 0.99)))
	f.Set(bench.E2EP50us, bench.Micros(bench.Percentile(e2e, 0.50)))
	f.Set(bench.E2EP99us, bench.Micros(bench.Percentile(e2e, 0.99)))
	f.Set("samples", float64(len(acksLat)))
	return f, nil
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ours: %w", ctx.Err())
	}
}

// partitionZero sends every record to partition 0, where the latency
// consumer waits.
type partitionZero struct{}

func (partitionZero) Partition(key []byte, n int32) int32 { return 0 }
