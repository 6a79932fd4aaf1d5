package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// testServer runs Serve on 127.0.0.1:0 until the test ends.
func testServer(t *testing.T, cfg ServerConfig, h Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, cfg, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), addr)
	testkit.NoErr(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// echo answers produce with BaseOffset = len(records), list offsets with
// the timestamp, and fetch by waiting for release (a long poll).
type echo struct {
	release chan struct{}
}

func (e *echo) Handle(ctx context.Context, req Request) Reply {
	switch r := req.(type) {
	case *ProduceRequest:
		if r.Topic == "missing" {
			return Respond(&ProduceResponse{ErrorCode: UnknownTopicOrPartition, ErrorMessage: `topic "missing" not found`, BaseOffset: -1})
		}
		return Respond(&ProduceResponse{BaseOffset: int64(len(r.Records))})
	case *ListOffsetsRequest:
		return Respond(&ListOffsetsResponse{Offset: r.Timestamp})
	case *FetchRequest:
		return Defer(func(ctx context.Context) (Response, error) {
			select {
			case <-e.release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return &FetchResponse{Partitions: []FetchPartitionResponse{{
				Topic: r.Partitions[0].Topic, Source: bytesSource("batch bytes"), HighWatermark: 1,
			}}}, nil
		})
	}
	return RespondErr(UnsupportedVersion.ErrMsg("not in this test"))
}

func TestConnRoundTrips(t *testing.T) {
	e := &echo{release: make(chan struct{})}
	c := dial(t, testServer(t, ServerConfig{}, e))
	ctx := context.Background()

	v, err := c.APIVersions(ctx)
	testkit.NoErr(t, err)
	testkit.DeepEqual(t, v, SupportedAPIs())

	pr, err := c.Produce(ctx, &ProduceRequest{Acks: AcksLeader, Topic: "t", Records: []byte("12345")})
	testkit.NoErr(t, err)
	testkit.Equal(t, pr.BaseOffset, 5)

	_, err = c.Produce(ctx, &ProduceRequest{Topic: "missing"})
	testkit.ErrIs(t, err, ErrUnknownTopicOrPartition)
	testkit.Equal(t, err.Error(), `wire: unknown topic or partition: topic "missing" not found`)

	lo, err := c.ListOffsets(ctx, &ListOffsetsRequest{Timestamp: EarliestTimestamp})
	testkit.NoErr(t, err)
	testkit.Equal(t, lo.Offset, EarliestTimestamp)

	// A request-level error keeps the connection.
	_, err = c.EpochEndOffset(ctx, &EpochEndOffsetRequest{})
	testkit.ErrIs(t, err, ErrUnsupportedVersion)
	testkit.Equal(t, err.Error(), "wire: unsupported API version: not in this test")

	close(e.release)
	fr, err := c.Fetch(ctx, &FetchRequest{Partitions: []FetchPartition{{Topic: "t"}}})
	testkit.NoErr(t, err)
	testkit.Equal(t, string(fr.Partitions[0].Records), "batch bytes")
	testkit.Equal(t, c.Err(), nil)
}

// A long poll ahead in the queue delays later answers (they are in order)
// but not earlier ones, and pipelined calls from many goroutines each get
// their own answer.
func TestConnPipelining(t *testing.T) {
	e := &echo{release: make(chan struct{})}
	c := dial(t, testServer(t, ServerConfig{}, e))
	ctx := context.Background()

	fetchDone := make(chan error, 1)
	_, err := c.Produce(ctx, &ProduceRequest{Records: []byte("x")})
	testkit.NoErr(t, err)
	go func() {
		_, err := c.Fetch(ctx, &FetchRequest{Partitions: []FetchPartition{{Topic: "t"}}})
		fetchDone <- err
	}()
	behind := make(chan error, 1)
	testkit.WaitFor(t, 5*time.Second, func() error {
		c.p.Lock()
		defer c.p.Unlock()
		if len(c.p.queue) != 1 {
			return fmt.Errorf("%d pending, want the fetch", len(c.p.queue))
		}
		return nil
	})
	go func() {
		_, err := c.Produce(ctx, &ProduceRequest{Records: []byte("y")})
		behind <- err
	}()
	select {
	case err := <-behind:
		t.Fatalf("answered before the long poll ahead of it: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(e.release)
	testkit.NoErr(t, <-fetchDone)
	testkit.NoErr(t, <-behind)

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			for j := range 50 {
				n := i*50 + j
				r, err := c.Produce(ctx, &ProduceRequest{Records: make([]byte, n)})
				if err != nil {
					errs <- err
					return
				}
				if r.BaseOffset != int64(n) {
					errs <- fmt.Errorf("request %d got the answer of %d", n, r.BaseOffset)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestConnContextCancel(t *testing.T) {
	e := &echo{release: make(chan struct{})}
	c := dial(t, testServer(t, ServerConfig{}, e))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := c.Fetch(ctx, &FetchRequest{Partitions: []FetchPartition{{Topic: "t"}}})
	testkit.ErrIs(t, err, context.DeadlineExceeded)
	// The connection still works; the abandoned answer is dropped.
	close(e.release)
	r, err := c.Produce(context.Background(), &ProduceRequest{Records: []byte("abc")})
	testkit.NoErr(t, err)
	testkit.Equal(t, r.BaseOffset, 3)
}

func TestConnClosedByServer(t *testing.T) {
	e := &echo{release: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, ServerConfig{}, e) }()
	c := dial(t, ln.Addr().String())
	fetchErr := make(chan error, 1)
	go func() {
		_, err := c.Fetch(context.Background(), &FetchRequest{Partitions: []FetchPartition{{Topic: "t"}}})
		fetchErr <- err
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		c.p.Lock()
		defer c.p.Unlock()
		if len(c.p.queue) == 0 {
			return errors.New("fetch not sent yet")
		}
		return nil
	})
	cancel()
	testkit.NoErr(t, <-done)
	testkit.ErrIs(t, <-fetchErr, ErrConnClosed)
	<-c.Done()
	_, err = c.Produce(context.Background(), &ProduceRequest{})
	testkit.ErrIs(t, err, ErrConnClosed)
	if !IsRetriable(err) {
		t.Fatal("a closed connection should be retriable")
	}
}

// rawConn is a test client speaking bytes.
type rawConn struct {
	t  *testing.T
	nc net.Conn
}

func dialRaw(t *testing.T, addr string) *rawConn {
	nc, err := net.Dial("tcp", addr)
	testkit.NoErr(t, err)
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc}
}

func (r *rawConn) send(b []byte) {
	r.t.Helper()
	_, err := r.nc.Write(b)
	testkit.NoErr(r.t, err)
}

func frame(key APIKey, version int16, corr int32, payload []byte) []byte {
	return append(appendRequestHeader(nil, RequestHeader{Key: key, Version: version, CorrelationID: corr}, len(payload)), payload...)
}

// expectError reads one response frame that must be a request-level error.
func (r *rawConn) expectError(corr int32, code ErrorCode) string {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := readResponse(r.nc, DefaultClientMaxFrameSize)
	testkit.NoErr(r.t, err)
	testkit.Equal(r.t, f.corr, corr)
	testkit.Equal(r.t, f.code, code)
	return decodeErrorPayload(f.payload)
}

// expectClosed requires the server to close the connection within d.
func (r *rawConn) expectClosed(d time.Duration) {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(d))
	n, err := io.Copy(io.Discard, r.nc)
	if err != nil {
		r.t.Fatalf("connection not closed within %s (read %d bytes): %v", d, n, err)
	}
}

func TestServerBadInput(t *testing.T) {
	e := &echo{release: make(chan struct{})}
	cfg := ServerConfig{MaxFrameSize: 1 << 20, ReadTimeout: 100 * time.Millisecond}
	addr := testServer(t, cfg, e)
	okProduce, _ := bytesOf(&ProduceRequest{Topic: "t", Records: []byte("abc")})

	t.Run("frame over max", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.send(appendRequestHeader(nil, RequestHeader{Key: KeyProduce, CorrelationID: 9}, 2<<30-100))
		msg := r.expectError(9, FrameTooLarge)
		if !bytes.Contains([]byte(msg), []byte("exceeds the limit of 1048576")) {
			t.Fatalf("message %q", msg)
		}
		r.expectClosed(5 * time.Second)
	})
	t.Run("frame below header size", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.send([]byte{0, 0, 0, 3, 1, 2, 3})
		r.expectError(-1, InvalidRequest)
		r.expectClosed(5 * time.Second)
	})
	t.Run("negative size", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.send([]byte{0xff, 0xff, 0xff, 0xff})
		r.expectError(-1, InvalidRequest)
		r.expectClosed(5 * time.Second)
	})
	t.Run("unknown api key", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.send(frame(APIKey(999), 0, 4, nil))
		msg := r.expectError(4, UnknownAPIKey)
		if !bytes.Contains([]byte(msg), []byte("API key 999")) {
			t.Fatalf("message %q", msg)
		}
		r.expectClosed(5 * time.Second)
	})
	t.Run("unsupported version", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.send(frame(KeyProduce, 7, 4, okProduce))
		r.expectError(4, UnsupportedVersion)
		r.expectClosed(5 * time.Second)
	})
	t.Run("malformed payload", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.send(frame(KeyProduce, 0, 5, okProduce[:len(okProduce)-1]))
		r.expectError(5, InvalidRequest)
		r.expectClosed(5 * time.Second)
	})
	t.Run("truncated frame then silence", func(t *testing.T) {
		r := dialRaw(t, addr)
		f := frame(KeyProduce, 0, 6, okProduce)
		r.send(f[:len(f)-2])
		start := time.Now()
		r.expectClosed(5 * time.Second)
		if d := time.Since(start); d < 50*time.Millisecond {
			t.Fatalf("closed after %s, before the read timeout", d)
		}
	})
	t.Run("good frames after good frames", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.send(append(frame(KeyProduce, 0, 1, okProduce), frame(KeyProduce, 0, 2, okProduce)...))
		for corr := int32(1); corr <= 2; corr++ {
			_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			f, err := readResponse(r.nc, DefaultClientMaxFrameSize)
			testkit.NoErr(t, err)
			testkit.Equal(t, f.corr, corr)
			resp, err := DecodeResponse(KeyProduce, f.payload)
			testkit.NoErr(t, err)
			testkit.Equal(t, resp.(*ProduceResponse).BaseOffset, 3)
		}
	})
}

func TestServerIdleTimeout(t *testing.T) {
	addr := testServer(t, ServerConfig{IdleTimeout: 50 * time.Millisecond}, &echo{})
	r := dialRaw(t, addr)
	r.expectClosed(5 * time.Second)
}

// A frame claiming 2 GiB allocates nothing of that size.
func TestReadRequestHugeClaimAllocatesNothing(t *testing.T) {
	in := appendRequestHeader(nil, RequestHeader{Key: KeyProduce}, 2<<30-100)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		_, _, err := readRequest(bytes.NewReader(in), DefaultMaxFrameSize)
		var fe *frameError
		if !errors.As(err, &fe) || fe.code != FrameTooLarge {
			t.Fatalf("err = %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("allocated %d bytes for 100 oversized frames", d)
	}
	// Under the limit but truncated: the payload is allocated (bounded by
	// the limit) and the read fails.
	small := appendRequestHeader(nil, RequestHeader{Key: KeyProduce}, 100)
	_, _, err := readRequest(bytes.NewReader(small), DefaultMaxFrameSize)
	testkit.ErrIs(t, err, io.ErrUnexpectedEOF)
	var sz [4]byte
	binary.BigEndian.PutUint32(sz[:], 1)
	_, _, err = readRequest(bytes.NewReader(sz[:]), DefaultMaxFrameSize)
	var fe *frameError
	if !errors.As(err, &fe) || fe.code != InvalidRequest {
		t.Fatalf("err = %v", err)
	}
}

// A handler bug answers Unknown instead of crashing the server, and the
// panic is logged with its stack.
func TestServerHandlerPanic(t *testing.T) {
	var logs testkit.Buffer
	addr := testServer(t, ServerConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, HandlerFunc(func(ctx context.Context, req Request) Reply {
		if _, ok := req.(*ProduceRequest); ok {
			panic("boom")
		}
		return Defer(func(context.Context) (Response, error) { panic("deferred boom") })
	}))
	c := dial(t, addr)
	_, err := c.Produce(context.Background(), &ProduceRequest{Topic: "t"})
	testkit.ErrIs(t, err, ErrUnknown)
	_, err = c.ListOffsets(context.Background(), &ListOffsetsRequest{Topic: "t"})
	testkit.ErrIs(t, err, ErrUnknown)
	_, err = c.APIVersions(context.Background())
	testkit.NoErr(t, err)
	out := logs.String()
	for _, want := range []string{"handler panicked", "panic=boom", "deferred reply panicked", `panic="deferred boom"`, "stack=", "conn_test.go"} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
}

// StartProduce writes in call order; each Wait gets its own answer.
func TestStartProduceOrder(t *testing.T) {
	c := dial(t, testServer(t, ServerConfig{}, &echo{}))
	var pending []*PendingProduce
	for i := range 100 {
		pending = append(pending, c.StartProduce(context.Background(), &ProduceRequest{Records: make([]byte, i)}))
	}
	for i, p := range pending {
		r, err := p.Wait(context.Background())
		testkit.NoErr(t, err)
		testkit.Equal(t, r.BaseOffset, int64(i))
	}
	c.Close()
	_, err := c.StartProduce(context.Background(), &ProduceRequest{}).Wait(context.Background())
	testkit.ErrIs(t, err, ErrConnClosed)
}
