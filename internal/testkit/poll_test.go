package testkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPollUntilTrue(t *testing.T) {
	n := 0
	err := Poll(context.Background(), 5*time.Second, func() error {
		if n++; n < 4 {
			return fmt.Errorf("n=%d", n)
		}
		return nil
	})
	if err != nil || n != 4 {
		t.Fatalf("Poll = %v after %d calls, want nil after 4", err, n)
	}
}

func TestPollTimeoutKeepsLastError(t *testing.T) {
	start := time.Now()
	last := errors.New("not yet")
	err := Poll(context.Background(), 30*time.Millisecond, func() error { return last })
	if !errors.Is(err, last) || !strings.Contains(err.Error(), "not true after 30ms") {
		t.Fatalf("Poll = %v", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond || d > 2*time.Second {
		t.Fatalf("gave up after %v, want about 30ms", d)
	}
}

func TestPollStopAndContext(t *testing.T) {
	gone := errors.New("process exited")
	n := 0
	err := Poll(context.Background(), time.Minute, func() error { n++; return Stop(gone) })
	if err != gone || n != 1 {
		t.Fatalf("Poll = %v after %d calls, want the stop error at once", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Poll(ctx, time.Minute, func() error { return errors.New("never") })
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "never") {
		t.Fatalf("Poll with a cancelled ctx = %v", err)
	}
}

// fakeT records WaitFor's failure.
type fakeT struct{ failed string }

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}

func TestWaitFor(t *testing.T) {
	var ft fakeT
	WaitFor(&ft, time.Second, func() error { return nil })
	if ft.failed != "" {
		t.Fatalf("WaitFor of a true condition failed: %s", ft.failed)
	}
	WaitFor(&ft, 10*time.Millisecond, func() error { return errors.New("offline") })
	if !strings.Contains(ft.failed, "offline") {
		t.Fatalf("WaitFor failure %q lacks the condition's last error", ft.failed)
	}
}
