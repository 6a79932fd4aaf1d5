package spu

import (
	"context"
	"time"

	"github.com/fluvio-go/fluvio/wire"
)

// Handle implements wire.Handler: it runs on the connection's reader
// goroutine, in request order. It serves the request (serve, handler.go)
// and, when the SPU keeps metrics, records the answer of produces and
// fetches (latency, records and bytes, error codes) as it is resolved on
// the connection's writer. Other APIs answer at once and are not timed,
// so that their replies stay immediate (no extra flush).
func (h *handler) Handle(ctx context.Context, req wire.Request) wire.Reply {
	m := h.d.cfg.metrics
	if m == nil {
		return h.serve(ctx, req)
	}
	start := time.Now()
	switch r := req.(type) {
	case *wire.ProduceRequest:
		// Records aliases the connection's buffer: count it now.
		records, bytes := countRecords(r.Records)
		topic, partition := r.Topic, r.Partition
		reply := h.serve(ctx, req)
		return wire.Defer(func(ctx context.Context) (wire.Response, error) {
			resp, err := reply.Resolve(ctx)
			code := wire.CodeOf(err)
			if pr, ok := resp.(*wire.ProduceResponse); ok && err == nil {
				code = pr.ErrorCode
			}
			m.produced(topic, partition, records, bytes, code, time.Since(start))
			return resp, err
		})
	case *wire.FetchRequest:
		reply := h.serve(ctx, req)
		return wire.Defer(func(ctx context.Context) (wire.Response, error) {
			resp, err := reply.Resolve(ctx)
			m.fetched(r, resp, err, time.Since(start))
			return resp, err
		})
	}
	return h.serve(ctx, req)
}
