package fluvio

import (
	"context"
	"errors"
	"fmt"

	"github.com/fluvio-go/fluvio/wire"
)

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
