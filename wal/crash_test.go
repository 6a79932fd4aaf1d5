package wal

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
)

// crashWorkload is a scripted workload for TestCrashAtEveryOp: appends
// (with epoch changes), rolls, a truncation and a retention pass, under
// SyncAlways. It stops at the first error. It returns the batches the log
// should hold if everything succeeded so far, including those of the
// operation in flight (which may or may not have landed), and how many of
// them were acknowledged durable.
func crashWorkload(fs vfs.FS) (want [][]byte, durable int, err error) {
	opts := Options{FS: fs, SegmentBytes: 700, IndexIntervalBytes: 100, RetentionBytes: 1 << 20}
	l, err := Open(walDir, opts)
	if err != nil {
		return nil, 0, err
	}
	defer l.Close()
	appendBatches := func(id, n int, epoch int32) error {
		var buf []byte
		for k := range n {
			buf = append(buf, makeBatch(id*10+k, 1+k, epoch, int64(id))...)
		}
		base, err := l.Append(buf)
		if err != nil {
			// The batches may be on disk, with the offsets they would get.
			off := int64(0)
			if len(want) > 0 {
				off = batch.NextOffset(want[len(want)-1])
			}
			for p := buf; len(p) > 0; p = p[batch.Length(p)+batch.LogOverhead:] {
				batch.SetBaseOffset(p, off)
				off = batch.NextOffset(p)
				want = append(want, bytes.Clone(p[:batch.Length(p)+batch.LogOverhead]))
			}
			return err
		}
		_ = base
		for p := buf; len(p) > 0; p = p[batch.Length(p)+batch.LogOverhead:] {
			want = append(want, bytes.Clone(p[:batch.Length(p)+batch.LogOverhead]))
		}
		durable = len(want)
		return nil
	}
	for id := range 6 {
		if err := appendBatches(id, 1+id%3, int32(id/2)); err != nil {
			return want, durable, err
		}
	}
	if err := l.Roll(); err != nil {
		return want, durable, err
	}
	// Truncate into the middle: durable only once Truncate returns.
	cut := len(want) / 2
	if err := l.Truncate(batch.BaseOffset(want[cut])); err != nil {
		return want, min(durable, cut), err
	}
	want, durable = want[:cut], min(durable, cut)
	for id := 6; id < 10; id++ {
		if err := appendBatches(id, 2, 5); err != nil {
			return want, durable, err
		}
	}
	if err := l.Sync(); err != nil {
		return want, durable, err
	}
	return want, durable, l.Close()
}

// TestCrashAtEveryOp crashes the workload at its k-th mutating filesystem
// operation (write, fsync, dir fsync, create, rename, truncate, remove)
// for every k, then takes several power-loss states of the filesystem and
// checks each recovers to a prefix holding every acknowledged batch.
func TestCrashAtEveryOp(t *testing.T) {
	inj := vfstest.NewInjector()
	if _, _, err := crashWorkload(vfstest.WithErrors(vfstest.NewCrashableMem(), inj)); err != nil {
		t.Fatalf("workload without faults: %v", err)
	}
	total := 0
	for _, op := range []vfstest.Op{vfstest.OpWrite, vfstest.OpSync, vfstest.OpDirSync, vfstest.OpCreate, vfstest.OpRename, vfstest.OpTruncate, vfstest.OpRemove} {
		total += inj.Count(op)
	}
	if total < 50 {
		t.Fatalf("workload does only %d operations", total)
	}
	states := 0
	for k := 1; k <= total; k++ {
		mem := vfstest.NewCrashableMem()
		inj := vfstest.NewInjector()
		inj.FailAt(vfstest.OpAll, k, true)
		want, durable, err := crashWorkload(vfstest.WithErrors(mem, inj))
		if err == nil || !inj.Tripped() {
			t.Fatalf("k=%d: workload did not fail (%v)", k, err)
		}
		for seed := range uint64(4) {
			pct := []int{0, 50, 100, 25}[seed]
			crashed := mem.CrashClone(rand.New(rand.NewPCG(uint64(k), seed)), pct)
			l, _ := checkRecovered(t, crashed, Options{SegmentBytes: 700, IndexIntervalBytes: 100}, want, durable)
			testkit.NoErr(t, l.Close())
			states++
		}
	}
	t.Logf("figures: crash points %d, recovered states checked %d", total, states)
}

// TestCrashFsyncFailureIsFailStop: after a failed fsync nothing more is
// acknowledged or reported durable, and all writes are refused.
func TestCrashFsyncFailureIsFailStop(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncAlways, SyncNever} {
		t.Run(policy.String(), func(t *testing.T) {
			mem := vfstest.NewCrashableMem()
			inj := vfstest.NewInjector()
			l, err := Open(walDir, Options{FS: vfstest.WithErrors(mem, inj), Sync: policy})
			testkit.NoErr(t, err)
			defer l.Close()
			_, err = l.Append(makeBatch(1, 3, 0, 0))
			testkit.NoErr(t, err)
			testkit.NoErr(t, l.Sync())
			testkit.Equal(t, l.DurableOffset(), 3)
			inj.FailAt(vfstest.OpSync, 1, false)
			_, err = l.Append(makeBatch(2, 3, 0, 0))
			if policy == SyncAlways {
				testkit.ErrIs(t, err, ErrFailed)
			} else {
				testkit.NoErr(t, err)
				testkit.ErrIs(t, l.Sync(), ErrFailed)
			}
			testkit.Equal(t, l.DurableOffset(), 3)
			// The fsync would succeed now; the log must not trust it.
			_, err = l.Append(makeBatch(3, 1, 0, 0))
			testkit.ErrIs(t, err, ErrFailed)
			testkit.ErrIs(t, l.Sync(), ErrFailed)
			testkit.ErrIs(t, l.Roll(), ErrFailed)
			testkit.ErrIs(t, l.Truncate(0), ErrFailed)
			testkit.Equal(t, l.DurableOffset(), 3)
			// Reads of what was written still work.
			c, err := l.Read(0, 1<<20)
			testkit.NoErr(t, err)
			c.Close()
		})
	}
}

func TestCrashWriteFailureIsFailStop(t *testing.T) {
	mem := vfstest.NewCrashableMem()
	inj := vfstest.NewInjector()
	l, err := Open(walDir, Options{FS: vfstest.WithErrors(mem, inj)})
	testkit.NoErr(t, err)
	_, err = l.Append(makeBatch(1, 3, 0, 0))
	testkit.NoErr(t, err)
	inj.FailAt(vfstest.OpWrite, 1, false)
	_, err = l.Append(makeBatch(2, 3, 0, 0))
	testkit.ErrIs(t, err, ErrFailed)
	testkit.ErrIs(t, err, vfstest.ErrInjected)
	_, err = l.Append(makeBatch(3, 3, 0, 0))
	testkit.ErrIs(t, err, ErrFailed)
	testkit.Equal(t, l.EndOffset(), 3)
	testkit.Equal(t, l.DurableOffset(), 3)
	// Readers never see the half-written batch.
	got := readAll(t, l, 0)
	testkit.Equal(t, len(got), 1)
	if err := l.Close(); err != nil && !errors.Is(err, ErrFailed) {
		t.Fatal(err)
	}
	// Reopening truncates the torn half batch and keeps a .broken copy.
	l, n := checkRecovered(t, mem, Options{}, got, 1)
	testkit.Equal(t, n, 1)
	testkit.NoErr(t, l.Close())
	if _, err := mem.Stat(walDir + "/00000000000000000000.log.broken"); err != nil {
		t.Fatalf("no .broken copy: %v", err)
	}
}

func TestCrashDirSyncFailureIsFailStop(t *testing.T) {
	mem := vfstest.NewCrashableMem()
	inj := vfstest.NewInjector()
	l, err := Open(walDir, Options{FS: vfstest.WithErrors(mem, inj)})
	testkit.NoErr(t, err)
	defer l.Close()
	_, err = l.Append(makeBatch(1, 3, 0, 0))
	testkit.NoErr(t, err)
	inj.FailAt(vfstest.OpDirSync, 1, false)
	testkit.ErrIs(t, l.Roll(), ErrFailed)
	_, err = l.Append(makeBatch(2, 1, 0, 0))
	testkit.ErrIs(t, err, ErrFailed)
	inj.FailAt(vfstest.OpRename, 1, false)
}
