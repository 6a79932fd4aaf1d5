package jetstream

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/fluvio-go/fluvio/bench"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Driver is the worker side: it connects to the Instance's URL with
// nats.go. The zero value is ready to use.
type Driver struct{}

var _ bench.Driver = Driver{}

func connect(s bench.Spec, opts ...jetstream.JetStreamOpt) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(s.Addr, nats.Name("bench-worker"))
	if err != nil {
		return nil, nil, fmt.Errorf("jetstream: connect %s: %w", s.Addr, err)
	}
	js, err := jetstream.New(nc, opts...)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}

func payload(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// window is a FIFO of unacknowledged publishes, bounded by count and bytes.
type window struct {
	futs       []jetstream.PubAckFuture
	head, n    int
	bytes, max int
	recSize    int
}

// waitOldest blocks until the oldest publish is acknowledged.
func (w *window) waitOldest(ctx context.Context) error {
	f := w.futs[w.head]
	w.futs[w.head] = nil
	w.head = (w.head + 1) % len(w.futs)
	w.n--
	w.bytes -= w.recSize
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return fmt.Errorf("jetstream: publish: %w", err)
	case <-ctx.Done():
		return fmt.Errorf("jetstream: publish: %w", ctx.Err())
	}
}

func (w *window) push(f jetstream.PubAckFuture) {
	w.futs[(w.head+w.n)%len(w.futs)] = f
	w.n++
	w.bytes += w.recSize
}

// Produce implements bench.Driver with PublishAsync, at most MaxInFlight
// records and MaxInFlightBytes bytes unacknowledged (at least one).
// With s.PublishMode set it publishes in that batch mode instead
// (batch.go).
func (Driver) Produce(ctx context.Context, s bench.Spec) (bench.Figures, error) {
	var f bench.Figures
	switch s.PublishMode {
	case bench.PublishDefault:
	case bench.PublishFast, bench.PublishAtomic:
		nc, err := nats.Connect(s.Addr, nats.Name("bench-worker"))
		if err != nil {
			return f, fmt.Errorf("jetstream: connect %s: %w", s.Addr, err)
		}
		defer nc.Close()
		if s.PublishMode == bench.PublishFast {
			return produceFast(ctx, nc, s)
		}
		return produceAtomic(ctx, nc, s)
	default:
		return f, fmt.Errorf("jetstream: unknown publish mode %q (%q, %q or %q)", s.PublishMode, bench.PublishDefault, bench.PublishFast, bench.PublishAtomic)
	}
	maxN := max(1, s.MaxInFlight)
	nc, js, err := connect(s, jetstream.WithPublishAsyncMaxPending(maxN))
	if err != nil {
		return f, err
	}
	defer nc.Close()
	subjects := make([]string, max(1, s.Partitions))
	for i := range subjects {
		subjects[i] = Subject(s.Topic, i)
	}
	data := payload(s.RecordSize)
	w := &window{futs: make([]jetstream.PubAckFuture, maxN), max: s.MaxInFlightBytes, recSize: s.RecordSize}
	start := time.Now()
	var sent int
	for s.More(sent, start) {
		for w.n >= maxN || (w.n > 0 && w.bytes+s.RecordSize > w.max) {
			if err := w.waitOldest(ctx); err != nil {
				return f, err
			}
		}
		fut, err := js.PublishAsync(subjects[sent%len(subjects)], data)
		if err != nil {
			return f, fmt.Errorf("jetstream: publish: %w", err)
		}
		w.push(fut)
		sent++
	}
	for w.n > 0 {
		if err := w.waitOldest(ctx); err != nil {
			return f, err
		}
	}
	f.Elapsed = time.Since(start)
	f.Records = int64(sent)
	f.Bytes = int64(sent) * int64(s.RecordSize)
	f.Throughput()
	return f, nil
}

// Consume implements bench.Driver with one ordered consumer per partition,
// delivering from the first message.
func (Driver) Consume(ctx context.Context, s bench.Spec) (bench.Figures, error) {
	var f bench.Figures
	nc, js, err := connect(s)
	if err != nil {
		return f, err
	}
	defer nc.Close()
	var n, bytes atomic.Int64
	done := make(chan struct{})
	target := int64(s.Records)
	start := time.Now()
	for i := range max(1, s.Partitions) {
		cons, err := js.OrderedConsumer(ctx, StreamName(s.Topic, i), jetstream.OrderedConsumerConfig{})
		if err != nil {
			return f, fmt.Errorf("jetstream: ordered consumer: %w", err)
		}
		cc, err := cons.Consume(func(m jetstream.Msg) {
			bytes.Add(int64(len(m.Data())))
			if n.Add(1) == target {
				close(done)
			}
		})
		if err != nil {
			return f, fmt.Errorf("jetstream: consume: %w", err)
		}
		defer cc.Stop()
	}
	timer := time.NewTimer(s.Duration)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	case <-ctx.Done():
		return f, fmt.Errorf("jetstream: consume: %w", ctx.Err())
	}
	f.Elapsed = time.Since(start)
	f.Records = min(n.Load(), target)
	f.Bytes = bytes.Load()
	if f.Records == 0 {
		return f, errors.New("jetstream: consume: no message received")
	}
	f.Throughput()
	return f, nil
}

// Latency implements bench.Driver: first publish->ack with a synchronous
// publish, then publish->delivery to an ordered consumer (new messages
// only), one message in flight each, on partition 0.
func (Driver) Latency(ctx context.Context, s bench.Spec) (bench.Figures, error) {
	var f bench.Figures
	nc, js, err := connect(s)
	if err != nil {
		return f, err
	}
	defer nc.Close()
	subject := Subject(s.Topic, 0)
	data := payload(s.RecordSize)
	warmup := min(100, s.Records/10)

	acks := make([]time.Duration, 0, s.Records)
	deadline := time.Now().Add(s.Duration)
	for i := 0; i < s.Records+warmup && time.Now().Before(deadline); i++ {
		t := time.Now()
		if _, err := js.Publish(ctx, subject, data); err != nil {
			return f, fmt.Errorf("jetstream: publish: %w", err)
		}
		if i >= warmup {
			acks = append(acks, time.Since(t))
		}
	}

	cons, err := js.OrderedConsumer(ctx, StreamName(s.Topic, 0), jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return f, fmt.Errorf("jetstream: ordered consumer: %w", err)
	}
	got := make(chan time.Time, 1)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case got <- time.Now():
		default:
		}
	})
	if err != nil {
		return f, fmt.Errorf("jetstream: consume: %w", err)
	}
	defer cc.Stop()
	e2e := make([]time.Duration, 0, s.Records)
	deadline = time.Now().Add(s.Duration)
	for i := 0; i < s.Records+warmup && time.Now().Before(deadline); i++ {
		t := time.Now()
		fut, err := js.PublishAsync(subject, data)
		if err != nil {
			return f, fmt.Errorf("jetstream: publish: %w", err)
		}
		var at time.Time
		select {
		case at = <-got:
		case <-time.After(5 * time.Second):
			return f, errors.New("jetstream: e2e: message not delivered within 5 s")
		case <-ctx.Done():
			return f, fmt.Errorf("jetstream: e2e: %w", ctx.Err())
		}
		select {
		case <-fut.Ok():
		case err := <-fut.Err():
			return f, fmt.Errorf("jetstream: publish: %w", err)
		case <-ctx.Done():
			return f, fmt.Errorf("jetstream: e2e: %w", ctx.Err())
		}
		if i >= warmup {
			e2e = append(e2e, at.Sub(t))
		}
	}
	if len(acks) == 0 || len(e2e) == 0 {
		return f, errors.New("jetstream: latency: no samples")
	}
	f.Records = int64(len(acks) + len(e2e))
	f.Set(bench.AckP50us, bench.Micros(bench.Percentile(acks, 0.50)))
	f.Set(bench.AckP99us, bench.Micros(bench.Percentile(acks, 0.99)))
	f.Set(bench.E2EP50us, bench.Micros(bench.Percentile(e2e, 0.50)))
	f.Set(bench.E2EP99us, bench.Micros(bench.Percentile(e2e, 0.99)))
	f.Set("samples", float64(len(acks)))
	return f, nil
}
