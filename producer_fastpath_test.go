package fluvio

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// stackTransport acknowledges every request at once (offset = requests so
// far) and records, for each request, whether it was started on
// SendSync's caller (its goroutine's stack holds Producer.SendSync) or
// on the partition's run loop.
type stackTransport struct {
	mu       sync.Mutex
	onCaller []bool
	next     int64
}

func (s *stackTransport) partitions(context.Context, string) (int32, error) { return 1, nil }
func (s *stackTransport) startProduce(_ context.Context, c produceCall) func(context.Context) (int64, error) {
	buf := make([]byte, 64<<10)
	stack := string(buf[:runtime.Stack(buf, false)])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onCaller = append(s.onCaller, strings.Contains(stack, "fluvio.(*Producer).SendSync"))
	base := s.next
	s.next++
	return func(context.Context) (int64, error) { return base, nil }
}

// SendSync on an idle partition starts its request on the caller's
// goroutine (no hand-off to the run loop); Send's records still go through
// the run loop, and the offsets come back in order.
func TestSendSyncIdleStartsOnCaller(t *testing.T) {
	tr := &stackTransport{}
	p, err := newProducer(context.Background(), tr, slog.New(slog.DiscardHandler), "t", []ProducerOption{WithIdempotence(false)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	for i := range 5 {
		off, err := p.SendSync(ctx, nil, []byte("v"))
		if err != nil {
			t.Fatal(err)
		}
		if off != Offset(i) {
			t.Fatalf("SendSync %d: offset %d", i, off)
		}
	}
	if err := p.Send(ctx, nil, []byte("lingering")); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.onCaller) != 6 {
		t.Fatalf("%d requests, want 6", len(tr.onCaller))
	}
	for i, c := range tr.onCaller[:5] {
		if !c {
			t.Errorf("SendSync %d was started by the run loop, not on the caller", i)
		}
	}
	if tr.onCaller[5] {
		t.Error("Send's record was started on a SendSync caller")
	}
}
