package runner

import (
	"fmt"
	"slices"

	"github.com/fluvio-go/fluvio/bench"
	"github.com/fluvio-go/fluvio/bench/limits"
	"github.com/fluvio-go/fluvio/bench/report"
)

// LimitRows are the machine limits in the order the report prints them.
func LimitRows() []report.LimitLine {
	return []report.LimitLine{
		{Figure: limits.SeqWriteMBs, Label: "sequential write, 1 MiB writes + one fsync", Unit: "MB/s"},
		{Figure: limits.Fsync4kPerSec, Label: "4 KiB append + fsync, one at a time", Unit: "fsync/s"},
		{Figure: limits.Fsync4kP50us, Label: "4 KiB append + fsync p50", Unit: "µs"},
		{Figure: limits.Fsync4kP99us, Label: "4 KiB append + fsync p99", Unit: "µs"},
		{Figure: limits.TCPStreamMBs, Label: "loopback TCP, one stream, 1 MiB writes", Unit: "MB/s"},
		{Figure: limits.PingPongP50us, Label: "loopback TCP ping-pong 64 B p50", Unit: "µs"},
		{Figure: limits.PingPongP99us, Label: "loopback TCP ping-pong 64 B p99", Unit: "µs"},
	}
}

func limit(fig string) *report.Ref { return &report.Ref{System: report.Limits, Figure: fig} }

func peer(op string, f float64) report.Goal {
	return report.Goal{Against: report.Peer, Op: op, Factor: f}
}

func ref(op string, f float64) report.Goal { return report.Goal{Against: "ref", Op: op, Factor: f} }

func sizeLabel(size int) string {
	switch {
	case size >= 1<<20 && size%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", size>>20)
	case size >= 1<<10 && size%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", size>>10)
	}
	return fmt.Sprintf("%d B", size)
}

// Rows is the results table for the mode: the goals first (PERFORMANCE.md
// G1-G6), then the cost curves.
func (m Mode) Rows() []report.Row {
	k := m.Partitions
	rows := []report.Row{
		{Figure: produceFig(1024, bench.AcksLeader, "rec_s"), Label: "G1 produce 1 KiB, acks=leader (JS default sync)", Unit: "rec/s", Goals: []report.Goal{peer(">=", 3)}},
		{Figure: produceFig(1024, bench.AcksLeader, "mb_s"), Label: "G1 produce 1 KiB, acks=leader", Unit: "MB/s", Ref: limit(limits.TCPStreamMBs)},
		{Figure: produceFig(100, bench.AcksLeader, "rec_s"), Label: "G1b produce 100 B, acks=leader", Unit: "rec/s", Goals: []report.Goal{peer(">=", 4)}},
		{Figure: produceFig(100, bench.AcksLeader, "mb_s"), Label: "G1b produce 100 B, acks=leader", Unit: "MB/s"},
		{Figure: produceFig(1024, bench.AcksAll, "rec_s"), Label: "G2 durable produce 1 KiB, acks=all (JS sync_interval: always)", Unit: "rec/s", Goals: []report.Goal{peer(">=", 10)}},
		{Figure: produceFig(1024, bench.AcksAll, "mb_s"), Label: "G2 durable produce 1 KiB", Unit: "MB/s", Ref: limit(limits.SeqWriteMBs)},
		{Figure: replicatedFig("rec_s"), Label: "issue 7: produce 1 KiB, replicas 3, acks=all, sync always (ref: replicas 1, acks=leader)", Unit: "rec/s",
			Ref: &report.Ref{System: report.Ours, Figure: produceFig(1024, bench.AcksLeader, "rec_s")}, Goals: []report.Goal{ref(">=", 0.35)}},
		{Figure: replicatedFig("mb_s"), Label: "issue 7: produce 1 KiB, replicas 3, acks=all, sync always", Unit: "MB/s"},
		{Figure: consumeFig(1024, "mb_s"), Label: "G3 consume 1 KiB from offset 0 (JS ordered consumer)", Unit: "MB/s", Ref: limit(limits.TCPStreamMBs), Goals: []report.Goal{peer(">=", 2.5), ref(">=", 0.25)}},
		{Figure: consumeFig(1024, "rec_s"), Label: "G3 consume 1 KiB", Unit: "rec/s"},
		{Figure: consumeFig(100, "rec_s"), Label: "consume 100 B from offset 0", Unit: "rec/s"},
		{Figure: consumeFig(100, "mb_s"), Label: "consume 100 B from offset 0", Unit: "MB/s", Ref: limit(limits.TCPStreamMBs)},
		{Figure: latencyFig(bench.AckP50us), Label: "G4 idle produce->ack 1 KiB p50", Unit: "µs", Ref: limit(limits.PingPongP50us), Goals: []report.Goal{ref("<=", 1.5)}},
		{Figure: latencyFig(bench.AckP99us), Label: "G4 idle produce->ack 1 KiB p99", Unit: "µs", Ref: limit(limits.PingPongP99us), Goals: []report.Goal{peer("<=", 1)}},
		{Figure: latencyFig(bench.E2EP50us), Label: "G4b idle end-to-end 1 KiB p50", Unit: "µs", Ref: limit(limits.PingPongP50us), Goals: []report.Goal{peer("<=", 1)}},
		{Figure: latencyFig(bench.E2EP99us), Label: "G4b idle end-to-end 1 KiB p99", Unit: "µs", Goals: []report.Goal{peer("<=", 1)}},
		{Figure: memFig(k, memEmpty), Label: fmt.Sprintf("G5 RSS per partition (JS: per stream), %d created, empty", k), Unit: "KiB", Goals: []report.Goal{peer("<=", 0.5)}},
		{Figure: memFig(k, memWritten), Label: fmt.Sprintf("G5 RSS per partition, %d written, idle %s", k, max(settle, m.IdleWait)), Unit: "KiB", Goals: []report.Goal{peer("<=", 0.5)}},
		{Figure: memFig(k, memPeak), Label: fmt.Sprintf("G5 RSS increase during produce over %d partitions (peak - before)", k), Unit: "MiB", Goals: []report.Goal{peer("<=", 0.5)}},
		{Figure: memFig(k, memBase), Label: "data plane RSS before any partition (JS: nats-server; ours: SPU)", Unit: "MiB"},
		{Figure: partitionsFig(k, "rec_s"), Label: fmt.Sprintf("G6 produce 1 KiB round-robin over %d partitions (JS: streams)", k), Unit: "rec/s",
			Ref: &report.Ref{System: report.Ours, Figure: produceFig(1024, bench.AcksLeader, "rec_s")}, Goals: []report.Goal{peer(">=", 2), ref(">=", 0.5)}},
		{Figure: createFig(k), Label: fmt.Sprintf("G7-ish create %d partitions (JS: streams), one client", k), Unit: "s", Goals: []report.Goal{peer("<=", 2)}},
	}
	sizes := slices.Clone(m.SizeCurve)
	slices.Sort(sizes)
	for _, s := range sizes {
		rows = append(rows,
			report.Row{Figure: produceFig(s, bench.AcksLeader, "rec_s"), Label: "curve: produce acks=leader, record " + sizeLabel(s), Unit: "rec/s"},
			report.Row{Figure: produceFig(s, bench.AcksLeader, "mb_s"), Label: "curve: produce acks=leader, record " + sizeLabel(s), Unit: "MB/s", Ref: limit(limits.TCPStreamMBs)})
	}
	ks := slices.Clone(m.PartitionCurve)
	slices.Sort(ks)
	for _, p := range ks {
		fig := partitionsFig(p, "rec_s")
		if p == 1 {
			fig = produceFig(1024, bench.AcksLeader, "rec_s")
		}
		rows = append(rows, report.Row{Figure: fig, Label: fmt.Sprintf("curve: produce 1 KiB over %d partitions", p), Unit: "rec/s"})
	}
	return rows
}
