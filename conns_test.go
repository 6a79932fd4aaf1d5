package fluvio

import (
	"context"
	"sync"
	"testing"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"

	"github.com/fluvio-go/fluvio/wire"
)

// nopConn is a spuConn that only counts Close.
type nopConn struct {
	mu     sync.Mutex
	closed int
}

func (c *nopConn) Produce(context.Context, *wire.ProduceRequest) (*wire.ProduceResponse, error) {
	return nil, nil
}
func (c *nopConn) Fetch(context.Context, *wire.FetchRequest) (*wire.FetchResponse, error) {
	return nil, nil
}
func (c *nopConn) ListOffsets(context.Context, *wire.ListOffsetsRequest) (*wire.ListOffsetsResponse, error) {
	return nil, nil
}
func (c *nopConn) Close() error {
	c.mu.Lock()
	c.closed++
	c.mu.Unlock()
	return nil
}

// TestConnPoolDropDuringDial: a request that failed on an old connection
// drops it while another request is dialing the same SPU (seen in chaos
// under -race: the dial stored its connection outside the pool's lock
// while drop read it under the lock). The drop of a connection that is
// not the entry's leaves the new one in the pool.
func TestConnPoolDropDuringDial(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dialing := make(chan struct{})
	fresh := &nopConn{}
	p := newConnPool(ctx, func(context.Context, bus.SPUID, string) (spuConn, error) {
		close(dialing)
		return fresh, nil
	}, 0)
	p.dialTimeout = 1 << 40
	old := &nopConn{}
	var wg sync.WaitGroup
	wg.Go(func() {
		<-dialing
		p.drop(1, old) // not the pool's connection: only closed
	})
	got, err := p.get(ctx, 1, "127.0.0.1:1")
	wg.Wait()
	testkit.NoErr(t, err)
	if got != spuConn(fresh) {
		t.Fatalf("get returned %v, want the dialed connection", got)
	}
	again, err := p.get(ctx, 1, "127.0.0.1:1")
	testkit.NoErr(t, err)
	if again != spuConn(fresh) {
		t.Fatal("the dialed connection left the pool when another one was dropped")
	}
	if old.closed != 1 || fresh.closed != 0 {
		t.Fatalf("closed old=%d fresh=%d, want 1 and 0", old.closed, fresh.closed)
	}
	p.closeAll()
	if fresh.closed != 1 {
		t.Fatalf("closeAll closed the dialed connection %d times, want 1", fresh.closed)
	}
}
