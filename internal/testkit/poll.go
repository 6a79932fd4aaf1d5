package testkit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TB is the part of testing.TB WaitFor uses (rapid.T has it too).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// First and longest pause between two checks: checks start fast (a
// condition that holds after a few milliseconds is seen at once) and back
// off so that a slow one does not spin.
const (
	minInterval = time.Millisecond
	maxInterval = 50 * time.Millisecond
)

// WaitFor calls cond until it returns nil, and returns how long that
// took. When timeout passes first it fails t with cond's last error.
func WaitFor(t TB, timeout time.Duration, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	if err := Poll(context.Background(), timeout, cond); err != nil {
		t.Fatalf("%v", err)
	}
	return time.Since(start)
}

// Poll calls cond until it returns nil (Poll returns nil), an error made
// with Stop (returned as is), ctx ends, or timeout passes; the last two
// return an error with cond's last error.
func Poll(ctx context.Context, timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	wait := minInterval
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if s, ok := errors.AsType[*stopError](err); ok {
			return s.err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("not true after %v: %w", timeout, err)
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, maxInterval)
	}
}

// Stop wraps err so that Poll returns it at once instead of checking
// again (a condition that can no longer hold, such as a process that
// exited).
func Stop(err error) error { return &stopError{err} }

type stopError struct{ err error }

func (s *stopError) Error() string { return s.err.Error() }
func (s *stopError) Unwrap() error { return s.err }
