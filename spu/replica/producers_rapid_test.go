package replica

import (
	"errors"
	"testing"

	"pgregory.net/rapid"
)

// TestProducersModel drives a Producers table with random batches of three
// producers (next in sequence, retries of stored batches, gaps, new
// epochs, other producers' records in between) and checks every answer
// against a model log of records:
//   - a duplicate's offset holds exactly its records (same producer, epoch
//     and sequences), so the answer is the original offset;
//   - a retry of one of the producer's last 5 stored batches is always a
//     duplicate (retries within the client's in-flight window never store
//     twice);
//   - a batch is stored only at sequence 0 of a producer or epoch the
//     table has not seen, or as the next sequence, so no sequence is ever
//     stored twice and every sequence below a stored one was stored;
//   - an unknown producer after sequence 0 is UnknownProducerID, a gap
//     (or a new epoch after sequence 0) out of order, an old sequence the
//     table cannot place SequenceTooOld.
func TestProducersModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type rec struct {
			pid   int64
			epoch int16
			seq   int32
		}
		type stored struct {
			b   SeqBatch
			off int64
		}
		type state struct {
			epoch int16
			last  int32
		}
		tab := NewProducers(0)
		var log []rec
		known := map[int64]state{}
		batches := map[int64][]stored{} // of the current epoch
		for step := range rapid.IntRange(1, 150).Draw(t, "steps") {
			pid := int64(rapid.IntRange(1, 3).Draw(t, "pid"))
			count := int32(rapid.IntRange(1, 4).Draw(t, "count"))
			st, ok := known[pid]
			var b SeqBatch
			retryOf := -1
			switch rapid.IntRange(0, 4).Draw(t, "kind") {
			case 0, 1: // the next batch
				b = SeqBatch{PID: pid, Epoch: st.epoch, Seq: st.last + 1, Count: count}
				if !ok {
					b.Seq = 0
				}
			case 2: // a retry of a stored batch
				if len(batches[pid]) == 0 {
					continue
				}
				retryOf = rapid.IntRange(0, len(batches[pid])-1).Draw(t, "retry")
				b = batches[pid][retryOf].b
			case 3: // a gap
				b = SeqBatch{PID: pid, Epoch: st.epoch, Seq: st.last + 1 + int32(rapid.IntRange(1, 3).Draw(t, "gap")), Count: count}
				if !ok {
					b.Seq = int32(rapid.IntRange(1, 3).Draw(t, "gap"))
				}
			case 4: // a new epoch, from sequence 0 or not
				b = SeqBatch{PID: pid, Epoch: st.epoch + 1, Seq: int32(rapid.IntRange(0, 1).Draw(t, "seq") * 3), Count: count}
			}
			off, dup, err := tab.Check([]SeqBatch{b})
			newEpoch := !ok || b.Epoch > st.epoch
			switch {
			case errors.Is(err, ErrUnknownProducer):
				if ok || b.Seq == 0 {
					t.Fatalf("step %d: %+v unknown producer (known %v)", step, b, ok)
				}
			case errors.Is(err, ErrOutOfOrder):
				if !ok || (newEpoch && b.Seq == 0) || (!newEpoch && b.Seq <= st.last+1) {
					t.Fatalf("step %d: %+v out of order with %+v (known %v)", step, b, st, ok)
				}
			case errors.Is(err, ErrSequenceTooOld):
				if !ok || newEpoch || b.Seq > st.last {
					t.Fatalf("step %d: %+v too old with %+v", step, b, st)
				}
				if retryOf >= len(batches[pid])-5 {
					t.Fatalf("step %d: retry of recent batch %d of %d refused: %v", step, retryOf, len(batches[pid]), err)
				}
			case err != nil:
				t.Fatalf("step %d: %+v: %v", step, b, err)
			case dup:
				for i := range int64(b.Count) {
					if off+i >= int64(len(log)) || log[off+i] != (rec{pid, b.Epoch, b.Seq + int32(i)}) {
						t.Fatalf("step %d: %+v answered as stored at %d, which does not hold it", step, b, off)
					}
				}
			default:
				if newEpoch && b.Seq != 0 || !newEpoch && b.Seq != st.last+1 {
					t.Fatalf("step %d: %+v stored with %+v (known %v)", step, b, st, ok)
				}
				if retryOf >= 0 {
					t.Fatalf("step %d: retry of stored batch %d stored again", step, retryOf)
				}
				base := int64(len(log))
				tab.Record(b, base)
				for i := range b.Count {
					log = append(log, rec{pid, b.Epoch, b.Seq + i})
				}
				if newEpoch {
					batches[pid] = nil
				}
				known[pid] = state{epoch: b.Epoch, last: b.lastSeq()}
				batches[pid] = append(batches[pid], stored{b, base})
			}
			if retryOf >= 0 && retryOf >= len(batches[pid])-5 && (err != nil || !dup) {
				t.Fatalf("step %d: retry of recent batch %d: dup %v err %v", step, retryOf, dup, err)
			}
			// Other producers' records in between, sometimes.
			if rapid.Bool().Draw(t, "noise") {
				log = append(log, rec{-1, -1, -1})
			}
		}
	})
}
