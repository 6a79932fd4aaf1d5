package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio/bench"
)

// Rough rates the estimate assumes on the 2-core machine (medians seen in
// earlier runs, both systems together): they only size the estimate.
const (
	estRecords    = 200_000     // records/s of a produce or consume run
	estBytes      = 300_000_000 // bytes/s
	estDurable    = 3_000       // records/s of the slowest durable mode
	estStart      = 3 * time.Second
	estLimitsFull = 10 * time.Second
)

func runTime(records, size int, bound time.Duration) time.Duration {
	t := time.Duration(float64(records)/estRecords*float64(time.Second)) +
		time.Duration(float64(records)*float64(size)/estBytes*float64(time.Second))
	return min(t, bound) + 300*time.Millisecond
}

// Plan says what Run runs, one line per workload, and estimates how long
// the whole run takes with every system (an estimate: the machine's speed
// decides; each run's bound is in the line).
func (r *Runner) Plan() (lines []string, estimate time.Duration) {
	m := r.Mode
	nsys := len(r.Systems)
	peerModes := 0
	for _, s := range r.Systems {
		if bp, ok := s.(bench.BatchPublisher); ok {
			peerModes = len(bp.PublishModes())
		}
	}
	var per time.Duration
	add := func(d time.Duration, format string, args ...any) {
		per += d
		lines = append(lines, fmt.Sprintf("  %-16s ~%-6s %s", args[0], d.Round(time.Second), fmt.Sprintf(format, args[1:]...)))
	}
	if r.Limits {
		d := 3 * time.Second
		if m.Name == "full" {
			d = estLimitsFull
		}
		add(d, "machine limits: write, fsync, TCP stream, ping-pong in one and between two processes", "limits")
	}
	for _, sc := range r.scenarios() {
		switch {
		case strings.HasPrefix(sc.name, "w1-"):
			var size int
			fmt.Sscanf(sc.name, "w1-%d", &size)
			n := m.records(m.Records, size)
			d := runTime(n, size, m.Duration)
			runs := 1
			if len(sc.figures) > 2+len(sc.peerOnly) {
				runs = 2 // consume too
			}
			extra := 0 // the peer's batch mode runs
			if peerModes > 0 {
				extra = len(sc.peerOnly) / 2
			}
			d = time.Duration(nsys*runs+extra) * d
			add(d+time.Duration(nsys)*estStart, "produce %d B records (%d records or %s)%s, per system%s", sc.name, size, n, m.Duration,
				map[bool]string{true: " and consume them", false: ""}[runs == 2],
				map[bool]string{true: "; the peer also in its batch modes", false: ""}[len(sc.peerOnly) > 0])
		case sc.name == "durable-1024":
			d := runTime(m.DurableRecords, 1024, m.DurableMaxDuration)
			d = max(d, time.Duration(float64(m.DurableRecords)/estDurable*float64(time.Second)), m.DurableMinDuration)
			d = min(d, m.DurableMaxDuration)
			add(time.Duration(nsys+len(durablePeerModes))*d+time.Duration(nsys)*estStart,
				"durable produce, 1 KiB, sync always: >= %d records and >= %s (at most %s) per system and peer mode, fsyncs counted", sc.name, m.DurableRecords, m.DurableMinDuration, m.DurableMaxDuration)
		case sc.name == "replicated-1024":
			n := m.records(m.Records, 1024)
			add(runTime(n, 1024, m.Duration)+2*estStart, "ours only: 3 SPUs, replicas 3, acks=all, %d records or %s", sc.name, n, m.Duration)
		case sc.name == "latency-1024":
			add(time.Duration(nsys)*(2*m.LatencyDuration/2+estStart), "idle produce->ack and end-to-end, one in flight, %d samples or %s each", sc.name, m.LatencySamples, m.LatencyDuration)
		default:
			var k int
			fmt.Sscanf(sc.name, "partitions-%d", &k)
			n := m.records(m.Records, 1024)
			d := runTime(n, 1024, m.Duration)
			what := fmt.Sprintf("produce 1 KiB round-robin over %d partitions, %d records or %s", k, n, m.Duration)
			if k == m.Partitions {
				d = runTime(n, 1024, m.MemoryMaxDuration) + 2*time.Duration(k)*time.Millisecond + max(settle, m.IdleWait) + time.Second
				what = fmt.Sprintf("create %d partitions, memory empty / during / %s after %d records (bounded by records), a GC before each reading", k, max(settle, m.IdleWait), n)
			}
			add(time.Duration(nsys)*(d+estStart), "%s", sc.name, what)
		}
	}
	return lines, time.Duration(m.Reps) * per
}
