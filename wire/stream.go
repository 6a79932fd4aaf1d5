package wire

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"time"
)

// A produce request whose records are large is offered, before its
// records have arrived, to a Handler that is also a ProduceStreamer: the
// handler may take the records chunk by chunk as they are read from the
// socket (the SPU writes them to its log while the client still sends,
// so the copy into the page cache overlaps the transfer). The request
// then reaches Handle as usual, whole, with Stream set; the handler
// checks it and commits or aborts the stream there.

// StreamMin is the size of the records from which a produce request is
// offered to a ProduceStreamer; smaller ones are read whole (their copy
// is short, and streaming holds the partition's log while it lasts).
const StreamMin = 256 << 10

// streamFirst is how much of a streamed request is read before it is
// offered (the request's fields and the start of its records: at least
// a batch header); streamChunk bounds each later read, and streamMinWrite
// is the least the stream is handed at a time (one write per chunk).
const (
	streamFirst    = 64 << 10
	streamChunk    = 256 << 10
	streamMinWrite = 64 << 10
)

// RecordsStream receives a produce request's records as they arrive
// (Write, in order, every byte once) until the handler commits it in
// Handle; Abort gives it up and must be a no-op after a commit or an
// abort. The server calls Abort when the frame does not complete (a
// short frame, the frame deadline, a closed connection), when the stream
// takes longer than ServerConfig.StreamBudget (the rest is then read
// whole and the request reaches Handle without Stream), and after Handle
// returns (the handler's commit makes that a no-op).
type RecordsStream interface {
	Write(p []byte) error
	Abort()
}

// ProduceStreamer is implemented by a Handler that can take a large
// produce request's records while they arrive. StreamProduce is called
// on the connection's reader goroutine with the request's fields
// (Records nil), the records' size n and their first bytes (at least
// 61, the batch header, which the handler may change in place: the
// request's Records alias the same buffer); it returns nil to have the
// request read whole. The returned stream is then handed first and
// every later chunk.
type ProduceStreamer interface {
	StreamProduce(ctx context.Context, req *ProduceRequest, n int, first []byte) RecordsStream
}

// batchHeaderLen is the size of a record batch's fixed header, which a
// ProduceStreamer is given whole in the records' first bytes.
const batchHeaderLen = 61

// safeStreamProduce calls ps.StreamProduce; a panic there declines the
// stream (logged), as a panic in Handle fails only its request.
func safeStreamProduce(ctx context.Context, ps ProduceStreamer, req *ProduceRequest, n int, first []byte, log *slog.Logger) (s RecordsStream) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("wire: panic offering a produce stream; reading the request whole", "panic", p, "stack", string(debug.Stack()))
			s = nil
		}
	}()
	return ps.StreamProduce(ctx, req, n, first)
}

// streamedProduce reports whether the frame at the head of br is a
// produce request large enough to stream (its head is already buffered:
// this never blocks).
func streamedProduce(br *bufio.Reader, maxSize int) bool {
	if br.Buffered() < SizeLen+RequestHeaderLen {
		return false
	}
	p, err := br.Peek(SizeLen + RequestHeaderLen)
	if err != nil {
		return false
	}
	size := int64(int32(binary.BigEndian.Uint32(p)))
	h := requestHeader(p[SizeLen:])
	return h.Key == KeyProduce && size <= int64(maxSize) && size-RequestHeaderLen >= StreamMin
}

// produceHead decodes the fields of a produce request before its records
// from p (the start of the payload) into req, and returns where the
// records start and their length; ok is false if p is too short or the
// fields are malformed (the whole request is then decoded as usual,
// which reports it).
func produceHead(p []byte, req *ProduceRequest) (off, n int, ok bool) {
	d := decoder{p: p}
	req.Acks = Acks(d.int16())
	req.TimeoutMs = d.int32()
	req.Topic = d.string()
	req.Partition = d.int32()
	n = int(d.int32())
	if d.err != nil || n < 0 {
		return 0, 0, false
	}
	return len(p) - len(d.p), n, true
}

// readProduceStreamed reads a produce request frame that
// streamedProduce accepted, offering its records to ps while they
// arrive. It returns what readRequestInto returns and the stream, if the
// handler took it and it completed within cfg.StreamBudget (nil
// otherwise: the request was read whole). rd is the frame's read
// deadline as armed (the stream's shorter one is set on nc and rd is
// restored after).
func readProduceStreamed(ctx context.Context, nc net.Conn, br *bufio.Reader, cfg ServerConfig, ps ProduceStreamer, buf []byte, rd time.Time) (RequestHeader, []byte, RecordsStream, error) {
	size, h, err := peekRequestHead(br)
	if err != nil {
		return h, nil, nil, err
	}
	n := int(size - RequestHeaderLen)
	payload := payloadBuffer(buf, n)
	got := min(n, streamFirst)
	if _, err := io.ReadFull(br, payload[:got]); err != nil {
		return h, nil, nil, unexpected(err)
	}
	var stream RecordsStream
	var head ProduceRequest
	if off, rn, ok := produceHead(payload[:got], &head); ok && off+rn == n && rn >= StreamMin && got-off >= batchHeaderLen {
		if stream = safeStreamProduce(ctx, ps, &head, rn, payload[off:got], cfg.Logger); stream != nil {
			if err := stream.Write(payload[off:got]); err != nil {
				stream.Abort()
				stream = nil
			}
		}
	}
	if stream != nil {
		if until := time.Now().Add(cfg.StreamBudget); until.Before(rd) {
			_ = nc.SetReadDeadline(until)
		}
		for got < n {
			m, err := io.ReadAtLeast(br, payload[got:min(n, got+streamChunk)], min(n-got, streamMinWrite))
			if err != nil {
				stream.Abort()
				stream = nil
				if errors.Is(err, os.ErrDeadlineExceeded) && time.Now().Before(rd) && ctx.Err() == nil {
					// Too slow to stream: the log is given back and the
					// rest is read whole, within the frame's deadline.
					got += m
					break
				}
				_ = nc.SetReadDeadline(rd)
				return h, nil, nil, unexpected(err)
			}
			if err := stream.Write(payload[got : got+m]); err != nil {
				stream.Abort()
				stream = nil
				got += m
				break
			}
			got += m
		}
		_ = nc.SetReadDeadline(rd)
	}
	if _, err := io.ReadFull(br, payload[got:]); err != nil {
		if stream != nil {
			stream.Abort()
		}
		return h, nil, nil, unexpected(err)
	}
	return h, payload, stream, nil
}
