package replica

import (
	"errors"
	"testing"

	"github.com/fluvio-go/fluvio/wire"
	"pgregory.net/rapid"
)

// TestProducersModel drives a Producers table with random batches of three
// producers (next in sequence, retries of stored batches, gaps, other
// producers' records in between) and checks every answer against a model
// log of records:
//   - a duplicate's offset holds exactly its records (same producer and
//     sequences), so the answer is the original offset;
//   - a retry of one of the producer's last 5 stored batches is always a
//     duplicate (retries within the client's in-flight window never store
//     twice);
//   - a batch is stored only as the producer's first or next sequence,
//     so no sequence is ever stored twice;
//   - out of order means a gap, duplicate sequence an old sequence.
func TestProducersModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type rec struct {
			pid int64
			seq int32
		}
		type stored struct {
			b   SeqBatch
			off int64
		}
		tab := NewProducers(0)
		var log []rec
		last := map[int64]int32{}
		batches := map[int64][]stored{}
		for step := range rapid.IntRange(1, 150).Draw(t, "steps") {
			pid := int64(rapid.IntRange(1, 3).Draw(t, "pid"))
			count := int32(rapid.IntRange(1, 4).Draw(t, "count"))
			var b SeqBatch
			retryOf := -1
			switch rapid.IntRange(0, 3).Draw(t, "kind") {
			case 0, 1: // the next batch
				next := int32(0)
				if l, ok := last[pid]; ok {
					next = l + 1
				}
				b = SeqBatch{PID: pid, Seq: next, Count: count}
			case 2: // a retry of a stored batch
				if len(batches[pid]) == 0 {
					continue
				}
				retryOf = rapid.IntRange(0, len(batches[pid])-1).Draw(t, "retry")
				b = batches[pid][retryOf].b
			case 3: // a gap
				l, ok := last[pid]
				if !ok {
					continue
				}
				b = SeqBatch{PID: pid, Seq: l + 1 + int32(rapid.IntRange(1, 3).Draw(t, "gap")), Count: count}
			}
			off, dup, err := tab.Check([]SeqBatch{b})
			l, known := last[pid]
			switch {
			case err != nil && errors.Is(err, wire.ErrOutOfOrderSequence):
				if !known || b.Seq <= l+1 {
					t.Fatalf("step %d: %+v out of order with last %d (known %v)", step, b, l, known)
				}
			case err != nil && errors.Is(err, wire.ErrDuplicateSequence):
				if !known || b.Seq > l {
					t.Fatalf("step %d: %+v duplicate sequence with last %d", step, b, l)
				}
				if retryOf >= len(batches[pid])-5 {
					t.Fatalf("step %d: retry of recent batch %d of %d refused: %v", step, retryOf, len(batches[pid]), err)
				}
			case err != nil:
				t.Fatalf("step %d: %+v: %v", step, b, err)
			case dup:
				for i := range int64(b.Count) {
					if off+i >= int64(len(log)) || log[off+i] != (rec{pid, b.Seq + int32(i)}) {
						t.Fatalf("step %d: %+v answered as stored at %d, which does not hold it", step, b, off)
					}
				}
			default:
				if known && b.Seq != l+1 {
					t.Fatalf("step %d: %+v stored after last %d", step, b, l)
				}
				if retryOf >= 0 {
					t.Fatalf("step %d: retry of stored batch %d stored again", step, retryOf)
				}
				base := int64(len(log))
				tab.Record(b, base)
				for i := range b.Count {
					log = append(log, rec{pid, b.Seq + i})
				}
				last[pid] = b.lastSeq()
				batches[pid] = append(batches[pid], stored{b, base})
			}
			if retryOf >= 0 && retryOf >= len(batches[pid])-5 && (err != nil || !dup) {
				t.Fatalf("step %d: retry of recent batch %d: dup %v err %v", step, retryOf, dup, err)
			}
			// Other producers' records in between, sometimes.
			if rapid.Bool().Draw(t, "noise") {
				log = append(log, rec{-1, -1})
			}
		}
	})
}
