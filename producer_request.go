package fluvio

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/wire"
)

// Building and writing produce requests: the pipeline (producer_pipeline.go)
// hands a requestWriter the batches of one request; the writer lays them
// out (produceCall), writes them through the producerTransport and
// returns the wait for the answer. The Client's transport turns a
// produceCall into a wire.ProduceRequest to the partition's leader.

// producerTransport is what a Producer needs from the Client: the partition
// count of its topic and one produce request to a partition's leader. The
// Client implements it over metadata from the SC and wire connections to
// SPUs; tests fake it.
type producerTransport interface {
	// partitions returns the topic's partition count.
	partitions(ctx context.Context, topic string) (int32, error)
	// startProduce writes a request of records (one or more encoded
	// batches) to the leader of the partition and returns at once; wait
	// returns the offset assigned to the first record (-1 with AcksNone).
	// Requests started one after another for a partition are written in
	// that order. Errors worth retrying after a metadata refresh are
	// marked so that retriable(err) is true.
	startProduce(ctx context.Context, req produceCall) (wait func(context.Context) (int64, error))
}

// manyStarter is a producerTransport that can start the requests of many
// partitions at once (the Client's: one write per leader connection, the
// requests in MultiProduce frames). Without it each is started alone.
type manyStarter interface {
	startProduceMany(ctx context.Context, calls []produceCall) []answerWaiter
}

// answerWaiter waits for a started request's answer: the offset of its
// first record (-1 with AcksNone), or an error (the transport's wait
// function). The Client's requests are one (*startedProduce: no closure
// per request); waitFunc adapts a function.
type answerWaiter interface {
	wait(ctx context.Context) (int64, error)
}

// waitFunc is a function as an answerWaiter.
type waitFunc func(context.Context) (int64, error)

func (f waitFunc) wait(ctx context.Context) (int64, error) { return f(ctx) }

// peekingTransport is a producerTransport whose requests can also be
// awaited without side effects (the Client): peek waits for the answer
// (or ctx) and returns the first record's offset and true if it is a
// success, false for anything else (an error, AcksNone), which wait alone
// classifies. Both may wait at once, on different goroutines. A nil peek
// means there is nothing to peek at. The Client's request is both (one
// *startedProduce: no closure per request).
type peekingTransport interface {
	startProducePeek(ctx context.Context, req produceCall) (wait answerWaiter, peek answerPeeker)
}

// answerPeeker is the peek of peekingTransport.
type answerPeeker interface {
	peek(ctx context.Context) (int64, bool)
}

// peekFunc is a function as an answerPeeker.
type peekFunc func(context.Context) (int64, bool)

func (f peekFunc) peek(ctx context.Context) (int64, bool) { return f(ctx) }

// partitionRefresher is a producerTransport that can ask for the current
// partition count (the client's; test fakes have a fixed count).
type partitionRefresher interface {
	refreshPartitions(ctx context.Context, topic string) (int32, error)
}

// produceCall is one produce request.
type produceCall struct {
	topic     string
	partition int32
	acks      Acks
	timeout   time.Duration
	records   []byte
	// route, if set, is the partition's remembered leader and connection
	// (the requestWriter's; its callers are serialized).
	route *produceRoute
}

// produceRoute is where a partition's last request went: its leader and
// the connection to it, as of the Client's routes count gen. While the
// count is unchanged (no metadata fetched or dropped, which every
// connection failure and leader move does) the next request goes there
// without looking them up again: a checkOpen, two metadata lookups and a
// pool lookup (four locks and three map reads) less per request.
type produceRoute struct {
	gen  uint64
	l    leader
	conn spuConn
}

// answerMargin is how much longer than the leader's produce timeout a
// request waits for its answer: time for the network.
const answerMargin = 5 * time.Second

// requestWriter builds and writes the produce requests of one partition.
type requestWriter struct {
	t         producerTransport
	ctx       context.Context // the Producer's: cancelled by Close
	topic     string
	partition int32
	acks      Acks
	timeout   time.Duration    // the leader's produce timeout
	deadlines *answerDeadlines // the Producer's: the requests' contexts
	stats     *producerStats
	scratch   []byte       // concatenation buffer; the caller serializes write
	route     produceRoute // where the last request went; the caller serializes write
}

// write writes one request of batches (already stamped) and returns its
// answer to wait for (the first record's offset, or an error); and, if
// the transport has it (peekingTransport), a peek at the answer. The
// request's deadline leaves the leader its produce timeout plus
// answerMargin (and up to deadlineSlack more: see answerDeadlines).
// Callers serialize write (the pipeline holds its sendMu): the records
// may live in w.scratch until the request is written. now is the
// caller's clock reading, taken just before.
func (w *requestWriter) write(batches []*pendingBatch, now time.Time) (answer, answerPeeker) {
	ctx := w.deadlines.get(now)
	call := w.call(batches)
	if pt, ok := w.t.(peekingTransport); ok {
		wait, peek := pt.startProducePeek(ctx, call)
		return w.answerOf(ctx, wait), peek
	}
	return w.answerOf(ctx, waitFunc(w.t.startProduce(ctx, call))), nil
}

// call lays out the request of batches (already stamped); its records
// may live in w.scratch until it is written.
func (w *requestWriter) call(batches []*pendingBatch) produceCall {
	return produceCall{topic: w.topic, partition: w.partition, acks: w.acks, timeout: w.timeout, records: w.records(batches), route: &w.route}
}

// answerOf returns the answer of a request started with ctx.
func (w *requestWriter) answerOf(ctx context.Context, waiter answerWaiter) answer {
	return answer{w: w, ctx: ctx, waiter: waiter}
}

// answer is a started request's answer, kept in its inflightReq (a value:
// no closure per request). get waits for it.
type answer struct {
	w      *requestWriter
	ctx    context.Context // the request's
	waiter answerWaiter
	// taken: the answer was already read (SendSync's own path); base and
	// err are it.
	taken bool
	base  int64
	err   error
}

// taken returns an answer already read.
func takenAnswer(base int64, err error) answer { return answer{taken: true, base: base, err: err} }

// get waits for the answer: the first record's offset, or an error. A
// leader that does not answer in time is a retriable error (after a
// metadata refresh), unless the producer is closing.
func (a *answer) get() (int64, error) {
	if a.taken {
		return a.base, a.err
	}
	base, err := a.waiter.wait(a.ctx)
	w := a.w
	if err != nil && errors.Is(err, context.DeadlineExceeded) && w.ctx.Err() == nil {
		err = markRetriable(fmt.Errorf("no answer in %v: %w", w.timeout+answerMargin, err))
	}
	w.stats.count(base, err)
	return base, err
}

// deadlineSlack is how much later than needed a request's deadline may
// be: the requests started within deadlineSlack of each other share one
// context (answerDeadlines).
const deadlineSlack = time.Second

// answerDeadlines hands out the contexts of a Producer's requests: each
// ends at least d (the produce timeout plus answerMargin) after the
// request starts, and the requests started within deadlineSlack share
// one, so a request costs no timer and no context of its own (one of
// each per request was a fifth of a 1,000-partition producer's
// allocations). A context ends by its deadline, or with the Producer's.
type answerDeadlines struct {
	parent context.Context
	d      time.Duration

	mu     sync.Mutex
	ctx    context.Context    // guarded by mu
	cancel context.CancelFunc // guarded by mu: the newest context's; it ends by its deadline
	end    time.Time          // guarded by mu: ctx's deadline
}

// get returns a context that ends no sooner than d from now (the
// caller's clock reading, taken just before: one time.Now less per
// request).
func (a *answerDeadlines) get(now time.Time) context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx == nil || a.end.Sub(now) < a.d {
		// The previous context stays with its requests until its
		// deadline releases it.
		a.end = now.Add(a.d + deadlineSlack)
		a.ctx, a.cancel = context.WithDeadline(a.parent, a.end)
	}
	return a.ctx
}

// records returns the request's records: the batch's own bytes for a
// single batch (no copy), else the batches concatenated into w.scratch.
func (w *requestWriter) records(batches []*pendingBatch) []byte {
	if len(batches) == 1 {
		return batches[0].b.Bytes()
	}
	w.scratch = w.scratch[:0]
	for _, pb := range batches {
		w.scratch = append(w.scratch, pb.b.Bytes()...)
	}
	return w.scratch
}

// clientTransport is the Client as a producerTransport.
type clientTransport struct{ c *Client }

// refreshPartitions asks the SC for the topic's partitions (refreshing
// the cache) and returns their count.
func (t clientTransport) refreshPartitions(ctx context.Context, topic string) (int32, error) {
	parts, err := t.c.meta.refresh(ctx, topic)
	if err != nil {
		return 0, err
	}
	return int32(len(parts)), nil
}

func (t clientTransport) partitions(ctx context.Context, topic string) (int32, error) {
	return t.c.meta.partitions(ctx, topic)
}

func (t clientTransport) startProduce(ctx context.Context, call produceCall) func(context.Context) (int64, error) {
	wait, _ := t.c.startProduce(ctx, call)
	return wait.wait
}

func (t clientTransport) startProducePeek(ctx context.Context, call produceCall) (answerWaiter, answerPeeker) {
	return t.c.startProduce(ctx, call)
}

func wireAcks(a Acks) wire.Acks {
	switch a {
	case AcksNone:
		return wire.AcksNone
	case AcksLeader:
		return wire.AcksLeader
	}
	return wire.AcksAll
}

// asyncProducer is a connection that can write a produce request without
// waiting for its answer (*wire.Conn).
type asyncProducer interface {
	StartProduce(ctx context.Context, req *wire.ProduceRequest) *wire.PendingProduce
}

// startProduce writes one produce request to the partition's leader and
// returns the wait for its answer, and a peek at it (peekingTransport; nil
// when there is nothing to peek at). A connection that cannot split the
// round trip (a test fake) is called synchronously.
func (c *Client) startProduce(ctx context.Context, call produceCall) (answerWaiter, answerPeeker) {
	l, conn, err := c.routeOf(ctx, call)
	if err != nil {
		err = notSent(err) // no leader or no connection: nothing was written
		return waitFunc(func(context.Context) (int64, error) { return -1, err }), nil
	}
	// One allocation for the request, its answer's context, its wait and
	// its peek (a 1,000-partition producer starts a request per record).
	sp := newStartedProduce(ctx, c, call, l, conn)
	if ap, ok := conn.(asyncProducer); ok {
		sp.pending = ap.StartProduce(ctx, &sp.req)
		sp.req.Records = nil // written: the batches may be reused
		if call.acks == AcksNone {
			return sp, nil
		}
		return sp, sp
	}
	sp.base, sp.err = sp.answer(conn.Produce(ctx, &sp.req))
	return sp, nil
}

// routeOf returns the partition's leader and a connection to it: the
// call's remembered route while the Client's routes count has not moved
// since it was found, else looked up (leaderConn) and remembered.
func (c *Client) routeOf(ctx context.Context, call produceCall) (leader, spuConn, error) {
	r := call.route
	if r == nil {
		return c.leaderConn(ctx, call.topic, call.partition)
	}
	gen := c.routes.Load() // before the lookup: a change during it is seen next time
	if r.conn != nil && r.gen == gen {
		return r.l, r.conn, nil
	}
	l, conn, err := c.leaderConn(ctx, call.topic, call.partition)
	if err != nil {
		*r = produceRoute{}
		return l, conn, err
	}
	*r = produceRoute{gen: gen, l: l, conn: conn}
	return l, conn, nil
}

func newStartedProduce(ctx context.Context, c *Client, call produceCall, l leader, conn spuConn) *startedProduce {
	sp := &startedProduce{c: c, ctx: ctx, call: call, l: l, conn: conn, req: wire.ProduceRequest{
		Acks: wireAcks(call.acks), TimeoutMs: int32(call.timeout.Milliseconds()),
		Topic: call.topic, Partition: call.partition, Records: call.records,
	}}
	sp.call.records = nil // the answer needs none of them
	return sp
}

// startedProduce is one produce request written by Client.startProduce.
type startedProduce struct {
	c       *Client
	ctx     context.Context
	call    produceCall
	l       leader
	conn    spuConn
	req     wire.ProduceRequest
	pending *wire.PendingProduce // nil: answered synchronously (base, err)
	base    int64
	err     error
}

// wait waits for the answer (answerWaiter); one answered synchronously
// (no pending) is base and err.
func (sp *startedProduce) wait(wctx context.Context) (int64, error) {
	if sp.pending == nil {
		return sp.base, sp.err
	}
	return sp.answer(sp.pending.Wait(wctx))
}

// peek waits for the answer like wait (the wire connection lets both
// wait at once) but classifies nothing: the first record's offset and
// true for a success, false for anything else.
func (sp *startedProduce) peek(pctx context.Context) (int64, bool) {
	resp, err := sp.pending.Wait(pctx)
	if err != nil || resp.BaseOffset < 0 {
		return -1, false
	}
	return resp.BaseOffset, true
}

// answer turns the leader's answer into the first record's offset or the
// error the pipeline sees.
func (sp *startedProduce) answer(resp *wire.ProduceResponse, err error) (int64, error) {
	call := &sp.call
	if err == nil {
		err = resp.Err()
	}
	if err != nil && resp != nil && resp.ErrorCode == wire.DuplicateSequence && resp.BaseOffset >= 0 {
		// A retry of stored batches: the leader's proof is their
		// original offset (the pipeline completes them with it).
		return resp.BaseOffset, fmt.Errorf("%s partition %d: %w", call.topic, call.partition, err)
	}
	if err != nil {
		return -1, sp.c.classify(sp.ctx, call.topic, call.partition, sp.l, sp.conn, err)
	}
	if call.acks == AcksNone {
		return -1, nil
	}
	return resp.BaseOffset, nil
}

// manyProducer is a connection that can write several produce requests
// in one go (*wire.Conn).
type manyProducer interface {
	StartProduceMany(ctx context.Context, reqs []*wire.ProduceRequest) []*wire.PendingProduce
}

func (t clientTransport) startProduceMany(ctx context.Context, calls []produceCall) []answerWaiter {
	return t.c.startProduceMany(ctx, calls)
}

// startProduceMany starts the requests of calls (each of another
// partition) as startProduce does, writing those of one leader together
// (StartProduceMany), and returns their waits in the order of calls.
func (c *Client) startProduceMany(ctx context.Context, calls []produceCall) []answerWaiter {
	waits := make([]answerWaiter, len(calls))
	type group struct {
		mp  manyProducer
		idx []int
		sps []*startedProduce
	}
	var groups []*group
	byConn := map[spuConn]*group{}
	for i, call := range calls {
		l, conn, err := c.leaderConn(ctx, call.topic, call.partition)
		if err != nil {
			err = notSent(err)
			waits[i] = waitFunc(func(context.Context) (int64, error) { return -1, err })
			continue
		}
		mp, ok := conn.(manyProducer)
		if !ok {
			waits[i], _ = c.startProduce(ctx, call)
			continue
		}
		g := byConn[conn]
		if g == nil {
			g = &group{mp: mp}
			byConn[conn] = g
			groups = append(groups, g)
		}
		g.idx = append(g.idx, i)
		g.sps = append(g.sps, newStartedProduce(ctx, c, call, l, conn))
	}
	for _, g := range groups {
		reqs := make([]*wire.ProduceRequest, len(g.sps))
		for j, sp := range g.sps {
			reqs[j] = &sp.req
		}
		pending := g.mp.StartProduceMany(ctx, reqs)
		for j, sp := range g.sps {
			sp.pending = pending[j]
			sp.req.Records = nil // written: the batches may be reused
			waits[g.idx[j]] = sp // its wait method: no closure
		}
	}
	return waits
}

// leaderConn returns the partition's leader and a connection to it.
func (c *Client) leaderConn(ctx context.Context, topic string, partition int32) (leader, spuConn, error) {
	if err := c.checkOpen(); err != nil {
		return leader{}, nil, err
	}
	l, err := c.meta.leader(ctx, topic, partition)
	if err != nil {
		return leader{}, nil, err
	}
	conn, err := c.pool.get(ctx, l.id, l.addr)
	if err != nil {
		c.meta.invalidate(topic)
		return leader{}, nil, err
	}
	return l, conn, nil
}
