package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// inlineHandler answers produce at once (BaseOffset = len(records);
// topic "missing": a request-level error), a fetch of topic "wait" once
// release is closed, and any other fetch at once with big records. It
// reports each produce's record count on handled and keeps the
// connection's state.
type inlineHandler struct {
	release chan struct{}
	handled chan int
	st      atomic.Pointer[ConnState]
}

func (h *inlineHandler) Handle(ctx context.Context, req Request) Reply {
	h.st.Store(ConnStateOf(ctx))
	switch r := req.(type) {
	case *ProduceRequest:
		h.handled <- len(r.Records)
		if r.Topic == "missing" {
			return RespondErr(UnknownTopicOrPartition.ErrMsg("no such topic"))
		}
		return Respond(&ProduceResponse{BaseOffset: int64(len(r.Records))})
	case *FetchRequest:
		if r.Partitions[0].Topic == "wait" {
			return Defer(func(ctx context.Context) (Response, error) {
				select {
				case <-h.release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				return &FetchResponse{}, nil
			})
		}
		return Respond(&FetchResponse{Partitions: []FetchPartitionResponse{{Topic: r.Partitions[0].Topic, Source: bytesSource(make([]byte, 1<<20))}}})
	}
	return RespondErr(UnsupportedVersion.ErrMsg("not in this test"))
}

// requestFrame encodes req as a request frame with correlation id corr.
func requestFrame(t *testing.T, corr int32, req Request) []byte {
	t.Helper()
	e := encoder{buf: make([]byte, SizeLen+RequestHeaderLen, 256)}
	req.encode(&e)
	parts, size := e.finish()
	var out []byte
	for _, p := range parts {
		out = append(out, p.b...)
	}
	testkit.Equal(t, len(out), size)
	binary.BigEndian.PutUint32(out[0:], uint32(size-SizeLen))
	binary.BigEndian.PutUint16(out[4:], uint16(req.APIKey()))
	binary.BigEndian.PutUint32(out[8:], uint32(corr))
	return out
}

// The reader answers a ready reply itself when nothing is queued for the
// writer; behind a waiting or slow answer, ready replies queue and keep
// the request order; an error is answered inline too; a write that fails
// inline closes the connection.
func TestServerInlineAnswers(t *testing.T) {
	h := &inlineHandler{release: make(chan struct{}), handled: make(chan int, 16)}
	srv, cli := net.Pipe()
	defer cli.Close()
	served := make(chan error, 1)
	go func() { served <- ServeConn(context.Background(), srv, ServerConfig{}, h) }()
	// Writes go through a goroutine: a pipe write blocks until the server
	// reads it, and the server's reader may be busy writing an answer.
	frames := make(chan []byte, 16)
	defer close(frames)
	go func() {
		for f := range frames {
			if _, err := cli.Write(f); err != nil {
				return
			}
		}
	}()
	answer := func(corr int32) *frameResult {
		t.Helper()
		_ = cli.SetReadDeadline(time.Now().Add(5 * time.Second))
		f, err := readResponse(cli, DefaultClientMaxFrameSize)
		testkit.NoErr(t, err)
		testkit.Equal(t, f.corr, corr)
		return &frameResult{code: f.code, payload: f.payload}
	}
	produced := func(corr int32, n int) {
		t.Helper()
		f := answer(corr)
		testkit.Equal(t, f.code, None)
		var r ProduceResponse
		d := decoder{p: f.payload}
		r.decode(&d)
		testkit.NoErr(t, d.done())
		testkit.Equal(t, r.BaseOffset, int64(n))
	}
	inlined := func(want int64) {
		t.Helper()
		testkit.WaitFor(t, 5*time.Second, func() error {
			if got := h.st.Load().inlined.Load(); got != want {
				return fmt.Errorf("%d answers written by the reader, want %d", got, want)
			}
			return nil
		})
	}

	// Idle: answered by the reader.
	frames <- requestFrame(t, 1, &ProduceRequest{Topic: "t", Records: make([]byte, 3)})
	produced(1, 3)
	<-h.handled
	inlined(1)

	// Behind a long poll: the ready answer waits its turn.
	frames <- requestFrame(t, 2, &FetchRequest{Partitions: []FetchPartition{{Topic: "wait"}}})
	frames <- requestFrame(t, 3, &ProduceRequest{Topic: "t", Records: make([]byte, 5)})
	testkit.Equal(t, <-h.handled, 5)
	close(h.release)
	testkit.Equal(t, answer(2).code, None)
	produced(3, 5)
	inlined(1)

	// Behind a slow write (1 MiB the client has not read yet).
	frames <- requestFrame(t, 4, &FetchRequest{Partitions: []FetchPartition{{Topic: "big"}}})
	frames <- requestFrame(t, 5, &ProduceRequest{Topic: "t", Records: make([]byte, 7)})
	testkit.Equal(t, <-h.handled, 7)
	f := answer(4)
	testkit.Equal(t, f.code, None)
	if len(f.payload) < 1<<20 {
		t.Fatalf("fetch answer of %d bytes, want the 1 MiB records", len(f.payload))
	}
	produced(5, 7)
	inlined(1)

	// Idle again (once the writer has counted its last answer out: the
	// client may read it first), then an error: both inline.
	corr := int32(6)
	testkit.WaitFor(t, 5*time.Second, func() error {
		before := h.st.Load().inlined.Load()
		frames <- requestFrame(t, corr, &ProduceRequest{Topic: "t", Records: make([]byte, 9)})
		produced(corr, 9)
		<-h.handled
		corr++
		if h.st.Load().inlined.Load() == before {
			return errors.New("answered by the writer")
		}
		return nil
	})
	inlined(2)
	frames <- requestFrame(t, corr, &ProduceRequest{Topic: "missing"})
	testkit.Equal(t, answer(corr).code, UnknownTopicOrPartition)
	<-h.handled
	inlined(3)
	corr++

	// The client goes away before reading: the inline write fails and the
	// connection closes.
	frames <- requestFrame(t, corr, &ProduceRequest{Topic: "t", Records: make([]byte, 11)})
	testkit.Equal(t, <-h.handled, 11)
	cli.Close()
	select {
	case <-served:
	case <-time.After(5 * time.Second):
		t.Fatal("ServeConn still running after its client closed")
	}
	inlined(4) // the failed write was the reader's
}

type frameResult struct {
	code    ErrorCode
	payload []byte
}
