package chaos

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress prints a line every cfg.ProgressEvery to cfg.Progress while a
// run lasts: the phase, the time into the faults, records acknowledged so
// far and faults so far, so a 5-minute run is never silent for long.
type progress struct {
	out     io.Writer
	every   time.Duration
	total   time.Duration
	started time.Time

	phase atomic.Pointer[string]
	w     atomic.Pointer[workload]
	n     atomic.Pointer[nemesis]

	stop chan struct{}
	wg   sync.WaitGroup
}

// startProgress starts the reporter; stopProgress ends it. With a nil out it
// does nothing.
func startProgress(ctx context.Context, cfg Config) *progress {
	p := &progress{out: cfg.Progress, every: cfg.ProgressEvery, total: cfg.Duration, started: time.Now(), stop: make(chan struct{})}
	p.setPhase("starting the cluster")
	if p.out == nil {
		return p
	}
	p.wg.Go(func() {
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.stop:
				return
			case <-t.C:
				fmt.Fprintln(p.out, p.line(time.Now()))
			}
		}
	})
	return p
}

func (p *progress) setPhase(s string) { p.phase.Store(&s) }

// watch tells the reporter what to count.
func (p *progress) watch(w *workload, n *nemesis) {
	p.w.Store(w)
	p.n.Store(n)
}

func (p *progress) stopProgress() {
	close(p.stop)
	p.wg.Wait()
}

// line is one progress line.
func (p *progress) line(now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "chaos: %s, %s elapsed (faults for %s)", *p.phase.Load(), now.Sub(p.started).Round(time.Second), p.total)
	if w := p.w.Load(); w != nil {
		acked, unknown := w.counts()
		fmt.Fprintf(&b, ": acknowledged=%d unknown=%d", acked, unknown)
	}
	if n := p.n.Load(); n != nil {
		total, byKind := n.counts()
		fmt.Fprintf(&b, " faults=%d", total)
		if total > 0 {
			kinds := make([]string, 0, len(byKind))
			for k, c := range byKind {
				kinds = append(kinds, fmt.Sprintf("%s=%d", k, c))
			}
			sort.Strings(kinds)
			fmt.Fprintf(&b, " (%s)", strings.Join(kinds, " "))
		}
	}
	return b.String()
}

// counts returns how many records were acknowledged and how many sends
// ended unknown so far.
func (w *workload) counts() (acked, unknown int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acks), len(w.unknown)
}

// counts returns how many faults were injected so far, in all and by kind.
func (n *nemesis) counts() (int, map[string]int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	by := map[string]int{}
	for _, f := range n.faults {
		by[string(f.Kind)]++
	}
	return len(n.faults), by
}
