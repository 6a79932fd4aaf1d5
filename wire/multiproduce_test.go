package wire

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestMultiProduceRoundTrip(t *testing.T) {
	roundTripRequest(t, &MultiProduceRequest{Acks: AcksAll, TimeoutMs: 1500, Partitions: []ProducePartition{
		{Topic: "a", Partition: 0, Records: []byte("raw batches")},
		{Topic: "b", Partition: 7, Records: []byte{}},
	}})
	r := &MultiProduceResponse{Partitions: []ProduceResponse{
		{BaseOffset: 10, LogAppendTimeMs: 5, LogStartOffset: 0},
		{ErrorCode: NotLeader, ErrorMessage: "leader is 5001", BaseOffset: -1, LogAppendTimeMs: -1, LogStartOffset: -1},
	}}
	roundTripResponse(t, r, r)
}

// Every API that APIVersions lists decodes (a listed key missing from the
// table would close the connection of a client that believed the list).
func TestListedAPIsDecode(t *testing.T) {
	for _, a := range SupportedAPIs().APIs {
		if _, ok := apis[a.Key]; !ok {
			t.Errorf("APIVersions lists %s, which the server cannot decode", a.Key)
		}
	}
}

// multiRecorder answers produce and multi-produce with BaseOffset = the
// records' length and records what each frame carried.
type multiRecorder struct {
	mu     sync.Mutex
	frames [][]string // per frame: "topic/partition acks"
}

func (m *multiRecorder) Handle(ctx context.Context, req Request) Reply {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch r := req.(type) {
	case *ProduceRequest:
		m.frames = append(m.frames, []string{fmt.Sprintf("%s/%d %s", r.Topic, r.Partition, r.Acks)})
		return Respond(&ProduceResponse{BaseOffset: int64(len(r.Records))})
	case *MultiProduceRequest:
		var f []string
		resp := &MultiProduceResponse{}
		for i := range r.Partitions {
			p := r.Produce(i)
			f = append(f, fmt.Sprintf("%s/%d %s", p.Topic, p.Partition, p.Acks))
			resp.Partitions = append(resp.Partitions, ProduceResponse{BaseOffset: int64(len(p.Records))})
		}
		m.frames = append(m.frames, f)
		return Respond(resp)
	}
	return RespondErr(UnsupportedVersion.ErrMsg("not in this test"))
}

// Produce requests that wait for the connection while it is being written
// go out together, in the order they were started, split where acks
// differ; each caller gets its own partition's answer.
func TestStartProduceCoalesces(t *testing.T) {
	rec := &multiRecorder{}
	c := dial(t, testServer(t, ServerConfig{}, rec))
	c.CoalesceProduce()
	const n = 30
	c.w.Lock() // a writer holds the connection: the starts below queue
	var wg sync.WaitGroup
	pending := make([]*PendingProduce, n)
	for i := range n {
		wg.Go(func() {
			acks := AcksLeader
			if i%10 == 9 {
				acks = AcksAll
			}
			pending[i] = c.StartProduce(context.Background(), &ProduceRequest{Acks: acks, Topic: "t", Partition: int32(i),
				Records: make([]byte, 100+i)})
		})
	}
	var order []string
	testkit.WaitFor(t, 5*time.Second, func() error {
		c.pq.Lock()
		defer c.pq.Unlock()
		if len(c.pq.items) < n {
			return fmt.Errorf("%d of %d requests queued", len(c.pq.items), n)
		}
		order = order[:0]
		for _, p := range c.pq.items {
			order = append(order, fmt.Sprintf("%s/%d %s", p.req.Topic, p.req.Partition, p.req.Acks))
		}
		return nil
	})
	c.w.Unlock()
	wg.Wait()
	for i, p := range pending {
		r, err := p.Wait(context.Background())
		testkit.NoErr(t, err)
		testkit.Equal(t, r.BaseOffset, int64(100+i))
	}
	rec.mu.Lock()
	frames := slices.Clone(rec.frames)
	rec.mu.Unlock()
	// One frame per run of equal acks, in queue order.
	var want [][]string
	for i, o := range order {
		if i == 0 || o[len(o)-3:] != order[i-1][len(order[i-1])-3:] {
			want = append(want, nil)
		}
		want[len(want)-1] = append(want[len(want)-1], o)
	}
	if !slices.EqualFunc(frames, want, slices.Equal) {
		t.Fatalf("frames %q, want %q", frames, want)
	}
	if len(frames) >= n {
		t.Fatalf("%d frames for %d requests: nothing was coalesced", len(frames), n)
	}

	// Alone, a request goes out as a plain Produce; after Close every
	// start fails.
	r, err := c.StartProduce(context.Background(), &ProduceRequest{Acks: AcksLeader, Topic: "t", Records: make([]byte, 7)}).Wait(context.Background())
	testkit.NoErr(t, err)
	testkit.Equal(t, r.BaseOffset, int64(7))
	c.Close()
	_, err = c.StartProduce(context.Background(), &ProduceRequest{}).Wait(context.Background())
	testkit.ErrIs(t, err, ErrConnClosed)
}

// A request whose context ended while it waited for the connection is not
// written; the others are.
func TestStartProduceCoalescedContextEnded(t *testing.T) {
	rec := &multiRecorder{}
	c := dial(t, testServer(t, ServerConfig{}, rec))
	c.CoalesceProduce()
	c.w.Lock()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var dead, live *PendingProduce
	wg.Go(func() {
		dead = c.StartProduce(ctx, &ProduceRequest{Acks: AcksLeader, Topic: "dead", Records: []byte("x")})
	})
	testkit.WaitFor(t, 5*time.Second, func() error {
		c.pq.Lock()
		defer c.pq.Unlock()
		if len(c.pq.items) != 1 {
			return fmt.Errorf("%d queued", len(c.pq.items))
		}
		return nil
	})
	wg.Go(func() {
		live = c.StartProduce(context.Background(), &ProduceRequest{Acks: AcksLeader, Topic: "live", Records: []byte("xy")})
	})
	testkit.WaitFor(t, 5*time.Second, func() error {
		c.pq.Lock()
		defer c.pq.Unlock()
		if len(c.pq.items) != 2 {
			return fmt.Errorf("%d queued", len(c.pq.items))
		}
		return nil
	})
	cancel()
	c.w.Unlock()
	wg.Wait()
	_, err := dead.Wait(context.Background())
	testkit.ErrIs(t, err, context.Canceled)
	r, err := live.Wait(context.Background())
	testkit.NoErr(t, err)
	testkit.Equal(t, r.BaseOffset, int64(2))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.frames) != 1 || !slices.Equal(rec.frames[0], []string{"live/0 leader"}) {
		t.Fatalf("frames %q", rec.frames)
	}
}

// TestMultiProduceSizeHint: the encoder's first buffer, sized from
// encodedSizeHint, holds the whole request when every record is copied
// (below refThreshold), so it is allocated once.
func TestMultiProduceSizeHint(t *testing.T) {
	r := &MultiProduceRequest{Acks: AcksLeader, TimeoutMs: 1000}
	for i := range 300 {
		r.Partitions = append(r.Partitions, ProducePartition{Topic: "topic-of-the-bench", Partition: int32(i), Records: make([]byte, 1000+i)})
	}
	e := encoder{buf: make([]byte, 0, r.encodedSizeHint())}
	first := &e.buf[:1][0]
	r.encode(&e)
	parts, size := e.finish()
	if len(parts) != 1 || size > r.encodedSizeHint() || &parts[0].b[0] != first {
		t.Fatalf("%d parts, %d bytes, hint %d, reallocated %v: the hint must hold the request", len(parts), size, r.encodedSizeHint(), &parts[0].b[0] != first)
	}
}
