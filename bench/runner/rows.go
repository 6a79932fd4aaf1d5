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
		{Figure: limits.PingPongP50us, Label: "loopback TCP ping-pong 64 B in one process p50", Unit: "µs"},
		{Figure: limits.PingPongP99us, Label: "loopback TCP ping-pong 64 B in one process p99", Unit: "µs"},
		{Figure: limits.PingPongProcP50us, Label: "loopback TCP ping-pong 64 B between two processes p50", Unit: "µs"},
		{Figure: limits.PingPongProcP99us, Label: "loopback TCP ping-pong 64 B between two processes p99", Unit: "µs"},
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

// best is the PeerBest of a produce figure: the peer's default publish
// and, at the mode's PeerModeSizes, its batch modes.
func (m Mode) best(size int, acks bench.Acks, unit string, modes []string) []report.PeerMode {
	out := []report.PeerMode{{Figure: produceFig(size, acks, unit), Name: "(default)"}}
	if acks == bench.AcksLeader && !slices.Contains(m.PeerModeSizes, size) {
		return out
	}
	for _, mode := range modes {
		out = append(out, report.PeerMode{Figure: produceModeFig(size, acks, mode, unit), Name: "(" + peerModeNames[mode] + ")"})
	}
	return out
}

var leaderModes = []string{bench.PublishFast, bench.PublishAtomic}

// Rows is the results table for the mode: the goals first (bench/README.md
// G1-G8, revised for fairness: against the peer's best publish mode, the
// cross-process ping-pong, PSS after idling and a GC), then the cost
// curves.
func (m Mode) Rows() []report.Row {
	k := m.Partitions
	durable := func(name string) string { return produceFig(1024, bench.AcksAll, name) }
	atomic := func(name string) string { return produceModeFig(1024, bench.AcksAll, bench.PublishAtomic, name) }
	only := func(fig, name string) []report.PeerMode {
		return []report.PeerMode{{Figure: fig, Name: "(" + name + ")"}}
	}
	rows := []report.Row{
		{Figure: produceFig(1024, bench.AcksLeader, "rec_s"), Label: "G1 produce 1 KiB, acks=leader (JS: its best publish mode)", Unit: "rec/s",
			PeerBest: m.best(1024, bench.AcksLeader, "rec_s", leaderModes), Goals: []report.Goal{peer(">=", 2)}},
		{Figure: produceFig(1024, bench.AcksLeader, "rec_s"), Label: "G1 produce 1 KiB, acks=leader (JS: default publish)", Unit: "rec/s"},
		{Figure: produceFig(1024, bench.AcksLeader, "mb_s"), Label: "G1 produce 1 KiB, acks=leader (JS: best)", Unit: "MB/s", Ref: limit(limits.TCPStreamMBs),
			PeerBest: m.best(1024, bench.AcksLeader, "mb_s", leaderModes)},
		{Figure: produceFig(100, bench.AcksLeader, "rec_s"), Label: "G1b produce 100 B, acks=leader (JS: best)", Unit: "rec/s",
			PeerBest: m.best(100, bench.AcksLeader, "rec_s", leaderModes), Goals: []report.Goal{peer(">=", 2)}},
		{Figure: produceFig(100, bench.AcksLeader, "rec_s"), Label: "G1b produce 100 B, acks=leader (JS: default publish)", Unit: "rec/s"},
		{Figure: durable("rec_s"), Label: "G2 durable produce 1 KiB, acks=all, sync always (JS: best durable mode)", Unit: "rec/s",
			PeerBest: m.best(1024, bench.AcksAll, "rec_s", durablePeerModes), Goals: []report.Goal{peer(">=", 3)}},
		{Figure: durable("rec_s"), Label: "G2 durable produce 1 KiB (JS: default publish, one fsync per message)", Unit: "rec/s"},
		{Figure: durable("mb_s"), Label: "G2 durable produce 1 KiB (JS: best)", Unit: "MB/s", Ref: limit(limits.SeqWriteMBs),
			PeerBest: m.best(1024, bench.AcksAll, "mb_s", durablePeerModes)},
		{Figure: durable(durRecords), Label: "G2 records sent per durable run (JS: default)", Unit: "records"},
		{Figure: durable(durRecords), Label: "G2 records sent per durable run (JS: atomic)", Unit: "records", PeerBest: only(atomic(durRecords), "atomic batch")},
		{Figure: durable(durFsyncs), Label: "G2 fsyncs per durable run, perf syscall count (JS: default)", Unit: "fsyncs"},
		{Figure: durable(durFsyncs), Label: "G2 fsyncs per durable run, perf syscall count (JS: atomic)", Unit: "fsyncs", PeerBest: only(atomic(durFsyncs), "atomic batch")},
		{Figure: durable(durRecsPerFsync), Label: "G2 records per fsync (JS: default)", Unit: "records"},
		{Figure: durable(durRecsPerFsync), Label: "G2 records per fsync (JS: atomic)", Unit: "records", PeerBest: only(atomic(durRecsPerFsync), "atomic batch")},
		{Figure: durable(durWALFsyncs), Label: "G2 fsyncs per durable run, ours counted by the SPU (fsync histogram)", Unit: "fsyncs"},
		{Figure: atomic(durBatchRecords), Label: "G2 JS atomic batch size (records, = 64 KiB like our batches)", Unit: "records", PeerBest: only(atomic(durBatchRecords), "atomic batch")},
		{Figure: replicatedFig("rec_s"), Label: "G8 produce 1 KiB, replicas 3, acks=all, sync always (ref: replicas 1, acks=leader)", Unit: "rec/s",
			Ref: &report.Ref{System: report.Ours, Figure: produceFig(1024, bench.AcksLeader, "rec_s")}, Goals: []report.Goal{ref(">=", 0.35)}},
		{Figure: replicatedFig("mb_s"), Label: "G8 produce 1 KiB, replicas 3, acks=all, sync always", Unit: "MB/s"},
		{Figure: consumeFig(1024, "mb_s"), Label: "G3 consume 1 KiB from offset 0 (JS ordered consumer)", Unit: "MB/s", Ref: limit(limits.TCPStreamMBs), Goals: []report.Goal{peer(">=", 2.5), ref(">=", 0.25)}},
		{Figure: consumeFig(1024, "rec_s"), Label: "G3 consume 1 KiB", Unit: "rec/s"},
		{Figure: consumeFig(100, "rec_s"), Label: "consume 100 B from offset 0", Unit: "rec/s"},
		{Figure: consumeFig(100, "mb_s"), Label: "consume 100 B from offset 0", Unit: "MB/s", Ref: limit(limits.TCPStreamMBs)},
		{Figure: latencyFig(bench.AckP50us), Label: "G4 idle produce->ack 1 KiB p50 (ref: ping-pong between two processes)", Unit: "µs", Ref: limit(limits.PingPongProcP50us), Goals: []report.Goal{ref("<=", 1.5)}},
		{Figure: latencyFig(bench.AckP50us), Label: "G4 idle produce->ack 1 KiB p50 (ref: ping-pong in one process)", Unit: "µs", Ref: limit(limits.PingPongP50us)},
		{Figure: latencyFig(bench.AckP99us), Label: "G4 idle produce->ack 1 KiB p99", Unit: "µs", Ref: limit(limits.PingPongProcP99us), Goals: []report.Goal{peer("<=", 1)}},
		{Figure: latencyFig(bench.E2EP50us), Label: "G4b idle end-to-end 1 KiB p50", Unit: "µs", Ref: limit(limits.PingPongProcP50us), Goals: []report.Goal{peer("<=", 1)}},
		{Figure: latencyFig(bench.E2EP99us), Label: "G4b idle end-to-end 1 KiB p99", Unit: "µs", Goals: []report.Goal{peer("<=", 1)}},
		{Figure: memFig(k, memEmpty), Label: fmt.Sprintf("G5 PSS per partition (JS: per stream), %d created, empty, after a GC (ours: SC + SPU)", k), Unit: "KiB", Goals: []report.Goal{peer("<=", 0.5)}},
		{Figure: memFig(k, memWritten), Label: fmt.Sprintf("G5 PSS per partition, %d written, idle %s, after a GC", k, max(settle, m.IdleWait)), Unit: "KiB", Goals: []report.Goal{peer("<=", 0.5)}},
		{Figure: memFig(k, memRecordsPerPar), Label: "G5 1 KiB records written per partition before the idle reading", Unit: "records"},
		{Figure: memFig(k, memPeak), Label: fmt.Sprintf("G5 PSS increase during produce over %d partitions (peak - before)", k), Unit: "MiB", Goals: []report.Goal{peer("<=", 0.5)}},
		{Figure: memFig(k, memEmpty) + ".sc", Label: "G5 ... of which the SC, per partition, empty", Unit: "KiB"},
		{Figure: memFig(k, memEmpty) + ".spu", Label: "G5 ... of which the SPU, per partition, empty", Unit: "KiB"},
		{Figure: memFig(k, memWritten) + ".sc", Label: "G5 ... of which the SC, per partition, written and idle", Unit: "KiB"},
		{Figure: memFig(k, memWritten) + ".spu", Label: "G5 ... of which the SPU, per partition, written and idle", Unit: "KiB"},
		{Figure: memFig(k, memBase), Label: "PSS before any partition, after a GC (JS: nats-server; ours: SC + SPU)", Unit: "MiB"},
		{Figure: memFig(k, memBase) + ".sc", Label: "... of which the SC", Unit: "MiB"},
		{Figure: memFig(k, memBase) + ".spu", Label: "... of which the SPU", Unit: "MiB"},
		{Figure: partitionsFig(k, "rec_s"), Label: fmt.Sprintf("G6 produce 1 KiB round-robin over %d partitions (JS: streams, default publish)", k), Unit: "rec/s",
			Ref: &report.Ref{System: report.Ours, Figure: produceFig(1024, bench.AcksLeader, "rec_s")}, Goals: []report.Goal{peer(">=", 2), ref(">=", 0.5)}},
		{Figure: createFig(k), Label: fmt.Sprintf("G7-ish create %d partitions (JS: streams), one client", k), Unit: "s", Goals: []report.Goal{peer("<=", 2)}},
	}
	sizes := slices.Clone(m.SizeCurve)
	slices.Sort(sizes)
	for _, s := range sizes {
		if s >= 100<<10 {
			rows = append(rows, report.Row{Figure: produceFig(s, bench.AcksLeader, "mb_s"), Label: "G9 large records: produce " + sizeLabel(s) + ", acks=leader (JS: best)", Unit: "MB/s",
				PeerBest: m.best(s, bench.AcksLeader, "mb_s", leaderModes), Goals: []report.Goal{peer(">=", 1.5)}})
		}
	}
	for _, s := range sizes {
		rows = append(rows,
			report.Row{Figure: produceFig(s, bench.AcksLeader, "rec_s"), Label: "curve: produce acks=leader, record " + sizeLabel(s) + " (JS: best)", Unit: "rec/s",
				PeerBest: m.best(s, bench.AcksLeader, "rec_s", leaderModes)},
			report.Row{Figure: produceFig(s, bench.AcksLeader, "mb_s"), Label: "curve: produce acks=leader, record " + sizeLabel(s) + " (JS: best)", Unit: "MB/s", Ref: limit(limits.TCPStreamMBs),
				PeerBest: m.best(s, bench.AcksLeader, "mb_s", leaderModes)})
	}
	ks := slices.Clone(m.PartitionCurve)
	slices.Sort(ks)
	for _, p := range ks {
		fig := partitionsFig(p, "rec_s")
		if p == 1 {
			fig = produceFig(1024, bench.AcksLeader, "rec_s")
		}
		rows = append(rows, report.Row{Figure: fig, Label: fmt.Sprintf("curve: produce 1 KiB over %d partitions (JS: default publish)", p), Unit: "rec/s"})
	}
	return rows
}

// RepTables are the figures shown repetition by repetition: the durable
// runs with their fsync counts next to the fsync probe of the same
// repetition (the ratio follows the disk's fsync speed that minute).
func (m Mode) RepTables() []report.RepTable {
	durable := func(name string) string { return produceFig(1024, bench.AcksAll, name) }
	atomic := func(name string) string { return produceModeFig(1024, bench.AcksAll, bench.PublishAtomic, name) }
	return []report.RepTable{{
		Title: "Durable produce (1 KiB, acks=all, sync always), repetition by repetition:",
		Columns: []report.RepColumn{
			{System: report.Limits, Figure: limits.Fsync4kPerSec, Label: "probe fsync/s"},
			{System: report.Peer, Figure: durable("rec_s"), Label: "JS default rec/s"},
			{System: report.Peer, Figure: durable(durFsyncs), Label: "JS default fsyncs"},
			{System: report.Peer, Figure: atomic("rec_s"), Label: "JS atomic rec/s"},
			{System: report.Peer, Figure: atomic(durFsyncs), Label: "JS atomic fsyncs"},
			{System: report.Peer, Figure: atomic(durRecords), Label: "JS atomic records"},
			{System: report.Ours, Figure: durable("rec_s"), Label: "ours rec/s"},
			{System: report.Ours, Figure: durable(durFsyncs), Label: "ours fsyncs (perf)"},
			{System: report.Ours, Figure: durable(durWALFsyncs), Label: "ours fsyncs (SPU)"},
			{System: report.Ours, Figure: durable(durRecords), Label: "ours records"},
		},
	}}
}
