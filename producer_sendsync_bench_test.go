package fluvio

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
)

// instantPeekTransport answers every request at once and can be peeked
// (like the Client's transport), so SendSync takes its fast path: it
// measures the producer's own layer on an idle SendSync, without a
// network.
type instantPeekTransport struct{ next atomic.Int64 }

func (t *instantPeekTransport) partitions(context.Context, string) (int32, error) { return 1, nil }

func (t *instantPeekTransport) startProduce(ctx context.Context, c produceCall) func(context.Context) (int64, error) {
	w, _ := t.startProducePeek(ctx, c)
	return w.wait
}

// startProducePeek answers with one allocation, like the Client's
// transport (its *startedProduce).
func (t *instantPeekTransport) startProducePeek(_ context.Context, _ produceCall) (answerWaiter, answerPeeker) {
	a := &instantAnswer{base: t.next.Add(1) - 1}
	return a, a
}

type instantAnswer struct{ base int64 }

func (a *instantAnswer) wait(context.Context) (int64, error) { return a.base, nil }
func (a *instantAnswer) peek(context.Context) (int64, bool)  { return a.base, true }

// BenchmarkSendSyncIdle is SendSync on an idle partition (one record in
// flight, acks=leader) with a transport that answers at once: the
// producer's own CPU and allocations per round trip.
func BenchmarkSendSyncIdle(b *testing.B) {
	p, err := newProducer(context.Background(), &instantPeekTransport{}, slog.New(slog.DiscardHandler), "bench",
		[]ProducerOption{WithAcks(AcksLeader)})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	value := make([]byte, 1024)
	ctx := context.Background()
	b.ReportAllocs()
	want := int64(0)
	for b.Loop() {
		off, err := p.SendSync(ctx, nil, value)
		if err != nil {
			b.Fatal(err)
		}
		if int64(off) != want {
			b.Fatalf("offset %d, want %d", off, want)
		}
		want++
	}
}

// TestSendSyncIdleAllocs holds the producer's own layer on an idle
// SendSync to no allocation: the one counted is the transport's answer
// (the Client's *startedProduce). The outcome channel is recycled, the
// request left to the caller is a value, and the answer is its own wait
// and peek (no method values).
func TestSendSyncIdleAllocs(t *testing.T) {
	tr := &instantPeekTransport{}
	p, err := newProducer(context.Background(), tr, slog.New(slog.DiscardHandler), "t", []ProducerOption{WithAcks(AcksLeader)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	value := make([]byte, 100)
	want := Offset(0)
	send := func() {
		off, err := p.SendSync(ctx, nil, value)
		if err != nil {
			t.Fatal(err)
		}
		if off != want {
			t.Fatalf("offset %d, want %d", off, want)
		}
		want++
	}
	for range 10 { // the pools fill: batches, requests, outcome channels
		send()
	}
	if a := testing.AllocsPerRun(200, send); a > 1 {
		t.Errorf("an idle SendSync makes %.1f allocations, want at most 1 (the transport's answer)", a)
	}
	if s := p.Stats(); s.Requests == 0 {
		t.Fatalf("no request counted: %+v", s)
	}
}
