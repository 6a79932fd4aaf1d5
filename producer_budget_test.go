package fluvio

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestBudgetReleaseWakesOnlyWaiters: a release with no sender waiting
// allocates nothing (a 1,000-partition producer releases once per
// record), and a sender blocked on a full budget is woken by the next
// release, as is a Flush waiting for it to empty.
func TestBudgetReleaseWakesOnlyWaiters(t *testing.T) {
	b := newBudget(2, 1<<20)
	ctx := context.Background()
	testkit.NoErr(t, b.acquire(ctx, 10, nil))
	if n := testing.AllocsPerRun(100, func() {
		b.release(1, 10)
		testkit.NoErr(t, b.acquire(ctx, 10, nil))
	}); n != 0 {
		t.Fatalf("release and acquire with room allocate %v times, want 0", n)
	}
	synctest.Test(t, func(t *testing.T) {
		b := newBudget(1, 1<<20)
		testkit.NoErr(t, b.acquire(ctx, 10, nil))
		acquired := make(chan error, 1)
		go func() { acquired <- b.acquire(ctx, 10, nil) }()
		synctest.Wait()
		if !b.blocked() {
			t.Fatal("the second acquire does not wait on a full budget")
		}
		b.release(1, 10)
		testkit.NoErr(t, <-acquired)
		emptied := make(chan error, 1)
		go func() { emptied <- b.waitEmpty(ctx) }()
		synctest.Wait()
		select {
		case err := <-emptied:
			t.Fatalf("waitEmpty returned %v while a record is held", err)
		default:
		}
		b.release(1, 10)
		testkit.NoErr(t, <-emptied)
	})
}
