package fluvio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluvio-go/fluvio/batch"
)

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

// produceCall is one produce request.
type produceCall struct {
	topic     string
	partition int32
	acks      Acks
	timeout   time.Duration
	records   []byte
}

// Producer sends records to one topic. Records are batched per partition
// (WithBatchSize, WithLinger); each partition pipelines up to
// WithMaxInFlight produce requests on its leader's connection, which the
// SPU appends in the order they were written, so records of a partition
// are stored in the order Send accepted them (see WithMaxInFlight for
// retries). Batches that fill while the pipeline is full travel together
// in the next request. Partitions proceed in parallel.
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
	errs struct {
		sync.Mutex
		first error // guarded by errs: first failed Send since Flush
	}
	closeOnce sync.Once
	onClose   func() // set by the Client: forget the producer

	stats producerStats // Stats

	// unsentRecords counts the records in batches not yet sent
	// (accumulating or lingering): see lingerCut.
	unsentRecords atomic.Int64

	// lingering lists the partitions whose run loop waits for the linger
	// time of a non-empty batch, for flushLingering.
	lingering struct {
		sync.Mutex
		qs []*partitionQueue // guarded by lingering; each q.lingering
	}
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
	p.budget.onBlock = p.flushLingering
	p.parts = make([]*partitionQueue, 0, n)
	for i := range n {
		p.addQueue(i)
	}
	if r, ok := t.(partitionRefresher); ok && cfg.partitionRefresh > 0 {
		p.wg.Go(func() { p.watchPartitions(r) })
	}
	return p, nil
}

// addQueue starts the queue of partition i. Caller holds state.mu for
// writing, or p is not shared yet.
func (p *Producer) addQueue(i int32) {
	cfg := p.cfg
	q := &partitionQueue{p: p, id: i, wake: make(chan struct{}, 1),
		slots: make(chan struct{}, cfg.maxInFlight), inflight: make(chan *inflightReq, cfg.maxInFlight),
		sendMu: make(chan struct{}, 1), seq: seqState{pid: p.pid}}
	p.parts = append(p.parts, q)
	p.wg.Go(q.run)
	p.wg.Go(q.completer)
}

// partitionRefresher is a producerTransport that can ask for the current
// partition count (the client's; test fakes have a fixed count).
type partitionRefresher interface {
	refreshPartitions(ctx context.Context, topic string) (int32, error)
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
	return p.send(ctx, key, value, nil, nil, false)
}

// SendWithHeaders is Send with record headers.
func (p *Producer) SendWithHeaders(ctx context.Context, key, value []byte, headers []Header) error {
	return p.send(ctx, key, value, headers, nil, false)
}

// SendSync sends one record without lingering and blocks until it is
// acknowledged (per WithAcks) or failed, returning its offset. With
// AcksNone the offset is -1. If ctx ends first, SendSync returns ctx.Err()
// and the record may still be stored.
func (p *Producer) SendSync(ctx context.Context, key, value []byte) (Offset, error) {
	done := make(chan SendResult, 1)
	if err := p.send(ctx, key, value, nil, done, true); err != nil {
		return -1, err
	}
	select {
	case r := <-done:
		return r.Offset, r.Err
	case <-ctx.Done():
		return -1, ctx.Err()
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
	if err := p.send(ctx, key, value, nil, done, false); err != nil {
		return nil, err
	}
	return done, nil
}

func (p *Producer) send(ctx context.Context, key, value []byte, headers []Header, done chan<- SendResult, urgent bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := len(key) + len(value)
	for _, h := range headers {
		n += len(h.Key) + len(h.Value)
	}
	if size := n + recordOverhead + len(headers)*8 + batch.HeaderSize; size > p.cfg.maxRequestSize {
		return &Error{Op: fmt.Sprintf("send to topic %q", p.topic),
			Err:  fmt.Errorf("%w: record size (%d bytes), exceeded maximum request size (%d bytes)", ErrRecordTooLarge, size, p.cfg.maxRequestSize),
			Hint: "send a smaller record, or raise the producer's max request size (fluvio produce --max-request-size)"}
	}
	if err := p.budget.acquire(ctx, n, p.closing); err != nil {
		return err
	}
	p.state.RLock()
	if p.state.closed {
		p.state.RUnlock()
		p.budget.release(1, n)
		return fmt.Errorf("producer of topic %q: %w", p.topic, ErrClosed)
	}
	part := p.cfg.partitioner.Partition(key, int32(len(p.parts)))
	if part < 0 || int(part) >= len(p.parts) {
		p.state.RUnlock()
		p.budget.release(1, n)
		return badOption("send", "fix the Partitioner: it must return 0..n-1", "partitioner chose partition %d of topic %q, which has %d", part, p.topic, len(p.parts))
	}
	p.parts[part].add(key, value, headers, n, done, urgent, p.cfg.now().UnixMilli())
	p.state.RUnlock()
	return nil
}

// Flush sends every queued record without lingering and blocks until all
// records accepted by Send before and during the call are acknowledged or
// failed. It returns the first error of a record that failed since the
// previous Flush (and forgets it), or ctx.Err() if ctx ends first.
func (p *Producer) Flush(ctx context.Context) error {
	p.state.RLock()
	parts := p.parts
	p.state.RUnlock()
	for _, q := range parts {
		q.requestFlush()
	}
	if err := p.budget.waitEmpty(ctx); err != nil {
		return err
	}
	p.errs.Lock()
	err := p.errs.first
	p.errs.first = nil
	p.errs.Unlock()
	return err
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
		p.errs.Lock()
		err = p.errs.first
		p.errs.first = nil
		p.errs.Unlock()
	})
	return err
}

func (p *Producer) recordErr(err error) {
	p.errs.Lock()
	if p.errs.first == nil {
		p.errs.first = err
	}
	p.errs.Unlock()
}

// errRetriable marks an error worth retrying after a metadata refresh.
type errRetriable struct{ err error }

func (e *errRetriable) Error() string { return e.err.Error() }
func (e *errRetriable) Unwrap() error { return e.err }

// markRetriable wraps err so that retriable(err) is true.
func markRetriable(err error) error {
	if err == nil {
		return nil
	}
	return &errRetriable{err: err}
}

// retriable reports whether err was marked by markRetriable.
func retriable(err error) bool {
	var r *errRetriable
	return errors.As(err, &r)
}

// addLingering records that q's run loop waits out the linger time of a
// non-empty batch.
func (p *Producer) addLingering(q *partitionQueue) {
	p.lingering.Lock()
	if !q.lingering {
		q.lingering = true
		p.lingering.qs = append(p.lingering.qs, q)
	}
	p.lingering.Unlock()
}

// flushLingering sends every lingering batch now if lingerCut says so.
// Called when a Send finds the window (WithMaxBuffered) full: no batch
// grows while the senders wait, so lingering would only delay the
// acknowledgements that make room (Kafka's and franz-go's linger ends
// early the same way).
func (p *Producer) flushLingering() {
	if !p.unsentHeavy() {
		return
	}
	p.lingering.Lock()
	qs := p.lingering.qs
	p.lingering.qs = nil
	for _, q := range qs {
		q.lingering = false
	}
	p.lingering.Unlock()
	for _, q := range qs {
		q.requestFlush()
	}
}

// unsentHeavy reports whether every record held is in a batch not yet
// sent: nothing is in flight, so no answer will make room and lingering
// only wastes the linger time. Only then does a full window cut the
// linger short; while requests are in flight their answers make room
// soon and the batches keep growing meanwhile (cutting at once sends
// one-record batches over many partitions, each request costing as much
// as a full one: measured slower over 100 and 1,000 partitions).
func (p *Producer) unsentHeavy() bool {
	records, _ := p.budget.outstanding()
	return p.unsentRecords.Load() >= int64(records)
}

// lingerCut reports whether batches should go out without lingering: a
// sender waits for room and nothing is in flight.
func (p *Producer) lingerCut() bool { return p.budget.blocked() && p.unsentHeavy() }
