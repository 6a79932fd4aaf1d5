package chaos

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/fluvio-go/fluvio"
)

// StoredRecord is one record as a replica's log holds it.
type StoredRecord struct {
	Offset int64
	Value  string
	// Epoch and CRC are the leader epoch and CRC of the batch holding the
	// record: replicas that agree hold byte-identical batches.
	Epoch int32
	CRC   uint32
}

// ReplicaLog is one replica of a partition, read from offset 0.
type ReplicaLog struct {
	SPU     int32
	Records []StoredRecord
	// Err is set when the log could not be read; the replica counts as
	// divergent.
	Err error
}

// PartitionLogs is every replica of one partition after the run, with the
// SC's view at the end: the leader (whose log is the reference), the ISR and
// the high watermark.
type PartitionLogs struct {
	Partition int32
	Leader    int32
	ISR       []int32
	HW        int64
	Replicas  []ReplicaLog
}

// maxProblems bounds Result.Problems.
const maxProblems = 20

// Result is what Check found. Summary prints it on one line.
type Result struct {
	Seed           int64
	Duration       time.Duration
	Negative       bool
	NegativeResend bool

	Acknowledged int
	Unknown      int
	// Lost counts acknowledged records not in the partition's reference
	// (leader) log.
	Lost int
	// Moved counts acknowledged records stored at another offset than the
	// one acknowledged.
	Moved int
	// Duplicated counts extra copies of a value in a reference log.
	Duplicated int
	// OutOfOrder counts, per partition, acknowledged offsets that do not
	// rise with the producer's sequence, and stored records of a producer
	// whose sequence does not rise with the offset.
	OutOfOrder map[int32]int
	// DivergentReplicas counts replicas that differ from the reference
	// below the high watermark (missing records, other values, other
	// batches), and reference logs with gaps below it.
	DivergentReplicas int
	Elections         int
	// Failovers are the times from a fault on a leader to the next
	// acknowledgement on each partition it led.
	Failovers []time.Duration
	// SCFailovers are the times from a fault on the active SC until
	// another SC held the lease.
	SCFailovers []time.Duration
	// Faults counts the nemesis actions by kind.
	Faults map[FaultKind]int
	// Producers sums the producers' counters (History.Producers).
	Producers fluvio.ProducerStats
	// Problems describes the first violations found.
	Problems []string
}

// OK reports whether the run kept every promise: nothing lost or moved,
// nothing duplicated, order kept, replicas agree below the high watermark.
func (r *Result) OK() bool {
	return r.Lost == 0 && r.Moved == 0 && r.Duplicated == 0 && r.OutOfOrderTotal() == 0 && r.DivergentReplicas == 0
}

// OutOfOrderTotal sums OutOfOrder.
func (r *Result) OutOfOrderTotal() int {
	n := 0
	for _, v := range r.OutOfOrder {
		n += v
	}
	return n
}

func (r *Result) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Check compares history with the replicas' logs. It is a pure function.
func Check(h History, parts []PartitionLogs) Result {
	r := Result{
		Acknowledged: len(h.Acks), Unknown: len(h.Unknown), Elections: h.Elections,
		OutOfOrder: map[int32]int{}, Faults: map[FaultKind]int{}, Producers: h.Producers,
	}
	for _, f := range h.Faults {
		r.Faults[f.Kind]++
		if f.SCFailover > 0 {
			r.SCFailovers = append(r.SCFailovers, f.SCFailover)
		}
	}
	refs := map[int32]map[string][]int64{} // partition -> value -> offsets in the reference log
	for _, p := range parts {
		r.OutOfOrder[p.Partition] += 0
		ref := reference(p)
		if ref == nil {
			r.DivergentReplicas += len(p.Replicas)
			r.problem("partition %d: no readable replica", p.Partition)
			refs[p.Partition] = map[string][]int64{}
			continue
		}
		idx := map[string][]int64{}
		last := map[int]int64{} // producer -> last sequence in offset order
		for _, rec := range ref.Records {
			idx[rec.Value] = append(idx[rec.Value], rec.Offset)
			if pr, seq, ok := parseValue(rec.Value); ok {
				if prev, seen := last[pr]; seen && seq <= prev {
					r.OutOfOrder[p.Partition]++
					r.problem("partition %d: offset %d holds %s after sequence %d of producer %d", p.Partition, rec.Offset, rec.Value, prev, pr)
				}
				last[pr] = max(last[pr], seq)
			}
		}
		for v, offs := range idx {
			if len(offs) > 1 {
				r.Duplicated += len(offs) - 1
				r.problem("partition %d: %s stored %d times, at offsets %v", p.Partition, v, len(offs), offs)
			}
		}
		refs[p.Partition] = idx
		r.DivergentReplicas += divergence(&r, p, ref)
	}
	for _, a := range h.Acks {
		idx, known := refs[a.Partition]
		if !known {
			r.Lost++
			r.problem("partition %d: acknowledged %s at offset %d, but the partition was not read", a.Partition, a.Value, a.Offset)
			continue
		}
		offs := idx[a.Value]
		switch {
		case len(offs) == 0:
			r.Lost++
			r.problem("partition %d: lost %s, acknowledged at offset %d", a.Partition, a.Value, a.Offset)
		case !slices.Contains(offs, a.Offset):
			r.Moved++
			r.problem("partition %d: %s acknowledged at offset %d is stored at %v", a.Partition, a.Value, a.Offset, offs)
		}
	}
	// Acknowledged offsets must rise with each producer's sequence.
	type key struct {
		producer  int
		partition int32
	}
	byProducer := map[key][]Ack{}
	for _, a := range h.Acks {
		k := key{a.Producer, a.Partition}
		byProducer[k] = append(byProducer[k], a)
	}
	for k, acks := range byProducer {
		slices.SortFunc(acks, func(a, b Ack) int { return cmp.Compare(a.Seq, b.Seq) })
		for i := 1; i < len(acks); i++ {
			if acks[i].Offset <= acks[i-1].Offset {
				r.OutOfOrder[k.partition]++
				r.problem("partition %d: producer %d sequence %d acknowledged at offset %d, after sequence %d at offset %d",
					k.partition, k.producer, acks[i].Seq, acks[i].Offset, acks[i-1].Seq, acks[i-1].Offset)
			}
		}
	}
	r.Failovers = failovers(h)
	slices.Sort(r.SCFailovers)
	return r
}

// reference is the leader's replica, or else the longest readable one.
func reference(p PartitionLogs) *ReplicaLog {
	var best *ReplicaLog
	for i := range p.Replicas {
		rl := &p.Replicas[i]
		if rl.Err != nil {
			continue
		}
		if rl.SPU == p.Leader {
			return rl
		}
		if best == nil || len(rl.Records) > len(best.Records) {
			best = rl
		}
	}
	return best
}

// divergence counts the replicas of p that differ from ref below the high
// watermark. A replica outside the final ISR is compared only as far as
// its log reaches (it may lag, it must not differ); ref itself must have
// every offset below the HW.
func divergence(r *Result, p PartitionLogs, ref *ReplicaLog) int {
	want := map[int64]StoredRecord{}
	for _, rec := range ref.Records {
		if rec.Offset < p.HW {
			want[rec.Offset] = rec
		}
	}
	n := 0
	if int64(len(want)) < p.HW {
		n++
		r.problem("partition %d: reference replica on SPU %d holds %d records below the high watermark %d", p.Partition, ref.SPU, len(want), p.HW)
	}
	for i := range p.Replicas {
		rl := &p.Replicas[i]
		if rl == ref {
			continue
		}
		if rl.Err != nil {
			n++
			r.problem("partition %d: replica on SPU %d unreadable: %v", p.Partition, rl.SPU, rl.Err)
			continue
		}
		limit := p.HW
		if !slices.Contains(p.ISR, rl.SPU) {
			end := int64(0)
			if len(rl.Records) > 0 {
				end = rl.Records[len(rl.Records)-1].Offset + 1
			}
			limit = min(limit, end)
		}
		got := map[int64]StoredRecord{}
		for _, rec := range rl.Records {
			if rec.Offset < limit {
				got[rec.Offset] = rec
			}
		}
		if d, ok := firstDifference(want, got, limit); ok {
			n++
			r.problem("partition %d: replica on SPU %d differs from SPU %d below the high watermark %d: %s", p.Partition, rl.SPU, ref.SPU, p.HW, d)
		}
	}
	return n
}

func firstDifference(want, got map[int64]StoredRecord, limit int64) (string, bool) {
	for off := range limit {
		w, wok := want[off]
		g, gok := got[off]
		switch {
		case wok != gok:
			return fmt.Sprintf("offset %d present in reference %v, in replica %v", off, wok, gok), true
		case !wok:
			continue
		case w.Value != g.Value:
			return fmt.Sprintf("offset %d holds %q, reference %q", off, g.Value, w.Value), true
		case w.Epoch != g.Epoch || w.CRC != g.CRC:
			return fmt.Sprintf("offset %d in a batch of epoch %d crc %08x, reference epoch %d crc %08x", off, g.Epoch, g.CRC, w.Epoch, w.CRC), true
		}
	}
	return "", false
}

// failovers measures, for every fault on a leader, the time until the next
// acknowledgement on each partition it led. Partitions never acknowledged
// again are left out.
func failovers(h History) []time.Duration {
	byPart := map[int32][]time.Time{}
	for _, a := range h.Acks {
		byPart[a.Partition] = append(byPart[a.Partition], a.At)
	}
	for _, ts := range byPart {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	}
	var out []time.Duration
	for _, f := range h.Faults {
		if f.Kind == FaultRestart {
			continue
		}
		for _, p := range f.Led {
			ts := byPart[p]
			i, _ := slices.BinarySearchFunc(ts, f.At, func(a, t time.Time) int {
				if a.After(t) {
					return 1
				}
				return -1
			})
			if i < len(ts) {
				out = append(out, ts[i].Sub(f.At))
			}
		}
	}
	slices.Sort(out)
	return out
}

// percentile returns the nearest-rank q-quantile (0 < q <= 1) of sorted
// durations, or 0 when there are none.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
