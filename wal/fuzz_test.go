package wal

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
)

func FuzzIndexDecode(f *testing.F) {
	f.Add([]byte{}, int64(100))
	f.Add(encodeIndex([]indexEntry{{1, 10}, {5, 90}}), int64(100))
	f.Fuzz(func(t *testing.T, buf []byte, logSize int64) {
		entries, err := decodeIndex(buf, logSize)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeIndex(entries), buf) {
			t.Fatal("index does not re-encode to its input")
		}
		for i, e := range entries {
			if int64(e.pos) >= logSize || i > 0 && (e.rel <= entries[i-1].rel || e.pos <= entries[i-1].pos) {
				t.Fatalf("invalid entry %d accepted: %+v", i, e)
			}
			if lookupIndex(entries, e.rel) != int64(e.pos) {
				t.Fatalf("lookup of entry %d", i)
			}
		}
		times, err := decodeTimeIndex(buf, logSize)
		if err == nil && !bytes.Equal(encodeTimeIndex(times), buf) {
			t.Fatal("time index does not re-encode to its input")
		}
	})
}

func FuzzEpochFile(f *testing.F) {
	f.Add([]byte("0\n2\n1 0\n3 100\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, in []byte) {
		entries, err := parseEpochFile(in)
		if err != nil {
			return
		}
		again, err := parseEpochFile(formatEpochFile(entries))
		if err != nil || len(again) != len(entries) {
			t.Fatalf("epoch file round trip: %v", err)
		}
	})
}

// FuzzSegmentRecovery opens a log whose only segment holds the fuzzer's
// bytes (after an optional valid prefix): Open must not panic, and when it
// succeeds the log must hold only valid, contiguous batches and be
// writable.
func FuzzSegmentRecovery(f *testing.F) {
	f.Add([]byte{}, uint8(0))
	f.Add(makeBatch(1, 2, 0, 0), uint8(2))
	f.Add(append(makeBatch(1, 2, 0, 0), 0, 0, 0, 0), uint8(1))
	f.Fuzz(func(t *testing.T, tail []byte, prefix uint8) {
		mem := vfstest.NewCrashableMem()
		testkit.NoErr(t, mem.MkdirAll(walDir, 0o755))
		var content []byte
		off := int64(0)
		for i := range int(prefix % 4) {
			b := makeBatch(i, 1+i, int32(i), int64(i))
			batch.SetBaseOffset(b, off)
			off = batch.NextOffset(b)
			content = append(content, b...)
		}
		content = append(content, tail...)
		w, err := mem.Create(segPath(0, logSuffix))
		testkit.NoErr(t, err)
		_, err = w.Write(content)
		testkit.NoErr(t, err)
		testkit.NoErr(t, w.Close())
		l, err := Open(walDir, Options{FS: mem, IndexIntervalBytes: 64})
		if err != nil {
			if !IsCorrupt(err) {
				t.Fatalf("Open failed without a corruption mark: %v", err)
			}
			return
		}
		defer l.Close()
		if l.EndOffset() < off {
			t.Fatalf("valid prefix lost: end %d < %d", l.EndOffset(), off)
		}
		next := int64(0)
		for _, b := range readAll(t, l, 0) {
			if batch.BaseOffset(b) != next {
				t.Fatalf("batch at %d, expected %d", batch.BaseOffset(b), next)
			}
			next = batch.NextOffset(b)
		}
		if next != l.EndOffset() {
			t.Fatalf("batches end at %d, log at %d", next, l.EndOffset())
		}
		if _, err := l.Append(makeBatch(9, 1, l.LatestEpoch(), 0)); err != nil {
			t.Fatalf("append after recovery: %v", err)
		}
	})
}

// TestWALSeedCorpus checks that testdata/fuzz holds the seed corpora this
// test generates (go test runs them as regression inputs); with
// WRITE_SEED_CORPUS=1 it writes them instead.
func TestWALSeedCorpus(t *testing.T) {
	writeFiles := os.Getenv("WRITE_SEED_CORPUS") == "1"
	valid := makeBatch(1, 3, 1, 1000)
	idx := encodeIndex([]indexEntry{{3, 100}, {9, 400}})
	maxIdx := encodeIndex([]indexEntry{{1<<32 - 1, 1<<32 - 1}})
	write := func(target, name string, args ...any) {
		dir := filepath.Join("testdata", "fuzz", target)
		if writeFiles {
			testkit.NoErr(t, os.MkdirAll(dir, 0o755))
		}
		s := "go test fuzz v1\n"
		for _, a := range args {
			switch v := a.(type) {
			case []byte:
				s += fmt.Sprintf("[]byte(%q)\n", v)
			case int64:
				s += fmt.Sprintf("int64(%d)\n", v)
			case uint8:
				s += fmt.Sprintf("byte(%q)\n", rune(v))
			}
		}
		path := filepath.Join(dir, name)
		if writeFiles {
			testkit.NoErr(t, os.WriteFile(path, []byte(s), 0o644))
			return
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != s {
			t.Errorf("seed %s is missing or stale (%v): regenerate with WRITE_SEED_CORPUS=1 go test -run TestWALSeedCorpus ./wal", path, err)
		}
	}
	write("FuzzIndexDecode", "empty", []byte{}, int64(0))
	write("FuzzIndexDecode", "valid", idx, int64(1000))
	write("FuzzIndexDecode", "valid-garbage", append(bytes.Clone(idx), 1, 2, 3), int64(1000))
	write("FuzzIndexDecode", "max", maxIdx, int64(1<<62))
	write("FuzzSegmentRecovery", "empty", []byte{}, uint8(0))
	write("FuzzSegmentRecovery", "valid", valid, uint8(0))
	write("FuzzSegmentRecovery", "valid-garbage", append(bytes.Clone(valid), "garbage"...), uint8(1))
	maxLen := bytes.Clone(valid[:batch.HeaderSize])
	maxLen[batch.LengthOffset] = 0x7f
	write("FuzzSegmentRecovery", "max-length", maxLen, uint8(2))
	write("FuzzSegmentRecovery", "zeroed-tail", make([]byte, 300), uint8(3))
	write("FuzzEpochFile", "empty", []byte{})
	write("FuzzEpochFile", "valid", []byte("0\n2\n1 0\n3 100\n"))
	write("FuzzEpochFile", "valid-garbage", []byte("0\n2\n1 0\n3 100\nzz"))
}
