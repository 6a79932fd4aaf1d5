package wire

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"sync"
	"testing"
)

// checksummer answers a produce with the CRC of its records (in
// BaseOffset), computed while Handle runs: what the handler saw.
type checksummer struct{}

func (checksummer) Handle(_ context.Context, req Request) Reply {
	if r, ok := req.(*ProduceRequest); ok {
		return Respond(&ProduceResponse{BaseOffset: int64(crc32.ChecksumIEEE(r.Records))})
	}
	return RespondErr(UnsupportedVersion.ErrMsg("not in this test"))
}

// TestLargeRequestsReuseBuffers sends requests above maxKeptBuffer of
// several sizes and contents, pipelined on two connections at once: every
// handler sees its own request's bytes although large buffers are shared
// between requests and connections (largeBuffers), and a request smaller
// than the buffer it lands in sees only its own length.
func TestLargeRequestsReuseBuffers(t *testing.T) {
	addr := testServer(t, ServerConfig{}, checksummer{})
	ctx := context.Background()
	sizes := []int{maxKeptBuffer + 1, 2*maxKeptBuffer + 7, maxKeptBuffer + 1000, 3 << 20}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for conn := range 2 {
		c := dial(t, addr)
		for w := range 4 {
			wg.Go(func() {
				for i, size := range sizes {
					rec := bytes.Repeat([]byte{byte(conn*64 + w*8 + i + 1)}, size)
					want := int64(crc32.ChecksumIEEE(rec))
					r, err := c.Produce(ctx, &ProduceRequest{Records: rec})
					if err != nil {
						errs <- err
						return
					}
					if r.BaseOffset != want {
						errs <- fmt.Errorf("conn %d writer %d request %d (%d bytes): handler saw other bytes", conn, w, i, size)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BenchmarkReadLargeRequest reads 1 MiB-record produce frames: with the
// shared large buffers, no allocation per request.
func BenchmarkReadLargeRequest(b *testing.B) {
	payload := make([]byte, 1<<20+100)
	raw := append(appendRequestHeader(nil, RequestHeader{Key: APIKey(0)}, len(payload)), payload...)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		_, p, err := readRequestInto(bytes.NewReader(raw), 16<<20, nil)
		if err != nil {
			b.Fatal(err)
		}
		releaseLarge(p)
	}
}
