package replica

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"
)

// appendTo checks, "appends" at *leo and records, as the leader does.
func appendTo(t *testing.T, tab *Producers, leo *int64, bs ...SeqBatch) (base int64, dup bool, err error) {
	t.Helper()
	base, dup, err = tab.Check(bs)
	if err != nil || dup {
		return base, dup, err
	}
	base = *leo
	for _, b := range bs {
		tab.Record(b, *leo)
		*leo += int64(b.Count)
	}
	return base, false, nil
}

func TestProducersNewAndInOrder(t *testing.T) {
	tab := NewProducers(0)
	var leo int64
	// A producer the table does not know starts at sequence 0: a later
	// sequence is UnknownProducerID (retriable: its first batch may be
	// on its way, or refused), and nothing is recorded.
	_, _, err := tab.Check([]SeqBatch{{PID: 7, Seq: 100, Count: 3}})
	if !errors.Is(err, ErrUnknownProducer) || tab.Len() != 0 {
		t.Fatalf("unknown producer at 100: %v (%d producers)", err, tab.Len())
	}
	if _, dup, err := appendTo(t, tab, &leo, SeqBatch{PID: 7, Seq: 0, Count: 3}); err != nil || dup {
		t.Fatalf("new producer: dup %v err %v", dup, err)
	}
	if _, dup, err := appendTo(t, tab, &leo, SeqBatch{PID: 7, Seq: 3, Count: 2}); err != nil || dup {
		t.Fatalf("in order: dup %v err %v", dup, err)
	}
	// Two batches in one request, in sequence.
	if base, dup, err := appendTo(t, tab, &leo, SeqBatch{PID: 7, Seq: 5, Count: 1}, SeqBatch{PID: 7, Seq: 6, Count: 4}); err != nil || dup || base != 5 {
		t.Fatalf("two batches: base %d dup %v err %v", base, dup, err)
	}
	// Two batches in one request with a gap between them.
	if _, _, err := tab.Check([]SeqBatch{{PID: 7, Seq: 10, Count: 1}, {PID: 7, Seq: 12, Count: 1}}); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("gap inside a request: %v", err)
	}
	// Non-idempotent batches are never checked.
	if _, dup, err := tab.Check([]SeqBatch{{PID: -1, Seq: -1, Count: 1}, {PID: -1, Seq: -1, Count: 1}}); err != nil || dup {
		t.Fatalf("pid -1: dup %v err %v", dup, err)
	}
	if tab.Len() != 1 {
		t.Fatalf("Len = %d", tab.Len())
	}
}

func TestProducersExactDuplicateGetsOriginalOffset(t *testing.T) {
	tab := NewProducers(0)
	leo := int64(40) // other data before
	first := SeqBatch{PID: 1, Seq: 0, Count: 5}
	base, _, err := appendTo(t, tab, &leo, first)
	if err != nil || base != 40 {
		t.Fatalf("first: %d %v", base, err)
	}
	leo += 10 // another producer's records
	got, dup, err := tab.Check([]SeqBatch{first})
	if err != nil || !dup || got != 40 {
		t.Fatalf("retry: base %d dup %v err %v, want 40 true nil", got, dup, err)
	}
}

func TestProducersOldDuplicateWithinFiveRuns(t *testing.T) {
	tab := NewProducers(0)
	var leo int64
	var bases []int64
	for i := range 7 {
		b := SeqBatch{PID: 3, Seq: int32(i * 2), Count: 2}
		base, _, err := appendTo(t, tab, &leo, b)
		if err != nil {
			t.Fatal(err)
		}
		bases = append(bases, base)
		leo++ // another producer in between: every batch is a run of its own
	}
	// The last five runs (batches 2..6) answer with their offsets.
	for i := 2; i < 7; i++ {
		got, dup, err := tab.Check([]SeqBatch{{PID: 3, Seq: int32(i * 2), Count: 2}})
		if err != nil || !dup || got != bases[i] {
			t.Fatalf("batch %d: base %d dup %v err %v, want %d", i, got, dup, err, bases[i])
		}
	}
	// Older ones were stored, but the table cannot say where:
	// SequenceTooOld (not retriable), never DuplicateSequence, which
	// needs the offset.
	_, _, err := tab.Check([]SeqBatch{{PID: 3, Seq: 2, Count: 2}})
	if !errors.Is(err, ErrSequenceTooOld) {
		t.Fatalf("old batch: %v", err)
	}
	// A retried two-batch request that was stored contiguously.
	tab2 := NewProducers(0)
	leo = 0
	req := []SeqBatch{{PID: 9, Seq: 0, Count: 2}, {PID: 9, Seq: 2, Count: 3}}
	if _, _, err := appendTo(t, tab2, &leo, req...); err != nil {
		t.Fatal(err)
	}
	if got, dup, err := tab2.Check(req); err != nil || !dup || got != 0 {
		t.Fatalf("two-batch retry: %d %v %v", got, dup, err)
	}
	// Mixed stored and new batches are refused as PartlyDuplicate
	// (retriable: the client resends each batch alone).
	if _, _, err := tab2.Check([]SeqBatch{{PID: 9, Seq: 2, Count: 3}, {PID: 9, Seq: 5, Count: 1}}); !errors.Is(err, ErrPartlyDuplicate) {
		t.Fatalf("mixed: %v", err)
	}
	// So are stored batches that are apart in the log.
	leo++ // another producer's record
	if _, _, err := appendTo(t, tab2, &leo, SeqBatch{PID: 9, Seq: 5, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tab2.Check([]SeqBatch{{PID: 9, Seq: 2, Count: 3}, {PID: 9, Seq: 5, Count: 1}}); !errors.Is(err, ErrPartlyDuplicate) {
		t.Fatalf("apart: %v", err)
	}
}

func TestProducersGapIsOutOfOrder(t *testing.T) {
	tab := NewProducers(0)
	var leo int64
	if _, _, err := appendTo(t, tab, &leo, SeqBatch{PID: 5, Seq: 0, Count: 2}); err != nil {
		t.Fatal(err)
	}
	_, _, err := tab.Check([]SeqBatch{{PID: 5, Seq: 3, Count: 1}})
	if !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("gap: %v", err)
	}
	// The missing batch, then the one that was early.
	if _, _, err := appendTo(t, tab, &leo, SeqBatch{PID: 5, Seq: 2, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if base, _, err := appendTo(t, tab, &leo, SeqBatch{PID: 5, Seq: 3, Count: 1}); err != nil || base != 3 {
		t.Fatalf("after the gap closed: %d %v", base, err)
	}
}

func TestProducersEpochs(t *testing.T) {
	tab := NewProducers(0)
	var leo int64
	if _, _, err := appendTo(t, tab, &leo, SeqBatch{PID: 5, Epoch: 1, Seq: 0, Count: 11}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tab.Check([]SeqBatch{{PID: 5, Epoch: 0, Seq: 11, Count: 1}}); !errors.Is(err, ErrFenced) {
		t.Fatalf("older epoch: %v", err)
	}
	// A newer epoch starts at sequence 0: a later one is out of order
	// (its first batch is missing), and the entry keeps its epoch.
	if _, _, err := tab.Check([]SeqBatch{{PID: 5, Epoch: 2, Seq: 4, Count: 1}}); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("newer epoch at sequence 4: %v", err)
	}
	if _, _, err := appendTo(t, tab, &leo, SeqBatch{PID: 5, Epoch: 1, Seq: 11, Count: 1}); err != nil {
		t.Fatalf("epoch 1 after a refused epoch 2: %v", err)
	}
	if _, dup, err := appendTo(t, tab, &leo, SeqBatch{PID: 5, Epoch: 2, Seq: 0, Count: 1}); err != nil || dup {
		t.Fatalf("newer epoch: %v %v", dup, err)
	}
	if _, _, err := tab.Check([]SeqBatch{{PID: 5, Epoch: 2, Seq: 2, Count: 1}}); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("gap in the new epoch: %v", err)
	}
}

func TestProducersEvictsLeastRecent(t *testing.T) {
	tab := NewProducers(3)
	var leo int64
	for pid := int64(1); pid <= 3; pid++ {
		if _, _, err := appendTo(t, tab, &leo, SeqBatch{PID: pid, Seq: 0, Count: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// Producer 1 appends again: 2 is now the least recent.
	if _, _, err := appendTo(t, tab, &leo, SeqBatch{PID: 1, Seq: 1, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := appendTo(t, tab, &leo, SeqBatch{PID: 4, Seq: 0, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 3 {
		t.Fatalf("Len = %d, want 3", tab.Len())
	}
	// 2 was evicted: a retry of its first batch counts as new (no
	// duplicate detection), a later batch is UnknownProducerID, while
	// 3's is still recognized.
	if _, dup, _ := tab.Check([]SeqBatch{{PID: 2, Seq: 0, Count: 1}}); dup {
		t.Fatal("evicted producer 2 still known")
	}
	if _, _, err := tab.Check([]SeqBatch{{PID: 2, Seq: 1, Count: 1}}); !errors.Is(err, ErrUnknownProducer) {
		t.Fatalf("evicted producer 2 at sequence 1: %v", err)
	}
	if _, dup, _ := tab.Check([]SeqBatch{{PID: 3, Seq: 0, Count: 1}}); !dup {
		t.Fatal("producer 3 forgotten")
	}
}

func TestProducersBadSequences(t *testing.T) {
	tab := NewProducers(0)
	for _, b := range []SeqBatch{{PID: 1, Seq: -5, Count: 1}, {PID: 1, Seq: 0, Count: 0}, {PID: 1, Seq: 1<<31 - 1, Count: 2}} {
		if _, _, err := tab.Check([]SeqBatch{b}); !errors.Is(err, ErrCorruptBatch) {
			t.Fatalf("%+v: %v", b, err)
		}
	}
}

// idemBatch is an encoded batch of producer pid at base sequence seq.
func idemBatch(pid int64, seq int32, values ...string) []byte {
	var b batch.Builder
	b.Reset(1000)
	b.SetProducer(pid, 0, seq)
	for _, v := range values {
		b.Add(nil, []byte(v), nil, 1000)
	}
	return append([]byte(nil), b.Bytes()...)
}

func TestReplicaDeduplicatesAndSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	open := func() *Replica {
		l, err := wal.Open(dir, wal.Options{Sync: wal.SyncNever})
		if err != nil {
			t.Fatal(err)
		}
		r := New(Config{Topic: "t", Partition: 0, Self: 1, Log: l, SyncAppends: true})
		if _, err := r.Become(Assignment{Leader: 1, Epoch: 1, Replicas: []ID{1}, ISR: []ID{1}}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := open()
	ctx := context.Background()
	mustAppend := func(r *Replica, rec []byte) (int64, int64) {
		t.Helper()
		base, next, err := r.Append(rec, wire.AcksAll)
		if err != nil && !IsDuplicate(base, err) {
			t.Fatal(err)
		}
		if err := r.Commit(ctx, next, wire.AcksAll, time.Second); err != nil {
			t.Fatal(err)
		}
		return base, next
	}
	mustAppend(r, oneBatch("plain"))
	b1 := idemBatch(42, 0, "a", "b")
	if base, next := mustAppend(r, append([]byte(nil), b1...)); base != 1 || next != 3 {
		t.Fatalf("first append %d..%d", base, next)
	}
	if base, next, err := r.Append(append([]byte(nil), b1...), wire.AcksAll); !IsDuplicate(base, err) || base != 1 || next != 3 {
		t.Fatalf("retry answered %d..%d, %v; want DuplicateSequence at 1..3", base, next, err)
	}
	if leo := r.Log().EndOffset(); leo != 3 {
		t.Fatalf("log end %d after a duplicate, want 3", leo)
	}
	if _, _, err := r.Append(idemBatch(42, 5, "x"), wire.AcksAll); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("gap: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened: the table is rebuilt from the log.
	r = open()
	defer r.Close()
	if n := r.ProducerCount(); n != 1 {
		t.Fatalf("%d producers after reopen, want 1", n)
	}
	if base, _ := mustAppend(r, append([]byte(nil), b1...)); base != 1 {
		t.Fatalf("retry after reopen answered %d, want 1", base)
	}
	if base, _ := mustAppend(r, idemBatch(42, 2, "c")); base != 3 {
		t.Fatalf("next batch at %d, want 3", base)
	}
	if leo := r.Log().EndOffset(); leo != 4 {
		t.Fatalf("log end %d, want 4", leo)
	}
}

func TestReplicaFollowerTableAndTruncation(t *testing.T) {
	// A leader stores two batches of producer 8; a follower copies the
	// first, then the second, then truncates it away (KIP-101) and
	// becomes leader: the table must forget the truncated batch.
	leader := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 1, Epoch: 1, Replicas: []ID{1}, ISR: []ID{1}})
	for i, rec := range [][]byte{idemBatch(8, 0, "a"), idemBatch(8, 1, "b")} {
		if _, _, err := leader.Append(rec, wire.AcksLeader); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	c, err := leader.Log().Read(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := c.Bytes()
	data = append([]byte(nil), data...)
	c.Close()

	l, err := wal.Open(t.TempDir(), wal.Options{Sync: wal.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	f := New(Config{Topic: "t", Partition: 0, Self: 2, Log: l})
	defer f.Close()
	if _, err := f.Become(Assignment{Leader: 1, Epoch: 1, Replicas: []ID{1, 2}, ISR: []ID{1}}); err != nil {
		t.Fatal(err)
	}
	if err := f.AppendFromLeader(1, data, 0); err != nil {
		t.Fatal(err)
	}
	if n := f.ProducerCount(); n != 1 {
		t.Fatalf("follower knows %d producers", n)
	}
	// Epoch 2: leader 3, which ended epoch 1 at offset 1.
	if _, err := f.Become(Assignment{Leader: 3, Epoch: 2, Replicas: []ID{1, 2, 3}, ISR: []ID{3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Reconcile(2, 1, 1, 1); err != nil {
		t.Fatal(err)
	}
	if leo := f.Log().EndOffset(); leo != 1 {
		t.Fatalf("truncated to %d, want 1", leo)
	}
	if _, err := f.Become(Assignment{Leader: 2, Epoch: 3, Replicas: []ID{1, 2, 3}, ISR: []ID{2}}); err != nil {
		t.Fatal(err)
	}
	// Sequence 1 was truncated: it is the next one to store, not a dup.
	base, _, err := f.Append(idemBatch(8, 1, "b"), wire.AcksLeader)
	if err != nil || base != 1 {
		t.Fatalf("resend of the truncated batch: base %d err %v, want 1 nil", base, err)
	}
	if leo := f.Log().EndOffset(); leo != 2 {
		t.Fatalf("log end %d after the resend, want 2 (it was appended, not taken for a duplicate)", leo)
	}
	if base, _, err := f.Append(idemBatch(8, 0, "a"), wire.AcksLeader); !IsDuplicate(base, err) || base != 0 {
		t.Fatalf("retry of the kept batch: %d %v, want DuplicateSequence at 0", base, err)
	}
}

// BenchmarkProducerScan measures the producer-state rebuild (a read of the
// whole log) on a 64 MiB log of 16 KiB batches from 100 producers.
func BenchmarkProducerScan(b *testing.B) {
	l, err := wal.Open(b.TempDir(), wal.Options{Sync: wal.SyncNever})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	val := make([]byte, 1000)
	seqs := make([]int32, 100)
	for i := range 4096 {
		var bb batch.Builder
		bb.Reset(1)
		pid := int64(i % 100)
		bb.SetProducer(pid, 0, seqs[pid])
		for range 16 {
			bb.Add(nil, val, nil, 1)
		}
		seqs[pid] += 16
		if _, err := l.Append(append([]byte(nil), bb.Bytes()...)); err != nil {
			b.Fatal(err)
		}
	}
	r := &Replica{cfg: Config{}, log: l, logg: slog.New(slog.DiscardHandler)}
	b.SetBytes(l.Size())
	b.ResetTimer()
	for range b.N {
		if n := r.scanProducers(l.StartOffset(), nil).Len(); n != 100 {
			b.Fatalf("%d producers", n)
		}
	}
}

// FuzzProducers feeds arbitrary producer fields (any value a client can
// put in a batch with a valid CRC) to Check and Record: no panic, and an
// accepted batch is recognized as a duplicate right after.
func FuzzProducers(f *testing.F) {
	f.Add(int64(1), int16(0), int32(0), int32(1), int64(1), int16(0), int32(1), int32(1))
	f.Add(int64(1), int16(5), int32(1<<31-1), int32(1), int64(1), int16(-3), int32(-1), int32(-7))
	f.Fuzz(func(t *testing.T, p1 int64, e1 int16, s1, c1 int32, p2 int64, e2 int16, s2, c2 int32) {
		tab := NewProducers(2)
		var leo int64
		for i, b := range []SeqBatch{{p1, e1, s1, c1}, {p2, e2, s2, c2}, {p1 + 1, e1, s1, c1}} {
			_, dup, err := tab.Check([]SeqBatch{b})
			if err != nil || dup {
				continue
			}
			tab.Record(b, leo)
			if b.PID >= 0 {
				if off, dup, err := tab.Check([]SeqBatch{b}); err != nil || !dup || off != leo {
					t.Fatalf("batch %d %+v: right after it was stored: off %d dup %v err %v", i, b, off, dup, err)
				}
			}
			leo += int64(max(b.Count, 1))
		}
		tab.RecordBatches([]byte{0, 1, 2})
	})
}

// TestReplicaAppendChecksBeforeProducerTable: the request is validated
// (one pass) before its producer fields are trusted, and a request of
// several idempotent batches records each at its own offset.
func TestReplicaAppendChecksBeforeProducerTable(t *testing.T) {
	r := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 1, Epoch: 1, Replicas: []ID{1}, ISR: []ID{1}})
	// Sequence 5 of an unknown producer would be UnknownProducerID: with
	// a bad CRC it is a corrupt batch, and the table learns nothing.
	bad := idemBatch(7, 5, "x")
	bad[len(bad)-1] ^= 1
	if _, _, err := r.Append(bad, wire.AcksLeader); !errors.Is(err, ErrCorruptBatch) {
		t.Fatalf("corrupt idempotent batch: %v, want a corrupt batch", err)
	}
	if n := r.ProducerCount(); n != 0 {
		t.Fatalf("%d producers after a corrupt batch, want 0", n)
	}
	req := append(idemBatch(7, 0, "a", "b"), idemBatch(7, 2, "c")...)
	base, next, err := r.Append(req, wire.AcksLeader)
	if err != nil || base != 0 || next != 3 {
		t.Fatalf("Append = %d, %d, %v; want 0, 3", base, next, err)
	}
	// The second batch alone, resent: stored at 2.
	if base, next, err := r.Append(idemBatch(7, 2, "c"), wire.AcksLeader); !IsDuplicate(base, err) || base != 2 || next != 3 {
		t.Fatalf("retry of the second batch = %d, %d, %v; want DuplicateSequence at 2", base, next, err)
	}
}
