package fluvio

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestRetryWaitsIsTheSumOfBackoffs(t *testing.T) {
	testkit.Equal(t, retryWaits(3, 10*time.Millisecond, 25*time.Millisecond), 55*time.Millisecond)
	testkit.Equal(t, retryWaits(0, time.Second, time.Second), time.Duration(0))
	// The consumer's budget, which its warning names.
	testkit.Equal(t, retryWaits(consumerMaxRetries, consumerRetryBackoff, consumerMaxBackoff), 26550*time.Millisecond)
}

func TestRetryStopsAfterMaxRetries(t *testing.T) {
	calls := 0
	err := retry(context.Background(), 2, time.Microsecond, time.Microsecond, func() error {
		calls++
		return markRetriable(errors.New("leader moved"))
	})
	if err == nil || calls != 3 {
		t.Fatalf("retry = %v after %d calls, want the error after 3", err, calls)
	}
}

// A read of a partition whose leader is offline warns once, at the first
// failure, and goes on when the leader comes back.
func TestConsumerWarnsOnceWhileLeaderOffline(t *testing.T) {
	f := startFakeCluster(t, "down", 1)
	var logs testkit.Buffer
	c := f.connect(t, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	p, err := c.Producer("down")
	testkit.NoErr(t, err)
	defer p.Close()
	_, err = p.SendSync(context.Background(), nil, []byte("kept"))
	testkit.NoErr(t, err)

	// The partition moves to SPU 2, which is offline: SPU 1 answers
	// NotLeader and the metadata names an offline leader.
	f.mu.Lock()
	f.leaders[0] = 2
	f.online[2] = false
	f.mu.Unlock()
	cons, err := c.Consumer("down", FromBeginning(), DisableContinuous())
	testkit.NoErr(t, err)
	got := make(chan error, 1)
	go func() {
		var n int
		for rec, err := range cons.Records(context.Background()) {
			if err != nil {
				got <- err
				return
			}
			if string(rec.Value) != "kept" {
				got <- errors.New("unexpected record " + string(rec.Value))
				return
			}
			n++
		}
		if n != 1 {
			got <- errors.New("records read != 1")
			return
		}
		got <- nil
	}()
	testkit.WaitFor(t, 10*time.Second, func() error {
		if !strings.Contains(logs.String(), "down partition 0 cannot be read yet; retrying for up to 27s") {
			return errors.New("no warning yet: " + logs.String())
		}
		return nil
	})
	f.mu.Lock()
	f.online[2] = true
	f.mu.Unlock()
	select {
	case err := <-got:
		testkit.NoErr(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the read did not finish after the leader came back")
	}
	if n := strings.Count(logs.String(), "cannot be read yet"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs.String())
	}
}
