package fluvio

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/batch"
)

// Producer sends records to one topic. Records are batched per partition
// (WithBatchSize, WithLinger); each partition pipelines up to
// WithMaxInFlight produce requests on its leader's connection, which the
// SPU appends in the order they were written, so records of a partition
// are stored in the order Send accepted them (see WithMaxInFlight for
// retries). Batches that fill while the pipeline is full travel together
// in the next request. Partitions proceed in parallel; the requests of
// many partitions that are due at once (their linger time is over, Flush,
// or a full window) are written together, one MultiProduce frame per
// leader.
//
// A Producer is safe for concurrent use. It is idempotent by default
// (WithIdempotence): every batch carries the producer's id and per
// partition sequence numbers, so a request retried after a lost answer
// is stored once (the leader answers the retry with the original offset),
// and a batch the leader refused is resent before any later one is
// stored. Delivery is exactly once per Producer for its own retries;
// records sent again by the application (a new Producer, or Send called
// twice) are new records.
type Producer struct {
	topic  string
	cfg    producerConfig
	t      producerTransport
	log    *slog.Logger
	budget *budget
	parts  []*partitionQueue
	pid    int64 // producer id; noProducerID without idempotence

	// ctx bounds the requests of the partition loops; cancelled by Close
	// once they have exited.
	ctx     context.Context
	cancel  context.CancelFunc
	closing chan struct{} // closed by Close: loops drain and exit
	wg      sync.WaitGroup

	state struct {
		sync.RWMutex
		closed bool // guarded by state
	}
	errs      firstError // the first failed Send since Flush
	closeOnce sync.Once
	onClose   func() // set by the Client: forget the producer

	timers    *lingerTimers   // with a manyStarter transport: the partitions' linger timer (producer_linger.go)
	stats     producerStats   // Stats
	deadlines answerDeadlines // the requests' contexts (producer_request.go)
	linger    lingerControl   // ends lingering early when it only delays
	pool      batchPool       // the partitions' batches, reused
	// dones recycles SendSync's outcome channels (capacity 1): a channel
	// goes back once its one outcome was received, so nothing sends on it
	// again; one allocation less per SendSync. The Producer's own, not a
	// global pool: a channel belongs to the synctest bubble that made it.
	dones sync.Pool
}

func newProducer(ctx context.Context, t producerTransport, log *slog.Logger, topic string, opts []ProducerOption) (*Producer, error) {
	cfg := defaultProducerConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.partitioner == nil {
		cfg.partitioner = DefaultPartitioner()
	}
	if cfg.idempotent {
		cfg.maxInFlight = min(cfg.maxInFlight, MaxIdempotentInFlight)
	}
	n, err := t.partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, badOption("producer", fmt.Sprintf("recreate it with 'fluvio topic create %s --partitions N'", topic), "topic %q has no partitions", topic)
	}
	pctx, cancel := context.WithCancel(context.Background())
	p := &Producer{
		topic:   topic,
		cfg:     cfg,
		t:       t,
		log:     log.With("topic", topic),
		budget:  newBudget(cfg.maxRecords, cfg.maxBytes),
		ctx:     pctx,
		cancel:  cancel,
		closing: make(chan struct{}),
		pid:     noProducerID,
	}
	if cfg.idempotent {
		p.pid = newProducerID()
	}
	p.deadlines.parent, p.deadlines.d = pctx, cfg.produceTimeout+answerMargin
	p.dones.New = func() any { return make(chan SendResult, 1) }
	p.linger.budget = p.budget
	if _, ok := t.(manyStarter); ok {
		p.linger.drain = func(qs []*partitionQueue) { p.drain(qs, true) }
		p.timers = &lingerTimers{wake: make(chan struct{}, 1), now: cfg.now, closing: p.closing, drain: p.drain}
		p.wg.Go(p.timers.loop)
	}
	p.budget.onBlock = p.linger.flush
	p.pool.compression = cfg.compression
	p.parts = make([]*partitionQueue, 0, n)
	for i := range n {
		p.addQueue(i)
	}
	if r, ok := t.(partitionRefresher); ok && cfg.partitionRefresh > 0 {
		p.wg.Go(func() { p.watchPartitions(r) })
	}
	return p, nil
}

// addQueue starts the queue of partition i and its pipeline: the queue
// batches the records (producer_queue.go), the pipeline writes, retries
// and completes the requests (producer_pipeline.go) with a sequencer
// (producer_sequencer.go) and a requestWriter (producer_request.go).
// Caller holds state for writing, or p is not shared yet.
func (p *Producer) addQueue(i int32) {
	pl := &pipeline{
		topic: p.topic, partition: i, ctx: p.ctx, cfg: &p.cfg, log: p.log, stats: &p.stats,
		seq: newSequencer(p.cfg.idempotent, p.pid, i, p.log, &p.stats),
		w: &requestWriter{t: p.t, ctx: p.ctx, topic: p.topic, partition: i,
			acks: p.cfg.acks, timeout: p.cfg.produceTimeout, deadlines: &p.deadlines, stats: &p.stats},
		budget: p.budget, errs: &p.errs, pool: &p.pool,
		slots:    make(chan struct{}, p.cfg.maxInFlight),
		inflight: make(chan *inflightReq, p.cfg.maxInFlight),
		sendMu:   make(chan struct{}, 1),
	}
	q := newPartitionQueue(i, &p.cfg, p.closing, &p.linger, &p.pool, pl)
	q.timers = p.timers
	p.parts = append(p.parts, q)
	p.linger.partitions.Store(int64(len(p.parts)))
	p.wg.Go(q.run)
	p.wg.Go(pl.completer)
}

// watchPartitions asks for the topic's partition count every
// partitionRefresh and starts queues for partitions added since ('fluvio
// topic add-partition'), so a running producer writes to them too. It
// exits when the producer closes.
func (p *Producer) watchPartitions(r partitionRefresher) {
	t := time.NewTicker(p.cfg.partitionRefresh)
	defer t.Stop()
	for {
		select {
		case <-p.closing:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(p.ctx, p.cfg.partitionRefresh+5*time.Second)
		n, err := r.refreshPartitions(ctx, p.topic)
		cancel()
		if err != nil {
			continue // the next tick tries again; sends go on to the known partitions
		}
		p.state.Lock()
		if !p.state.closed && int(n) > len(p.parts) {
			p.log.Info("the topic has new partitions", "from", len(p.parts), "to", n)
			for i := int32(len(p.parts)); i < n; i++ {
				p.addQueue(i)
			}
		}
		p.state.Unlock()
	}
}

// Topic returns the producer's topic.
func (p *Producer) Topic() string { return p.topic }

// ProducerID returns the idempotent producer id the batches carry (a
// partition whose epochs ran out moves to a new one), or -1 with
// WithIdempotence(false).
func (p *Producer) ProducerID() int64 { return p.pid }

// Send queues a record for the partition its key chooses (see
// DefaultPartitioner) and returns once it is queued. It blocks while the
// producer holds its maximum of unacknowledged records or bytes
// (WithMaxBuffered), until ctx is done. A nil key means no key.
//
// Send does not report delivery: a record that fails after its retries is
// reported by the next Flush (or SendSync waits for its own record). The
// key and value are copied before Send returns. Errors: ErrClosed after
// Close; ctx.Err() if ctx ended while blocked.
func (p *Producer) Send(ctx context.Context, key, value []byte) error {
	_, _, err := p.send(ctx, key, value, nil, nil, false)
	return err
}

// SendWithHeaders is Send with record headers.
func (p *Producer) SendWithHeaders(ctx context.Context, key, value []byte, headers []Header) error {
	_, _, err := p.send(ctx, key, value, headers, nil, false)
	return err
}

// SendSync sends one record without lingering and blocks until it is
// acknowledged (per WithAcks) or failed, returning its offset. With
// AcksNone the offset is -1. If ctx ends first, SendSync returns ctx.Err()
// and the record may still be stored. On an idle partition the request
// is written and its answer read on the caller's goroutine; records sent
// to that partition meanwhile go out once it is answered.
func (p *Producer) SendSync(ctx context.Context, key, value []byte) (Offset, error) {
	done := p.dones.Get().(chan SendResult)
	own, owned, err := p.send(ctx, key, value, nil, done, true)
	if err != nil {
		p.dones.Put(done) // not queued: nothing will send on it
		return -1, err
	}
	if owned {
		// The fast path started the request on this goroutine: a success
		// is read from the answer here (the request is settled by then,
		// its outcome sent on done); anything else is the completer's
		// word.
		if off, ok := own.wait(ctx); ok {
			p.dones.Put(done) // nothing was sent on it (ownedReq.waiter)
			return off, nil
		}
	}
	select {
	case r := <-done:
		p.dones.Put(done) // its one outcome is taken
		return r.Offset, r.Err
	case <-ctx.Done():
		return -1, ctx.Err() // done stays with the request: never reused
	}
}

// SendResult is the outcome of one record sent with SendAsync: the
// offset it was stored at (-1 with AcksNone), or why it failed (the
// record may then still be stored, see Send).
type SendResult struct {
	Offset Offset
	Err    error
}

// SendAsync queues a record like Send (it lingers and pipelines like
// Send's records, in Send order) and returns a channel that receives the
// record's outcome once it is acknowledged or failed; a failure is
// reported there, not by Flush. Errors are Send's.
func (p *Producer) SendAsync(ctx context.Context, key, value []byte) (<-chan SendResult, error) {
	done := make(chan SendResult, 1)
	if _, _, err := p.send(ctx, key, value, nil, done, false); err != nil {
		return nil, err
	}
	return done, nil
}

// send queues a record; urgent (SendSync) may start its request on the
// caller's goroutine (startNow), and then returns own (owned), which
// reads the record's offset from the request's answer.
func (p *Producer) send(ctx context.Context, key, value []byte, headers []Header, done chan<- SendResult, urgent bool) (own ownedReq, owned bool, err error) {
	if err := ctx.Err(); err != nil {
		return ownedReq{}, false, err
	}
	n := len(key) + len(value)
	for _, h := range headers {
		n += len(h.Key) + len(h.Value)
	}
	if size := recordSize(n, headers) + batch.HeaderSize; size > p.cfg.maxRequestSize {
		return ownedReq{}, false, &Error{Op: fmt.Sprintf("send to topic %q", p.topic),
			Err:  fmt.Errorf("%w: record size (%d bytes), exceeded maximum request size (%d bytes)", ErrRecordTooLarge, size, p.cfg.maxRequestSize),
			Hint: "send a smaller record, or raise the producer's max request size (fluvio produce --max-request-size)"}
	}
	if err := p.budget.acquire(ctx, n, p.closing); err != nil {
		return ownedReq{}, false, err
	}
	p.state.RLock()
	if p.state.closed {
		p.state.RUnlock()
		p.budget.release(1, n)
		return ownedReq{}, false, fmt.Errorf("producer of topic %q: %w", p.topic, ErrClosed)
	}
	part := p.cfg.partitioner.Partition(key, int32(len(p.parts)))
	if part < 0 || int(part) >= len(p.parts) {
		p.state.RUnlock()
		p.budget.release(1, n)
		return ownedReq{}, false, badOption("send", "fix the Partitioner: it must return 0..n-1", "partitioner chose partition %d of topic %q, which has %d", part, p.topic, len(p.parts))
	}
	q := p.parts[part]
	now := p.cfg.now()
	wake, lingering := q.add(key, value, headers, n, done, urgent, now)
	p.state.RUnlock()
	if urgent {
		if started, own, owned := q.startNow(done, now); started {
			return own, owned, nil
		}
	}
	switch {
	case wake:
		q.notify()
	case lingering:
		q.lingering(now)
	}
	return ownedReq{}, false, nil
}

// Flush sends every queued record without lingering and blocks until all
// records accepted by Send before and during the call are acknowledged or
// failed. It returns the first error of a record that failed since the
// previous Flush (and forgets it), or ctx.Err() if ctx ends first.
func (p *Producer) Flush(ctx context.Context) error {
	p.state.RLock()
	parts := p.parts
	p.state.RUnlock()
	if p.linger.drain != nil {
		p.drain(parts, true)
	} else {
		for _, q := range parts {
			q.requestFlush()
		}
	}
	if err := p.budget.waitEmpty(ctx); err != nil {
		return err
	}
	return p.errs.take()
}

// Close sends the queued records, waits for their acknowledgements (each
// batch is bounded by its retries) and stops the producer. It returns the
// first error of a record that failed since the last Flush. Close is safe
// to call more than once; later calls return nil.
func (p *Producer) Close() error {
	var err error
	p.closeOnce.Do(func() {
		p.state.Lock()
		p.state.closed = true
		p.state.Unlock()
		close(p.closing)
		p.wg.Wait()
		p.cancel()
		if p.onClose != nil {
			p.onClose()
		}
		err = p.errs.take()
	})
	return err
}
