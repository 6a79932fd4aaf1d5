package replica

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"
)

func TestProducerSnapshotRoundTrip(t *testing.T) {
	tab := NewProducers(0)
	var leo int64
	for i := range 12 {
		pid := int64(i % 4)
		b := SeqBatch{PID: pid, Epoch: int16(pid), Seq: int32(i / 4 * 3), Count: 3}
		if _, _, err := appendTo(t, tab, &leo, b); err != nil {
			t.Fatal(err)
		}
		leo++ // runs of their own
	}
	got, end, err := decodeProducers(tab.encode(leo), 0)
	if err != nil || end != leo || got.Len() != 4 {
		t.Fatalf("decode: %d producers, end %d, %v", got.Len(), end, err)
	}
	for pid := range int64(4) {
		for seq := int32(0); seq < 9; seq += 3 {
			b := SeqBatch{PID: pid, Epoch: int16(pid), Seq: seq, Count: 3}
			want, _, _ := tab.Check([]SeqBatch{b})
			off, dup, err := got.Check([]SeqBatch{b})
			if err != nil || !dup || off != want {
				t.Fatalf("%+v after decode: %d %v %v, want %d", b, off, dup, err, want)
			}
		}
	}
	// Bounded on load: the least recent go first.
	small, _, err := decodeProducers(tab.encode(leo), 2)
	if err != nil || small.Len() != 2 {
		t.Fatalf("bounded decode: %d, %v", small.Len(), err)
	}
	if _, dup, _ := small.Check([]SeqBatch{{PID: 3, Epoch: 3, Seq: 6, Count: 3}}); !dup {
		t.Fatal("bounded decode dropped the most recent producer")
	}
	// Corruption is detected.
	b := tab.encode(leo)
	b[20] ^= 1
	if _, _, err := decodeProducers(b, 0); err == nil {
		t.Fatal("flipped bit not detected")
	}
	for n := range len(b) {
		_, _, _ = decodeProducers(b[:n], 0) // no panic on truncation
	}
}

// TestReplicaProducerSnapshot: a clean close writes the snapshot, the
// next open loads it (a producer known only to the snapshot is known) and
// removes it; a snapshot past the log end, or corrupt, is ignored and the
// table comes from the whole log.
func TestReplicaProducerSnapshot(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, producerSnapshotName)
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
	for i := range 3 {
		if _, _, err := r.Append(idemBatch(10, int32(i), "x"), wire.AcksLeader); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(snap); err != nil {
		t.Fatalf("no snapshot after a clean close: %v", err)
	}
	// Add a producer the log does not have: it proves the snapshot is read.
	b, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	tab, end, err := decodeProducers(b, 0)
	if err != nil || end != 3 {
		t.Fatalf("snapshot: end %d, %v", end, err)
	}
	tab.Record(SeqBatch{PID: 555, Seq: 0, Count: 1}, 0)
	if err := os.WriteFile(snap, tab.encode(end), 0o644); err != nil {
		t.Fatal(err)
	}
	r = open()
	if n := r.ProducerCount(); n != 2 {
		t.Fatalf("%d producers, want 2 (the snapshot's extra one included)", n)
	}
	if _, err := os.Stat(snap); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("snapshot still there after open: %v", err)
	}
	// Appends after the snapshot's end are scanned: close, then rewind
	// the snapshot's end so that batch 3 comes from the log.
	if _, _, err := r.Append(idemBatch(10, 3, "y"), wire.AcksLeader); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	tab, _, _ = decodeProducers(b, 0)
	stale := NewProducers(0)
	stale.Record(SeqBatch{PID: 10, Seq: 0, Count: 3}, 0)
	if err := os.WriteFile(snap, stale.encode(3), 0o644); err != nil {
		t.Fatal(err)
	}
	r = open()
	if base, _, err := r.Append(idemBatch(10, 3, "y"), wire.AcksLeader); !IsDuplicate(base, err) || base != 3 {
		t.Fatalf("retry of a batch after the snapshot's end: %d %v, want DuplicateSequence at 3", base, err)
	}
	if leo := r.Log().EndOffset(); leo != 4 {
		t.Fatalf("log end %d, want 4", leo)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// A snapshot past the log end (the log lost its tail) is ignored.
	if err := os.WriteFile(snap, tab.encode(100), 0o644); err != nil {
		t.Fatal(err)
	}
	r = open()
	if n := r.ProducerCount(); n != 1 {
		t.Fatalf("%d producers from a snapshot past the log end, want 1 (from the log)", n)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// A corrupt one too.
	if err := os.WriteFile(snap, []byte("FPS1garbage-garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = open()
	defer r.Close()
	if n := r.ProducerCount(); n != 1 {
		t.Fatalf("%d producers from a corrupt snapshot, want 1 (from the log)", n)
	}
	if base, _, err := r.Append(idemBatch(10, 0, "x"), wire.AcksLeader); !IsDuplicate(base, err) || base != 0 {
		t.Fatalf("retry after a corrupt snapshot: %d %v, want DuplicateSequence at 0", base, err)
	}
}
