package wire

import (
	"context"
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
