package wire

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// A context used for many calls is registered once (Conn.watchLocked);
// when it ends while a later call reads, that read is still interrupted,
// a call with the ended context fails at once, and the connection stays
// usable.
func TestConnReusedContextInterrupts(t *testing.T) {
	e := &echo{release: make(chan struct{})}
	c := dial(t, testServer(t, ServerConfig{}, e))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 3 {
		r, err := c.Produce(ctx, &ProduceRequest{Records: []byte("abc")})
		testkit.NoErr(t, err)
		testkit.Equal(t, r.BaseOffset, 3)
	}
	c.p.Lock()
	registered := c.p.watchDone == ctx.Done()
	c.p.Unlock()
	if !registered {
		t.Fatal("the caller's context is not the registered one after its calls")
	}

	fetchErr := make(chan error, 1)
	go func() {
		_, err := c.Fetch(ctx, &FetchRequest{Partitions: []FetchPartition{{Topic: "t"}}})
		fetchErr <- err
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		c.p.Lock()
		defer c.p.Unlock()
		if len(c.p.queue) == 0 || c.p.reader == nil {
			return errors.New("fetch not read yet")
		}
		return nil
	})
	cancel()
	select {
	case err := <-fetchErr:
		testkit.ErrIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("the read was not interrupted when its (reused) context ended")
	}

	// The ended context again: the call fails at once, even though it
	// blocks on an answer that does not come.
	go func() {
		_, err := c.Fetch(ctx, &FetchRequest{Partitions: []FetchPartition{{Topic: "t"}}})
		fetchErr <- err
	}()
	select {
	case err := <-fetchErr:
		testkit.ErrIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("a call with an ended context was not interrupted")
	}

	close(e.release)
	r, err := c.Produce(context.Background(), &ProduceRequest{Records: []byte("abcd")})
	testkit.NoErr(t, err)
	testkit.Equal(t, r.BaseOffset, 4)
}
