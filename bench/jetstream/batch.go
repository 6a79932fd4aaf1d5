package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fluvio-go/fluvio/bench"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
)

// JetStream's batch publishing (nats-server 2.12+), spoken on the wire: the
// vendored nats.go has no client for it yet. Both modes need the stream
// options Create sets (allow_batched, allow_atomic).
//
// Atomic: every message carries Nats-Batch-Id and Nats-Batch-Sequence; the
// last one also Nats-Batch-Commit: 1 and a reply subject. The server stages
// the batch and stores it at the commit, with one fsync for the whole batch
// under sync_interval: always, then answers the commit with one PubAck. At
// most 1,000 messages per batch and 50 batches in flight per stream.
//
// Fast: the reply subject carries the batch: <inbox>.<id>.<flow>.fail.<seq>.<op>.$FI
// (op 0 start, 1 append, 3 end of batch). The server stores each message as
// it comes (one fsync per message under sync_interval: always), sends a
// flow ack {"type":"ack","seq":N} every <flow> messages, and a PubAck after
// the end-of-batch marker.

// Headers of atomic batch publishing.
const (
	hdrBatchID     = "Nats-Batch-Id"
	hdrBatchSeq    = "Nats-Batch-Sequence"
	hdrBatchCommit = "Nats-Batch-Commit"
)

// Fast batch operations (the reply subject's op token).
const (
	fastOpStart  = 0
	fastOpAppend = 1
	fastOpEOB    = 3
)

// maxAtomicBatch is the server's default maximum atomic batch size.
const maxAtomicBatch = 1000

// maxAtomicInflight is the server's default limit of atomic batches in
// flight per stream.
const maxAtomicInflight = 50

// batchReply is every answer the batch modes read: a PubAck, an error, or
// a fast batch flow message.
type batchReply struct {
	Type     string `json:"type"` // fast flow messages: ack, gap, err
	Seq      uint64 `json:"seq"`
	Stream   string `json:"stream"`
	Batch    string `json:"batch"`
	Count    uint64 `json:"count"`
	LastSeq  uint64 `json:"last_seq"`
	APIError *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
}

func (r batchReply) err() error {
	switch {
	case r.APIError != nil:
		return fmt.Errorf("jetstream: batch publish: %s (err_code %d)", r.APIError.Description, r.APIError.ErrCode)
	case r.Type == "gap":
		return fmt.Errorf("jetstream: fast batch: gap, expected %d, got %d", r.LastSeq, r.Seq)
	case r.Type == "err":
		return fmt.Errorf("jetstream: fast batch: error at sequence %d", r.Seq)
	}
	return nil
}

// windowRecords is how many records the window of s holds (at least 1).
func windowRecords(s bench.Spec) int {
	n := max(1, s.MaxInFlight)
	if s.MaxInFlightBytes > 0 && s.RecordSize > 0 {
		n = min(n, max(1, s.MaxInFlightBytes/s.RecordSize))
	}
	return n
}

// batchRecords is the records per batch: BatchBytes worth (our producer's
// batch size), at least 1, at most max and the window.
func batchRecords(s bench.Spec, most int) int {
	n := 1
	if s.BatchBytes > 0 && s.RecordSize > 0 {
		n = max(1, s.BatchBytes/s.RecordSize)
	}
	return min(n, most, windowRecords(s))
}

func nextReply(ctx context.Context, sub *nats.Subscription, ch <-chan *nats.Msg) (batchReply, error) {
	var r batchReply
	select {
	case m := <-ch:
		if err := json.Unmarshal(m.Data, &r); err != nil {
			return r, fmt.Errorf("jetstream: batch reply %q: %w", m.Data, err)
		}
		return r, r.err()
	case <-time.After(30 * time.Second):
		return r, fmt.Errorf("jetstream: no batch reply on %s within 30 s", sub.Subject)
	case <-ctx.Done():
		return r, fmt.Errorf("jetstream: batch publish: %w", ctx.Err())
	}
}

// produceAtomic publishes s as atomic batches of batchRecords records each,
// round-robin over the partitions' subjects batch by batch, with at most a
// window of records (and 50 batches per stream) unacknowledged.
func produceAtomic(ctx context.Context, nc *nats.Conn, s bench.Spec) (bench.Figures, error) {
	var f bench.Figures
	// The batch headers ride in the message: a record of the server's
	// max_payload (1 MiB by default) cannot go in an atomic batch.
	if hdr := len(hdrBatchID) + len(hdrBatchSeq) + len(hdrBatchCommit) + 64; int64(s.RecordSize+hdr) > nc.MaxPayload() {
		return f, bench.NotAvailable(fmt.Sprintf("atomic batch: a %d-byte record and its batch headers exceed the server's max_payload of %d bytes", s.RecordSize, nc.MaxPayload()))
	}
	per := batchRecords(s, maxAtomicBatch)
	inflight := max(1, min(windowRecords(s)/per, maxAtomicInflight))
	inbox := nats.NewInbox()
	ch := make(chan *nats.Msg, inflight+1)
	sub, err := nc.ChanSubscribe(inbox+".*", ch)
	if err != nil {
		return f, fmt.Errorf("jetstream: subscribe: %w", err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // the connection closes next
	parts := max(1, s.Partitions)
	data := payload(s.RecordSize)
	msg := &nats.Msg{Data: data}
	var sent, batches, pending int
	start := time.Now()
	for s.More(sent, start) {
		for pending >= inflight {
			if _, err := nextReply(ctx, sub, ch); err != nil {
				return f, err
			}
			pending--
		}
		id := nuid.Next()
		msg.Subject = Subject(s.Topic, batches%parts)
		for i := 1; i <= per; i++ {
			msg.Header = nats.Header{hdrBatchID: {id}, hdrBatchSeq: {strconv.Itoa(i)}}
			msg.Reply = ""
			if i == per {
				msg.Header[hdrBatchCommit] = []string{"1"}
				msg.Reply = inbox + "." + strconv.Itoa(batches)
			}
			if err := nc.PublishMsg(msg); err != nil {
				return f, fmt.Errorf("jetstream: publish: %w", err)
			}
		}
		sent += per
		batches++
		pending++
	}
	for ; pending > 0; pending-- {
		if _, err := nextReply(ctx, sub, ch); err != nil {
			return f, err
		}
	}
	f.Elapsed = time.Since(start)
	f.Records = int64(sent)
	f.Bytes = int64(sent) * int64(s.RecordSize)
	f.Throughput()
	f.Set("batch_records", float64(per))
	return f, nil
}

// fastStream is one partition's fast batch.
type fastStream struct {
	subject, prefix string
	seq, acked      uint64
}

// produceFast publishes s as one fast batch per partition (round-robin
// message by message), keeping at most a window of records beyond the flow
// acks, flow acks every half window, then ends every batch and waits for
// its PubAck.
func produceFast(ctx context.Context, nc *nats.Conn, s bench.Spec) (bench.Figures, error) {
	var f bench.Figures
	window := windowRecords(s)
	flow := max(1, min(window/2, 65535))
	inbox := nats.NewInbox()
	ch := make(chan *nats.Msg, 1024)
	sub, err := nc.ChanSubscribe(inbox+".>", ch)
	if err != nil {
		return f, fmt.Errorf("jetstream: subscribe: %w", err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // the connection closes next
	streams := make([]*fastStream, max(1, s.Partitions))
	byPrefix := map[string]*fastStream{}
	for i := range streams {
		id := nuid.Next()
		st := &fastStream{subject: Subject(s.Topic, i), prefix: fmt.Sprintf("%s.%s.%d.fail.", inbox, id, flow)}
		streams[i] = st
		byPrefix[inbox+"."+id] = st
	}
	// handle applies one reply; done counts the PubAcks.
	done := 0
	handle := func(m *nats.Msg) error {
		var r batchReply
		if err := json.Unmarshal(m.Data, &r); err != nil {
			return fmt.Errorf("jetstream: fast batch reply %q: %w", m.Data, err)
		}
		if err := r.err(); err != nil {
			return err
		}
		// The subject is <inbox>.<id>.<flow>.fail.<seq>.<op>.$FI.
		st := streamOf(byPrefix, m.Subject)
		if st == nil {
			return fmt.Errorf("jetstream: fast batch reply on unknown subject %s", m.Subject)
		}
		switch {
		case r.Type == "ack":
			st.acked = max(st.acked, r.Seq)
		case r.Batch != "":
			st.acked = max(st.acked, r.Count)
			done++
		}
		return nil
	}
	wait := func() error {
		select {
		case m := <-ch:
			return handle(m)
		case <-time.After(30 * time.Second):
			return errors.New("jetstream: fast batch: no flow ack within 30 s")
		case <-ctx.Done():
			return fmt.Errorf("jetstream: fast batch: %w", ctx.Err())
		}
	}
	unacked := func() int {
		n := 0
		for _, st := range streams {
			n += int(st.seq - st.acked)
		}
		return n
	}
	data := payload(s.RecordSize)
	msg := &nats.Msg{Data: data}
	var sent int
	start := time.Now()
	for s.More(sent, start) {
		for unacked() >= window {
			if err := wait(); err != nil {
				return f, err
			}
		}
		for len(ch) > 0 {
			if err := handle(<-ch); err != nil {
				return f, err
			}
		}
		st := streams[sent%len(streams)]
		st.seq++
		op := fastOpAppend
		if st.seq == 1 {
			op = fastOpStart
		}
		msg.Subject = st.subject
		msg.Reply = st.prefix + strconv.FormatUint(st.seq, 10) + "." + strconv.Itoa(op) + ".$FI"
		if err := nc.PublishMsg(msg); err != nil {
			return f, fmt.Errorf("jetstream: publish: %w", err)
		}
		sent++
	}
	ended := 0
	for _, st := range streams {
		if st.seq == 0 {
			continue
		}
		eob := &nats.Msg{Subject: st.subject, Reply: st.prefix + strconv.FormatUint(st.seq+1, 10) + "." + strconv.Itoa(fastOpEOB) + ".$FI"}
		if err := nc.PublishMsg(eob); err != nil {
			return f, fmt.Errorf("jetstream: publish end of batch: %w", err)
		}
		ended++
	}
	for done < ended {
		if err := wait(); err != nil {
			return f, err
		}
	}
	f.Elapsed = time.Since(start)
	f.Records = int64(sent)
	f.Bytes = int64(sent) * int64(s.RecordSize)
	f.Throughput()
	f.Set("flow", float64(flow))
	return f, nil
}

// streamOf finds the fast batch a reply subject belongs to: its first two
// tokens after the inbox name it.
func streamOf(byPrefix map[string]*fastStream, subject string) *fastStream {
	for p, st := range byPrefix {
		if len(subject) > len(p) && subject[:len(p)] == p && subject[len(p)] == '.' {
			return st
		}
	}
	return nil
}
