package chaos

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestProgressLines: the reporter prints a line every ProgressEvery with
// the phase and what was acknowledged and injected so far, and stops.
func TestProgressLines(t *testing.T) {
	var out testkit.Buffer
	p := startProgress(context.Background(), Config{Progress: &out, ProgressEvery: 20 * time.Millisecond, Duration: 5 * time.Minute})
	w, n := &workload{}, &nemesis{log: slog.New(slog.DiscardHandler)}
	p.watch(w, n)
	p.setPhase("producing under faults")
	w.mu.Lock()
	w.acks = append(w.acks, Ack{}, Ack{})
	w.unknown = append(w.unknown, Unknown{})
	w.mu.Unlock()
	n.record(Fault{Kind: FaultKill})
	n.record(Fault{Kind: FaultPause})
	n.record(Fault{Kind: FaultKill})
	want := "chaos: producing under faults, "
	// Polled without failing: the check below prints the whole output.
	_ = testkit.Poll(context.Background(), 5*time.Second, func() error {
		if !strings.Contains(out.String(), "acknowledged=2 unknown=1 faults=3 (kill=2 pause=1)") {
			return errors.New("no progress line with the counts yet")
		}
		return nil
	})
	p.stopProgress()
	s := out.String()
	if !strings.Contains(s, want) || !strings.Contains(s, "acknowledged=2 unknown=1 faults=3 (kill=2 pause=1)") || !strings.Contains(s, "(faults for 5m0s)") {
		t.Fatalf("progress output:\n%s", s)
	}
}

// TestProgressQuiet: without a writer, nothing runs.
func TestProgressQuiet(t *testing.T) {
	p := startProgress(context.Background(), Config{ProgressEvery: time.Millisecond})
	p.stopProgress()
}
