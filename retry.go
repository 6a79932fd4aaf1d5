package fluvio

import (
	"context"
	"time"
)

// Consumer-side retry bounds: a partition read retries a retriable error
// (leader moved, SPU restarting, topic not yet on its SPU) this many times
// with doubling backoff before it reports the error.
const (
	consumerMaxRetries   = 30
	consumerRetryBackoff = 50 * time.Millisecond
	consumerMaxBackoff   = time.Second
)

// retry calls f until it succeeds, fails with an error that is not
// retriable, has failed maxRetries+1 times, or ctx ends. It waits backoff
// (doubling up to maxBackoff) between calls.
func retry(ctx context.Context, maxRetries int, backoff, maxBackoff time.Duration, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || !retriable(err) || attempt >= maxRetries {
			return err
		}
		if err := sleepCtx(ctx, backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// retryWaits is how long retry sleeps in all when every call fails.
func retryWaits(maxRetries int, backoff, maxBackoff time.Duration) time.Duration {
	var total time.Duration
	for range maxRetries {
		total += backoff
		backoff = min(2*backoff, maxBackoff)
	}
	return total
}

// sleepCtx waits d or until ctx ends, returning ctx's cause then.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
