package wire

import (
	"context"
	"errors"
	"testing"
)

// An idle produce round trip (the client writes one request, the server
// reads it, answers inline, the caller reads the answer itself) allocates
// only what it hands over: on the client the call, its done channel and
// the response; on the server the decoded request, its topic string and
// the handler's response. Encoders, frame buffers, deadlines and the
// read path allocate nothing per request (the SPU's produce->ack latency
// is a cache-cold path where each allocation shows; see bench/README.md,
// G4). The bound leaves room for one stray allocation of the runtime.
// A caller's cancellable context (a producer's loop passes one for all its
// calls) costs nothing per call either: the read's interruption is
// registered on it once (Conn.watchLocked), not per call.
func TestIdleProduceRoundTripAllocs(t *testing.T) {
	resp := HandlerFunc(func(ctx context.Context, req Request) Reply {
		return Respond(&ProduceResponse{BaseOffset: int64(len(req.(*ProduceRequest).Records))})
	})
	c := dial(t, testServer(t, ServerConfig{}, resp))
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"cancellable", cctx}} {
		ctx := tc.ctx
		req := &ProduceRequest{Acks: AcksLeader, Topic: "topic", Records: make([]byte, 1024)}
		for range 50 { // warm up: buffers sized, deadlines armed
			if _, err := c.Produce(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		allocs := testing.AllocsPerRun(200, func() {
			if _, e := c.Produce(ctx, req); e != nil {
				err = e
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		const want = 6
		t.Logf("%s context: %.1f allocations per round trip (client and server)", tc.name, allocs)
		if allocs > want+1 {
			t.Fatalf("%s context: %.1f allocations per idle produce round trip, want at most %d (+1): something on the path allocates per request again", tc.name, allocs, want)
		}
	}
}

// The producer's idle round trip goes through StartProduce on a
// coalescing connection (the client library's Conn), not Produce: it
// costs what Produce costs, with the PendingProduce (which holds the
// response) in place of the response.
func TestIdleStartProduceAllocs(t *testing.T) {
	resp := HandlerFunc(func(ctx context.Context, req Request) Reply {
		return Respond(&ProduceResponse{BaseOffset: int64(len(req.(*ProduceRequest).Records))})
	})
	c := dial(t, testServer(t, ServerConfig{}, resp))
	c.CoalesceProduce()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := &ProduceRequest{Acks: AcksLeader, Topic: "topic", Records: make([]byte, 1024)}
	var err error
	roundTrip := func() {
		r, e := c.StartProduce(ctx, req).Wait(ctx)
		if e == nil && r.BaseOffset != 1024 {
			e = errors.New("wrong answer")
		}
		if e != nil {
			err = e
		}
	}
	for range 50 { // warm up: buffers sized, deadlines armed
		roundTrip()
	}
	allocs := testing.AllocsPerRun(200, roundTrip)
	if err != nil {
		t.Fatal(err)
	}
	// Client: the PendingProduce, the call and its done channel; server:
	// the request, its topic and the response. A stray allocation of the
	// runtime over the 200 runs is tolerated, one more per request is not.
	// The race detector's instrumented build keeps two more small values
	// on the heap on this path (measured: 8).
	want := 6
	if raceDetector {
		want = 8
	}
	t.Logf("%.2f allocations per round trip (client and server)", allocs)
	if allocs > float64(want)+0.5 {
		t.Fatalf("%.2f allocations per idle StartProduce round trip, want %d: something on the path allocates per request again", allocs, want)
	}
}
