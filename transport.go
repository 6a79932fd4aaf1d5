package fluvio

import (
	"context"
	"errors"
	"fmt"

	"github.com/fluvio-go/fluvio/wire"
)

// The client's data-plane calls share these: the partition leader's
// pooled connection (the producer's requests, producer_request.go) and the
// classification of a failed call (consumer reads use their own
// connections, consumer_conn.go).

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
	if leaderMoved(we.Code) {
		c.meta.invalidate(topic)
		return markRetriable(fmt.Errorf("%s: %w", where, err))
	}
	if we.Code == wire.RecordTooLarge {
		return &Error{Op: where, Err: errors.Join(ErrRecordTooLarge, err),
			Hint: "send smaller records, or create the topic with a larger max record size"}
	}
	if we.Retriable {
		return markRetriable(fmt.Errorf("%s: %w", where, err))
	}
	return fmt.Errorf("%s: %w", where, err)
}
