package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
)

// diskLog writes nBatches batches of 3 records through a log on a MemFS
// and closes it, returning the FS and the batches.
func diskLog(t *testing.T, opts Options, nBatches int) (*vfstest.MemFS, [][]byte) {
	t.Helper()
	mem := vfstest.NewCrashableMem()
	opts.FS = mem
	l, err := Open(walDir, opts)
	testkit.NoErr(t, err)
	var want [][]byte
	for id := range nBatches {
		b := makeBatch(id, 3, 1, int64(id))
		_, err := l.Append(b)
		testkit.NoErr(t, err)
		want = append(want, b)
	}
	testkit.NoErr(t, l.Close())
	return mem, want
}

// rewrite replaces file name on fs with f(content).
func rewrite(t *testing.T, fs vfs.FS, name string, f func([]byte) []byte) {
	t.Helper()
	b, err := vfs.ReadFile(fs, name, 1<<30)
	testkit.NoErr(t, err)
	out := f(bytes.Clone(b))
	w, err := fs.Create(name)
	testkit.NoErr(t, err)
	_, err = w.Write(out)
	testkit.NoErr(t, err)
	testkit.NoErr(t, w.Sync())
	testkit.NoErr(t, w.Close())
}

func segPath(base int64, suffix string) string {
	return filepath.Join(walDir, segmentName(base, suffix))
}

func TestWALBadSegmentTail(t *testing.T) {
	opts := Options{IndexIntervalBytes: 100}
	size := len(makeBatch(0, 3, 1, 0))
	cases := []struct {
		name string
		f    func([]byte) []byte
		keep int // batches expected after recovery
	}{
		{"truncated mid-batch", func(b []byte) []byte { return b[:len(b)-7] }, 9},
		{"truncated in length", func(b []byte) []byte { return b[:9*size+5] }, 9},
		{"zeroed tail", func(b []byte) []byte { clear(b[8*size+20:]); return b }, 8},
		{"zeros appended", func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, 10},
		{"bit flip in last batch", func(b []byte) []byte { b[len(b)-3] ^= 0x04; return b }, 9},
		{"garbage appended", func(b []byte) []byte { return append(b, "garbage that is not a batch"...) }, 10},
		{"unknown magic in last batch", func(b []byte) []byte { b[9*size+batch.MagicOffset] = 7; return b }, 9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem, want := diskLog(t, opts, 10)
			rewrite(t, mem, segPath(0, logSuffix), tc.f)
			l, n := checkRecovered(t, mem, opts, want, tc.keep)
			testkit.Equal(t, n, tc.keep)
			// The log is writable after recovery.
			_, err := l.Append(makeBatch(99, 1, 1, 0))
			testkit.NoErr(t, err)
			testkit.NoErr(t, l.Close())
			if _, err := mem.Stat(segPath(0, logSuffix+brokenSuffix)); tc.keep < 10 && err != nil {
				t.Fatalf("no .broken copy: %v", err)
			}
		})
	}
}

func TestWALCorruptionIsReported(t *testing.T) {
	opts := Options{IndexIntervalBytes: 100, SegmentBytes: 600}
	size := len(makeBatch(0, 3, 1, 0))
	cases := []struct {
		name string
		file string
		f    func([]byte) []byte
	}{
		{"bit flip mid active segment", "active", func(b []byte) []byte { b[size+30] ^= 1; return b }},
		{"unknown magic mid active segment", "active", func(b []byte) []byte { b[batch.MagicOffset] = 9; return b }},
		{"length flip mid active segment", "active", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[batch.LengthOffset:], 1<<20)
			return b
		}},
		{"bit flip in sealed segment tail", "first", func(b []byte) []byte { b[len(b)-2] ^= 1; return b }},
		{"sealed segment cut short", "first", func(b []byte) []byte { return b[:len(b)-size] }},
		{"sealed segment zeroed", "first", func(b []byte) []byte { clear(b); return b }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem, _ := diskLog(t, opts, 12)
			names, err := mem.ReadDir(walDir)
			testkit.NoErr(t, err)
			var logs []string
			for _, n := range names {
				if filepath.Ext(n) == logSuffix {
					logs = append(logs, n)
				}
			}
			if len(logs) < 3 {
				t.Fatalf("want several segments: %v", logs)
			}
			target := logs[len(logs)-1]
			if tc.file == "first" {
				target = logs[0]
			}
			rewrite(t, mem, filepath.Join(walDir, target), tc.f)
			if tc.file == "first" {
				// Make the index not cover the damage so Open sees it.
				testkit.NoErr(t, mem.Remove(filepath.Join(walDir, target[:20]+indexSuffix)))
			}
			_, err = Open(walDir, Options{FS: mem, IndexIntervalBytes: 100, SegmentBytes: 600})
			if !IsCorrupt(err) {
				t.Fatalf("Open = %v, want a corruption error", err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(target)) {
				t.Fatalf("error does not name the file %s: %v", target, err)
			}
			testkit.NoErr(t, Delete(walDir, Options{FS: mem}))
		})
	}
}

// TestWALCorruptionInIndexedSealedSegmentFoundAtOpen: a flipped byte in
// a closed segment, before its last index entry (the part Open used to
// trust to the index), is found by Open, naming the file and the batch's
// position; with TruncateAtCorruption the log is cut there, the later
// segments removed and the cut bytes kept in .broken.
func TestWALCorruptionInIndexedSealedSegmentFoundAtOpen(t *testing.T) {
	opts := Options{IndexIntervalBytes: 100, SegmentBytes: 600}
	size := int64(len(makeBatch(0, 3, 1, 0)))
	mem, want := diskLog(t, opts, 12)
	idx, err := vfs.ReadFile(mem, segPath(0, indexSuffix), 1<<20)
	testkit.NoErr(t, err)
	entries, err := decodeIndex(idx, 1<<20)
	testkit.NoErr(t, err)
	if len(entries) == 0 || int64(entries[len(entries)-1].pos) <= size+30 {
		t.Fatalf("the first segment's index %v does not skip over its second batch", entries)
	}
	rewrite(t, mem, segPath(0, logSuffix), func(b []byte) []byte { b[size+30] ^= 1; return b })
	opts.FS = mem
	_, err = Open(walDir, opts)
	ce, ok := errors.AsType[*CorruptError](err)
	if !ok || !strings.HasSuffix(ce.File, segmentName(0, logSuffix)) || ce.Pos != size {
		t.Fatalf("Open = %v, want corruption of segment 0 at position %d", err, size)
	}

	// A re-open by the process that checked the log before trusts the
	// index (no full read); the damage is then found on read.
	trusted := opts
	trusted.TrustClosedIndexes = true
	tl, err := Open(walDir, trusted)
	testkit.NoErr(t, err)
	if _, err := tl.Read(0, 1<<20); !IsCorrupt(err) {
		t.Fatalf("Read with TrustClosedIndexes = %v, want corruption", err)
	}
	testkit.NoErr(t, tl.Close())

	// The dry run says what the cut drops and changes nothing.
	before, err := vfs.ReadFile(mem, segPath(0, logSuffix), 1<<20)
	testkit.NoErr(t, err)
	plan, err := PlanRepair(walDir, opts)
	testkit.NoErr(t, err)
	after, err := vfs.ReadFile(mem, segPath(0, logSuffix), 1<<20)
	testkit.NoErr(t, err)
	if plan == nil || !bytes.Equal(before, after) {
		t.Fatalf("PlanRepair = %+v, segment changed: %v", plan, !bytes.Equal(before, after))
	}
	if _, err := Open(walDir, opts); !IsCorrupt(err) {
		t.Fatalf("after the dry run Open = %v, want the corruption still there", err)
	}

	opts.TruncateAtCorruption = true
	l, err := Open(walDir, opts)
	testkit.NoErr(t, err)
	rep := l.Repaired()
	if *plan != *rep {
		t.Fatalf("the dry run said %+v, the repair did %+v", plan, rep)
	}
	if rep == nil || rep.End != 3 || rep.Pos != size || l.EndOffset() != 3 || rep.DroppedSegments == 0 {
		t.Fatalf("repair %+v, end %d: want the log cut after the first batch and the later segments removed", rep, l.EndOffset())
	}
	if rep.OldEnd != int64(len(want))*3 || rep.DroppedRecords != rep.OldEnd-3 || rep.DroppedBytes <= 0 {
		t.Fatalf("repair %+v: want records [3, %d) counted as dropped", rep, len(want)*3)
	}
	if _, err := mem.Stat(segPath(0, logSuffix+brokenSuffix)); err != nil {
		t.Fatalf("the cut bytes were not kept: %v", err)
	}
	testkit.Equal(t, len(readAll(t, l, 0)), 1)
	testkit.NoErr(t, l.Close())
	if plan, err := PlanRepair(walDir, opts); err != nil || plan != nil {
		t.Fatalf("PlanRepair of the repaired log = %+v, %v; want nothing to repair", plan, err)
	}
}

// TestWALCorruptionFoundOnRead: damage that appears while the log is open
// (after Open checked it) is found when the batch is read.
func TestWALCorruptionFoundOnRead(t *testing.T) {
	opts := Options{IndexIntervalBytes: 100, SegmentBytes: 600}
	mem, _ := diskLog(t, opts, 12)
	opts.FS = mem
	l, err := Open(walDir, opts)
	testkit.NoErr(t, err)
	defer l.Close()
	// Flip a byte of the open file in place (same file, as disk rot would).
	b, err := vfs.ReadFile(mem, segPath(0, logSuffix), 1<<20)
	testkit.NoErr(t, err)
	b[30] ^= 1
	f, err := mem.OpenAppend(segPath(0, logSuffix))
	testkit.NoErr(t, err)
	testkit.NoErr(t, f.Truncate(30))
	_, err = f.Write(b[30:])
	testkit.NoErr(t, err)
	testkit.NoErr(t, f.Close())
	_, err = l.Read(0, 100)
	if !IsCorrupt(err) {
		t.Fatalf("Read = %v, want corruption", err)
	}
}

func TestWALBadIndexesAreRebuilt(t *testing.T) {
	opts := Options{IndexIntervalBytes: 64, SegmentBytes: 700}
	for _, tc := range []struct {
		name string
		f    func(fs vfs.FS, base int64)
	}{
		{"missing", func(fs vfs.FS, base int64) {
			testkit.NoErr(t, fs.Remove(segPath(base, indexSuffix)))
			testkit.NoErr(t, fs.Remove(segPath(base, timeIndexSuffix)))
		}},
		{"garbage", func(fs vfs.FS, base int64) {
			rewrite(t, fs, segPath(base, indexSuffix), func([]byte) []byte { return []byte("garbage!garbage!") })
			rewrite(t, fs, segPath(base, timeIndexSuffix), func([]byte) []byte { return []byte("x") })
		}},
		{"odd size", func(fs vfs.FS, base int64) {
			rewrite(t, fs, segPath(base, indexSuffix), func(b []byte) []byte { return b[:len(b)-3] })
		}},
		{"pointing past the end", func(fs vfs.FS, base int64) {
			rewrite(t, fs, segPath(base, indexSuffix), func(b []byte) []byte {
				return appendIndexEntry(b, indexEntry{rel: 1 << 20, pos: 1 << 30})
			})
		}},
		{"pointing inside a batch", func(fs vfs.FS, base int64) {
			rewrite(t, fs, segPath(base, indexSuffix), func(b []byte) []byte {
				n := len(b) / indexEntrySize
				binary.BigEndian.PutUint32(b[(n-1)*indexEntrySize+4:], binary.BigEndian.Uint32(b[(n-1)*indexEntrySize+4:])+1)
				return b
			})
		}},
		{"empty", func(fs vfs.FS, base int64) {
			rewrite(t, fs, segPath(base, indexSuffix), func([]byte) []byte { return nil })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem, want := diskLog(t, opts, 20)
			names, err := mem.ReadDir(walDir)
			testkit.NoErr(t, err)
			segs := 0
			for _, n := range names {
				if base, ok := parseSegmentName(n); ok {
					tc.f(mem, base)
					segs++
				}
			}
			if segs < 3 {
				t.Fatalf("want several segments, have %d", segs)
			}
			l, n := checkRecovered(t, mem, opts, want, len(want))
			testkit.Equal(t, n, len(want))
			// Every offset can be found through the rebuilt indexes.
			for _, b := range want {
				for off := batch.BaseOffset(b); off < batch.NextOffset(b); off++ {
					c, err := l.Read(off, 1)
					testkit.NoErr(t, err)
					p, _ := c.Bytes()
					if !bytes.Equal(p, b) {
						t.Fatalf("read %d: wrong batch", off)
					}
					c.Close()
				}
			}
			testkit.NoErr(t, l.Close())
			idx, err := vfs.ReadFile(mem, segPath(0, indexSuffix), 1<<20)
			testkit.NoErr(t, err)
			if _, err := decodeIndex(idx, 1<<20); err != nil || len(idx) == 0 {
				t.Fatalf("index not rebuilt: %d bytes, %v", len(idx), err)
			}
		})
	}
}

func TestWALBadEpochFile(t *testing.T) {
	for _, content := range []string{"", "garbage", "0\n2\n1 0\n", "0\n1\n-1 0\n", "0\n2\n3 10\n2 20\n", "1\n0\n"} {
		t.Run(fmt.Sprintf("%q", content), func(t *testing.T) {
			mem, want := diskLog(t, Options{}, 5)
			rewrite(t, mem, filepath.Join(walDir, epochFileName), func([]byte) []byte { return []byte(content) })
			l, _ := checkRecovered(t, mem, Options{}, want, len(want))
			testkit.Equal(t, l.LatestEpoch(), 1)
			testkit.NoErr(t, l.Close())
		})
	}
}

func TestWALOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{SegmentBytes: -1}, {SegmentBytes: 1 << 40}, {MaxBatchBytes: 10}, {Sync: 7},
		{IndexIntervalBytes: -1}, {RetentionBytes: -5}, {SegmentAge: -1}, {SyncEvery: -1},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: no error", o)
		}
		if _, err := Open(t.TempDir(), o); err == nil {
			t.Errorf("%+v: Open accepted it", o)
		}
	}
}

// TestWALRefusesPoisonBatches: Append (leader) and AppendReplica
// (follower) refuse a batch whose CRC holds but whose records do not
// match its header, and write nothing of the call.
func TestWALRefusesPoisonBatches(t *testing.T) {
	l, err := Open(walDir, Options{FS: vfstest.NewCrashableMem()})
	testkit.NoErr(t, err)
	defer l.Close()
	_, err = l.Append(makeBatch(0, 2, 1, 0))
	testkit.NoErr(t, err)
	poison := makeBatch(1, 1, 1, 0)
	binary.BigEndian.PutUint32(poison[batch.LastOffsetDeltaOffset:], 0x7ffffff0)
	binary.BigEndian.PutUint32(poison[batch.CRCOffset:], batch.Checksum(poison[batch.AttributesOffset:]))
	_, err = l.Append(append(makeBatch(2, 1, 1, 0), poison...))
	testkit.ErrIs(t, err, ErrInvalidBatch)
	testkit.ErrIs(t, err, batch.ErrInvalid)
	batch.SetBaseOffset(poison, 2)
	testkit.ErrIs(t, l.AppendReplica(poison), batch.ErrInvalid)
	testkit.Equal(t, l.EndOffset(), int64(2))
	testkit.Equal(t, len(readAll(t, l, 0)), 1)
}

// TestWALReset: a follower whose log ends below its leader's log start
// restarts its log empty at that offset, takes the leader's batches from
// there, and the log reopens the same.
func TestWALReset(t *testing.T) {
	mem := vfstest.NewCrashableMem()
	opts := Options{FS: mem, SegmentBytes: 1 << 10}
	l, err := Open(walDir, opts)
	testkit.NoErr(t, err)
	for id := range 20 {
		_, err := l.Append(makeBatch(id, 3, 1, 0))
		testkit.NoErr(t, err)
	}
	testkit.NoErr(t, l.Reset(1000))
	testkit.Equal(t, l.StartOffset(), int64(1000))
	testkit.Equal(t, l.EndOffset(), int64(1000))
	testkit.Equal(t, l.DurableOffset(), int64(1000))
	testkit.Equal(t, l.LatestEpoch(), int32(-1))
	b := makeBatch(99, 2, 3, 0)
	batch.SetBaseOffset(b, 1000)
	testkit.NoErr(t, l.AppendReplica(b))
	testkit.NoErr(t, l.Sync())
	testkit.NoErr(t, l.Close())

	l, err = Open(walDir, opts)
	testkit.NoErr(t, err)
	defer l.Close()
	testkit.Equal(t, l.StartOffset(), int64(1000))
	testkit.Equal(t, l.EndOffset(), int64(1002))
	testkit.Equal(t, l.LatestEpoch(), int32(3))
	got := readAll(t, l, 1000)
	testkit.Equal(t, len(got), 1)
	names, err := mem.ReadDir(walDir)
	testkit.NoErr(t, err)
	for _, n := range names {
		if filepath.Ext(n) == ".log" && n != segmentName(1000, logSuffix) {
			t.Errorf("segment %s left after the reset", n)
		}
	}
}

// TestWALTruncateAtCorruption: with TruncateAtCorruption, Open cuts the
// log at the last valid batch before the damage (keeping the bytes in
// .broken, removing the later segments) instead of failing, and says so.
func TestWALTruncateAtCorruption(t *testing.T) {
	opts := Options{IndexIntervalBytes: 100, SegmentBytes: 600}
	size := len(makeBatch(0, 3, 1, 0))
	for _, tc := range []struct {
		name  string
		first bool
		f     func([]byte) []byte
	}{
		{"mid active segment", false, func(b []byte) []byte { b[size+30] ^= 1; return b }},
		{"sealed segment", true, func(b []byte) []byte { b[len(b)-2] ^= 1; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem, want := diskLog(t, opts, 12)
			names, err := mem.ReadDir(walDir)
			testkit.NoErr(t, err)
			var logs []string
			for _, n := range names {
				if filepath.Ext(n) == logSuffix {
					logs = append(logs, n)
				}
			}
			target := logs[len(logs)-1]
			if tc.first {
				target = logs[0]
				testkit.NoErr(t, mem.Remove(filepath.Join(walDir, target[:20]+indexSuffix)))
			}
			rewrite(t, mem, filepath.Join(walDir, target), tc.f)
			o := opts
			o.FS, o.TruncateAtCorruption = mem, true
			l, err := Open(walDir, o)
			testkit.NoErr(t, err)
			rep := l.Repaired()
			if rep == nil || !strings.HasSuffix(rep.File, target) || rep.End != l.EndOffset() {
				t.Fatalf("repair %+v, log end %d", rep, l.EndOffset())
			}
			got := readAll(t, l, 0)
			if int64(len(got))*3 != l.EndOffset() {
				t.Fatalf("%d batches below end %d", len(got), l.EndOffset())
			}
			for i, b := range got {
				p, _, _ := batch.Decode(b)
				w, _, _ := batch.Decode(want[i])
				if string(p.Records[0].Value) != string(w.Records[0].Value) {
					t.Fatalf("batch %d differs", i)
				}
			}
			if l.EndOffset() >= int64(len(want))*3 {
				t.Fatal("nothing was cut")
			}
			b := makeBatch(50, 1, 2, 0)
			_, err = l.Append(b)
			testkit.NoErr(t, err)
			testkit.NoErr(t, l.Close())
			l, err = Open(walDir, Options{FS: mem, IndexIntervalBytes: 100, SegmentBytes: 600})
			testkit.NoErr(t, err)
			testkit.NoErr(t, l.Close())
		})
	}
}
