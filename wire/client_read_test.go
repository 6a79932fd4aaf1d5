package wire

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// responseFrameBytes encodes resp as a response frame with correlation id
// corr.
func responseFrameBytes(t *testing.T, corr int32, resp Response) []byte {
	t.Helper()
	e := encoder{buf: make([]byte, SizeLen+ResponseHeaderLen, 256)}
	resp.encode(&e)
	parts, n := e.finish()
	appendResponseHeader(parts[0].b[:0], corr, None, n-SizeLen-ResponseHeaderLen)
	var out []byte
	for _, p := range parts {
		out = append(out, p.b...)
	}
	return out
}

// scriptedServer accepts one connection and hands it to script.
func scriptedServer(t *testing.T, script func(nc net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		script(nc, bufio.NewReader(nc))
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// An idle round trip is read by its caller; with a long poll ahead, the
// caller behind it is answered by the background reader.
func TestConnCallerReadsIdleAnswer(t *testing.T) {
	e := &echo{release: make(chan struct{})}
	c := dial(t, testServer(t, ServerConfig{}, e))
	ctx := context.Background()
	for i := range 3 {
		r, err := c.Produce(ctx, &ProduceRequest{Records: make([]byte, i)})
		testkit.NoErr(t, err)
		testkit.Equal(t, r.BaseOffset, int64(i))
	}
	testkit.Equal(t, c.frames.byCaller.Load(), 3)
	testkit.Equal(t, c.frames.byBackground.Load(), 0)

	fetched := make(chan error, 1)
	go func() {
		_, err := c.Fetch(ctx, &FetchRequest{Partitions: []FetchPartition{{Topic: "t"}}})
		fetched <- err
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		c.p.Lock()
		defer c.p.Unlock()
		if len(c.p.queue) != 1 || !c.p.reading {
			return errors.New("the fetch's caller is not reading yet")
		}
		return nil
	})
	produced := make(chan error, 1)
	go func() {
		_, err := c.Produce(ctx, &ProduceRequest{Records: make([]byte, 9)})
		produced <- err
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		c.p.Lock()
		defer c.p.Unlock()
		if len(c.p.queue) != 2 {
			return errors.New("the produce is not sent yet")
		}
		return nil
	})
	close(e.release)
	testkit.NoErr(t, <-fetched)
	testkit.NoErr(t, <-produced)
	// The fetch's caller read its answer and passed the role on.
	testkit.Equal(t, c.frames.byCaller.Load(), 4)
	testkit.Equal(t, c.frames.byBackground.Load(), 1)
}

// A caller whose ctx ends in the middle of reading a frame gives up; the
// background reader finishes that frame (and drops it), and the next
// call gets its own answer.
func TestConnCallerInterruptedMidFrame(t *testing.T) {
	half := make(chan struct{})
	goOn := make(chan struct{})
	addr := scriptedServer(t, func(nc net.Conn, br *bufio.Reader) {
		if _, _, err := readRequestInto(br, DefaultMaxFrameSize, nil); err != nil {
			return
		}
		first := responseFrameBytes(t, 0, &ProduceResponse{BaseOffset: 111})
		if _, err := nc.Write(first[:7]); err != nil {
			return
		}
		close(half)
		<-goOn
		if _, err := nc.Write(first[7:]); err != nil {
			return
		}
		if _, _, err := readRequestInto(br, DefaultMaxFrameSize, nil); err != nil {
			return
		}
		_, _ = nc.Write(responseFrameBytes(t, 1, &ProduceResponse{BaseOffset: 222}))
		_, _ = br.ReadByte() // until the client closes
	})
	nc, err := net.Dial("tcp", addr)
	testkit.NoErr(t, err)
	got := make(chan int, 16)
	c := NewConn(&notifyConn{Conn: nc, got: got}, 0)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	abandoned := make(chan error, 1)
	go func() {
		_, err := c.Produce(ctx, &ProduceRequest{Records: []byte("a")})
		abandoned <- err
	}()
	<-half
	testkit.Equal(t, <-got, 7) // the caller has read the first 7 bytes of the frame
	cancel()
	testkit.ErrIs(t, <-abandoned, context.Canceled)
	close(goOn)
	r, err := c.Produce(context.Background(), &ProduceRequest{Records: []byte("b")})
	testkit.NoErr(t, err)
	testkit.Equal(t, r.BaseOffset, 222)
	testkit.Equal(t, c.Err(), nil)
	// The background reader finished the abandoned answer (and the next
	// one too if its call was sent before that: then the role was still
	// the background's).
	if n := c.frames.byBackground.Load(); n < 1 {
		t.Fatalf("%d answers read in the background, want the abandoned one at least", n)
	}
}

// An answer no caller waits for (a follower's progress report) is read
// in the background.
func TestConnProgressReadInBackground(t *testing.T) {
	c := dial(t, testServer(t, ServerConfig{}, &echo{}))
	p := c.StartFollowerProgress(context.Background(), &FollowerProgressRequest{ReplicaID: 2})
	testkit.WaitFor(t, 5*time.Second, func() error {
		if _, done, _ := p.Poll(); !done {
			return errors.New("progress answer not read")
		}
		return nil
	})
	_, _, err := p.Poll()
	testkit.ErrIs(t, err, ErrUnsupportedVersion) // echo refuses it
	testkit.Equal(t, c.frames.byBackground.Load(), 1)
}

// Nobody reads an idle connection: one the server closed fails the next
// call with a retriable ErrConnClosed, and Done closes.
func TestConnClosedWhileIdle(t *testing.T) {
	closed := make(chan struct{})
	addr := scriptedServer(t, func(nc net.Conn, br *bufio.Reader) {
		nc.Close()
		close(closed)
	})
	c := dial(t, addr)
	<-closed
	_, err := c.Produce(context.Background(), &ProduceRequest{Records: []byte("x")})
	testkit.ErrIs(t, err, ErrConnClosed)
	if !IsRetriable(err) {
		t.Fatalf("%v: want retriable", err)
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed")
	}
}

// Many goroutines on one connection, some abandoning their calls at random
// moments: every answer goes to its own caller and the connection stays
// usable.
func TestConnConcurrentCallsWithCancels(t *testing.T) {
	c := dial(t, testServer(t, ServerConfig{}, &echo{}))
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	var abandoned, answered sync.Map
	for g := range 32 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for j := range 100 {
				n := g*100 + j
				// Cancelled, not a deadline: a deadline also bounds the
				// write, and a write cut short fails the connection.
				ctx, cancel := context.WithCancel(context.Background())
				if rng.IntN(4) == 0 {
					time.AfterFunc(time.Duration(rng.IntN(100))*time.Microsecond, cancel)
				}
				r, err := c.Produce(ctx, &ProduceRequest{Records: make([]byte, n)})
				cancel()
				switch {
				case errors.Is(err, context.Canceled):
					abandoned.Store(n, true)
				case err != nil:
					errs <- err
					return
				case r.BaseOffset != int64(n):
					errs <- fmt.Errorf("request %d got the answer of %d", n, r.BaseOffset)
					return
				default:
					answered.Store(n, true)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	count := func(m *sync.Map) (n int) {
		m.Range(func(any, any) bool { n++; return true })
		return n
	}
	if count(&abandoned) == 0 || count(&answered) == 0 {
		t.Fatalf("%d abandoned and %d answered: the test needs both", count(&abandoned), count(&answered))
	}
	r, err := c.Produce(context.Background(), &ProduceRequest{Records: make([]byte, 5)})
	testkit.NoErr(t, err)
	testkit.Equal(t, r.BaseOffset, 5)
	testkit.Equal(t, c.Err(), nil)
}

// notifyConn reports the size of every read that returned data.
type notifyConn struct {
	net.Conn
	got chan int
}

func (n *notifyConn) Read(p []byte) (int, error) {
	k, err := n.Conn.Read(p)
	if k > 0 {
		select {
		case n.got <- k:
		default:
		}
	}
	return k, err
}

// Pipelined calls are read as their answers come, before their callers
// wait: answers do not pile up unread behind a caller still writing. (The
// second call hands the role to the background reader, which reads until
// nothing is pending: the first two answers at least; the third may be
// left to its caller, alone.)
func TestConnPipelinedCallsReadInBackground(t *testing.T) {
	c := dial(t, testServer(t, ServerConfig{}, &echo{}))
	var pending []*PendingProduce
	for i := range 3 {
		pending = append(pending, c.StartProduce(context.Background(), &ProduceRequest{Records: make([]byte, i)}))
	}
	testkit.WaitFor(t, 5*time.Second, func() error {
		for i, p := range pending[:2] {
			select {
			case <-p.cl.done:
			default:
				return fmt.Errorf("answer %d not read yet", i)
			}
		}
		return nil
	})
	for i, p := range pending {
		r, err := p.Wait(context.Background())
		testkit.NoErr(t, err)
		testkit.Equal(t, r.BaseOffset, int64(i))
	}
	if n := c.frames.byBackground.Load(); n < 2 {
		t.Fatalf("%d answers read in the background, want at least 2", n)
	}
}

// A writer that skipped its flush because another was queued behind it
// is flushed by that one even when the latter's ctx ended before it wrote
// anything.
func TestConnFlushByCancelledWriter(t *testing.T) {
	c := dial(t, testServer(t, ServerConfig{}, &echo{}))
	c.w.waiting.Add(1) // a writer queued behind the first one
	answered := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := c.Produce(ctx, &ProduceRequest{Records: []byte("abc")})
		answered <- err
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		c.p.Lock()
		defer c.p.Unlock()
		if len(c.p.queue) == 0 {
			return errors.New("the first request is not written yet")
		}
		return nil
	})
	c.w.waiting.Add(-1) // the queued writer arrives, its ctx already ended
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Produce(cancelled, &ProduceRequest{Records: []byte("x")})
	testkit.ErrIs(t, err, context.Canceled)
	testkit.NoErr(t, <-answered)
}

// Small produce answers are decoded where they lie in the read buffer,
// also when they arrive in pieces; an answer too large for that (a long
// error message) and a fetch answer (whose records alias its frame) are
// read into frames of their own. Every answer reaches its call intact.
func TestConnDecodesSmallAnswersInPlace(t *testing.T) {
	longMsg := strings.Repeat("m", 2*maxPeekedFrame)
	got := make(chan int, 16) // the bytes each read of the client returned
	addr := scriptedServer(t, func(nc net.Conn, br *bufio.Reader) {
		for corr := int32(0); ; corr++ {
			if _, _, err := readRequestInto(br, DefaultMaxFrameSize, nil); err != nil {
				return
			}
			var out []byte
			switch corr {
			case 0, 3:
				out = responseFrameBytes(t, corr, &ProduceResponse{BaseOffset: 100 + int64(corr), LogAppendTimeMs: 7})
			case 1: // in two pieces
				out = responseFrameBytes(t, corr, &ProduceResponse{BaseOffset: 101, ErrorMessage: "split"})
				for len(got) > 0 { // reads of the earlier answers
					<-got
				}
				if _, err := nc.Write(out[:9]); err != nil {
					return
				}
				if <-got != 9 { // the reader has the first piece and waits for the rest
					t.Error("the client did not read the first piece alone")
				}
				out = out[9:]
			case 2: // larger than maxPeekedFrame
				out = responseFrameBytes(t, corr, &ProduceResponse{BaseOffset: -1, ErrorCode: NotLeader, ErrorMessage: longMsg})
			case 4:
				out = responseFrameBytes(t, corr, &FetchResponse{Partitions: []FetchPartitionResponse{{Topic: "t", Records: []byte("rec")}}})
			}
			if _, err := nc.Write(out); err != nil {
				return
			}
		}
	})
	nc, err := net.Dial("tcp", addr)
	testkit.NoErr(t, err)
	c := NewConn(&notifyConn{Conn: nc, got: got}, 0)
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	for i, want := range []int64{100, 101} {
		r, err := c.Produce(ctx, &ProduceRequest{Records: []byte("x")})
		testkit.NoErr(t, err)
		testkit.Equal(t, r.BaseOffset, want)
		if i == 1 {
			testkit.Equal(t, r.ErrorMessage, "split")
		}
	}
	_, err = c.Produce(ctx, &ProduceRequest{Records: []byte("x")})
	testkit.ErrIs(t, err, ErrNotLeader)
	if e, ok := errors.AsType[*Error](err); !ok || e.Message != longMsg {
		t.Fatalf("error %v: want the whole long message", err)
	}
	r, err := c.Produce(ctx, &ProduceRequest{Records: []byte("x")})
	testkit.NoErr(t, err)
	testkit.Equal(t, r.BaseOffset, 103)
	testkit.Equal(t, r.LogAppendTimeMs, 7)
	fr, err := c.Fetch(ctx, &FetchRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, string(fr.Partitions[0].Records), "rec")
	testkit.Equal(t, c.frames.inPlace.Load(), 3) // answers 0, 1 and 3
	testkit.Equal(t, c.frames.byCaller.Load(), 5)
}
