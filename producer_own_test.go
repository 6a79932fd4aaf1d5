package fluvio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// peekTransport is a peekingTransport (like the Client's): each request
// is stored at once (offset = records stored before it) unless fails
// says its attempt fails; its answer is given once hold is closed (nil:
// at once). It counts the peeks that saw a success.
type peekTransport struct {
	mu       sync.Mutex
	next     int64
	requests int
	fails    map[int]error // by request number, from 0 (every attempt counts)
	hold     chan struct{}
	peeked   atomic.Int64
	waiting  atomic.Int64 // answers waited for, not yet given
	nextSeq  int32
	bad      []string // requests out of sequence order (idempotence)
}

func (f *peekTransport) partitions(context.Context, string) (int32, error) { return 1, nil }

func (f *peekTransport) startProduce(ctx context.Context, c produceCall) func(context.Context) (int64, error) {
	wait, _ := f.startProducePeek(ctx, c)
	return wait.wait
}

func (f *peekTransport) startProducePeek(_ context.Context, c produceCall) (answerWaiter, answerPeeker) {
	f.mu.Lock()
	n := f.requests
	f.requests++
	base, err := f.next, f.fails[n]
	if err == nil {
		for p := c.records; len(p) > 0; {
			size, serr := batch.Size(p)
			if serr != nil {
				err = serr
				break
			}
			if seq := batch.BaseSequence(p); seq >= 0 {
				if seq != f.nextSeq {
					f.bad = append(f.bad, fmt.Sprintf("batch at sequence %d, want %d", seq, f.nextSeq))
				}
				f.nextSeq = seq + batch.RecordCount(p)
			}
			f.next += int64(batch.RecordCount(p))
			p = p[size:]
		}
	} else {
		base = -1
	}
	f.mu.Unlock()
	answer := func(ctx context.Context) error {
		if f.hold == nil {
			return nil
		}
		f.waiting.Add(1)
		defer f.waiting.Add(-1)
		select {
		case <-f.hold:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	wait := func(ctx context.Context) (int64, error) {
		if werr := answer(ctx); werr != nil {
			return -1, werr
		}
		return base, err
	}
	peek := func(ctx context.Context) (int64, bool) {
		if answer(ctx) != nil || err != nil {
			return -1, false
		}
		f.peeked.Add(1)
		return base, true
	}
	return waitFunc(wait), peekFunc(peek)
}

func newPeekProducer(t *testing.T, tr producerTransport, opts ...ProducerOption) *Producer {
	t.Helper()
	p, err := newProducer(context.Background(), tr, slog.New(slog.DiscardHandler), "t", opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// On an idle partition SendSync takes its own request's answer (no
// hand-off to the completer) and returns its record's offset.
func TestSendSyncOwnsIdleRequest(t *testing.T) {
	tr := &peekTransport{}
	p := newPeekProducer(t, tr)
	defer p.Close()
	ctx := context.Background()
	for i := range 30 {
		off, err := p.SendSync(ctx, nil, []byte("v"))
		if err != nil {
			t.Fatal(err)
		}
		if off != Offset(i) {
			t.Fatalf("SendSync %d: offset %d", i, off)
		}
	}
	// The first request starts the producer epoch (answered through the
	// completer); the fast path needs the run loop out of a pass.
	if tr.peeked.Load() == 0 {
		t.Fatal("no SendSync took its own answer")
	}
	t.Logf("%d of 30 SendSyncs took their own answer", tr.peeked.Load())
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// Records sent with Send sit in front of and behind SendSync's records in
// batches: the offset SendSync returns is its own record's.
func TestSendSyncOwnOffsetWithinRequest(t *testing.T) {
	tr := &peekTransport{}
	p := newPeekProducer(t, tr, WithLinger(time.Hour))
	defer p.Close()
	ctx := context.Background()
	if _, err := p.SendSync(ctx, nil, []byte("first")); err != nil { // starts the epoch
		t.Fatal(err)
	}
	want := Offset(1)
	for round := range 20 {
		for range round % 4 {
			if err := p.Send(ctx, nil, []byte("lingering")); err != nil {
				t.Fatal(err)
			}
			want++
		}
		off, err := p.SendSync(ctx, nil, []byte("sync"))
		if err != nil {
			t.Fatal(err)
		}
		if off != want {
			t.Fatalf("round %d: SendSync offset %d, want %d", round, off, want)
		}
		want++
	}
	if tr.peeked.Load() == 0 {
		t.Fatal("no SendSync took its own answer")
	}
}

// A failed answer is left to the completer, which retries it: SendSync
// reports the retry's outcome; a refusal that is not retriable reaches
// the caller.
func TestSendSyncOwnedFailureGoesToCompleter(t *testing.T) {
	boom := errors.New("refused for the test")
	tr := &peekTransport{fails: map[int]error{3: markRetriable(errors.New("lost")), 6: boom}}
	p := newPeekProducer(t, tr, WithIdempotence(false), WithRetries(3, time.Millisecond))
	defer p.Close()
	ctx := context.Background()
	var offs []Offset
	var errs []error
	for range 6 {
		off, err := p.SendSync(ctx, nil, []byte("v"))
		offs = append(offs, off)
		errs = append(errs, err)
	}
	// Requests 0-2 succeed, 3 fails and is retried as request 4, request 5
	// succeeds, request 6 is refused.
	for i, want := range []Offset{0, 1, 2, 3, 4} {
		if errs[i] != nil || offs[i] != want {
			t.Fatalf("SendSync %d: offset %d, err %v; want offset %d", i, offs[i], errs[i], want)
		}
	}
	if !errors.Is(errs[5], boom) {
		t.Fatalf("SendSync 5: %v, want the refusal", errs[5])
	}
	if got := p.Stats().Retries; got != 1 {
		t.Fatalf("%d retries, want 1", got)
	}
}

// A SendSync whose ctx ends while it waits for its own answer returns
// ctx's error; the completer takes the request over and settles it, and
// Close (which waits for it) neither hangs nor panics.
func TestSendSyncOwnCancelled(t *testing.T) {
	tr := &peekTransport{}
	p := newPeekProducer(t, tr)
	ctx := context.Background()
	if _, err := p.SendSync(ctx, nil, []byte("first")); err != nil { // starts the epoch
		t.Fatal(err)
	}
	tr.mu.Lock()
	tr.hold = make(chan struct{})
	tr.mu.Unlock()
	peekedBefore := tr.peeked.Load()
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := p.SendSync(cctx, nil, []byte("cancelled"))
		done <- err
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		if tr.waiting.Load() == 0 {
			return errors.New("SendSync is not waiting for its answer yet")
		}
		return nil
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("SendSync: %v, want context.Canceled", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	close(tr.hold)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if tr.peeked.Load() != peekedBefore {
		t.Fatal("the cancelled SendSync took its answer")
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.next != 2 {
		t.Fatalf("%d records stored, want 2", tr.next)
	}
}

// SendSync callers owning their requests, other SendSync callers and
// Send's records through the run loop, concurrently on one partition:
// requests still start in sequence order and every record gets its own
// offset.
func TestSendSyncOwnConcurrent(t *testing.T) {
	tr := &peekTransport{}
	p := newPeekProducer(t, tr)
	defer p.Close()
	n := sendSyncAndSendConcurrently(t, p)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	requireSequenced(t, tr.bad, tr.next, n)
	t.Logf("%d SendSyncs took their own answer", tr.peeked.Load())
}
