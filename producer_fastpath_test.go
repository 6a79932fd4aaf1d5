package fluvio

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/fluvio-go/fluvio/batch"
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
// the run loop, and the offsets come back in order. The fast path is
// taken only when the run loop is not itself in a pass at that instant
// (it wakes after each answer; on a loaded machine it often is), so the
// test asks that some SendSyncs start on the caller: without the fast
// path none does.
func TestSendSyncIdleStartsOnCaller(t *testing.T) {
	tr := &stackTransport{}
	p, err := newProducer(context.Background(), tr, slog.New(slog.DiscardHandler), "t", []ProducerOption{WithIdempotence(false)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	const syncs = 20
	for i := range syncs {
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
	if len(tr.onCaller) != syncs+1 {
		t.Fatalf("%d requests, want %d", len(tr.onCaller), syncs+1)
	}
	onCaller := 0
	for _, c := range tr.onCaller[:syncs] {
		if c {
			onCaller++
		}
	}
	t.Logf("%d of %d SendSyncs started on the caller", onCaller, syncs)
	if onCaller == 0 {
		t.Errorf("none of %d SendSyncs on an idle partition started on the caller", syncs)
	}
	if tr.onCaller[syncs] {
		t.Error("Send's record was started on a SendSync caller")
	}
}

// seqTransport acknowledges every request at once with the log's offsets
// and checks that requests arrive in sequence order: each request's first
// batch continues the previous request's sequences (what the leader
// checks; a request started out of order would be refused there).
type seqTransport struct {
	mu      sync.Mutex
	nextSeq int32
	next    int64
	bad     []string
}

func (s *seqTransport) partitions(context.Context, string) (int32, error) { return 1, nil }
func (s *seqTransport) startProduce(_ context.Context, c produceCall) func(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	base := s.next
	for p := c.records; len(p) > 0; {
		n, err := batch.Size(p)
		if err != nil {
			s.bad = append(s.bad, err.Error())
			break
		}
		if seq := batch.BaseSequence(p); seq != s.nextSeq {
			s.bad = append(s.bad, fmt.Sprintf("batch at sequence %d, want %d", seq, s.nextSeq))
		}
		s.nextSeq = batch.BaseSequence(p) + batch.RecordCount(p)
		s.next += int64(batch.RecordCount(p))
		p = p[n:]
	}
	return func(context.Context) (int64, error) { return base, nil }
}

// SendSync callers on the fast path and Send's records through the run
// loop, concurrently on one partition: requests still start in sequence
// order, and every record gets its own offset.
func TestSendSyncFastPathConcurrent(t *testing.T) {
	tr := &seqTransport{}
	p, err := newProducer(context.Background(), tr, slog.New(slog.DiscardHandler), "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	n := sendSyncAndSendConcurrently(t, p)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	requireSequenced(t, tr.bad, tr.next, n)
}

// sendSyncAndSendConcurrently runs SendSync callers and a Send loop at
// once on p's one partition, flushes, checks that no two SendSync records
// got the same offset, and returns how many records it sent.
// requireSequenced fails t unless a sequence-checking transport saw no
// request out of order (bad) and stored n records (next).
func requireSequenced(t *testing.T, bad []string, next int64, n int) {
	t.Helper()
	if len(bad) > 0 {
		t.Fatalf("requests out of sequence order: %q", bad[:min(len(bad), 5)])
	}
	if next != int64(n) {
		t.Fatalf("%d records stored, want %d", next, n)
	}
}

func sendSyncAndSendConcurrently(t *testing.T, p *Producer) int {
	t.Helper()
	ctx := context.Background()
	const syncers, perSyncer, sends = 4, 200, 2000
	var wg sync.WaitGroup
	offsets := make(chan Offset, syncers*perSyncer)
	for range syncers {
		wg.Go(func() {
			for range perSyncer {
				off, err := p.SendSync(ctx, nil, []byte("sync"))
				if err != nil {
					t.Error(err)
					return
				}
				offsets <- off
			}
		})
	}
	wg.Go(func() {
		for range sends {
			if err := p.Send(ctx, nil, []byte("async")); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	close(offsets)
	seen := map[Offset]bool{}
	for off := range offsets {
		if seen[off] {
			t.Fatalf("offset %d given to two SendSync records", off)
		}
		seen[off] = true
	}
	return syncers*perSyncer + sends
}
