package fluvio

import (
	"context"
	"errors"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// A partition's requests go where its last one went without looking the
// leader and the connection up again (produceRoute), until the Client's
// routes count moves: metadata dropped (a failed connection or a moved
// leader does that) or fetched, or the Client closing.
func TestProduceRouteRemembered(t *testing.T) {
	f := startFakeCluster(t, "routes", 1, 2)
	c := f.connect(t)
	ctx := context.Background()
	metaCalls := func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.metaCalls
	}
	var route produceRoute
	call := produceCall{topic: "routes", partition: 1, route: &route}
	// The first lookup fetches the metadata, which moves the count: the
	// route is remembered as of the second.
	_, _, err := c.routeOf(ctx, call)
	testkit.NoErr(t, err)
	l, conn, err := c.routeOf(ctx, call)
	testkit.NoErr(t, err)
	testkit.Equal(t, l.id, 2)
	if route.conn != conn || route.gen != c.routes.Load() {
		t.Fatal("the route found is not remembered")
	}
	calls := metaCalls()

	// Forget the topic's metadata behind the cache's back (the routes
	// count stays): a lookup would ask the SC again, the route does not.
	c.meta.mu.Lock()
	delete(c.meta.topics, "routes")
	c.meta.mu.Unlock()
	l2, conn2, err := c.routeOf(ctx, call)
	testkit.NoErr(t, err)
	if l2 != l || conn2 != conn {
		t.Fatalf("route %v %p, want the remembered %v %p", l2, conn2, l, conn)
	}
	testkit.Equal(t, metaCalls(), calls)

	// The leader moves; dropping the metadata (as the NotLeader answer
	// does) makes the next request look it up again.
	f.moveLeader(1, 1)
	c.meta.invalidate("routes")
	l3, conn3, err := c.routeOf(ctx, call)
	testkit.NoErr(t, err)
	testkit.Equal(t, l3.id, 1)
	if conn3 == conn {
		t.Fatal("the moved partition's request still goes to the old leader's connection")
	}
	if metaCalls() <= calls {
		t.Fatal("no metadata asked for after the routes count moved")
	}

	// A call without a route always looks up; a closed Client sends
	// nothing, remembered route or not.
	if _, _, err := c.routeOf(ctx, produceCall{topic: "routes", partition: 0}); err != nil {
		t.Fatal(err)
	}
	testkit.NoErr(t, c.Close())
	if _, _, err := c.routeOf(ctx, call); !errors.Is(err, ErrClosed) {
		t.Fatalf("route of a closed client: %v, want ErrClosed", err)
	}
}
