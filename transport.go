package fluvio

import (
	"context"
	"errors"
	"fmt"

	"github.com/fluvio-go/fluvio/wire"
)

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
// returns the wait for its answer. A connection that cannot split the
// round trip (a test fake) is called synchronously.
func (c *Client) startProduce(ctx context.Context, call produceCall) func(context.Context) (int64, error) {
	l, conn, err := c.leaderConn(ctx, call.topic, call.partition)
	if err != nil {
		err = notSent(err) // no leader or no connection: nothing was written
		return func(context.Context) (int64, error) { return -1, err }
	}
	req := &wire.ProduceRequest{
		Acks: wireAcks(call.acks), TimeoutMs: int32(call.timeout.Milliseconds()),
		Topic: call.topic, Partition: call.partition, Records: call.records,
	}
	answer := func(resp *wire.ProduceResponse, err error) (int64, error) {
		if err == nil {
			err = resp.Err()
		}
		if err != nil && resp != nil && resp.ErrorCode == wire.DuplicateSequence && resp.BaseOffset >= 0 {
			// A retry of stored batches: the leader's proof is their
			// original offset (the pipeline completes them with it).
			return resp.BaseOffset, fmt.Errorf("%s partition %d: %w", call.topic, call.partition, err)
		}
		if err != nil {
			return -1, c.classify(ctx, call.topic, call.partition, l, conn, err)
		}
		if call.acks == AcksNone {
			return -1, nil
		}
		return resp.BaseOffset, nil
	}
	if ap, ok := conn.(asyncProducer); ok {
		pending := ap.StartProduce(ctx, req)
		return func(wctx context.Context) (int64, error) { return answer(pending.Wait(wctx)) }
	}
	base, err := answer(conn.Produce(ctx, req))
	return func(context.Context) (int64, error) { return base, err }
}

// readerConn is a partition reader's own connection to the partition's
// leader. The wire answers a connection's requests in order, so a long
// poll on a shared connection would hold back the answers queued behind
// it (another partition's records, a producer's acks); each reader keeps
// its own connection instead of using the pool.
type readerConn struct {
	id   int32
	addr string
	conn spuConn
}

// get returns a connection to the partition's current leader, dialing
// when the leader changed or the last connection failed.
func (rc *readerConn) get(ctx context.Context, c *Client, topic string, partition int32) (leader, spuConn, error) {
	if err := c.checkOpen(); err != nil {
		return leader{}, nil, err
	}
	l, err := c.meta.leader(ctx, topic, partition)
	if err != nil {
		return leader{}, nil, err
	}
	if rc.conn != nil && rc.id == l.id && rc.addr == l.addr {
		return l, rc.conn, nil
	}
	rc.close()
	dctx, cancel := context.WithTimeout(ctx, c.cfg.dialTimeout)
	defer cancel()
	conn, err := c.pool.dial(dctx, l.id, l.addr)
	if err != nil {
		c.meta.invalidate(topic)
		if ctx.Err() != nil {
			return leader{}, nil, context.Cause(ctx)
		}
		if permanentDialError(err) {
			return leader{}, nil, &Error{Op: fmt.Sprintf("connect to SPU %d at %s", l.id, l.addr), Err: err}
		}
		return leader{}, nil, markRetriable(&Error{Op: fmt.Sprintf("connect to SPU %d at %s", l.id, l.addr), Err: err,
			Hint: fmt.Sprintf("is spu-server %d running and reachable? check 'fluvio spu list'", l.id)})
	}
	rc.id, rc.addr, rc.conn = l.id, l.addr, conn
	return l, conn, nil
}

// failed forgets the connection after a transport error (classify has
// closed it).
func (rc *readerConn) failed(err error) {
	if _, ok := errors.AsType[*wire.Error](err); !ok {
		rc.conn = nil
	}
}

func (rc *readerConn) close() {
	if rc.conn != nil {
		rc.conn.Close()
		rc.conn = nil
	}
}

// fetchRecords reads one partition from its leader, long-polling up to maxWait,
// on the reader's connection.
func (c *Client) fetchRecords(ctx context.Context, rc *readerConn, topic string, partition int32, offset int64, cfg *consumerConfig, wait bool) (*wire.FetchPartitionResponse, error) {
	l, conn, err := rc.get(ctx, c, topic, partition)
	if err != nil {
		return nil, err
	}
	req := &wire.FetchRequest{
		ReplicaID: -1, MinBytes: 1, MaxBytes: cfg.maxBytes, ReadUncommitted: cfg.uncommitted,
		Partitions: []wire.FetchPartition{{Topic: topic, Partition: partition, Offset: offset, MaxBytes: cfg.maxBytes, CurrentLeaderEpoch: -1}},
	}
	if wait {
		req.MaxWaitMs = int32(cfg.maxWait.Milliseconds())
	}
	resp, err := conn.Fetch(ctx, req)
	if err == nil && len(resp.Partitions) != 1 {
		err = fmt.Errorf("fetch answered %d partitions, want 1: %w", len(resp.Partitions), wire.ErrInvalidRequest)
	}
	if err != nil {
		rc.failed(err)
		return nil, c.classify(ctx, topic, partition, l, conn, err)
	}
	p := &resp.Partitions[0]
	if err := p.Err(); err != nil {
		return p, c.classify(ctx, topic, partition, l, conn, err)
	}
	return p, nil
}

// listOffset returns the partition's offset for a timestamp (or
// wire.LatestTimestamp / wire.EarliestTimestamp), on the reader's
// connection.
func (c *Client) listOffset(ctx context.Context, rc *readerConn, topic string, partition int32, ts int64) (int64, error) {
	l, conn, err := rc.get(ctx, c, topic, partition)
	if err != nil {
		return -1, err
	}
	resp, err := conn.ListOffsets(ctx, &wire.ListOffsetsRequest{Topic: topic, Partition: partition, Timestamp: ts})
	if err == nil {
		err = resp.Err()
	}
	if err != nil {
		rc.failed(err)
		return -1, c.classify(ctx, topic, partition, l, conn, err)
	}
	return resp.Offset, nil
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

// classify turns a failed data-plane call into the error its caller sees,
// marking what is worth retrying and dropping what is stale: the
// connection after a transport failure, the topic's metadata after an
// answer that says the leader moved.
func (c *Client) classify(ctx context.Context, topic string, partition int32, l leader, conn spuConn, err error) error {
	where := fmt.Sprintf("%s partition %d at SPU %d (%s)", topic, partition, l.id, l.addr)
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return err
	}
	we, ok := errors.AsType[*wire.Error](err)
	if !ok {
		// The connection failed: dial again, maybe elsewhere.
		c.pool.drop(l.id, conn)
		c.meta.invalidate(topic)
		if c.ctx.Err() != nil {
			return fmt.Errorf("%s: %w", where, ErrClosed)
		}
		return markRetriable(fmt.Errorf("%s: %w", where, err))
	}
	switch we.Code {
	case wire.NotLeader, wire.LeaderNotAvailable, wire.ShuttingDown, wire.StaleEpoch, wire.UnknownLeaderEpoch,
		wire.UnknownTopicOrPartition:
		// The leader moved, or the SPU has not applied the SC's replica
		// set yet (a new topic): ask the SC again.
		c.meta.invalidate(topic)
		return markRetriable(fmt.Errorf("%s: %w", where, err))
	case wire.RecordTooLarge:
		return &Error{Op: where, Err: errors.Join(ErrRecordTooLarge, err),
			Hint: "send smaller records, or create the topic with a larger max record size"}
	}
	if we.Retriable {
		return markRetriable(fmt.Errorf("%s: %w", where, err))
	}
	return fmt.Errorf("%s: %w", where, err)
}
