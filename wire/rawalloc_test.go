package wire

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// Large answers' payloads are allocated without zeroing (rawBytes): every
// byte must still be the frame's own. Before each call the heap is filled
// with freed buffers of a marker byte (never in the answers), so that a
// payload byte the read did not overwrite would show stale memory. The
// answers arrive in pieces (short reads); the third is cut by its
// caller's cancelled context in the middle of its payload and finished by
// the background reader (the half-read frame is kept), and the fourth,
// read after it, must be its own.
func TestLargeAnswersCarryOnlyTheirBytes(t *testing.T) {
	const marker = 0xEE
	sizes := []int{rawAllocMin - 1, rawAllocMin, 1<<20 + 3, 4 << 20}
	const cutAt = 2
	rng := rand.New(rand.NewPCG(1, 2))
	answers := make([][]byte, len(sizes))
	for i, n := range sizes {
		answers[i] = make([]byte, n)
		for j := range answers[i] {
			answers[i][j] = byte(rng.IntN(marker)) // never the marker
		}
	}
	goOn := make(chan struct{})
	defer func() {
		select {
		case <-goOn:
		default:
			close(goOn)
		}
	}()
	addr := scriptedServer(t, func(nc net.Conn, br *bufio.Reader) {
		wrng := rand.New(rand.NewPCG(3, 4))
		for i, recs := range answers {
			if _, _, err := readRequestInto(br, DefaultMaxFrameSize, nil); err != nil {
				return
			}
			frame := responseFrameBytes(t, int32(i), &FetchResponse{Partitions: []FetchPartitionResponse{{Topic: "t", Records: recs}}})
			half := len(frame) / 2
			for sent := 0; sent < len(frame); {
				n := min(len(frame)-sent, 1+wrng.IntN(64<<10))
				if i == cutAt && sent < half {
					n = min(n, half-sent)
				}
				if _, err := nc.Write(frame[sent : sent+n]); err != nil {
					return
				}
				sent += n
				if i == cutAt && sent == half {
					<-goOn
				}
			}
		}
		_, _ = br.ReadByte() // until the client closes
	})
	nc, err := net.Dial("tcp", addr)
	testkit.NoErr(t, err)
	// The premise: a raw allocation after fillFreedHeap does show the
	// marker (stale memory), so a byte left unwritten would be seen.
	stale := 0
	for range 3 {
		fillFreedHeap(marker, sizes[3])
		if bytes.IndexByte(rawBytes(sizes[3]), marker) >= 0 {
			stale++
		}
	}
	if stale == 0 {
		t.Fatal("raw allocations never showed the freed buffers' bytes: the test cannot see an unwritten byte")
	}
	counted := &countingConn{Conn: nc}
	c := NewConn(counted, 0)
	t.Cleanup(func() { c.Close() })
	for i, n := range sizes {
		fillFreedHeap(marker, n)
		ctx, cancel := context.WithCancel(context.Background())
		type result struct {
			resp *FetchResponse
			err  error
		}
		done := make(chan result, 1)
		before := counted.n.Load()
		go func() {
			resp, err := c.Fetch(ctx, &FetchRequest{Partitions: []FetchPartition{{Topic: "t"}}})
			done <- result{resp, err}
		}()
		if i == cutAt {
			// Wait until the caller has read into the payload, then cut it.
			testkit.WaitFor(t, 10*time.Second, func() error {
				if got := counted.n.Load() - before; got < int64(n/4) {
					return fmt.Errorf("the caller has read %d bytes of the answer", got)
				}
				return nil
			})
			cancel()
			if r := <-done; r.err == nil {
				t.Fatal("the cancelled fetch was answered")
			}
			close(goOn) // the background reader finishes the dropped frame
			continue
		}
		r := <-done
		cancel()
		testkit.NoErr(t, r.err)
		got := r.resp.Partitions[0].Records
		if !bytes.Equal(got, answers[i]) {
			at := 0
			for at < min(len(got), len(answers[i])) && got[at] == answers[i][at] {
				at++
			}
			t.Fatalf("answer %d (%d bytes): got %d bytes, different from byte %d on", i, n, len(got), at)
		}
	}
	testkit.Equal(t, c.Err(), nil)
}

// countingConn counts the bytes read.
type countingConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	k, err := c.Conn.Read(p)
	c.n.Add(int64(k))
	return k, err
}

// fillFreedHeap allocates and drops buffers of size n full of b, then
// collects them, so that the next large allocations likely reuse memory
// holding b.
func fillFreedHeap(b byte, n int) {
	keep := make([][]byte, 8)
	for i := range keep {
		keep[i] = bytes.Repeat([]byte{b}, n+64)
	}
	runtime.KeepAlive(keep)
	keep = nil
	runtime.GC()
}
