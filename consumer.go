package fluvio

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/wire"
)

// Consumer reads one topic: one partition (WithPartition) or all of them,
// from a start position (FromBeginning, FromEnd (the default), FromOffset,
// FromTail, FromTime), following each partition's log as it grows unless
// DisableContinuous or WithEnd says where to stop. A consumer without a
// name keeps no state on the server: each call to Records starts reading
// afresh. A named one (WithConsumer) stores its offsets in the
// consumer-offset system topic and continues after them.
type Consumer struct {
	c          *Client
	topic      string
	cfg        consumerConfig
	partitions []int32

	// Named consumers (WithConsumer): the stored offsets at creation, and
	// the last offsets read and committed since.
	stored map[int32]int64
	mu     sync.Mutex
	read   map[int32]int64 // guarded by mu: last offset yielded per partition
	done   map[int32]int64 // guarded by mu: last offset committed per partition
}

// Consumer returns a consumer of topic. It asks the SC for the topic's
// partitions: an unknown topic is an error matching ErrTopicNotFound (hint:
// 'fluvio topic create NAME'), a partition out of range ErrBadOption.
func (c *Client) Consumer(topic string, opts ...ConsumerOption) (*Consumer, error) {
	cfg := defaultConsumerConfig()
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.requestTimeout)
	defer cancel()
	if err := c.checkOpen(); err != nil {
		return nil, err
	}
	n, err := c.meta.partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	var parts []int32
	if cfg.partition >= 0 {
		cfg.partitions = []int32{cfg.partition}
	}
	for _, p := range cfg.partitions {
		if p < 0 || p >= n {
			return nil, badOption("consumer", fmt.Sprintf("pick a partition from 'fluvio partition list --topic %s'", topic),
				"topic %q has partitions 0..%d, not %d", topic, n-1, p)
		}
		if !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		for i := range n {
			parts = append(parts, i)
		}
	}
	cons := &Consumer{c: c, topic: topic, cfg: cfg, partitions: parts}
	if cfg.name != "" {
		stored, err := c.ListConsumers(ctx, cfg.name, topic)
		if err != nil {
			return nil, err
		}
		cons.stored = map[int32]int64{}
		for _, o := range stored {
			cons.stored[o.Partition] = o.Offset
		}
		cons.read, cons.done = map[int32]int64{}, map[int32]int64{}
	}
	return cons, nil
}

// Name returns the consumer's name (WithConsumer), or "".
func (c *Consumer) Name() string { return c.cfg.name }

// Commit stores the last offset read (yielded by Records) in each
// partition since the last commit, for a named consumer; without a name
// it is an ErrBadOption. Safe for concurrent use with Records.
func (c *Consumer) Commit(ctx context.Context) error {
	if c.cfg.name == "" {
		return badOption("commit", "name the consumer with WithConsumer (fluvio consume --consumer NAME)", "consumer of %q has no name: there is nothing to commit to", c.topic)
	}
	c.mu.Lock()
	var offs []ConsumerOffset
	for p, off := range c.read {
		if done, ok := c.done[p]; !ok || done != off {
			offs = append(offs, ConsumerOffset{Consumer: c.cfg.name, Topic: c.topic, Partition: p, Offset: off})
		}
	}
	c.mu.Unlock()
	if len(offs) == 0 {
		return nil
	}
	if err := c.c.CommitOffsets(ctx, offs...); err != nil {
		return err
	}
	c.mu.Lock()
	for _, o := range offs {
		if cur, ok := c.done[o.Partition]; !ok || cur < o.Offset {
			c.done[o.Partition] = o.Offset
		}
	}
	c.mu.Unlock()
	return nil
}

// resumeAt returns the last offset a named consumer read in part: in
// this process, else as stored when the Consumer was created.
func (c *Consumer) resumeAt(part int32) (int64, bool) {
	if c.cfg.name == "" {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if off, ok := c.read[part]; ok {
		return off, true
	}
	off, ok := c.stored[part]
	return off, ok
}

// named wraps yield for a named consumer: it records each record's
// offset; a goroutine (stopped by finish) commits every autoCommit, also
// while the consumer waits for records; finish commits what is left (with
// a context of its own: the caller's may be cancelled already).
func (c *Consumer) named(ctx context.Context, yield func(Record, error) bool) (func(Record, error) bool, func()) {
	if c.cfg.name == "" {
		return yield, func() {}
	}
	wrapped := func(r Record, err error) bool {
		if err == nil {
			c.mu.Lock()
			c.read[r.Partition] = r.Offset
			c.mu.Unlock()
		}
		return yield(r, err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if c.cfg.autoCommit > 0 {
		wg.Go(func() {
			t := time.NewTicker(c.cfg.autoCommit)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					if err := c.Commit(ctx); err != nil && ctx.Err() == nil {
						c.c.cfg.logger.Warn("named consumer: auto-commit failed; retrying at the next interval", "consumer", c.cfg.name, "topic", c.topic, "err", err)
					}
				case <-stop:
					return
				case <-ctx.Done():
					return
				}
			}
		})
	}
	finish := func() {
		close(stop)
		wg.Wait()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.c.cfg.requestTimeout)
		defer cancel()
		if err := c.Commit(cctx); err != nil {
			c.c.cfg.logger.Warn("named consumer: could not store its offsets", "consumer", c.cfg.name, "topic", c.topic, "err", err)
		}
	}
	return wrapped, finish
}

// Topic returns the consumer's topic.
func (c *Consumer) Topic() string { return c.topic }

// Partitions returns the partitions the consumer reads.
func (c *Consumer) Partitions() []int32 { return append([]int32(nil), c.partitions...) }

// Records returns the records in offset order per partition; records of
// different partitions interleave in arrival order. Iterating blocks while
// the log has nothing new (a long-poll fetch) and ends when every
// partition has reached its end (WithEnd, DisableContinuous), when the
// loop breaks, or after an error is yielded: retriable errors (leader
// moved, SPU restarting) are retried with backoff first and yielded only
// after about 25 seconds of failures. When ctx ends the last pair yielded
// is (Record{}, ctx's error); after Client.Close, ErrClosed.
//
// Each call starts a new read; a sequence may be iterated by one
// goroutine at a time. Reading several partitions uses one goroutine per
// partition, all stopped before the iteration returns.
func (c *Consumer) Records(ctx context.Context) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		yield, finish := c.named(ctx, yield)
		defer finish()
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		stop := context.AfterFunc(c.c.ctx, func() { cancel(fmt.Errorf("client: %w", ErrClosed)) })
		defer stop()
		if len(c.partitions) == 1 {
			c.readOne(ctx, c.partitions[0], yield)
			return
		}
		c.readMany(ctx, cancel, yield)
	}
}

func (c *Consumer) readOne(ctx context.Context, part int32, yield func(Record, error) bool) {
	r := c.newReader(part)
	r.reuse = true
	defer r.conn.close()
	for {
		recs, done, err := r.next(ctx)
		for _, rec := range recs {
			if !yield(rec, nil) {
				return
			}
		}
		if err != nil {
			yield(Record{}, err)
			return
		}
		if done {
			return
		}
	}
}

// chunk is what a partition goroutine hands to the iterator.
type chunk struct {
	recs []Record
	err  error
	done bool
}

func (c *Consumer) readMany(ctx context.Context, cancel context.CancelCauseFunc, yield func(Record, error) bool) {
	ch := make(chan chunk)
	var wg sync.WaitGroup
	defer func() {
		cancel(nil)
		wg.Wait()
	}()
	for _, part := range c.partitions {
		r := c.newReader(part)
		wg.Go(func() {
			defer r.conn.close()
			for {
				recs, done, err := r.next(ctx)
				if len(recs) == 0 && err == nil && !done {
					continue
				}
				select {
				case ch <- chunk{recs: recs, err: err, done: done || err != nil}:
				case <-ctx.Done():
					return
				}
				if done || err != nil {
					return
				}
			}
		})
	}
	running := len(c.partitions)
	for running > 0 {
		var ck chunk
		select {
		case ck = <-ch:
		case <-ctx.Done():
			yield(Record{}, context.Cause(ctx))
			return
		}
		for _, rec := range ck.recs {
			if !yield(rec, nil) {
				return
			}
		}
		if ck.err != nil {
			yield(Record{}, ck.err)
			return
		}
		if ck.done {
			running--
		}
	}
}

// partitionReader reads one partition: it resolves the start position on
// its first call, then fetches from the leader.
type partitionReader struct {
	c       *Consumer
	part    int32
	started bool
	offset  int64 // next offset to return
	stopAt  int64 // first offset not to return; -1: follow forever
	conn    readerConn
	// reuse lets decode reuse recs: set when the records are yielded
	// before the next fetch (one partition), not when they are handed to
	// another goroutine.
	reuse bool
	recs  []Record
	// scratch holds each batch's decoded records until they are copied
	// into recs (batch.DecodeInto): no record slice per batch.
	scratch []batch.Record
}

func (c *Consumer) newReader(part int32) *partitionReader {
	return &partitionReader{c: c, part: part, stopAt: -1}
}

func (r *partitionReader) retry(ctx context.Context, f func() error) error {
	warned := false
	err := retry(ctx, consumerMaxRetries, consumerRetryBackoff, consumerMaxBackoff, func() error {
		err := f()
		if err != nil && !warned && retriable(err) {
			// Once per wait, so that a user is not left guessing for the
			// ~25 s the retries may take (the CLI prints warnings).
			warned = true
			r.c.c.cfg.logger.Warn(fmt.Sprintf("%s partition %d cannot be read yet; retrying for up to %s (Ctrl-C stops)", r.c.topic, r.part, retryWaits(consumerMaxRetries, consumerRetryBackoff, consumerMaxBackoff).Round(time.Second)), "err", err)
		}
		return err
	})
	if err != nil && ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// start resolves the first offset and, without continuous reading, where
// to stop.
func (r *partitionReader) start(ctx context.Context) error {
	cl, topic, cfg := r.c.c, r.c.topic, &r.c.cfg
	list := func(ts int64) (int64, error) {
		var off int64
		err := r.retry(ctx, func() error {
			var err error
			off, err = cl.listOffset(ctx, &r.conn, topic, r.part, ts)
			return err
		})
		return off, err
	}
	var err error
	switch cfg.start {
	case startBeginning:
		r.offset, err = list(wire.EarliestTimestamp)
	case startEnd:
		r.offset, err = list(wire.LatestTimestamp)
	case startOffset:
		r.offset = cfg.startValue
	case startTimestamp:
		r.offset, err = list(cfg.startValue)
	case startTail:
		var first, end int64
		if end, err = list(wire.LatestTimestamp); err == nil {
			first, err = list(wire.EarliestTimestamp)
		}
		r.offset = max(end-cfg.startValue, first)
	}
	if err != nil {
		return err
	}
	if off, ok := r.c.resumeAt(r.part); ok {
		r.offset = off + 1 // a named consumer continues after its offset
	}
	if cfg.end >= 0 {
		r.stopAt = cfg.end + 1
	}
	if !cfg.continuous {
		end, err := list(wire.LatestTimestamp)
		if err != nil {
			return err
		}
		if r.stopAt < 0 || end < r.stopAt {
			r.stopAt = end
		}
	}
	return nil
}

// next returns the next records of the partition (possibly none, after a
// long poll that timed out), whether the partition is done, or an error.
func (r *partitionReader) next(ctx context.Context) ([]Record, bool, error) {
	if !r.started {
		if err := r.start(ctx); err != nil {
			return nil, false, err
		}
		r.started = true
	}
	if r.stopAt >= 0 && r.offset >= r.stopAt {
		return nil, true, nil
	}
	var resp *wire.FetchPartitionResponse
	err := r.retry(ctx, func() error {
		var err error
		resp, err = r.c.c.fetchRecords(ctx, &r.conn, r.c.topic, r.part, r.offset, &r.c.cfg, true)
		if errors.Is(err, wire.ErrOffsetOutOfRange) && resp != nil && r.offset < resp.LogStartOffset {
			// Retention removed what we wanted: continue at the start.
			r.offset = resp.LogStartOffset
			return markRetriable(err)
		}
		return err
	})
	if err != nil {
		if errors.Is(err, wire.ErrOffsetOutOfRange) {
			return nil, false, &Error{Op: fmt.Sprintf("read %s partition %d at offset %d", r.c.topic, r.part, r.offset), Err: err,
				Hint: "start inside the log: --beginning, --tail N or a lower --start"}
		}
		return nil, false, err
	}
	recs, err := r.decode(resp.Records)
	if err != nil {
		return recs, false, err // the records before the bad batch first
	}
	done := r.stopAt >= 0 && r.offset >= r.stopAt
	return recs, done, nil
}

// decode turns raw batches into records at or after r.offset and before
// r.stopAt, and advances r.offset past the batches.
func (r *partitionReader) decode(buf []byte) ([]Record, error) {
	var out []Record
	if r.reuse {
		out = r.recs[:0]
		defer func() { r.recs = out[:0] }()
	}
	// The scratch must not keep this answer's buffer alive after it.
	defer func() { clear(r.scratch[:cap(r.scratch)]) }()
	for parsed := 0; len(buf) > 0; parsed++ {
		b, n, err := batch.DecodeInto(buf, r.scratch)
		if err != nil {
			if errors.Is(err, batch.ErrTooShort) && parsed > 0 {
				break // a partial batch at the end of a size-limited fetch
			}
			return out, r.badBatch(buf, err)
		}
		buf = buf[n:]
		if cap(b.Records) > cap(r.scratch) {
			r.scratch = b.Records[:0]
		}
		for _, rec := range b.Records {
			off := b.BaseOffset + int64(rec.OffsetDelta)
			if off < r.offset || (r.stopAt >= 0 && off >= r.stopAt) {
				continue
			}
			out = append(out, Record{
				Topic: r.c.topic, Partition: r.part, Offset: off,
				Key: rec.Key, Value: rec.Value,
				Timestamp: time.UnixMilli(b.FirstTimestamp + rec.TimestampDelta),
				Headers:   fromBatchHeaders(rec.Headers),
			})
		}
		if next := b.BaseOffset + int64(b.LastOffsetDelta) + 1; next > r.offset {
			r.offset = next
		}
	}
	if r.stopAt >= 0 && r.offset > r.stopAt {
		r.offset = r.stopAt
	}
	return out, nil
}

// badBatch is the error for a batch in the log that does not decode (one
// written before the SPU checked records, or damaged): it names the
// partition and offset, and the --start value that reads on past it.
// The records before it have been returned.
func (r *partitionReader) badBatch(buf []byte, err error) error {
	at, skip := r.offset, r.offset+1
	if len(buf) >= batch.HeaderSize {
		at = max(batch.BaseOffset(buf), r.offset)
		skip = at + 1
		if lod := batch.LastOffsetDelta(buf); lod >= 0 {
			skip = max(batch.NextOffset(buf), skip)
		}
	}
	return &Error{
		Op:  fmt.Sprintf("read %s partition %d", r.c.topic, r.part),
		Err: fmt.Errorf("%w at offset %d (every record before it was delivered): %w", ErrBadBatch, at, err),
		Hint: fmt.Sprintf("to read past it, start after the batch: fluvio consume %s -p %d --start %d (FromOffset(%d) in the library)",
			r.c.topic, r.part, skip, skip),
	}
}

func fromBatchHeaders(hs []batch.Header) []Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]Header, len(hs))
	for i, h := range hs {
		out[i] = Header(h)
	}
	return out
}
